"""Business operations (verbs): each validates, runs in one transaction, raises ServiceError."""
import functools

from app.errors import InvalidFields, ServiceError  # noqa: F401  (they live below, for security to catch too)
from app.extensions import db

_IN_TRANSACTION = "service_transaction"  # key in Session.info: a verb of this session owns the transaction


def transaction(verb=None, *, on_error=None):
    """Run a service verb in one transaction: commit when it returns, roll back when it raises.

    A verb called while another runs, or with ``commit=False``, joins the caller's transaction: it neither
    commits nor rolls back (whoever owns the transaction does, so a failure never keeps half of the work).
    ``on_error(error, *args, **kwargs)`` runs after the rollback with the verb's arguments; it may raise a
    clearer error (e.g. a ServiceError for a unique constraint a concurrent request won), else the error stands.
    """
    def decorate(verb):
        @functools.wraps(verb)
        def run(*args, commit=True, **kwargs):
            session = db.session
            if not commit or session.info.get(_IN_TRANSACTION):
                return verb(*args, **kwargs)
            session.info[_IN_TRANSACTION] = True
            try:
                result = verb(*args, **kwargs)
                session.commit()
                return result
            except BaseException as error:
                session.rollback()
                if on_error is not None and isinstance(error, Exception):
                    session.info.pop(_IN_TRANSACTION, None)  # on_error may read (and run verbs) afresh
                    on_error(error, *args, **kwargs)
                raise
            finally:
                session.info.pop(_IN_TRANSACTION, None)
        return run
    return decorate(verb) if verb is not None else decorate
