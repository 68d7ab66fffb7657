"""shopbot: a WhatsApp commerce bot for small and mid-size shops."""
