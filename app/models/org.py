"""Organisations: regions, departments, enterprises, training institutions and their staff."""
from sqlalchemy import (
    Boolean, CheckConstraint, Column, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import relationship

from .base import Model, ReviewableMixin, TimestampMixin, review_order_index
from .dictionary import DictLabel

REGION_LEVELS = {"province": "省", "city": "市", "county": "区县"}


class Region(Model):
    """行政区划 (GB/T 2260); jurisdiction is decided by code prefix."""

    __tablename__ = "region"
    code = Column(String(6), primary_key=True)
    name = Column(String(50), nullable=False)
    level = Column(String(10), nullable=False)
    parent_code = Column(String(6), ForeignKey("region.code"), index=True)
    selectable = Column(Boolean, nullable=False, default=True)
    parent = relationship("Region", remote_side=[code])

    @property
    def level_label(self):
        return REGION_LEVELS.get(self.level, self.level)

    @property
    def full_name(self):
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return "".join(reversed(names))

    def __repr__(self):
        return self.name


def region_prefix(code):
    """The code prefix that covers a region's jurisdiction: 33, 3301 or 330106."""
    if not code:
        return None
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


class Department(TimestampMixin, Model):
    """主管部门 bound to one region."""

    __tablename__ = "department"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False, unique=True)
    region_code = Column(String(6), ForeignKey("region.code"), nullable=False, index=True)
    contact = Column(String(50))
    phone = Column(String(30))
    enabled = Column(Boolean, nullable=False, default=True)
    region = relationship("Region")

    def __repr__(self):
        return self.name


class UploadedFile(Model):
    """An uploaded document; scope follows its owner record."""

    __tablename__ = "uploaded_file"
    id = Column(Integer, primary_key=True)
    owner_type = Column(String(30), nullable=False)
    owner_id = Column(Integer, index=True)
    purpose = Column(String(30), nullable=False)
    stored_name = Column(String(80), nullable=False, unique=True)
    original_name = Column(String(255), nullable=False)
    content_type = Column(String(100), nullable=False)
    size = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    uploaded_by_id = Column(Integer)  # no FK: ab_user → enterprise → uploaded_file would form a cycle
    uploaded_at = Column(DateTime, nullable=False)

    def __repr__(self):
        return self.original_name


class Enterprise(TimestampMixin, ReviewableMixin, Model):
    """企业: registers itself; its qualification goes through the review engine."""

    __tablename__ = "enterprise"
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False, index=True)
    uscc = Column(String(18), nullable=False, unique=True)
    region_code = Column(String(6), ForeignKey("region.code"), nullable=False, index=True)
    address = Column(String(255))
    legal_representative = Column(String(50))
    contact_person = Column(String(50))
    contact_mobile = Column(String(11))
    qualification_category = Column(String(50))
    qualification_grade = Column(String(50))
    qualification_cert_no = Column(String(100))
    commitment_file_id = Column(Integer, ForeignKey("uploaded_file.id"))
    license_file_id = Column(Integer, ForeignKey("uploaded_file.id"))
    qualification_file_id = Column(Integer, ForeignKey("uploaded_file.id"))
    region = relationship("Region")
    commitment_file = relationship("UploadedFile", foreign_keys=[commitment_file_id])
    license_file = relationship("UploadedFile", foreign_keys=[license_file_id])
    qualification_file = relationship("UploadedFile", foreign_keys=[qualification_file_id])
    qualification_category_label = DictLabel("qualification_category", "qualification_category")

    @property
    def masked_contact_mobile(self):
        from app.validators import mask_mobile

        return mask_mobile(self.contact_mobile)

    def __repr__(self):
        return self.name


INSTITUTION_STATUS = {"active": "正常", "cancelled": "已注销"}


class Institution(TimestampMixin, Model):
    """培训机构 set up by a department; 机构代码 is generated and never reused."""

    __tablename__ = "institution"
    id = Column(Integer, primary_key=True)
    code = Column(String(16), nullable=False, unique=True)
    name = Column(String(200), nullable=False, index=True)
    uscc = Column(String(18), nullable=False, unique=True)
    institution_type = Column(String(50), nullable=False)
    region_code = Column(String(6), ForeignKey("region.code"), nullable=False, index=True)
    address = Column(String(255))
    legal_representative = Column(String(50))
    contact_person = Column(String(50))
    contact_phone = Column(String(30))
    license_file_id = Column(Integer, ForeignKey("uploaded_file.id"))
    department_id = Column(Integer, ForeignKey("department.id"), nullable=False, index=True)
    status = Column(String(16), nullable=False, default="active")
    cancel_reason = Column(Text)
    cancelled_at = Column(DateTime)
    cancelled_by_id = Column(Integer)  # no FK: ab_user → institution → ab_user would form a cycle
    region = relationship("Region")
    department = relationship("Department")
    license_file = relationship("UploadedFile", foreign_keys=[license_file_id])
    staff = relationship("Staff", back_populates="institution", cascade="all, delete-orphan")
    institution_type_label = DictLabel("institution_type", "institution_type")

    @property
    def status_label(self):
        return INSTITUTION_STATUS.get(self.status, self.status)

    @property
    def is_active(self):
        return self.status == "active"

    def __repr__(self):
        return self.name


class InstitutionCodeSequence(Model):
    """Last serial used per 机构代码 prefix; only ever moves forward, so codes are never reused."""

    __tablename__ = "institution_code_sequence"
    prefix = Column(String(10), primary_key=True)
    last_serial = Column(Integer, nullable=False, default=0)


STAFF_CATEGORIES = {
    "safety": "安全生产知识培训师资",
    "theory": "职业理论知识培训师资",
    "examiner": "考评员",
}


class Staff(TimestampMixin, Model):
    """师资及考评员 of an institution."""

    __tablename__ = "staff"
    __table_args__ = (
        UniqueConstraint("institution_id", "id_number", "category", name="uq_staff_person_category"),
        CheckConstraint("category in ('safety','theory','examiner')", name="ck_staff_category"),
    )
    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    name = Column(String(50), nullable=False)
    id_number = Column(String(18), nullable=False)
    mobile = Column(String(11))
    category = Column(String(16), nullable=False)
    trade_code = Column(String(10))  # for 职业理论知识培训师资
    specialty = Column(String(50))  # for 考评员
    title = Column(String(50))
    certificate_no = Column(String(100))
    institution = relationship("Institution", back_populates="staff")
    trade_label = DictLabel("trade", "trade_code")

    @property
    def category_label(self):
        return STAFF_CATEGORIES.get(self.category, self.category)

    def __repr__(self):
        return self.name


# 未审核 / 已审核 / 全部 list newest submitted first (app.models.base.review_order_index).
review_order_index(Enterprise)
