"""LibreOffice for the score-import tests: re-save a workbook through a real `soffice --headless`, and
look inside an xlsx package (who wrote it, shared or inline strings, styles).

What the producers write (checked with LibreOffice 7.4 and openpyxl 3.1):

- openpyxl writes every string cell inline (`t="inlineStr"`, no xl/sharedStrings.xml), its own
  styles.xml (with a theme) and docProps/app.xml naming "Microsoft Excel".
- LibreOffice ("Calc MS Excel 2007 XML") writes a shared-string table (xl/sharedStrings.xml, cells
  `t="s"`), explicit `t="n"` on numbers, `<f aca="false">` plus the cached value on formulas, its own
  styles.xml (different fonts and cellXfs, an extra style for CJK text), no theme, docProps/app.xml
  naming "LibreOffice/…", and drops openpyxl's frozen pane.
- Excel and WPS write shared strings too; some other producers write inline strings. `inline_strings()`
  turns any package into the inline-string form while keeping everything else (styles, app.xml) as
  it is, so a LibreOffice-styled file can be tried with either string storage.

Each conversion runs soffice with its own throw-away profile (-env:UserInstallation), so parallel
pytest workers never share (or wait on) one LibreOffice instance, and under a timeout that kills
soffice's whole process group.

Without soffice the tests that need it are skipped with the reason, unless LIBREOFFICE_REQUIRED=1
(set by .ci/run), which turns the skip into a failure.
"""
import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

LIBREOFFICE_REQUIRED = os.environ.get("LIBREOFFICE_REQUIRED", "").lower() in ("1", "true", "yes", "on")
TIMEOUT_SECONDS = int(os.environ.get("LIBREOFFICE_TIMEOUT", "180"))
# --convert-to targets: "extension:filter name" (the filter names of LibreOffice's own Save As dialog).
XLSX = "xlsx:Calc MS Excel 2007 XML"
ODS = "ods:calc8"
XLS = "xls:MS Excel 97"
INSTALL_HINT = "apt-get install -y --no-install-recommends libreoffice-calc-nogui"


def soffice_path():
    """soffice on PATH, or the one named by SOFFICE (a path or command; one that does not exist counts as
    missing, so SOFFICE=/nonexistent tries the skip and LIBREOFFICE_REQUIRED paths on a machine that has it)."""
    configured = os.environ.get("SOFFICE")
    if configured:
        return shutil.which(configured)
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice():
    """soffice's path; skips the test without it, or fails it when LIBREOFFICE_REQUIRED=1."""
    path = soffice_path()
    if path:
        return path
    if LIBREOFFICE_REQUIRED:
        pytest.fail("LIBREOFFICE_REQUIRED=1 但未找到 LibreOffice（soffice）：" + INSTALL_HINT, pytrace=False)
    pytest.skip("未找到 LibreOffice（soffice），已跳过 LibreOffice 另存文件的导入测试（" + INSTALL_HINT + "）")


def convert(data, target=XLSX, suffix=".xlsx", timeout=TIMEOUT_SECONDS):
    """`data` (a file of type `suffix`) opened and saved again by LibreOffice as `target`; the new file's bytes.

    Input and output use ASCII names in separate folders (soffice refuses to overwrite its input, and a
    C locale on CI must not matter). A failure raises RuntimeError with soffice's output.
    """
    soffice = require_soffice()
    extension = target.split(":", 1)[0]
    with tempfile.TemporaryDirectory(prefix="zjpx-lo-") as tmp:
        tmp = Path(tmp)
        source, outdir = tmp / "in" / ("workbook" + suffix), tmp / "out"
        source.parent.mkdir()
        outdir.mkdir()
        source.write_bytes(data)
        command = [soffice, "--headless", "--norestore", "--nologo", "--nolockcheck", "--nodefault",
                   "-env:UserInstallation=" + (tmp / "lo-profile").as_uri(),
                   "--convert-to", target, "--outdir", str(outdir), str(source)]
        # Its own session: on timeout the whole group (the soffice script, oosplash, soffice.bin) is killed.
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise RuntimeError("LibreOffice did not convert within %ss: %s" % (timeout, " ".join(command)))
        finally:
            if process.poll() is None:  # pragma: no cover - only when communicate() itself failed
                os.killpg(process.pid, signal.SIGKILL)
        result = outdir / ("workbook." + extension)
        if process.returncode != 0 or not result.exists():
            raise RuntimeError("LibreOffice conversion to %s failed (exit %s): %s"
                               % (target, process.returncode, output.decode("utf-8", "replace")))
        return result.read_bytes()


def resave_xlsx(data):
    """An xlsx opened and saved again by LibreOffice Calc, as a user who edits the template there would."""
    return convert(data, XLSX, ".xlsx")


# --- looking inside a package ----------------------------------------------------------------------------------

_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")


def parts(data):
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


def describe(data):
    """Who wrote the package and how it stores strings: {application, shared_strings, inline_cells,
    shared_cells, styles (styles.xml bytes), cell_formats (cellXfs count)}."""
    files = parts(data)
    app = files.get("docProps/app.xml", b"").decode("utf-8")
    found = re.search(r"<Application>([^<]*)</Application>", app)
    sheets = b"".join(v for k, v in files.items() if _SHEET.match(k))
    styles = files.get("xl/styles.xml", b"")
    formats = re.search(rb'<cellXfs count="(\d+)"', styles)
    return {"application": found.group(1) if found else "", "shared_strings": "xl/sharedStrings.xml" in files,
            "inline_cells": len(re.findall(rb't="inlineStr"', sheets)),
            "shared_cells": len(re.findall(rb't="s"', sheets)),
            "styles": styles, "cell_formats": int(formats.group(1)) if formats else None}


_SHARED_CELL = re.compile(rb'<c\b([^>]*?)\st="s"([^>]*)>\s*<v>(\d+)</v>\s*</c>')
_ITEM = re.compile(rb"<si>(.*?)</si>", re.S)


def inline_strings(data):
    """The same package with every shared-string cell rewritten inline (`t="inlineStr"><is>…</is>`) and
    xl/sharedStrings.xml removed (with its content type and relationship); everything else untouched."""
    files = parts(data)
    table = files.pop("xl/sharedStrings.xml", None)
    if table is None:
        return data
    items = _ITEM.findall(table)
    for name in [n for n in files if _SHEET.match(n)]:
        files[name] = _SHARED_CELL.sub(
            lambda m: b'<c%s t="inlineStr"%s><is>%s</is></c>' % (m.group(1), m.group(2), items[int(m.group(3))]),
            files[name])
        assert b't="s"' not in files[name], "a shared-string cell was left in " + name
    files["[Content_Types].xml"] = re.sub(rb'<Override[^>]*PartName="/xl/sharedStrings\.xml"[^>]*/>', b"",
                                          files["[Content_Types].xml"])
    rels = "xl/_rels/workbook.xml.rels"
    files[rels] = re.sub(rb'<Relationship[^>]*Target="[^"]*sharedStrings\.xml"[^>]*/>', b"", files[rels])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in files.items():
            package.writestr(name, content)
    return out.getvalue()
