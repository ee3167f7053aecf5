"""行业数据看板 (SPEC §11): the numbers of a department's region for a period, all aggregated in SQL.

Every number comes from the aggregates of app.models.stats (rebuilt by refresh_stats with INSERT …
SELECT … GROUP BY from enrollment, score, certificate, enterprise, institution and training_plan; see
that module for why), so the dashboard is one consistent snapshot, stamped with 统计时间:
enterprises by qualification state, institutions 正常 / 已注销, training plans by review state
(enroll_start in the period), enrollees, exam pass rate (Score.passed over scores), certificates per
month, per 工种 and per city / county.

Regions: a department with prefix P (33 / 3301 / 330106) sees the enrollments whose institution OR
enterprise lies in P (the enrollment rule of app.security.scope), enterprises and institutions in P,
and the plans of institutions in P. Each enrollment counts in ONE region: the institution's when it
lies in P, otherwise the enterprise's (a department's own enterprises' workers trained elsewhere count
where the enterprise is). Drilling (province → city → county) narrows to a sub-region D of P and
groups by D's children. Region filters are code ranges ('3301' <= code < '3302'), which b-tree indexes
serve in any collation.
"""
import datetime
import re
from dataclasses import dataclass, field

from flask import abort, current_app
from sqlalchemy import (
    String, and_, case, cast, column, delete, func, insert, literal, literal_column, select, table, text, union_all,
)
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    Certificate, Enrollment, Enterprise, ExamPlan, Institution, Region, Score, StatEntCross, StatInstMonth, StatOrg,
    StatRefresh, TrainingPlan, region_prefix,
)
from app.services import task_queue
from app.workflow import state_label

REFRESH_KEY = "dashboard"
REFRESH_TASK = "app.refresh_dashboard_stats"
REFRESH_SUBJECT = ("StatRefresh", REFRESH_KEY)
ENTERPRISE_STATES = ("submitted", "accepted", "approved", "rejected", "draft")
PLAN_STATES = ("draft", "submitted", "accepted", "approved", "rejected")
INSTITUTION_STATES = (("active", "正常"), ("cancelled", "已注销"))
LEVELS = (("province", 2), ("city", 4), ("county", 6))
LEVEL_OF_PREFIX = {2: "province", 4: "city", 6: "county"}
METRICS = ("enrolled", "scored", "passed", "certificates")
_MONTH = re.compile(r"^(19|20)\d\d-(0[1-9]|1[0-2])$")
EVENTS = "tmp_dashboard_events"
ADVISORY_LOCK = 733011  # PostgreSQL: one refresh at a time (SQLite serialises writers anyway)


# --- the aggregates ----------------------------------------------------------------------------

def _substr(expression, length):
    """substr(x, 1, n) with inline constants: PostgreSQL matches GROUP BY expressions textually, and
    bound parameters would make the SELECT and GROUP BY copies differ."""
    return func.substr(expression, literal_column("1"), literal_column(str(int(length))))


def _month(column_):
    """'YYYY-MM' of a date/datetime column, the same SQL on PostgreSQL and SQLite."""
    return _substr(cast(column_, String), 7)


def _events_select():
    """One row per (month, institution region, enterprise region, 工种) with the four counts."""
    e, p = Enrollment, TrainingPlan
    zero = literal_column("0")
    enrolled = (select(_month(e.enrolled_at).label("month"), e.inst_region_code.label("inst"),
                       e.ent_region_code.label("ent"), p.trade_code.label("trade"), func.count().label("enrolled"),
                       zero.label("scored"), zero.label("passed"), zero.label("certificates"))
                .select_from(e).join(p, p.id == e.plan_id).where(e.cancelled_at.is_(None))
                .group_by(_month(e.enrolled_at), e.inst_region_code, e.ent_region_code, p.trade_code))
    scored = (select(_month(ExamPlan.theory_start), e.inst_region_code, e.ent_region_code, p.trade_code, zero,
                     func.count(), func.sum(case((Score.passed.is_(True), literal_column("1")), else_=zero)), zero)
              .select_from(Score).join(e, e.id == Score.enrollment_id).join(ExamPlan, ExamPlan.id == Score.exam_plan_id)
              .join(p, p.id == e.plan_id)
              .group_by(_month(ExamPlan.theory_start), e.inst_region_code, e.ent_region_code, p.trade_code))
    issued = (select(_month(Certificate.issue_date), e.inst_region_code, e.ent_region_code, Certificate.trade_code,
                     zero, zero, zero, func.count())
              .select_from(Certificate).join(e, e.id == Certificate.enrollment_id)
              .where(Certificate.revoked.is_(False))
              .group_by(_month(Certificate.issue_date), e.inst_region_code, e.ent_region_code, Certificate.trade_code))
    return union_all(enrolled, scored, issued)


