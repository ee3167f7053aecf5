"""报名人员查询 (SPEC §8): the ONE query builder used by the page, the export and the export task.

scoped_enrollments(scope, filters) is the whole rule: the scope of app.security.scope AND the
filters. The page, the synchronous export and the Celery export all read through it, so they can
never disagree about who sees which row.

Built for the provincial table (1,000,000 rows, SPEC §12):
- exact 身份证号 / 手机号 use equality (b-tree), names use infix LIKE (pg_trgm GIN on PostgreSQL), except a
  1- or 2-character term on PostgreSQL, which is the lookup of its gram (`zjpx_grams(column) @> ARRAY[term]`,
  GIN index of migration 0014): pg_trgm cannot index patterns under 3 characters, and a surname or a
  2-character term is the common search, not a scan of the table (see _contains for the measured choice);
- an interactive search on PostgreSQL runs under SET LOCAL statement_timeout (ENROLLEE_QUERY_TIMEOUT_MS,
  in a savepoint): what still cannot be fast is refused with a Chinese message asking for a longer term;
- the four progress statuses are columns of enrollment (kept by the services), except 培训计划
  (报名中 / 培训结束), which is derived from the plan's enrollment window through the join;
- pages are keyset pages on the primary key (newest first): page_size + 1 rows tell whether a next
  page exists, and no page ever runs count(*) over the scoped table; a count is only taken when asked
  for, and capped (COUNT_CAP).
"""
import datetime
from dataclasses import asdict, dataclass, field, fields

from flask import has_app_context
from sqlalchemy import Integer, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from app.models import (
    Certificate, Enrollment, Enterprise, ExamCandidate, ExamPlan, Institution, Score, ScoreReport, TrainingPlan,
    Worker,
)
from app.models.certificate import CERT_STATUS
from app.extensions import db
from app.security.filters import gram_frequency, term_grams, text_match
from app.services.list_queries import (COUNT_CAP, QUERY_TIMEOUT_MS, TIMEOUT_MESSAGE, capped_count, count_cap,
                                       guard)
from app.validators import mask_id_number, normalize_id_number

# Progress statuses in the seed's wording (SPEC §7).
PLAN_STATUSES = ("报名中", "培训结束")
EXAM_STATUSES = ("未上报", "未审核", "已审核")
SCORE_STATUSES = ("未上报", "已受理", "已审核", "未通过")
CERT_STATUSES = ("证书未生成", CERT_STATUS["generated"], CERT_STATUS["pushed"])

STATUS_CHOICES = {
    "plan_status": PLAN_STATUSES,
    "exam_status": EXAM_STATUSES,
    "score_status": SCORE_STATUSES,
    "cert_status": CERT_STATUSES,
}
# Filter → label (Chinese msgids; the views translate them).
FILTER_LABELS = {
    "name": "姓名", "id_number": "身份证号", "mobile": "手机号", "enterprise_name": "企业名称",
    "institution_name": "培训机构名称", "plan_name": "培训计划名称", "exam_plan_name": "考核计划名称",
    "plan_status": "培训计划", "exam_status": "考核计划", "score_status": "成绩报审", "cert_status": "培训证书",
}
INFIX_FILTERS = {
    "name": Enrollment.worker_name, "enterprise_name": Enrollment.enterprise_name,
    "institution_name": Enrollment.institution_name, "plan_name": Enrollment.plan_name,
    "exam_plan_name": Enrollment.exam_plan_name,
}
STATUS_COLUMNS = {"exam_status": Enrollment.exam_status, "score_status": Enrollment.score_status,
                  "cert_status": Enrollment.cert_status}
MAX_TEXT = 100
DEFAULT_PAGE_SIZE = 20
RARE = 0.01  # a 1–2 character term in fewer rows than this is collected at once (scoped_enrollments)
COUNTY_COLLECT = 0.1  # … and at county scope, in fewer rows than this (_collect_first)

