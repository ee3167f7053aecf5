"""Uploads (SPEC §9): PDF/JPG/PNG checked by content, size-limited, stored under generated names."""
import datetime
import hashlib
import os
import uuid

from flask import current_app

from app.extensions import db
from app.models import UploadedFile
from app.services import ServiceError
from app.services.settings import get_int

# Content signatures: the extension alone proves nothing (a renamed .exe must be refused).
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
ALLOWED_EXTENSIONS = {".pdf", ".png", ".jpg", ".jpeg"}


def sniff(data):
    """(content type, extension) for PDF/PNG/JPEG content, else None."""
    for magic, content_type, extension in SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    return None


def upload_limit_bytes():
    """The upload size limit (setting upload_max_mb), in bytes: it applies to every upload, imports too."""
    return get_int("upload_max_mb") * 1024 * 1024


def read_limited(file_storage):
    """The uploaded bytes, at most one byte over the limit (enough to tell that it is too large)."""
    if file_storage is None:
        return b""
    return file_storage.read(upload_limit_bytes() + 1)


def check_upload(file_storage, label="文件"):
    """Read and validate an uploaded file; returns (bytes, content_type, ext) or raises ServiceError."""
    if file_storage is None or not getattr(file_storage, "filename", ""):
        raise ServiceError("请上传%s" % label)
    data = read_limited(file_storage)
    if not data:
        raise ServiceError("%s“%s”是空文件，请重新选择" % (label, file_storage.filename))
    if len(data) > upload_limit_bytes():
        raise ServiceError("%s“%s”超过%dMB，请压缩后再上传" % (label, file_storage.filename,
                                                           upload_limit_bytes() // (1024 * 1024)))
    extension = os.path.splitext(file_storage.filename)[1].lower()
    detected = sniff(data)
    if extension not in ALLOWED_EXTENSIONS or detected is None:
        raise ServiceError("%s“%s”不是有效的PDF、JPG或PNG文件" % (label, file_storage.filename))
    return data, detected[0], detected[1]


def save_upload(file_storage, *, owner_type, owner_id, purpose, user_id=None, label="文件"):
    """Validate and store one file; adds its UploadedFile row to the session (caller commits).

    Should the transaction roll back, the stored file is orphaned but unreachable (no row points
    to it); nothing the user can see is half-written.
    """
    data, content_type, extension = check_upload(file_storage, label)
    stored_name = uuid.uuid4().hex + extension
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, stored_name), "wb") as handle:
        handle.write(data)
    record = UploadedFile(
        owner_type=owner_type, owner_id=owner_id, purpose=purpose, stored_name=stored_name,
        original_name=os.path.basename(file_storage.filename)[:255], content_type=content_type, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=user_id,
        uploaded_at=datetime.datetime.now().replace(microsecond=0),
    )
    db.session.add(record)
    db.session.flush()
    return record
