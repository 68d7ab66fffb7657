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


class GraphUnavailable(ShopbotError):
    """A Graph API read (the account's templates) failed: refused (token, account id) or unreachable."""


class InvalidInput(ShopbotError):
    """A request's field is missing or malformed (HTTP 400)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class Unprocessable(ShopbotError):
    """A well-formed request the shop cannot fulfil: unknown SKUs, no stock (HTTP 422)."""

    def __init__(self, message: str, details: list[dict], field: str | None = None):
        super().__init__(message)
        self.message, self.details, self.field = message, details, field


class NotFound(ShopbotError):
    """What a request names does not exist: an order, a product (HTTP 404)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


class BroadcastError(ShopbotError):
    """A broadcast cannot be created or changed as asked; the message says what to change."""
