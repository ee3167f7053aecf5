"""证书 PDF (A4 landscape, ReportLab with the built-in CID font STSong-Light) with a QR code that opens
the public verification page; the QR link carries an HMAC signature of the number (SECRET_KEY)."""
import io

import qrcode
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"


def _font():
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def qr_png(text):
    image = qrcode.make(text, box_size=6, border=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    out.seek(0)
    return out


def render(info, verify_url):
    """info: the dict of services.certificates.public_info (unmasked id number allowed); returns PDF bytes."""
    font = _font()
    out = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(out, pagesize=(width, height))
    pdf.setTitle("建筑技能工人职业技能证书 %s" % info["number"])
    pdf.setLineWidth(3)
    pdf.rect(30, 30, width - 60, height - 60)
    pdf.setLineWidth(1)
    pdf.rect(40, 40, width - 80, height - 80)
    pdf.setFont(font, 30)
    pdf.drawCentredString(width / 2, height - 110, "建筑技能工人职业技能证书")
    pdf.setFont(font, 15)
    lines = [("证书编号", info["number"]), ("姓名", info["name"]), ("身份证号", info["id_number"]),
             ("工种", info["trade"]), ("技能等级", info["level"]), ("发证机构", info["issuer"]),
             ("发证日期", info["issue_date"]), ("有效期至", info["valid_until"])]
    y = height - 175
    for label, value in lines:
        pdf.drawString(110, y, "%s：" % label)
        pdf.drawString(210, y, str(value or ""))
        y -= 32
    if info.get("revoked"):
        pdf.setFillColorRGB(0.8, 0, 0)
        pdf.setFont(font, 26)
        pdf.drawString(110, y - 10, "已撤销")
        pdf.setFillColorRGB(0, 0, 0)
    pdf.drawImage(ImageReader(qr_png(verify_url)), width - 260, 110, width=170, height=170)
    pdf.setFont(font, 10)
    pdf.drawCentredString(width - 175, 95, "扫码核验证书真伪")
    pdf.showPage()
    pdf.save()
    return out.getvalue()
