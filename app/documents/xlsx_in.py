"""The ONE guarded reader of uploaded workbooks (SPEC §9, §12 "Hostile files"), used by every xlsx import.

The package is inspected before any XML is parsed: file size, zip member count, each member's declared and
actual uncompressed size, its compression ratio, and a ceiling on each XML part derived from the row limit
(a 415 KB file whose sheet inflates to 200 MB, or a 26 MB sheet of a million rows, is refused in milliseconds;
XML parse time grows faster than the size, so no part is bigger than the rows allowed can need). Only then
does openpyxl stream the rows of one sheet, stopping at the row limit + 1.

read_workbook() returns the header, the non-empty data rows (with their sheet row numbers and which cells
hold formulas) — everything an import and its error workbook need, so nothing parses the file a second time.
Refusals raise WorkbookRefused with the reason in Chinese: 文件为空 / 文件过大 / 文件类型错误 / 文件已损坏 /
行数超过上限 N 行.
"""
import io
import zipfile
from dataclasses import dataclass, field

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
SAVE_AS_XLSX = "请在 Excel、WPS 或 LibreOffice 中打开该文件，“另存为”Excel 工作簿（.xlsx）后再导入"

MAX_MEMBERS = 200  # Excel itself writes about 10 parts; themes, images and printer settings add a few dozen
PART_BASE_BYTES = 1024 * 1024  # every XML part may be this big whatever the row limit …
PART_BYTES_PER_ROW = 800  # … plus this much per allowed row (a 7-column row from Excel/WPS is 250–400 bytes;
# inline strings and a long 错误信息 column, re-imported, up to ~750). Parse time grows faster than the size
# (bench/hostile_files.py: a comment just under the 5 MB score ceiling parses in well under 1 s).
MAX_RATIO = 200  # uncompressed : compressed, for parts larger than RATIO_FLOOR
RATIO_FLOOR = 256 * 1024
BLANK_ROW_ALLOWANCE = 1000  # empty rows tolerated between data rows (templates pre-format 1,000 rows)


