"""The domain error every layer may raise and catch: a refused operation with its Chinese message."""


class ServiceError(Exception):
    """A refused operation; str() is the Chinese message shown to the user."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field
