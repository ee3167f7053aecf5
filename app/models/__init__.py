"""Domain models; importing this package registers every table on Model.metadata."""
from .user import ACCOUNT_TYPES, AppUser  # noqa: F401  (ab_user extension must load first)

from .audit import AuditLog, ExportJob, FormSubmission, SystemSetting  # noqa: F401
from .base import Model  # noqa: F401
from .certificate import Certificate, CertificateJob, CertificateSequence, PushOutbox  # noqa: F401
from .dictionary import DictItem, DictType  # noqa: F401
from .exam import ExamCandidate, ExamPlan, Score, ScoreReport, exam_plan_examiner  # noqa: F401
from .org import (  # noqa: F401
    Department, Enterprise, Institution, InstitutionCodeSequence, Region, Staff, UploadedFile, region_prefix,
)
from .people import Worker  # noqa: F401
from .queue import QueuedTask  # noqa: F401
from .review import ReviewRecord  # noqa: F401
from .stats import StatEntCross, StatInstMonth, StatOrg, StatRefresh  # noqa: F401
from .training import Enrollment, TrainingPlan  # noqa: F401