# What a list row / export row reads: enrollment's own columns plus the plan's window (for 培训计划).
ROW_COLUMNS = (
    Enrollment.id, Enrollment.worker_name, Enrollment.id_number, Enrollment.mobile, Enrollment.enterprise_name,
    Enrollment.institution_name, Enrollment.plan_name, Enrollment.exam_plan_name, Enrollment.exam_status,
    Enrollment.score_status, Enrollment.cert_status, Enrollment.enrolled_at, Enrollment.cancelled_at,
    TrainingPlan.review_state.label("plan_review_state"), TrainingPlan.enroll_start, TrainingPlan.enroll_end,
)


@dataclass(frozen=True)
class EnrolleeFilters:
    """The search form: seven text filters and the four progress statuses ('' = not filtered)."""

    name: str = ""
    id_number: str = ""
    mobile: str = ""
    enterprise_name: str = ""
    institution_name: str = ""
    plan_name: str = ""
    exam_plan_name: str = ""
    plan_status: str = ""
    exam_status: str = ""
    score_status: str = ""
    cert_status: str = ""

    @classmethod
    def from_mapping(cls, args):
        """From request args / form / stored JSON: trimmed, bounded, statuses only from their lists."""
        values = {}
        for f in fields(cls):
            raw = args.get(f.name) if args is not None else None
            value = " ".join(str(raw).split())[:MAX_TEXT] if raw is not None else ""
            if f.name == "id_number":
                value = normalize_id_number(value).replace(" ", "")
            elif f.name == "mobile":
                value = value.replace(" ", "")
            elif f.name in STATUS_CHOICES and value not in STATUS_CHOICES[f.name]:
                value = ""
            values[f.name] = value
        return cls(**values)

    def as_dict(self):
        """The filters that are set (for links, hidden form fields and the stored job)."""
        return {key: value for key, value in asdict(self).items() if value}

    def describe(self):
        """Human-readable filter for the 操作日志 (ID numbers masked there too)."""
        parts = []
        for key, value in self.as_dict().items():
            shown = mask_id_number(value) if key == "id_number" and len(value) > 10 else value
            parts.append("%s=%s" % (FILTER_LABELS[key], shown))
        return "；".join(parts) or "无"

    def __bool__(self):
        return bool(self.as_dict())

    @property
    def searching(self):
        """Whether a name (INFIX_FILTERS) is searched: the guard and the search's count cap apply."""
        return any(getattr(self, key) for key in INFIX_FILTERS)


def _dialect():
    return db.session.get_bind().dialect.name if has_app_context() else "default"


def _contains(column, term, dialect, indexed=None):
    """`column` contains `term`: the one name-search rule of app.security.filters.text_match."""
    return text_match(column, term, dialect=dialect, indexed=indexed)


def _collect_first(scope, column, term):
    """Whether a 1–2 character term is best collected at once (PostgreSQL): see scoped_enrollments."""
    if len(term) > 2:
        return False
    frequency = gram_frequency(column, term)
    # Collecting reads the term's whole gram posting list (frequency × all rows) and ANDs it with the county;
    # walking the key reads rows until a page is full, so it is slow only where the term is rare in the scope.
    # A term common in the province but rare in one county (台州, 9.5 %) walked 590,000 rows at county scope
    # (55–529 ms; collected 12–27 ms); terms above COUNTY_COLLECT (建设 25 %, 杭州 18 %) collected in 78–147 ms
    # under load and walked in 14–19 ms (zjpx_bench, bench/README.md).
    return frequency < RARE or (scope.is_county and frequency < COUNTY_COLLECT)


