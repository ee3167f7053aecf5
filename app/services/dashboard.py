"""行业数据看板 (SPEC §11): the numbers of a department's region for a period, all aggregated in SQL.

Live (small tables, GROUP BY on each view): enterprises by qualification state, institutions 正常 /
已注销, training plans by review state. From the monthly aggregates of app.models.stats (rebuilt by
refresh_stats, one INSERT … SELECT … GROUP BY; see that module for why): enrollees, exam pass rate
(Score.passed over scores), certificates per month, per 工种 and per city / county.

Regions: a department with prefix P (33 / 3301 / 330106) sees the rows of enrollments whose
institution OR enterprise lies in P — the enrollment rule of app.security.scope, applied here to the
same two region columns carried by the aggregates. Each row is counted in ONE region: the
institution's when it lies in P, otherwise the enterprise's (a department's own enterprises' workers
trained elsewhere count where the enterprise is). Drilling (province → city → county) narrows to a
sub-region D of P and groups by D's children.
"""
import datetime
import re
from dataclasses import dataclass, field

from flask import abort, current_app
from sqlalchemy import String, case, cast, delete, func, insert, literal, literal_column, or_, select, union_all
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    Certificate, Enrollment, Enterprise, ExamPlan, Institution, Region, Score, StatCertificateTrade,
    StatEnrollmentMonth, StatRefresh, TrainingPlan, region_prefix,
)
from app.workflow import state_label

REFRESH_KEY = "dashboard"
ENTERPRISE_STATES = ("submitted", "accepted", "approved", "rejected", "draft")
PLAN_STATES = ("draft", "submitted", "accepted", "approved", "rejected")
INSTITUTION_STATES = (("active", "正常"), ("cancelled", "已注销"))
_MONTH = re.compile(r"^(19|20)\d\d-(0[1-9]|1[0-2])$")


# --- the aggregates ----------------------------------------------------------------------------

def _substr(expression, length):
    """substr(x, 1, n) with inline constants: PostgreSQL matches GROUP BY expressions textually, and
    bound parameters would make the SELECT and GROUP BY copies differ."""
    return func.substr(expression, literal_column("1"), literal_column(str(int(length))))


def _month(column):
    """'YYYY-MM' of a date/datetime column, the same SQL on PostgreSQL and SQLite."""
    return _substr(cast(column, String), 7)


def refresh_stats(session=None):
    """Rebuild the monthly aggregates from enrollment, score and certificate in one transaction."""
    session = session or db.session
    started = datetime.datetime.now()
    meta = session.execute(select(StatRefresh).where(StatRefresh.key == REFRESH_KEY).with_for_update()).scalar()
    if meta is None:
        try:
            session.add(StatRefresh(key=REFRESH_KEY))
            session.commit()
        except IntegrityError:
            session.rollback()
        meta = session.execute(select(StatRefresh).where(StatRefresh.key == REFRESH_KEY).with_for_update()).scalar_one()
    e = Enrollment
    zero = literal(0)
    enrolled = (select(_month(e.enrolled_at).label("month"), e.inst_region_code, e.ent_region_code,
                       func.count().label("enrolled"), zero.label("scored"), zero.label("passed"),
                       zero.label("certificates"))
                .where(e.cancelled_at.is_(None))
                .group_by(_month(e.enrolled_at), e.inst_region_code, e.ent_region_code))
    scored = (select(_month(ExamPlan.theory_start).label("month"), e.inst_region_code, e.ent_region_code,
                     zero.label("enrolled"), func.count().label("scored"),
                     func.sum(case((Score.passed.is_(True), 1), else_=0)).label("passed"), zero.label("certificates"))
              .select_from(Score).join(e, e.id == Score.enrollment_id).join(ExamPlan, ExamPlan.id == Score.exam_plan_id)
              .group_by(_month(ExamPlan.theory_start), e.inst_region_code, e.ent_region_code))
    issued = (select(_month(Certificate.issue_date).label("month"), e.inst_region_code, e.ent_region_code,
                     zero.label("enrolled"), zero.label("scored"), zero.label("passed"),
                     func.count().label("certificates"))
              .select_from(Certificate).join(e, e.id == Certificate.enrollment_id)
              .where(Certificate.revoked.is_(False))
              .group_by(_month(Certificate.issue_date), e.inst_region_code, e.ent_region_code))
    events = union_all(enrolled, scored, issued).subquery()
    monthly = (select(events.c.month, events.c.inst_region_code, events.c.ent_region_code,
                      func.sum(events.c.enrolled), func.sum(events.c.scored), func.sum(events.c.passed),
                      func.sum(events.c.certificates))
               .group_by(events.c.month, events.c.inst_region_code, events.c.ent_region_code))
    trades = (select(_month(Certificate.issue_date), Certificate.trade_code, e.inst_region_code, e.ent_region_code,
                     func.count())
              .select_from(Certificate).join(e, e.id == Certificate.enrollment_id)
              .where(Certificate.revoked.is_(False))
              .group_by(_month(Certificate.issue_date), Certificate.trade_code, e.inst_region_code,
                        e.ent_region_code))
    session.execute(delete(StatEnrollmentMonth))
    session.execute(delete(StatCertificateTrade))
    session.execute(insert(StatEnrollmentMonth).from_select(
        ["month", "inst_region_code", "ent_region_code", "enrolled", "scored", "passed", "certificates"], monthly))
    session.execute(insert(StatCertificateTrade).from_select(
        ["month", "trade_code", "inst_region_code", "ent_region_code", "certificates"], trades))
    finished = datetime.datetime.now()
    meta.refreshed_at = finished.replace(microsecond=0)
    meta.duration_ms = int((finished - started).total_seconds() * 1000)
    session.commit()
    return meta.duration_ms


