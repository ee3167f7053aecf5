"""The ONE place that decides which rows a user may see (SPEC §3).

A Scope is built per request from the current user. criterion(Model) gives the SQL condition that
every list, detail, action, download, export, dropdown, API and task applies; get_or_404() loads a
single row through it, so an out-of-scope id behaves as if it did not exist.
"""
from dataclasses import dataclass
from typing import NamedTuple

from flask import abort, g, has_request_context
from sqlalchemy import and_, exists, false, func, or_, select, true

from app.models import (
    AuditLog, Certificate, CertificateJob, Department, DictItem, DictType, Enrollment, Enterprise,
    ExamCandidate, ExamPlan, ExportJob, Institution, Region, ReviewRecord, Score, ScoreReport, Staff,
    TrainingPlan, UploadedFile, Worker, region_prefix,
)
from app.models.user import AppUser


INT_MIN, INT_MAX = -2 ** 31, 2 ** 31 - 1
COUNTY_CODE = "330106"  # region codes have six digits (a county's prefix is its whole code)  # the range of an Integer primary key (PostgreSQL integer)


@dataclass(frozen=True)
class Scope:
    """What one account may see: everything, a region prefix, one institution or one enterprise."""

    kind: str  # admin / department / institution / enterprise / anonymous
    user_id: int = None
    department_id: int = None
    region_prefix: str = None
    institution_id: int = None
    enterprise_id: int = None

    @classmethod
    def for_user(cls, user):
        """Build the scope of a user (anonymous when None or not logged in)."""
        if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "id", None):
            return cls("anonymous")
        kind = getattr(user, "account_type", None)
        if kind == "admin":
            return cls("admin", user_id=user.id)
        if kind == "department" and user.department is not None and user.department.enabled:
            return cls("department", user_id=user.id, department_id=user.department_id,
                       region_prefix=region_prefix(user.department.region_code))
        if kind == "institution" and user.institution_id:
            return cls("institution", user_id=user.id, institution_id=user.institution_id)
        if kind == "enterprise" and user.enterprise_id:
            return cls("enterprise", user_id=user.id, enterprise_id=user.enterprise_id)
        return cls("anonymous", user_id=user.id)

    # --- the rules -------------------------------------------------------------------------

    @property
    def is_county(self):
        """A county department's scope: one region code, about 1 % of the province's rows."""
        return self.kind == "department" and len(self.region_prefix or "") == len(COUNTY_CODE)

    def _in_region(self, column):
        if self.is_county:
            # A county's prefix is the whole code: equality, which a b-tree serves and a bitmap can AND with a
            # name's gram index (LIKE '330106%' cannot use a b-tree under C.UTF-8: the county's 挖掘 in
            # 报名人员查询 read 900 heap pages either way, but filtered every row: 49–87 ms, now 34 ms).
            return column == self.region_prefix
        return column.like(self.region_prefix + "%")

    def _institutions_in_region(self):
        return select(Institution.id).where(self._in_region(Institution.region_code))

    def criterion(self, model):
        """SQL condition restricting `model` to this scope (true() = all rows, false() = none)."""
        if self.kind == "admin":
            return true()
        rule = _RULES.get(model)
        if rule is None:
            return false()
        clause = rule(self)
        return false() if clause is None else clause

    def filter(self, query, model):
        """Apply the scope to a Query or Select over `model`."""
        return query.where(self.criterion(model)) if hasattr(query, "where") else query.filter(self.criterion(model))

    def get_or_404(self, session, model, pk):
        """Load one row by primary key through the scope; out of scope or missing → 404."""
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            abort(404)
        if not INT_MIN <= pk <= INT_MAX:
            abort(404)  # no integer column holds it (the database would fail, not answer "none")
        row = session.execute(select(model).where(model.id == pk, self.criterion(model))).scalar_one_or_none()
        if row is None:
            abort(404)
        return row

    def can_see(self, session, obj):
        """True when `obj` is inside this scope."""
        model = type(obj)
        return session.execute(
            select(model.id).where(model.id == obj.id, self.criterion(model))
        ).first() is not None

    # --- who acts (SPEC §3 "Who acts") ------------------------------------------------------

    def reviews_institution(self, institution):
        """The department that set an institution up reviews its plans, exam plans and scores."""
        return self.kind == "department" and institution is not None and institution.department_id == self.department_id

    def decides(self, session, model):
        """SQL condition for the documents of `model` this department itself accepts and reviews (SPEC §3 "Who acts").

        Narrower than criterion(): a department sees its whole region but decides only where no closer enabled
        department does (enterprises), or on the institutions it set up (plans, exam plans, score reports).
        """
        if self.kind != "department":
            return false()
        if model is Enterprise:
            return and_(self._in_region(Enterprise.region_code), *self._regions_decided_below(session))
        return model.institution_id.in_(select(Institution.id).where(Institution.department_id == self.department_id))

    def _regions_decided_below(self, session):
        """Conditions leaving out the regions an enabled department below this one decides for (responsible_department)."""
        codes = session.execute(select(Department.region_code).where(
            Department.enabled.is_(True), Department.id != self.department_id,
            self._in_region(Department.region_code))).scalars().all()
        counties = [c for c in codes if not c.endswith("00")]
        cities = [c[:4] for c in codes if c.endswith("00") and not c.endswith("0000")]
        conditions = []
        if counties:
            conditions.append(Enterprise.region_code.not_in(counties))
        if cities:
            conditions.append(func.substr(Enterprise.region_code, 1, 4).not_in(cities))
        return conditions
    def revokes_certificate(self, certificate):
        """撤销 a certificate: the department that set the issuing institution up."""
        return self.reviews_institution(certificate.institution)

    def owns_institution(self, institution_id):
        return self.kind == "institution" and self.institution_id == institution_id

    def reviews_enterprise(self, session, enterprise):
        """The department of the nearest region at or above the enterprise's that has one."""
        if self.kind != "department":
            return False
        department = responsible_department(session, enterprise.region_code)
        return department is not None and department.id == self.department_id


