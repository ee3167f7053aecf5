"""Workbooks the system writes (SPEC §9, §12): the ONE formula-safe cell rule and the streaming xlsx writer.

Every generated workbook — score template, import error workbooks, 汇总表, 报名人员 exports, dashboard data — writes
user text through clean_cell(): controls removed, and text a spreadsheet would take for a formula (it starts with
= + - @) is stored as a text cell carrying Excel's own quote-prefix mark. The value is kept as typed (no apostrophe
added), so a worker named ``=HYPERLINK(…)`` reads back from the system's own template unchanged, while Excel, WPS and
LibreOffice show it as text and keep it text when the cell is edited.

XlsxStreamWriter, not openpyxl, writes the large files. openpyxl's write_only mode still builds every cell as a
Python object and serialises it through et_xmlfile; on this machine 100,000 rows × 12 columns took 27 s (SPEC §12
asks ≤ 10 s). The format we need is small (inline strings, a bold header style, the quote-prefix styles, column
widths, a frozen header row), so the writer streams the sheet XML straight into the zip: constant memory, about
1-2 s for 100,000 rows. The small styled templates (validation lists, fills) stay on openpyxl and put every cell
through text_cell().
"""
import datetime
import re
import zipfile
from xml.sax.saxutils import escape

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@")
# C0/C1 controls and the XML-illegal code points; tab/CR/LF become a space (one line per cell).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_WHITESPACE_CONTROL = re.compile("[\t\r\n]+")
_NEEDS_CLEANING = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
FORMULA_START = "".join(FORMULA_PREFIXES)
# cellXfs of the streamed workbooks: 0 plain, 1 bold (headers); +2 the same with the quote-prefix mark.
QUOTED = 2


def clean_cell(value):
    """Text of one cell: dates as 2026-11-28 / 24h times, booleans 是/否, controls removed (value otherwise kept)."""
    if type(value) is not str:
        if value is None:
            return ""
        if value is True or value is False:
            return "是" if value else "否"
        if isinstance(value, datetime.datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, datetime.date):
            return value.strftime("%Y-%m-%d")
        value = str(value)
    if _NEEDS_CLEANING.search(value):
        value = _CONTROL.sub("", _WHITESPACE_CONTROL.sub(" ", value))
    return value


def looks_like_formula(text):
    """True for text a spreadsheet would evaluate if typed (= + - @ first): it is written with the quote-prefix mark."""
    return bool(text) and text[0] in FORMULA_START


def text_cell(cell, value):
    """Put `value` into an openpyxl cell by the same rule: user text as a text cell, never as a formula."""
    if isinstance(value, (str, bool, datetime.date)):
        text = clean_cell(value)
        cell.value = text
        cell.data_type = "s"  # openpyxl makes a str that starts with "=" a formula: undo that
        if looks_like_formula(text):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def append_row(sheet, values):
    """sheet.append() through text_cell(); returns the row number written."""
    row = sheet._current_row + 1
    for column, value in enumerate(values, start=1):
        if value is not None:
            text_cell(sheet.cell(row=row, column=column), value)
    sheet._current_row = row
    return row


def _column_letter(index):
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


