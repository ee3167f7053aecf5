"""PDF helpers: Chinese text with ReportLab's built-in CID font STSong-Light (no system font needed)."""
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

FONT = "STSong-Light"
_registered = False


def font():
    """The name of the registered Chinese font (registered once per process)."""
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def fit_text(text, size, width):
    """Shrink the font size until `text` fits `width` points (not below 6)."""
    name = font()
    while size > 6 and pdfmetrics.stringWidth(text, name, size) > width:
        size -= 0.5
    return size