def responsible_department(session, region_code):
    """Nearest enabled department at or above a region code (county → city → province)."""
    candidates = [region_code, region_code[:4] + "00", region_code[:2] + "0000"]
    rows = session.execute(
        select(Department).where(Department.region_code.in_(candidates), Department.enabled.is_(True))
    ).scalars().all()
    by_code = {d.region_code: d for d in rows}
    for code in candidates:
        if code in by_code:
            return by_code[code]
    return None


def scope_for_user_id(session, user_id):
    """The scope of a user given by id: background tasks act with the rights of who started them."""
    user = session.get(AppUser, user_id) if user_id else None
    if user is not None and not user.active:
        user = None
    return Scope.for_user(user)


class Actor(NamedTuple):
    """Who performs a service verb: the user (owner, reviewer, 操作日志) and the scope that user acts in.

    A pair, so a verb may take it apart: ``user, scope = Actor.of(user)``."""

    user: object
    scope: Scope

    @classmethod
    def of(cls, user=None, scope=None):
        """The given user, else the request's (none outside a request); the given scope, else that user's."""
        if user is None and has_request_context():
            user = g.get("user")
        return cls(user, scope or Scope.for_user(user))


def current_scope():
    """The scope of the request's user, cached on flask.g."""
    if not has_request_context():
        return Scope("anonymous")
    scope = g.get("_scope")
    if scope is None:
        scope = Scope.for_user(g.get("user"))
        g._scope = scope
    return scope


def _enrollment_rule(s):
    if s.kind == "department":
        return or_(s._in_region(Enrollment.inst_region_code), s._in_region(Enrollment.ent_region_code))
    if s.kind == "institution":
        return Enrollment.institution_id == s.institution_id
    if s.kind == "enterprise":
        return Enrollment.enterprise_id == s.enterprise_id
    return None


def _via_enrollment(column):
    """Rule for rows that hang off an enrollment (candidates, scores, certificates)."""
    def rule(s):
        inner = _enrollment_rule(s)
        if inner is None:
            return None
        return column.in_(select(Enrollment.id).where(inner))
    return rule


def _by_institution(column):
    """Rule for rows owned by an institution (plans, exam plans, score reports, staff)."""
    def rule(s):
        if s.kind == "department":
            return column.in_(s._institutions_in_region())
        if s.kind == "institution":
            return column == s.institution_id
        return None
    return rule


def _plan_rule(s):
    if s.kind == "enterprise":
        # Approved plans are public offerings an enterprise may enroll in.
        return TrainingPlan.review_state == "approved"
    return _by_institution(TrainingPlan.institution_id)(s)


def _exam_plan_rule(s):
    if s.kind == "enterprise":
        return exists().where(Enrollment.exam_plan_id == ExamPlan.id, Enrollment.enterprise_id == s.enterprise_id)
    return _by_institution(ExamPlan.institution_id)(s)