def refresh_stats(session=None):
    """Rebuild every aggregate in one transaction (readers keep the previous snapshot until the commit).

    Returns the duration in ms, or None when another refresh was already running (PostgreSQL)."""
    session = session or db.session
    started = datetime.datetime.now()
    _ensure_meta(session)
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql" and not session.execute(
            text("SELECT pg_try_advisory_xact_lock(%d)" % ADVISORY_LOCK)).scalar():
        session.rollback()
        return None  # another refresh is running; it will leave fresh numbers
    # The events of the base tables, once, into a temporary table; the aggregates are built from it.
    session.execute(text("DROP TABLE IF EXISTS %s" % EVENTS))
    session.execute(text("CREATE TEMPORARY TABLE %s AS %s" % (
        EVENTS, _events_select().compile(dialect=dialect, compile_kwargs={"literal_binds": True}))))
    ev = table(EVENTS, *(column(name) for name in ("month", "inst", "ent", "trade") + METRICS))
    sums = [func.sum(getattr(ev.c, name)) for name in METRICS]
    session.execute(delete(StatInstMonth))
    session.execute(delete(StatEntCross))
    session.execute(delete(StatOrg))
    session.execute(insert(StatInstMonth).from_select(
        ["inst_region_code", "month", "trade_code", *METRICS],
        select(ev.c.inst, ev.c.month, ev.c.trade, *sums).group_by(ev.c.inst, ev.c.month, ev.c.trade)))
    for level, length in LEVELS:
        session.execute(insert(StatEntCross).from_select(
            ["level", "ent_region_code", "month", "trade_code", *METRICS],
            select(literal(level, String), ev.c.ent, ev.c.month, ev.c.trade, *sums)
            .where(_substr(ev.c.inst, length) != _substr(ev.c.ent, length))
            .group_by(ev.c.ent, ev.c.month, ev.c.trade)))
    session.execute(text("DROP TABLE %s" % EVENTS))
    empty = literal("", String)
    session.execute(insert(StatOrg).from_select(
        ["kind", "region_code", "month", "state", "count"],
        select(literal("enterprise", String), Enterprise.region_code, empty, Enterprise.review_state, func.count())
        .group_by(Enterprise.region_code, Enterprise.review_state)))
    session.execute(insert(StatOrg).from_select(
        ["kind", "region_code", "month", "state", "count"],
        select(literal("institution", String), Institution.region_code, empty, Institution.status, func.count())
        .group_by(Institution.region_code, Institution.status)))
    session.execute(insert(StatOrg).from_select(
        ["kind", "region_code", "month", "state", "count"],
        select(literal("plan", String), Institution.region_code, _month(TrainingPlan.enroll_start),
               TrainingPlan.review_state, func.count())
        .select_from(TrainingPlan).join(Institution, Institution.id == TrainingPlan.institution_id)
        .group_by(Institution.region_code, _month(TrainingPlan.enroll_start), TrainingPlan.review_state)))
    finished = datetime.datetime.now()
    meta = session.get(StatRefresh, REFRESH_KEY)
    meta.refreshed_at = finished.replace(microsecond=0)
    meta.duration_ms = int((finished - started).total_seconds() * 1000)
    session.commit()
    if dialect.name == "postgresql":
        # The rewrite left the previous snapshot as dead rows: reclaim them and refresh the planner's
        # statistics now rather than whenever autovacuum passes (VACUUM cannot run in a transaction).
        with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for model in (StatInstMonth, StatEntCross, StatOrg):
                conn.execute(text("VACUUM ANALYZE %s" % model.__tablename__))
    return meta.duration_ms


def _ensure_meta(session):
    """The StatRefresh row exists (created once; a concurrent creator wins harmlessly)."""
    if session.get(StatRefresh, REFRESH_KEY) is None:
        try:
            session.add(StatRefresh(key=REFRESH_KEY))
            session.commit()
        except IntegrityError:
            session.rollback()


def max_age():
    return datetime.timedelta(minutes=int(current_app.config.get("DASHBOARD_STATS_MAX_AGE_MINUTES", 10)))


