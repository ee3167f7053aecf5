"""Business operations (verbs): each validates, runs in one transaction, raises ServiceError."""
from app.errors import ServiceError  # noqa: F401  (defined below the services so security can catch it too)