class XlsxStreamWriter:
    """A minimal, streaming xlsx writer: sheets one after another, rows of text cells.

        with XlsxStreamWriter(fileobj) as book:
            book.start_sheet("报名人员", ["姓名", ...], widths=[10, ...])
            book.write_row([...])
    """

    def __init__(self, fileobj):
        self.zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheets = []
        self._stream = None
        self._row = 0
        self._letters = []
        self._buffer = []

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.close()
        else:
            self.zip.close()

    def start_sheet(self, title, headers, widths=None):
        self._end_sheet()
        title = re.sub(r"[\[\]:*?/\\]", "", title)[:31] or "Sheet%d" % (len(self.sheets) + 1)
        self.sheets.append(title)
        self._stream = self.zip.open("xl/worksheets/sheet%d.xml" % len(self.sheets), "w", force_zip64=True)
        self._row = 0
        self._letters = [_column_letter(i) for i in range(max(len(headers), 1))]
        cols = "".join('<col min="%d" max="%d" width="%d" customWidth="1"/>' % (i + 1, i + 1, w)
                       for i, w in enumerate(widths or []))
        self._write(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/></sheetView></sheetViews>' + ("<cols>%s</cols>" % cols if cols else "") + "<sheetData>")
        self.write_row(headers, style=1)

    def write_row(self, values, style=0, at=None):
        """One row of cells (clean_cell text); `at` skips ahead to a later row number (blank rows between)."""
        self._row = max(self._row + 1, at or 0)
        row = self._row
        letters = self._letters
        if len(values) > len(letters):
            letters.extend(_column_letter(i) for i in range(len(letters), len(values)))
        style_attr = ' s="%d"' % style if style else ""
        quoted_attr = ' s="%d"' % (style + QUOTED)
        cells = []
        append = cells.append
        # Fast path: one control-character check for the whole row instead of one per cell.
        plain = not _NEEDS_CLEANING.search("|".join([v for v in values if type(v) is str]))
        for index, value in enumerate(values):
            text = value if plain and type(value) is str else clean_cell(value)
            if not text:
                continue
            attr = quoted_attr if text[0] in FORMULA_START else style_attr
            if "&" in text or "<" in text or ">" in text:
                text = escape(text)
            if text[0] == " " or text[-1] == " ":
                append(f'<c r="{letters[index]}{row}"{attr} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
            else:
                append(f'<c r="{letters[index]}{row}"{attr} t="inlineStr"><is><t>{text}</t></is></c>')
        self._buffer.append(f'<row r="{row}">{"".join(cells)}</row>')
        if len(self._buffer) >= 500:
            self._flush()

    def _write(self, text):
        self._stream.write(text.encode("utf-8"))

    def _flush(self):
        if self._buffer:
            self._write("".join(self._buffer))
            self._buffer = []

    def _end_sheet(self):
        if self._stream is not None:
            self._flush()
            self._write("</sheetData></worksheet>")
            self._stream.close()
            self._stream = None

    @property
    def rows_written(self):
        """Data rows of the current sheet (the header not counted)."""
        return max(self._row - 1, 0)

    def close(self):
        if not self.sheets:
            self.start_sheet("Sheet1", [])
        self._end_sheet()
        count = len(self.sheets)
        overrides = "".join(
            '<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/>' % (i + 1) for i in range(count))
        self.zip.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/>' + overrides + "</Types>"))
        self.zip.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        sheets = "".join('<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (escape(name, {'"': "&quot;"}), i + 1, i + 1)
                         for i, name in enumerate(self.sheets))
        self.zip.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            "<sheets>%s</sheets></workbook>" % sheets))
        rels = "".join(
            '<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet%d.xml"/>' % (i + 1, i + 1) for i in range(count))
        rels += ('<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/styles" Target="styles.xml"/>' % (count + 1))
        self.zip.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">%s</Relationships>'
            % rels))
        self.zip.writestr("xl/styles.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<fonts count="2"><font><sz val="11"/><name val="宋体"/></font>'
            '<font><b/><sz val="11"/><name val="宋体"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
            '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" quotePrefix="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"))
        self.zip.close()




def _as_read(value):
    """A value read from an uploaded cell, as text for the error workbook (80.0 → 80)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def marked_workbook(read, width, error_header, messages_by_row):
    """The error workbook of a refused import, from what was already read (never by parsing the file again).

    `read` is the reader's SheetRows; the first `width` columns come back as the user wrote them (as text, by
    clean_cell), in the same row numbers, with `error_header` and each row's messages in the next column.
    """
    import io

    buffer = io.BytesIO()
    top = messages_by_row.get(1)
    header = [_as_read(v) for v in (list(read.header) + [None] * width)[:width]]
    with XlsxStreamWriter(buffer) as book:
        book.start_sheet(read.title, header + [error_header + ("：" + "；".join(top) if top else "")],
                         widths=[16] * width + [60])
        for number, values, _formulas in read.rows:
            cells = [_as_read(v) for v in (list(values) + [None] * width)[:width]]
            book.write_row(cells + ["；".join(messages_by_row.get(number, []))], at=number)
    return buffer.getvalue()