class WorkbookRefused(Exception):
    """An upload that is not read: str() is the Chinese reason (names 文件过大 / 文件已损坏 / 行数超过上限 …)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass
class SheetRows:
    """What was read: the header row, then every non-empty data row as (row number, values, formula columns)."""

    title: str
    header: list
    rows: list = field(default_factory=list)


def other_spreadsheet_format(data):
    """What a file that is not an xlsx package is, judged by content (for the message); None otherwise."""
    if data.startswith(OLE2_SIGNATURE):
        return "这是 Excel 97-2003 工作簿（.xls），或是设置了打开密码的工作簿（请先取消密码）"
    if data.startswith(b"%PDF-"):
        return "这是 PDF 文件"
    if data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                info = package.getinfo("mimetype") if "mimetype" in package.namelist() else None
                if info is not None and info.file_size <= 256:
                    with package.open(info) as entry:
                        if entry.read(256).startswith(ODS_MIMETYPE):
                            return "这是 OpenDocument 表格（.ods）文件"
        except Exception:  # noqa: BLE001 — a broken zip is reported by the checks that follow
            return None
    return None


def part_limit(max_rows):
    """The largest uncompressed part (bytes) a workbook of at most `max_rows` data rows may hold."""
    return PART_BASE_BYTES + PART_BYTES_PER_ROW * max_rows


def _mb(size):
    return "%.1f" % (size / 1024 / 1024)


def inspect_package(data, *, max_bytes, max_rows, filename=""):
    """Refuse (WorkbookRefused) anything but a sane xlsx package, before any XML is parsed."""
    if not data:
        raise WorkbookRefused("文件为空，请选择填写好的模板文件")
    if len(data) > max_bytes:
        raise WorkbookRefused("文件过大：超过 %d MB 的上传上限" % (max_bytes // (1024 * 1024)))
    other = other_spreadsheet_format(data)
    if other:  # whatever its extension: say what it is and how to get an .xlsx, not just "wrong type"
        raise WorkbookRefused("文件类型错误：%s，系统只接受 Excel 工作簿（.xlsx）。%s" % (other, SAVE_AS_XLSX))
    if not data.startswith(b"PK") or not (filename or "").lower().endswith(".xlsx"):
        raise WorkbookRefused("文件类型错误：请上传 Excel 工作簿（.xlsx 格式），建议使用系统下载的模板")
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        members = package.infolist()
    except Exception:  # noqa: BLE001 — a cut-off download or a damaged copy: the zip directory is missing
        raise WorkbookRefused("文件已损坏：文件不完整或已损坏，无法作为 Excel 工作簿打开，请重新保存或重新下载模板后再导入")
    if len(members) > MAX_MEMBERS:
        raise WorkbookRefused("文件过大：工作簿包含 %d 个部件，超过上限 %d 个" % (len(members), MAX_MEMBERS))
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise WorkbookRefused("文件已损坏：缺少工作簿内容（xl/workbook.xml），不是有效的 Excel 工作簿")
    ceiling = part_limit(max_rows)
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise WorkbookRefused("文件类型错误：工作簿已加密，请先取消密码再导入")
        if member.file_size > ceiling:
            raise WorkbookRefused("文件过大：“%s”解压后 %s MB，超过本导入允许的 %s MB（行数上限 %d 行）"
                                  % (member.filename[:60], _mb(member.file_size), _mb(ceiling), max_rows))
        if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise WorkbookRefused("文件过大：“%s”的压缩比异常（%d 倍），疑似压缩炸弹"
                                  % (member.filename[:60], member.file_size // max(member.compress_size, 1)))
        total += member.file_size
    if total > 3 * ceiling:
        raise WorkbookRefused("文件过大：解压后共 %s MB，超过本导入允许的 %s MB" % (_mb(total), _mb(3 * ceiling)))
    for member in members:  # the declared sizes may lie: inflate each part once, counting, within the ceiling
        actual = 0
        try:
            with package.open(member) as entry:
                while True:
                    chunk = entry.read(256 * 1024)
                    if not chunk:
                        break
                    actual += len(chunk)
                    if actual > member.file_size or actual > ceiling:
                        raise WorkbookRefused("文件已损坏：“%s”的实际大小与声明不符" % member.filename[:60])
        except WorkbookRefused:
            raise
        except Exception:  # noqa: BLE001 — CRC mismatch, truncated data, unknown compression
            raise WorkbookRefused("文件已损坏：“%s”无法解压，请重新保存后再导入" % member.filename[:60])
        if actual != member.file_size:
            raise WorkbookRefused("文件已损坏：“%s”的实际大小与声明不符" % member.filename[:60])
    return package


def cell_text(value):
    """A cell as the text a person typed: None → "", 13800000000.0 → "13800000000", surrounding blanks removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _too_many(max_rows):
    return WorkbookRefused("行数超过上限 %d 行，请分批导入或核对是否为本系统的模板" % max_rows)


def read_workbook(data, *, filename, max_rows, max_bytes, sheet_name=None):
    """Inspect, then stream the rows of `sheet_name` (else the first sheet): a SheetRows, or WorkbookRefused."""
    from openpyxl import load_workbook

    inspect_package(data, max_bytes=max_bytes, max_rows=max_rows, filename=filename)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = book[sheet_name] if sheet_name and sheet_name in book.sheetnames else book.worksheets[0]
    except Exception:  # noqa: BLE001 — parts present but not a workbook openpyxl understands
        raise WorkbookRefused("文件已损坏：无法读取工作簿内容，请用 Excel 或 WPS 打开后“另存为”.xlsx 再导入")
    try:
        try:
            declared = sheet.max_row  # from <dimension>: refuse early when it already says too many
        except Exception:  # noqa: BLE001
            declared = None
        if declared and declared - 1 > max_rows + BLANK_ROW_ALLOWANCE:
            raise _too_many(max_rows)
        # Not every producer writes <dimension> right (a stale "A1" hid every row): read what is there.
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
        result = SheetRows(title=sheet.title, header=[])
        physical_limit = max_rows + BLANK_ROW_ALLOWANCE + 1
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            if number > physical_limit:  # read-only openpyxl yields a row for every gap: bound those too
                raise _too_many(max_rows)
            values = [getattr(c, "value", None) for c in cells]
            formulas = {i for i, c in enumerate(cells) if getattr(c, "data_type", None) == "f"}
            if number == 1:
                result.header = values
                continue
            if not formulas and all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            result.rows.append((number, values, formulas))
            if len(result.rows) > max_rows:
                raise _too_many(max_rows)
    except WorkbookRefused:
        raise
    except Exception:  # noqa: BLE001 — malformed sheet XML found while streaming
        raise WorkbookRefused("文件已损坏：工作表内容无法读取，请用 Excel 或 WPS 打开后“另存为”.xlsx 再导入")
    finally:
        book.close()
    return result