def ensure_fresh(session=None, force=False):
    """Build the aggregates now if they never were; refresh them in the background when older than
    DASHBOARD_STATS_MAX_AGE_MINUTES (default 10) or when forced. Returns the StatRefresh row; while the broker
    cannot take the refresh, the last statistics stay on show with their time (refresh_waiting() says so)."""
    session = session or db.session
    meta = session.get(StatRefresh, REFRESH_KEY)
    if meta is None or meta.refreshed_at is None:
        refresh_stats(session)
        return session.get(StatRefresh, REFRESH_KEY)
    now = datetime.datetime.now().replace(microsecond=0)
    stale = meta.refreshed_at < now - max_age()
    recently_requested = meta.requested_at is not None and meta.requested_at > now - datetime.timedelta(minutes=2)
    if (stale or force) and not recently_requested and not refresh_waiting():
        meta.requested_at = now
        task_queue.record_and_send(REFRESH_TASK, subject=REFRESH_SUBJECT)
        session.expire_all()
        meta = session.get(StatRefresh, REFRESH_KEY)
    return meta


def refresh_waiting():
    """True while a requested refresh sits in the task outbox because the broker could not take it."""
    return task_queue.waiting(REFRESH_SUBJECT)


def requeue_stale_refresh():
    """The sweep's share: a refresh requested long ago that never finished (its message lost) is sent again."""
    meta = db.session.get(StatRefresh, REFRESH_KEY)
    if meta is None or meta.requested_at is None or refresh_waiting():
        return 0
    now = datetime.datetime.now().replace(microsecond=0)
    finished = meta.refreshed_at is not None and meta.refreshed_at >= meta.requested_at
    if finished or meta.requested_at > now - max_age():
        return 0
    meta.requested_at = now
    task_queue.record_and_send(REFRESH_TASK, subject=REFRESH_SUBJECT)
    return 1


# --- period and region -------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Whole months, inclusive; None = open end."""

    start: str = None
    end: str = None

    @classmethod
    def from_args(cls, args, today=None):
        today = today or datetime.date.today()
        preset = args.get("preset") or ("" if args.get("start") or args.get("end") else "year")
        if preset == "all":
            return cls(None, None)
        if preset == "12m":  # the 12 months up to and including this one
            start = datetime.date(today.year - 1, today.month + 1, 1) if today.month < 12 else datetime.date(today.year, 1, 1)
            return cls(start.strftime("%Y-%m"), today.strftime("%Y-%m"))
        if preset == "year":
            return cls("%d-01" % today.year, today.strftime("%Y-%m"))
        start = args.get("start") or None
        end = args.get("end") or None
        start = start if start and _MONTH.match(start) else None
        end = end if end and _MONTH.match(end) else None
        if start and end and start > end:
            start, end = end, start
        return cls(start, end)

    def month_clause(self, column):
        clauses = []
        if self.start:
            clauses.append(column >= self.start)
        if self.end:
            clauses.append(column <= self.end)
        return clauses

    def label(self):
        if not self.start and not self.end:
            return "全部"
        return "%s 至 %s" % (self.start or "最早", self.end or "最新")


@dataclass
class RegionView:
    code: str  # the region shown (D)
    name: str
    level: str
    prefix: str  # D's code prefix
    child_length: int  # length of the child prefix used for grouping
    parents: list = field(default_factory=list)  # [(code, name)] from the department's region down to D


def resolve_region(session, scope, code=None):
    """The region to show: the department's own, or a sub-region of it (drill); 404 otherwise."""
    if scope.kind != "department" or not scope.region_prefix:
        abort(404)
    from app.models import Department

    own_code = session.get(Department, scope.department_id).region_code
    code = code or own_code
    region = session.get(Region, code)
    if region is None or not (region_prefix(code) or "").startswith(scope.region_prefix):
        abort(404)
    prefix = region_prefix(code)
    parents, node = [], region
    while node is not None and node.code != own_code and (region_prefix(node.code) or "").startswith(scope.region_prefix):
        parents.append((node.code, node.name))
        node = node.parent
    parents.append((own_code, session.get(Region, own_code).name))
    parents.reverse()
    child_length = {2: 4, 4: 6}.get(len(prefix), 6)
    return RegionView(code=code, name=region.name, level=region.level, prefix=prefix, child_length=child_length,
                      parents=parents if code != own_code else [(own_code, region.name)])


def _child_code(key, length):
    return key + "00" if length == 4 else key


# --- the numbers -------------------------------------------------------------------------------

def _in_region(column_, prefix):
    """code starts with prefix, as a range ('3301' <= code < '3302') that a b-tree index serves."""
    return and_(column_ >= prefix, column_ < prefix[:-1] + chr(ord(prefix[-1]) + 1))