def _certificate_rule(s):
    if s.kind == "department":
        # The enrollment's codes, copied onto the certificate (0016): an OR of two sub-selects ran for minutes.
        return or_(s._in_region(Certificate.inst_region_code), s._in_region(Certificate.ent_region_code))
    if s.kind == "institution":
        return Certificate.institution_id == s.institution_id
    return _via_enrollment(Certificate.enrollment_id)(s)


def _enterprise_rule(s):
    if s.kind == "department":
        return s._in_region(Enterprise.region_code)
    if s.kind == "enterprise":
        return Enterprise.id == s.enterprise_id
    if s.kind == "institution":
        return exists().where(Enrollment.enterprise_id == Enterprise.id, Enrollment.institution_id == s.institution_id)
    return None


def _institution_rule(s):
    if s.kind == "department":
        return s._in_region(Institution.region_code)
    if s.kind == "institution":
        return Institution.id == s.institution_id
    if s.kind == "enterprise":
        return Institution.status == "active"
    return None


def _worker_rule(s):
    if s.kind == "enterprise":
        return Worker.enterprise_id == s.enterprise_id
    inner = _enrollment_rule(s)
    if inner is None:
        return None
    enrolled = Worker.id.in_(select(Enrollment.worker_id).where(inner))
    if s.kind == "department":
        in_roster = Worker.enterprise_id.in_(select(Enterprise.id).where(s._in_region(Enterprise.region_code)))
        return or_(in_roster, enrolled)
    return enrolled


def _department_rule(s):
    if s.kind == "department":
        return s._in_region(Department.region_code)
    return None


def _user_rule(s):
    if s.kind == "department":
        # A department manages the accounts of the institutions it set up, and sees its own colleagues.
        return or_(
            AppUser.institution_id.in_(select(Institution.id).where(Institution.department_id == s.department_id)),
            AppUser.department_id == s.department_id,
        )
    return AppUser.id == s.user_id if s.user_id else None


_OWNER_MODELS = {
    "enterprise": Enterprise, "institution": Institution, "worker": Worker, "staff": Staff,
}


def _owned_files(owner_type, owner_ids):
    return (UploadedFile.owner_type == owner_type) & UploadedFile.owner_id.in_(owner_ids)


def _file_rule(s):
    """A file goes to its owner and to the departments that review or supervise the owner; no one else.

    Not the owner's visibility rule: an institution sees the enterprises whose workers it trains, an enterprise
    sees active institutions, and neither may open the other's documents.
    """
    if s.kind == "department":
        return or_(*(_owned_files(owner_type, select(model.id).where(s.criterion(model)))
                     for owner_type, model in _OWNER_MODELS.items()))
    if s.kind == "enterprise":
        return or_(_owned_files("enterprise", [s.enterprise_id]),
                   _owned_files("worker", select(Worker.id).where(s.criterion(Worker))))
    if s.kind == "institution":
        return or_(_owned_files("institution", [s.institution_id]),
                   _owned_files("staff", select(Staff.id).where(Staff.institution_id == s.institution_id)))
    return None


def _review_record_rule(s):
    clauses = []
    for object_type, model in (("training_plan", TrainingPlan), ("exam_plan", ExamPlan),
                               ("score_report", ScoreReport), ("enterprise", Enterprise)):
        clauses.append((ReviewRecord.object_type == object_type)
                       & ReviewRecord.object_id.in_(select(model.id).where(s.criterion(model))))
    return or_(*clauses)


_RULES = {
    Region: lambda s: true(),
    DictType: lambda s: true() if s.kind != "anonymous" else None,
    DictItem: lambda s: true() if s.kind != "anonymous" else None,
    Department: _department_rule,
    Enterprise: _enterprise_rule,
    Institution: _institution_rule,
    Staff: _by_institution(Staff.institution_id),
    TrainingPlan: _plan_rule,
    Enrollment: _enrollment_rule,
    Worker: _worker_rule,
    ExamPlan: _exam_plan_rule,
    ExamCandidate: _via_enrollment(ExamCandidate.enrollment_id),
    Score: _via_enrollment(Score.enrollment_id),
    ScoreReport: _by_institution(ScoreReport.institution_id),
    Certificate: _certificate_rule,
    CertificateJob: lambda s: CertificateJob.exam_plan_id.in_(select(ExamPlan.id).where(_by_institution(ExamPlan.institution_id)(s))) if s.kind in ("department", "institution") else None,
    UploadedFile: _file_rule,
    ReviewRecord: _review_record_rule,
    AppUser: _user_rule,
    ExportJob: lambda s: ExportJob.user_id == s.user_id if s.user_id else None,
    AuditLog: lambda s: None,  # 系统管理员 only
}
