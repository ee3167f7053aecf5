"""Hostile workbooks built in code (no binaries in the repository): each takes a valid xlsx and spoils it one way.

Used by tests/services/test_hostile_files.py (small sizes) and bench/hostile_files.py (the issue's sizes).
"""
import io
import os
import struct
import zipfile

SHEET = "xl/worksheets/sheet1.xml"


def rezip(data, change=None, extra=None, compresslevel=9):
    """A copy of the package with member texts passed through change(name, bytes) and `extra` members added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            target.writestr(info.filename, change(info.filename, body) if change else body)
        for name, body in (extra or {}).items():
            target.writestr(name, body)
    return out.getvalue()


def comment_bomb(data, inflated_bytes, incompressible=False):
    """The sheet XML with a comment before <sheetData> that inflates to `inflated_bytes` (compresses ~1000:1;
    `incompressible`: random hex text instead, which passes a compression-ratio check)."""
    filler = os.urandom(inflated_bytes // 2).hex().encode() if incompressible else b"x" * inflated_bytes
    comment = b"<!--" + filler + b"-->"
    return rezip(data, lambda name, body: body.replace(b"<sheetData>", comment + b"<sheetData>", 1)
                 if name == SHEET else body)


def attribute_bomb(data, inflated_bytes):
    """One huge attribute value in the sheet (a single XML token, the worst case for expat)."""
    attribute = b' x="' + b"y" * inflated_bytes + b'"'
    return rezip(data, lambda name, body: body.replace(b"<sheetData", b"<sheetData" + attribute, 1)
                 if name == SHEET else body)


def many_members(data, count):
    return rezip(data, extra={"xl/media/pad%05d.bin" % i: b"" for i in range(count)})


def padded(data, size):
    """The package grown to about `size` bytes by an incompressible extra member (a photo, say)."""
    return rezip(data, extra={"xl/media/image1.jpeg": os.urandom(max(size - len(data), 1))}, compresslevel=1)


def declared_size(data, member, size):
    """The package with `member`'s uncompressed size declared as `size` in both zip headers (a lying zip)."""
    blob = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        info = package.getinfo(member)
    struct.pack_into("<I", blob, info.header_offset + 22, size)
    start = blob.rfind(b"PK\x05\x06")
    directory = struct.unpack_from("<I", blob, start + 16)[0]
    offset = directory
    while blob[offset:offset + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", blob, offset + 28)
        name = bytes(blob[offset + 46:offset + 46 + name_length]).decode("utf-8")
        if name == member:
            struct.pack_into("<I", blob, offset + 24, size)
        offset += 46 + name_length + extra_length + comment_length
    return bytes(blob)


def corrupted(data, member=SHEET):
    """The member's compressed bytes flipped in the middle (CRC or inflate fails)."""
    blob = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        info = package.getinfo(member)
    name_length, extra_length = struct.unpack_from("<HH", blob, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    for i in range(start + info.compress_size // 3, start + info.compress_size // 3 + 8):
        blob[i] ^= 0xFF
    return bytes(blob)


def truncated(data):
    return data[:len(data) * 2 // 3]


def sparse_rows(data, last_row):
    """One more data row far below the others (row `last_row`): every row in between is a gap."""
    row = ('<row r="%d"><c r="A%d" t="inlineStr"><is><t>远处</t></is></c></row>' % (last_row, last_row)).encode()
    return rezip(data, lambda name, body: body.replace(b"</sheetData>", row + b"</sheetData>", 1)
                 if name == SHEET else body)


def ods_renamed():
    """An OpenDocument spreadsheet (mimetype first, stored), as LibreOffice saves it — to be named .xlsx."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def rows_workbook(headers, rows, title="Sheet1"):
    """A plain workbook of `rows` (an iterable, may be long) written by the system's streaming writer."""
    from app.documents.xlsx_out import XlsxStreamWriter

    out = io.BytesIO()
    with XlsxStreamWriter(out) as book:
        book.start_sheet(title, headers)
        for row in rows:
            book.write_row(row)
    return out.getvalue()