def scoped_enrollments(scope, filters, *, columns=ROW_COLUMNS, today=None, dialect=None, collect=None):
    """SELECT `columns` FROM enrollment JOIN training_plan WHERE <scope> AND <filters> (no order, no limit).

    collect (PostgreSQL, text filters): the ids matching scope and text are collected first, and the page reads
    them by key — `Enrollment.id = ANY(ARRAY(SELECT id … WHERE scope AND names))`. Same rows; only the order of
    work changes. Measured on 1,000,000 enrollments (bench/search_plans.py): a term that matches many rows of
    the scope is best found by walking the primary key newest first (a page after a few rows: 培训 1.5 ms, while
    collecting the county's 22,000 培训 ids took 1 s); a term rare in the scope is best collected (the gram
    index and the scope's b-tree AND-ed: 鬲鬯 0.1 ms, the county's 台州 institutions 37 ms) — walking the key
    for it reads the whole city or province (鬲鬯 240–440 ms, 台州 at county scope 660 ms). The planner cannot
    tell them apart: it estimates a gram missing from the statistics at half the least frequent one listed (plan
    names are made of a few hundred grams, least 0.9 %: 鬲鬯 looked like 0.44 %), and it takes a name and a
    region for independent (台州 is 10 % of the province, ~1 % of 西湖区). So (collect=None decides,
    _collect_first): a 1–2 character term in less than 1 % of the rows (from the statistics), or below COUNTY_COLLECT
    at county scope, is collected at once; for the others fetch_page walks first under a short timeout and
    collects when the walk runs into it (guarded). (Resolving a name against
    training_plan / enterprise first was the other idea: it would match the current name, not the name the
    enrollment recorded, which differs after a rename.)
    """
    today = today or datetime.date.today()
    dialect = dialect or _dialect()
    query = (select(*columns).select_from(Enrollment)
             .join(TrainingPlan, TrainingPlan.id == Enrollment.plan_id)
             .where(scope.criterion(Enrollment)))
    terms = [(column, getattr(filters, key)) for key, column in INFIX_FILTERS.items() if getattr(filters, key)]
    if collect is None:
        collect = dialect == "postgresql" and any(_collect_first(scope, column, term) for column, term in terms)
    # collecting reads the names' indexes; walking the key checks each row cheaply (text_match decides)
    names = [_contains(column, term, dialect, indexed=True if collect else None) for column, term in terms]
    if names and collect and dialect == "postgresql":
        found = select(func.array_agg(Enrollment.id)).where(scope.criterion(Enrollment), *names).scalar_subquery()
        query = query.where(Enrollment.id == func.any(cast(found, ARRAY(Integer))))  # cast: an array, not a subquery
    else:
        query = query.where(*names)
    if filters.id_number:
        query = query.where(Enrollment.id_number == filters.id_number)
    if filters.mobile:
        query = query.where(Enrollment.mobile == filters.mobile)
    for key, column in STATUS_COLUMNS.items():
        value = getattr(filters, key)
        if value:
            query = query.where(column == value)
    if filters.plan_status == "报名中":
        query = query.where(TrainingPlan.review_state == "approved", TrainingPlan.enroll_start <= today,
                            TrainingPlan.enroll_end >= today)
    elif filters.plan_status == "培训结束":
        query = query.where(TrainingPlan.review_state == "approved", TrainingPlan.enroll_end < today)
    return query


def plan_progress(review_state, enroll_start, enroll_end, today=None):
    """培训计划 status of SPEC §7 from the plan's window (the rule of TrainingPlan.progress)."""
    if review_state != "approved" or enroll_start is None or enroll_end is None:
        return ""
    today = today or datetime.date.today()
    if today <= enroll_end:
        return "报名中" if today >= enroll_start else "未开始报名"
    return "培训结束"


def personal_stage(plan_status, exam_status, score_status, cert_status, cancelled=False):
    """(area, status) of the furthest step this person has reached, in SPEC §7's words.

    The plan's own status (报名中 while its window is open) says nothing about a person who has since been
    examined or certified: the stage is the last area that moved for them.
    """
    if cancelled:
        return ("报名", "已取消")
    if cert_status and cert_status != CERT_STATUSES[0]:
        return ("培训证书", cert_status)
    if score_status and score_status != SCORE_STATUSES[0]:
        return ("成绩报审", score_status)
    if exam_status and exam_status != EXAM_STATUSES[0]:
        return ("考核计划", exam_status)
    return ("培训计划", plan_status) if plan_status else ("", "")


