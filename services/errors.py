"""Refusals the domain raises; the web layer turns them into pages or JSON in the user's language."""


class DomainError(Exception):
    """A request the rules refuse. `code` names a message in services.messages."""

    status = 422

    def __init__(self, code: str, field: str | None = None, **params):
        super().__init__(code)
        self.code = code
        self.field = field
        self.params = params


class ValidationFailed(DomainError):
    """A form submission with errors per field; nothing was saved."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("validation_failed")
        self.fields = fields


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    """Someone else changed the case or task first; the request did nothing."""

    status = 409