def max_age():
    return datetime.timedelta(minutes=int(current_app.config.get("DASHBOARD_STATS_MAX_AGE_MINUTES", 10)))


def ensure_fresh(session=None, force=False):
    """Build the aggregates now if they never were; refresh them in the background when older than
    DASHBOARD_STATS_MAX_AGE_MINUTES (default 10) or when forced. Returns the StatRefresh row."""
    session = session or db.session
    meta = session.get(StatRefresh, REFRESH_KEY)
    if meta is None or meta.refreshed_at is None:
        refresh_stats(session)
        return session.get(StatRefresh, REFRESH_KEY)
    now = datetime.datetime.now().replace(microsecond=0)
    stale = meta.refreshed_at < now - max_age()
    recently_requested = meta.requested_at is not None and meta.requested_at > now - datetime.timedelta(minutes=2)
    if (stale or force) and not recently_requested:
        meta.requested_at = now
        session.commit()
        from app.tasks.exports import refresh_dashboard_stats

        refresh_dashboard_stats.delay()
        session.expire_all()
        meta = session.get(StatRefresh, REFRESH_KEY)
    return meta


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

    def date_clause(self, column):
        clauses = []
        if self.start:
            clauses.append(column >= datetime.date(int(self.start[:4]), int(self.start[5:]), 1))
        if self.end:
            year, month = int(self.end[:4]), int(self.end[5:])
            clauses.append(column < datetime.date(year + month // 12, month % 12 + 1, 1))
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

def _attributed(scope, model):
    """The region a stats row counts in for this department: the institution's if in scope, else the enterprise's."""
    inst, ent = model.inst_region_code, model.ent_region_code
    return case((inst.like(scope.region_prefix + "%"), inst), else_=ent)


def _stats_scope(scope, model):
    """The enrollment rule of app.security.scope on the aggregates' copy of the two region codes."""
    return or_(model.inst_region_code.like(scope.region_prefix + "%"),
               model.ent_region_code.like(scope.region_prefix + "%"))


def compute(session, scope, region, period):
    """Every number of the dashboard for `region` (a RegionView) and `period`, as plain dicts/lists."""
    length = region.child_length
    s = StatEnrollmentMonth
    attributed = _attributed(scope, s)
    child = _substr(attributed, length)
    where = [_stats_scope(scope, s), attributed.like(region.prefix + "%"), *period.month_clause(s.month)]
    per_child = session.execute(
        select(child.label("child"), func.sum(s.enrolled), func.sum(s.scored), func.sum(s.passed),
               func.sum(s.certificates)).where(*where).group_by("child")).all()
    per_month = session.execute(
        select(s.month, func.sum(s.enrolled), func.sum(s.scored), func.sum(s.passed), func.sum(s.certificates))
        .where(*where).group_by(s.month).order_by(s.month)).all()
    t = StatCertificateTrade
    t_attributed = _attributed(scope, t)
    per_trade = session.execute(
        select(t.trade_code, func.sum(t.certificates))
        .where(_stats_scope(scope, t), t_attributed.like(region.prefix + "%"), *period.month_clause(t.month))
        .group_by(t.trade_code).order_by(func.sum(t.certificates).desc(), t.trade_code)).all()

    ent_child = _substr(Enterprise.region_code, length)
    enterprises = session.execute(
        select(ent_child, Enterprise.review_state, func.count())
        .where(scope.criterion(Enterprise), Enterprise.region_code.like(region.prefix + "%"))
        .group_by(ent_child, Enterprise.review_state)).all()
    inst_child = _substr(Institution.region_code, length)
    institutions = session.execute(
        select(inst_child, Institution.status, func.count())
        .where(scope.criterion(Institution), Institution.region_code.like(region.prefix + "%"))
        .group_by(inst_child, Institution.status)).all()
    plans = session.execute(
        select(TrainingPlan.review_state, func.count()).select_from(TrainingPlan)
        .join(Institution, Institution.id == TrainingPlan.institution_id)
        .where(scope.criterion(TrainingPlan), Institution.region_code.like(region.prefix + "%"),
               *period.date_clause(TrainingPlan.enroll_start))
        .group_by(TrainingPlan.review_state)).all()

    # Children of the region, with names, in code order (one query).
    if region.level == "county":
        children = [(region.code, region.name)]
    else:
        children = [(r.code, r.name) for r in session.execute(
            select(Region).where(Region.parent_code == region.code).order_by(Region.code)).scalars()]
    rows = {code: {"code": code, "name": name, "enrolled": 0, "scored": 0, "passed": 0, "certificates": 0,
                   "enterprises": 0, "enterprises_approved": 0, "institutions": 0, "institutions_cancelled": 0}
            for code, name in children}

    def row_for(key):
        code = _child_code(key, length) if key else "—"
        if code not in rows:
            rows[code] = {"code": code, "name": code, "enrolled": 0, "scored": 0, "passed": 0, "certificates": 0,
                          "enterprises": 0, "enterprises_approved": 0, "institutions": 0,
                          "institutions_cancelled": 0}
        return rows[code]

    for key, enrolled, scored, passed, certificates in per_child:
        row = row_for(key)
        row.update(enrolled=int(enrolled or 0), scored=int(scored or 0), passed=int(passed or 0),
                   certificates=int(certificates or 0))
    enterprise_states = dict.fromkeys(ENTERPRISE_STATES, 0)
    for key, state, number in enterprises:
        row = row_for(key)
        row["enterprises"] += number
        if state == "approved":
            row["enterprises_approved"] += number
        enterprise_states[state] = enterprise_states.get(state, 0) + number
    institution_states = {key: 0 for key, _label in INSTITUTION_STATES}
    for key, status, number in institutions:
        row = row_for(key)
        if status == "cancelled":
            row["institutions_cancelled"] += number
        else:
            row["institutions"] += number
        institution_states[status] = institution_states.get(status, 0) + number
    plan_states = dict.fromkeys(PLAN_STATES, 0)
    for state, number in plans:
        plan_states[state] = plan_states.get(state, 0) + number
    region_rows = list(rows.values())
    for row in region_rows:
        row["pass_rate"] = _rate(row["passed"], row["scored"])
    totals = {key: sum(row[key] for row in region_rows) for key in ("enrolled", "scored", "passed", "certificates")}
    totals["pass_rate"] = _rate(totals["passed"], totals["scored"])
    return {
        "totals": totals,
        "regions": region_rows,
        "months": [{"month": m, "enrolled": int(a or 0), "scored": int(b or 0), "passed": int(c or 0),
                    "certificates": int(d or 0), "pass_rate": _rate(int(c or 0), int(b or 0))}
                   for m, a, b, c, d in per_month],
        "trades": [{"code": code, "certificates": int(n or 0)} for code, n in per_trade],
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
