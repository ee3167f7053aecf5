"""File downloads: served only when the owning record is in the user's scope."""
import os
from urllib.parse import quote

from flask import current_app, send_file
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name

from app.extensions import db
from app.models import UploadedFile
from app.security.scope import current_scope


class FileView(BaseView):
    """Download an uploaded file under its original (Chinese) name."""

    route_base = "/files"
    class_permission_name = "UploadedFile"
    base_permissions = ["can_download"]

    @expose("/<int:pk>")
    @has_access
    @permission_name("download")
    def download(self, pk):
        record = current_scope().get_or_404(db.session, UploadedFile, pk)
        path = os.path.join(current_app.config["UPLOAD_FOLDER"], record.stored_name)
        response = send_file(path, mimetype=record.content_type, as_attachment=False)
        # RFC 5987: keep the original Chinese file name.
        response.headers["Content-Disposition"] = "inline; filename*=UTF-8''%s" % quote(record.original_name)
        return response
