"""The user account: FAB's ab_user extended with the organisation it belongs to."""
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, false
from sqlalchemy.orm import relationship

ACCOUNT_TYPES = {
    "admin": "系统管理员",
    "department": "主管部门",
    "institution": "培训机构",
    "enterprise": "企业",
}


class AppUser(User):
    """A login bound to exactly one of: the platform, a department, an institution, an enterprise."""

    __tablename__ = "ab_user"
    account_type = Column(String(16), nullable=False, default="admin")
    department_id = Column(Integer, ForeignKey("department.id"), index=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), index=True)
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), index=True)
    locked_until = Column(DateTime)
    password_changed_at = Column(DateTime)
    # Bumped by 退出, 修改密码, 重置密码 and 停用: a session cookie carrying an older number no longer logs in.
    session_version = Column(Integer, nullable=False, default=0, server_default="0")
    # Set when someone else chose the password (account created or reset by a department or the administrator).
    must_change_password = Column(Boolean, nullable=False, default=False, server_default=false())
    department = relationship("Department", foreign_keys=[department_id])
    institution = relationship("Institution", foreign_keys=[institution_id])
    enterprise = relationship("Enterprise", foreign_keys=[enterprise_id])

    @property
    def account_type_label(self):
        return ACCOUNT_TYPES.get(self.account_type, self.account_type)

    @property
    def display_name(self):
        return self.first_name or self.username
