"""Business operations (verbs): each validates, runs in one transaction, raises ServiceError."""


class ServiceError(Exception):
    """A refused operation; str() is the Chinese message shown to the user."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field