def _enrollment_parts(scope, region, period, keys, *metrics):
    """The enrollments of the department's scope within region D, as two SELECTs to UNION: counted at the
    institution's region (institution in D) and at the enterprise's (enterprise in D, institution
    outside the department's region P). keys(model) gives the labelled columns to group by."""
    level = LEVEL_OF_PREFIX[len(scope.region_prefix)]
    i, x = StatInstMonth, StatEntCross
    via_inst = (select(*keys(i), *(getattr(i, m).label(m) for m in metrics))
                .where(_in_region(i.inst_region_code, region.prefix), *period.month_clause(i.month)))
    via_ent = (select(*keys(x), *(getattr(x, m).label(m) for m in metrics))
               .where(x.level == level, _in_region(x.ent_region_code, region.prefix), *period.month_clause(x.month)))
    return union_all(via_inst, via_ent).subquery()


def _grouped(session, parts, *metrics, order=None):
    query = select(parts.c.key, *(func.sum(getattr(parts.c, m)) for m in metrics)).group_by(parts.c.key)
    if order is not None:
        query = query.order_by(*order(parts))
    return session.execute(query).all()


def _enrollment_numbers(session, scope, region, period, child_of):
    """The enrollment numbers per child region, per month (in order) and the certificates per 工种 (most first)."""
    # On PostgreSQL one scan with GROUPING SETS: three GROUP BYs each read the same ~9,000 rows of a province's
    # year (about 10 ms each under load, the dashboard's largest cost in the database). SQLite has no GROUPING SETS.
    if session.get_bind().dialect.name != "postgresql":
        per_child = _grouped(session, _enrollment_parts(
            scope, region, period, lambda m: [child_of[m](m).label("key")], *METRICS), *METRICS)
        per_month = _grouped(session, _enrollment_parts(
            scope, region, period, lambda m: [m.month.label("key")], *METRICS), *METRICS,
            order=lambda parts: [parts.c.key])
        per_trade = _grouped(session, _enrollment_parts(
            scope, region, period, lambda m: [m.trade_code.label("key")], "certificates"), "certificates",
            order=lambda parts: [func.sum(parts.c.certificates).desc(), parts.c.key])
        return per_child, per_month, per_trade
    parts = _enrollment_parts(scope, region, period, lambda m: [child_of[m](m).label("child"), m.month.label("month"),
                                                                 m.trade_code.label("trade")], *METRICS)
    rows = session.execute(
        select(func.grouping(parts.c.child), func.grouping(parts.c.month), parts.c.child, parts.c.month,
               parts.c.trade, *(func.sum(getattr(parts.c, m)) for m in METRICS))
        .group_by(func.grouping_sets(parts.c.child, parts.c.month, parts.c.trade))).all()
    per_child = [(child, *numbers) for by_child, _m, child, _month, _trade, *numbers in rows if by_child == 0]
    per_month = sorted(((month, *numbers) for _c, by_month, _child, month, _trade, *numbers in rows
                        if by_month == 0), key=lambda row: row[0])
    per_trade = sorted(((trade, numbers[-1]) for by_child, by_month, _child, _month, trade, *numbers in rows
                        if by_child and by_month), key=lambda row: (-(row[1] or 0), row[0]))
    return per_child, per_month, per_trade


