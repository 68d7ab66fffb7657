"""Language packs (`<lang>.yaml`: command words, cues, fillers, day names...) and text normalising.

The packs are data; `bot.content.language_packs` loads them with the owner's
`flows/locale.<lang>.yaml` over them.
"""
