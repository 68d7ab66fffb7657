"""Our exceptions. Only the edges (webhook, API views, CLI, sender) log and convert them."""


class ShopbotError(Exception):
    """Base class for every error shopbot raises on purpose."""


class ConfigError(ShopbotError):
    """The configuration cannot run: keys are missing or values are malformed."""


class ContentError(ShopbotError):
    """The owner's files (flows/, catalog/) have problems; `problems` lists each one."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
