"""Business rules, free of request and response objects: callable from views, the CLI, the API and tests."""


class RuleViolation(ValueError):
    """A business rule refused the request; `message` is Chinese and fit to show, `field` names the input."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
