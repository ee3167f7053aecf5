"""What every list query shares: the one capped count and the one statement-timeout guard of a search.

SPEC §12: lists must not count what they do not show, and a search stays interactive whatever its length.
- capped_count: an exact count(*) reads every matching row (518,000 certificates at province scope: 636 ms on a
  cold start, ~60 ms warm, for a page that shows 20); counting stops after cap + 1 rows (count_cap: COUNT_CAP,
  or SEARCH_COUNT_CAP for a name search) and the pages say 超过 N 条 (报名人员查询, and every FAB list whose
  interface is CappedCountInterface of app.views.base).
- guard: a search on PostgreSQL runs under SET LOCAL statement_timeout (ENROLLEE_QUERY_TIMEOUT_MS) in a savepoint;
  what still cannot be fast is cancelled and the operator is asked for a longer term (TIMEOUT_MESSAGE).
"""
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from app.services import ServiceError

COUNT_CAP = 10000
# A name search counts to here only. Measured on zjpx_bench (bench/README.md): counting 10,001 rows of a term tied to
# a region (台州 at city scope: 4,905 matches) took 184–195 ms, 1,001 rows 51–89 ms; an operator who gets more than a
# thousand matches refines the term rather than pages through them.
SEARCH_COUNT_CAP = 1000
QUERY_TIMEOUT_MS = 2000  # default of ENROLLEE_QUERY_TIMEOUT_MS: the guard of an interactive search
WALK_TIMEOUT_MS = 400  # default of ENROLLEE_WALK_TIMEOUT_MS: a walk along the key that takes longer is collected
TIMEOUT_MESSAGE = _l("查询超时：请输入更长的姓名或名称（或加上身份证号、手机号等条件）后重试")


def capped_count(session, query, cap=COUNT_CAP):
    """(number of rows of `query`, exact?) — at most cap + 1 rows are read; (cap, False) when there are more."""
    statement = getattr(query, "statement", query)  # a legacy ORM Query (FAB) or a select()
    inner = statement.order_by(None).limit(cap + 1).subquery()
    found = session.execute(select(func.count()).select_from(inner)).scalar_one()
    return (cap, False) if found > cap else (found, True)


def count_cap(searching):
    """The cap of a list's count: SEARCH_COUNT_CAP when a name is searched, else COUNT_CAP."""
    return SEARCH_COUNT_CAP if searching else COUNT_CAP


def _config_int(name, default):
    return int(current_app.config.get(name, default)) if has_app_context() else default


def _under_timeout(session, milliseconds, run):
    """run() under SET LOCAL statement_timeout and max_parallel_workers_per_gather in a savepoint, both put back."""
    # A search walks an index until its page is full. With parallel workers (Gather Merge) each worker read
    # ~40,000 rows of the key before stopping, against ~10,000 rows alone: 证书查询 by a common surname at city
    # scope 70–170 ms → 2.9 ms (zjpx_bench). On a small shared machine the workers only take cores from the
    # other operators' requests; SEARCH_PARALLEL_WORKERS (default 0) sets how many a search may use.
    workers = str(_config_int("SEARCH_PARALLEL_WORKERS", 0))
    with session.begin_nested():
        previous = session.execute(text(
            "SELECT p.timeout, p.workers, set_config('statement_timeout', :ms, true), "
            "set_config('max_parallel_workers_per_gather', :workers, true) "
            "FROM (SELECT current_setting('statement_timeout') AS timeout, "
            "current_setting('max_parallel_workers_per_gather') AS workers OFFSET 0) AS p"),
            {"ms": str(milliseconds), "workers": workers}).one()
        result = run()
        session.execute(text("SELECT set_config('statement_timeout', :timeout, true), "
                             "set_config('max_parallel_workers_per_gather', :workers, true)"),
                        {"timeout": previous.timeout, "workers": previous.workers})
    return result


def _cancelled(error):
    return getattr(error.orig, "sqlstate", None) == "57014"  # query_canceled


def guard(session, run, collected=None):
    """run() — on PostgreSQL under SET LOCAL statement_timeout in a savepoint; ServiceError(TIMEOUT_MESSAGE) when
    the statement was cancelled.

    The indexes make the searches fast; this is the guard for whatever still is not (a term made of the most
    common characters at a small scope, a cold cache): the statement is cancelled after ENROLLEE_QUERY_TIMEOUT_MS
    and the operator is asked for a longer term, instead of a page that takes a minute and holds a database core.
    The savepoint keeps the request's transaction usable after a cancel; the previous timeout is put back
    afterwards (SET LOCAL would otherwise last until the commit).

    collected (报名人员查询: the same query with its ids collected first): run() then only gets
    ENROLLEE_WALK_TIMEOUT_MS — a walk along the key that has not filled the page by then is reading a scope
    where the term is rare — and collected() gets the rest of the guard.
    """
    if session.get_bind().dialect.name != "postgresql":
        return run()
    limit = _config_int("ENROLLEE_QUERY_TIMEOUT_MS", QUERY_TIMEOUT_MS)
    try:
        if collected is not None:
            walk = min(_config_int("ENROLLEE_WALK_TIMEOUT_MS", WALK_TIMEOUT_MS), limit)
            try:
                return _under_timeout(session, walk, run)
            except OperationalError as error:
                if not _cancelled(error):
                    raise
            run = collected
        return _under_timeout(session, limit, run)
    except OperationalError as error:
        if _cancelled(error):
            raise ServiceError(TIMEOUT_MESSAGE) from None
        raise
