"""The domain error every layer may raise and catch: a refused operation with its Chinese message."""


class ServiceError(Exception):
    """A refused operation; str() is the Chinese message shown to the user."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidFields(ServiceError):
    """Validation failed: ``errors`` maps each field (None = the record as a whole) to its message."""

    def __init__(self, errors):
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = dict(errors)
