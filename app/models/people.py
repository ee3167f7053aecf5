"""学员: construction workers, identified by their 身份证号."""
from sqlalchemy import Column, Date, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from .base import Model, TimestampMixin
from .dictionary import DictLabel


class Worker(TimestampMixin, Model):
    """学员 in an enterprise's roster; gender and birth date derive from the ID number."""

    __tablename__ = "worker"
    id = Column(Integer, primary_key=True)
    id_number = Column(String(18), nullable=False, unique=True)
    name = Column(String(50), nullable=False, index=True)
    gender = Column(String(2))
    birth_date = Column(Date)
    mobile = Column(String(11), index=True)
    education = Column(String(50))
    photo_file_id = Column(Integer, ForeignKey("uploaded_file.id"))
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), index=True)
    enterprise = relationship("Enterprise")
    photo_file = relationship("UploadedFile")
    education_label = DictLabel("education", "education")

    @property
    def masked_id_number(self):
        from app.validators import mask_id_number

        return mask_id_number(self.id_number)

    def __repr__(self):
        return self.name