def compute(session, scope, region, period):
    """Every number of the dashboard for `region` (a RegionView) and `period`, as plain dicts/lists."""
    if scope.kind != "department" or not region.prefix.startswith(scope.region_prefix):
        abort(404)
    length = region.child_length
    child_of = {
        StatInstMonth: lambda m: _substr(m.inst_region_code, length),
        StatEntCross: lambda m: _substr(m.ent_region_code, length),
    }
    per_child, per_month, per_trade = _enrollment_numbers(session, scope, region, period, child_of)
    o = StatOrg
    org_child = _substr(o.region_code, length)
    orgs = session.execute(
        select(o.kind, org_child, o.state, func.sum(o.count))
        .where(o.kind.in_(("enterprise", "institution")), _in_region(o.region_code, region.prefix))
        .group_by(o.kind, org_child, o.state)).all()
    plans = session.execute(
        select(o.state, func.sum(o.count))
        .where(o.kind == "plan", _in_region(o.region_code, region.prefix), *period.month_clause(o.month))
        .group_by(o.state)).all()

    # Children of the region, with names, in code order (one query).
    if region.level == "county":
        children = [(region.code, region.name)]
    else:
        children = [(r.code, r.name) for r in session.execute(
            select(Region).where(Region.parent_code == region.code).order_by(Region.code)).scalars()]
    empty = dict(enrolled=0, scored=0, passed=0, certificates=0, enterprises=0, enterprises_approved=0,
                 institutions=0, institutions_cancelled=0)
    rows = {code: dict(empty, code=code, name=name) for code, name in children}

    def row_for(key):
        code = _child_code(key, length) if key else "—"
        if code not in rows:
            rows[code] = dict(empty, code=code, name=code)
        return rows[code]

    for key, *numbers in per_child:
        row_for(key).update({m: int(n or 0) for m, n in zip(METRICS, numbers)})
    enterprise_states = dict.fromkeys(ENTERPRISE_STATES, 0)
    institution_states = {key: 0 for key, _label in INSTITUTION_STATES}
    for kind, key, state, number in orgs:
        row, number = row_for(key), int(number or 0)
        if kind == "enterprise":
            row["enterprises"] += number
            row["enterprises_approved"] += number if state == "approved" else 0
            enterprise_states[state] = enterprise_states.get(state, 0) + number
        else:
            row["institutions_cancelled" if state == "cancelled" else "institutions"] += number
            institution_states[state] = institution_states.get(state, 0) + number
    plan_states = dict.fromkeys(PLAN_STATES, 0)
    for state, number in plans:
        plan_states[state] = plan_states.get(state, 0) + int(number or 0)
    region_rows = list(rows.values())
    for row in region_rows:
        row["pass_rate"] = _rate(row["passed"], row["scored"])
    totals = {key: sum(row[key] for row in region_rows) for key in METRICS}
    totals["pass_rate"] = _rate(totals["passed"], totals["scored"])
    months = []
    for month, *numbers in per_month:
        item = dict(zip(METRICS, (int(n or 0) for n in numbers)), month=month)
        item["pass_rate"] = _rate(item["passed"], item["scored"])
        months.append(item)
    return {
        "totals": totals,
        "regions": region_rows,
        "months": months,
        "trades": [{"code": code, "certificates": int(n or 0)} for code, n in per_trade if n],
        "enterprise_states": [{"state": k, "label": state_label(k), "count": v} for k, v in enterprise_states.items()],
        "institution_states": [{"state": k, "label": label, "count": institution_states.get(k, 0)}
                               for k, label in INSTITUTION_STATES],
        "plan_states": [{"state": k, "label": state_label(k), "count": v} for k, v in plan_states.items()],
    }


def _rate(passed, scored):
    return round(passed * 100.0 / scored, 1) if scored else None


def export_sheets(data, region, period, trade_label):
    """The dashboard's tables as (title, headers, widths, rows) for the xlsx download."""
    totals = data["totals"]
    overview = [("统计区域", region.name), ("统计期间", period.label()), ("报名人数", totals["enrolled"]),
                ("参考人次", totals["scored"]), ("合格人次", totals["passed"]),
                ("考核合格率(%)", "" if totals["pass_rate"] is None else totals["pass_rate"]),
                ("发证数", totals["certificates"])]
    overview += [("企业（%s）" % s["label"], s["count"]) for s in data["enterprise_states"]]
    overview += [("培训机构（%s）" % s["label"], s["count"]) for s in data["institution_states"]]
    overview += [("培训计划（%s）" % s["label"], s["count"]) for s in data["plan_states"]]
    return [
        ("概览", ["指标", "数值"], [24, 20], overview),
        ("按地区", ["地区代码", "地区", "企业数", "审核通过企业", "培训机构（正常）", "培训机构（已注销）", "报名人数",
                 "参考人次", "合格人次", "合格率(%)", "发证数"], [10, 14, 10, 12, 14, 14, 10, 10, 10, 10, 10],
         [(r["code"], r["name"], r["enterprises"], r["enterprises_approved"], r["institutions"],
           r["institutions_cancelled"], r["enrolled"], r["scored"], r["passed"],
           "" if r["pass_rate"] is None else r["pass_rate"], r["certificates"]) for r in data["regions"]]),
        ("按月份", ["月份", "报名人数", "参考人次", "合格人次", "合格率(%)", "发证数"], [10, 10, 10, 10, 10, 10],
         [(m["month"], m["enrolled"], m["scored"], m["passed"], "" if m["pass_rate"] is None else m["pass_rate"],
           m["certificates"]) for m in data["months"]]),
        ("按工种", ["工种代码", "工种", "发证数"], [10, 20, 10],
         [(t["code"], trade_label(t["code"]), t["certificates"]) for t in data["trades"]]),
    ]