@dataclass
class EnrolleeRow:
    """One result row as the page and the export show it (ID number masked)."""

    id: int
    worker_name: str
    masked_id_number: str
    mobile: str
    enterprise_name: str
    institution_name: str
    plan_name: str
    exam_plan_name: str
    plan_status: str
    exam_status: str
    score_status: str
    cert_status: str
    enrolled_at: datetime.datetime
    cancelled: bool

    @property
    def stage(self):
        return personal_stage(self.plan_status, self.exam_status, self.score_status, self.cert_status, self.cancelled)

    @classmethod
    def from_row(cls, row, today=None):
        return cls(
            id=row.id, worker_name=row.worker_name, masked_id_number=mask_id_number(row.id_number),
            mobile=row.mobile or "", enterprise_name=row.enterprise_name, institution_name=row.institution_name,
            plan_name=row.plan_name, exam_plan_name=row.exam_plan_name or "",
            plan_status=plan_progress(row.plan_review_state, row.enroll_start, row.enroll_end, today),
            exam_status=row.exam_status, score_status=row.score_status, cert_status=row.cert_status,
            enrolled_at=row.enrolled_at, cancelled=row.cancelled_at is not None,
        )


@dataclass
class Page:
    rows: list = field(default_factory=list)
    page_size: int = DEFAULT_PAGE_SIZE
    has_next: bool = False
    has_prev: bool = False

    @property
    def next_after(self):
        return self.rows[-1].id if self.rows and self.has_next else None

    @property
    def prev_before(self):
        return self.rows[0].id if self.rows and self.has_prev else None


def clamp_page_size(value, limit=100):
    try:
        size = int(value)
    except (TypeError, ValueError):
        return DEFAULT_PAGE_SIZE
    return max(1, min(size, limit))


