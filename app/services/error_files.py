"""Error workbooks (and their details) of refused imports, kept under EXPORT_FOLDER for the importer to open."""
import json
import os
import re
import uuid

from flask import current_app

TOKEN = re.compile(r"(\d+-)?[0-9a-f]{32}")  # what keep() hands out: nothing else ever names a file


def _folder(kind):
    folder = os.path.join(current_app.config["EXPORT_FOLDER"], kind)
    os.makedirs(folder, exist_ok=True)
    return folder


def keep(kind, workbook=None, details=None, owner_id=None):
    """Write the workbook (.xlsx) and details (.json) of one refused import; returns the token naming them
    (prefixed with the owner's id when given, so a download can be refused to anyone else)."""
    token = uuid.uuid4().hex if owner_id is None else "%d-%s" % (owner_id, uuid.uuid4().hex)
    folder = _folder(kind)
    if workbook:
        with open(os.path.join(folder, token + ".xlsx"), "wb") as out:
            out.write(workbook)
    if details is not None:
        with open(os.path.join(folder, token + ".json"), "w", encoding="utf-8") as out:
            json.dump(details, out, ensure_ascii=False)
    return token


def workbook_path(kind, token, owner_id=None):
    """The kept workbook's path; None for a token keep() did not hand out (to this owner) or a file gone."""
    if not _valid(token, owner_id):
        return None
    path = os.path.join(_folder(kind), token + ".xlsx")
    return path if os.path.exists(path) else None


def details(kind, token):
    """The kept details, or None."""
    if not _valid(token):
        return None
    try:
        with open(os.path.join(_folder(kind), token + ".json"), encoding="utf-8") as source:
            return json.load(source)
    except (OSError, ValueError):
        return None


def _valid(token, owner_id=None):
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        return False
    return owner_id is None or token.split("-")[0] == str(owner_id)