def _int_or_none(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def fetch_rows(session, scope, filters, *, limit, after=None, today=None):
    """Raw ROW_COLUMNS rows, newest first, id < after: the export's chunks (no objects per row)."""
    query = scoped_enrollments(scope, filters, today=today)
    if after is not None:
        query = query.where(Enrollment.id < after)
    return session.connection().execute(query.order_by(Enrollment.id.desc()).limit(limit)).all()


def guarded(session, filters, run, collected=None):
    """run() — under the statement-timeout guard of app.services.list_queries when a name filter is set (the exact
    身份证号 / 手机号 lookups need none); collected: see list_queries.guard."""
    return guard(session, run, collected) if filters.searching else run()


def fetch_page(session, scope, filters, *, page_size=DEFAULT_PAGE_SIZE, after=None, before=None, today=None):
    """One keyset page, newest first: rows with id < after (next pages) or id > before (previous pages).

    Reads page_size + 1 rows to know whether another page follows; never counts. A search that runs into the
    statement timeout raises ServiceError(TIMEOUT_MESSAGE) (see guarded()).
    """
    today = today or datetime.date.today()
    after, before = _int_or_none(after), _int_or_none(before)

    def rows(collect):
        query = scoped_enrollments(scope, filters, today=today, collect=collect)
        if before is not None:
            query = query.where(Enrollment.id > before).order_by(Enrollment.id.asc())
        else:
            query = query.where(Enrollment.id < after) if after is not None else query
            query = query.order_by(Enrollment.id.desc())
        return session.execute(query.limit(page_size + 1)).all()

    found = guarded(session, filters, lambda: rows(None), lambda: rows(True))
    more = len(found) > page_size
    if before is not None:
        found = list(reversed(found[:page_size]))
        return Page([EnrolleeRow.from_row(r, today) for r in found], page_size, has_next=True, has_prev=more)
    return Page([EnrolleeRow.from_row(r, today) for r in found[:page_size]], page_size, has_next=more,
                has_prev=after is not None)


def count(session, scope, filters, cap=None, today=None):
    """(number of matching rows, exact?) — counting stops at `cap` + 1 rows (list_queries.count_cap)."""
    cap = cap or count_cap(filters.searching)

    def number(collect):
        return capped_count(session, scoped_enrollments(scope, filters, columns=(Enrollment.id,), today=today,
                                                        collect=collect), cap)

    return guarded(session, filters, lambda: number(None), lambda: number(True))


# --- 详情 -----------------------------------------------------------------------------------------

@dataclass
class TrainingEntry:
    enrollment: Enrollment
    plan: TrainingPlan
    institution: Institution
    plan_status: str
    current: bool


@dataclass
class ExamEntry:
    enrollment: Enrollment
    exam_plan: ExamPlan
    candidate: ExamCandidate
    score: Score
    report: ScoreReport


@dataclass
class EnrolleeDetail:
    enrollment: Enrollment
    worker: Worker
    enterprise: Enterprise
    show_full_id: bool
    trainings: list
    exams: list
    certificates: list

    @property
    def id_number(self):
        value = self.worker.id_number if self.worker is not None else self.enrollment.id_number
        return value if self.show_full_id else mask_id_number(value)


def detail(session, scope, pk, today=None):
    """The four sections of 详情 for one enrollment (404 when out of scope), with the worker's other
    enrollments in the same scope as further training / exam entries."""
    enrollment = scope.get_or_404(session, Enrollment, pk)
    worker = session.get(Worker, enrollment.worker_id)
    enterprise = session.get(Enterprise, enrollment.enterprise_id)
    rows = session.execute(
        select(Enrollment, TrainingPlan, Institution)
        .join(TrainingPlan, TrainingPlan.id == Enrollment.plan_id)
        .join(Institution, Institution.id == Enrollment.institution_id)
        .where(Enrollment.worker_id == enrollment.worker_id, scope.criterion(Enrollment))
        .order_by(Enrollment.id.desc()).limit(50)
    ).all()
    trainings = [TrainingEntry(e, p, i, plan_progress(p.review_state, p.enroll_start, p.enroll_end, today),
                               e.id == enrollment.id) for e, p, i in rows]
    trainings.sort(key=lambda t: (not t.current, -t.enrollment.id))
    ids = [t.enrollment.id for t in trainings]
    by_id = {t.enrollment.id: t.enrollment for t in trainings}
    exams = []
    if ids:
        candidates = session.execute(
            select(ExamCandidate, ExamPlan).join(ExamPlan, ExamPlan.id == ExamCandidate.exam_plan_id)
            .where(ExamCandidate.enrollment_id.in_(ids)).order_by(ExamPlan.theory_start.desc())
        ).all()
        exam_ids = {plan.id for _candidate, plan in candidates}
        scores = {(s.exam_plan_id, s.enrollment_id): s for s in session.execute(
            select(Score).where(Score.enrollment_id.in_(ids))).scalars()}
        reports = {r.exam_plan_id: r for r in session.execute(
            select(ScoreReport).where(ScoreReport.exam_plan_id.in_(exam_ids))).scalars()} if exam_ids else {}
        for candidate, plan in candidates:
            exams.append(ExamEntry(by_id[candidate.enrollment_id], plan, candidate,
                                   scores.get((plan.id, candidate.enrollment_id)), reports.get(plan.id)))
    certificates = session.execute(
        select(Certificate).where(Certificate.enrollment_id.in_(ids)).order_by(Certificate.issue_date.desc())
    ).scalars().all() if ids else []
    return EnrolleeDetail(
        enrollment=enrollment, worker=worker, enterprise=enterprise,
        show_full_id=scope.kind in ("department", "institution", "enterprise"),
        trainings=trainings, exams=exams, certificates=certificates,
    )


__all__ = [
    "CERT_STATUSES", "COUNT_CAP", "EXAM_STATUSES", "EnrolleeFilters", "EnrolleeRow", "FILTER_LABELS",
    "PLAN_STATUSES", "Page", "SCORE_STATUSES", "STATUS_CHOICES", "clamp_page_size", "count", "detail",
    "QUERY_TIMEOUT_MS", "TIMEOUT_MESSAGE", "fetch_page", "guarded", "plan_progress", "scoped_enrollments",
    "term_grams",
]
