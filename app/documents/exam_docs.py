"""考核 documents of an approved exam plan (SPEC §5 step 7, §9):

- 准考证: one A4 page per candidate (single or batch PDF), with photo when the worker has one;
- 桌贴: per room, one card per seat (准考证号, 姓名, 座位号), 8 cards per A4 page;
- 签到表: per room and subject (理论/实操): 序号, 准考证号, 姓名, 身份证号, 座位号, 签名;
- 汇总表: xlsx with the roster and the count per enterprise.

Functions take already-scoped rows; they only draw. Chinese text uses STSong-Light (app.documents.pdf).
"""
import io
import os
from collections import Counter, OrderedDict

from flask import current_app
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from app.documents.pdf import fit_text, font
from app.validators import mask_id_number

SUBJECTS = {"theory": "理论", "practical": "实操"}
NOTES = (
    "1. 考生须携带本准考证和本人有效身份证件，提前30分钟到达考点，按座位号入座。",
    "2. 考试开始15分钟后不得入场；考试期间不得携带通讯工具及与考试无关的资料。",
    "3. 实操考试须穿戴好劳动防护用品，服从考评员安排，遵守安全操作规程。",
    "4. 准考证号、考场、座位号以本证为准，请妥善保管，不得涂改、转借。",
)


def _fmt(moment):
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def _period(start, end):
    if not start:
        return ""
    if end and end.date() == start.date():
        return "%s — %s" % (_fmt(start), end.strftime("%H:%M"))
    return "%s — %s" % (_fmt(start), _fmt(end))


def _new_canvas(buffer, title):
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(title)
    pdf.setAuthor("建筑技能工人培训管理系统")
    return pdf


def _photo_path(worker):
    """Path of the worker's photo file, or None."""
    if not getattr(worker, "photo_file_id", None):
        return None
    from app.extensions import db
    from app.models import UploadedFile

    record = db.session.get(UploadedFile, worker.photo_file_id)
    if record is None or record.content_type not in ("image/png", "image/jpeg"):
        return None
    path = os.path.join(current_app.config["UPLOAD_FOLDER"], record.stored_name)
    return path if os.path.isfile(path) else None


# --- 准考证 ------------------------------------------------------------------------------------------

def _draw_ticket(pdf, exam, candidate):
    name = font()
    width, height = A4
    enrollment = candidate.enrollment
    worker = enrollment.worker
    plan = exam.plan
    left, top = 20 * mm, height - 20 * mm
    pdf.setFont(name, 20)
    pdf.drawCentredString(width / 2, top - 8 * mm, "建筑技能工人职业技能考核准考证")
    pdf.setFont(name, 11)
    pdf.drawCentredString(width / 2, top - 16 * mm, exam.name)
    box_top = top - 24 * mm
    pdf.rect(left, box_top - 120 * mm, width - 2 * left, 120 * mm)
    # photo
    photo_w, photo_h = 30 * mm, 40 * mm
    photo_x, photo_y = width - left - photo_w - 6 * mm, box_top - 6 * mm - photo_h
    path = _photo_path(worker)
    drawn = False
    if path:
        try:
            pdf.drawImage(path, photo_x, photo_y, photo_w, photo_h, preserveAspectRatio=True, anchor="c")
            drawn = True
        except Exception:  # a broken image must not stop the ticket
            drawn = False
    pdf.rect(photo_x, photo_y, photo_w, photo_h)
    if not drawn:
        pdf.setFont(name, 10)
        pdf.drawCentredString(photo_x + photo_w / 2, photo_y + photo_h / 2, "照片")
    rows = [
        ("准考证号", candidate.ticket_no or ""),
        ("姓　　名", enrollment.worker_name),
        ("性　　别", (worker.gender if worker else "") or ""),
        ("身份证号", mask_id_number(enrollment.id_number)),
        ("工　　种", plan.trade_label or plan.trade_code),
        ("技能等级", plan.skill_level_label or plan.skill_level),
        ("所属企业", enrollment.enterprise_name),
        ("理论考试", _period(exam.theory_start, exam.theory_end)),
        ("实操考试", _period(exam.practical_start, exam.practical_end)),
        ("考核地点", exam.site_address),
        ("考　　场", "第%s考场" % candidate.room_no if candidate.room_no else ""),
        ("座 位 号", "%s号" % candidate.seat_no if candidate.seat_no else ""),
        ("培训机构", exam.institution.name),
    ]
    y = box_top - 10 * mm
    value_width = photo_x - (left + 32 * mm) - 4 * mm
    for label, value in rows:
        pdf.setFont(name, 12)
        pdf.drawString(left + 6 * mm, y, label + "：")
        text = str(value)
        limit = value_width if y > photo_y - 2 * mm else (width - 2 * left - 40 * mm)
        pdf.setFont(name, fit_text(text, 12, limit))
        pdf.drawString(left + 32 * mm, y, text)
        y -= 8.6 * mm
    y = box_top - 130 * mm
    pdf.setFont(name, 12)
    pdf.drawString(left, y, "考生须知")
    pdf.setFont(name, 10)
    for line in NOTES:
        y -= 7 * mm
        pdf.drawString(left, y, line)
    pdf.setFont(name, 9)
    pdf.drawRightString(width - left, 15 * mm, "%s 制" % exam.institution.name)


def tickets_pdf(exam, candidates, title=None):
    """准考证 of the given candidates (one page each), as PDF bytes."""
    buffer = io.BytesIO()
    pdf = _new_canvas(buffer, title or "%s 准考证" % exam.name)
    for candidate in candidates:
        _draw_ticket(pdf, exam, candidate)
        pdf.showPage()
    if not candidates:
        pdf.setFont(font(), 12)
        pdf.drawString(20 * mm, A4[1] - 30 * mm, "没有可打印的准考证")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- 桌贴 ------------------------------------------------------------------------------------------

def desk_cards_pdf(exam, room_no, candidates):
    """桌贴 of one room: one card per seat (2 × 4 per A4 page)."""
    buffer = io.BytesIO()
    pdf = _new_canvas(buffer, "%s 第%d考场 桌贴" % (exam.name, room_no))
    name = font()
    width, height = A4
    card_w, card_h = (width - 30 * mm) / 2, (height - 30 * mm) / 4
    seated = sorted((c for c in candidates if c.room_no == room_no), key=lambda c: c.seat_no)
    for index, candidate in enumerate(seated):
        slot = index % 8
        if index and slot == 0:
            pdf.showPage()
        col, row = slot % 2, slot // 2
        x = 15 * mm + col * card_w
        y = height - 15 * mm - (row + 1) * card_h
        pdf.rect(x + 2 * mm, y + 2 * mm, card_w - 4 * mm, card_h - 4 * mm)
        cx = x + card_w / 2
        pdf.setFont(name, 11)
        pdf.drawCentredString(cx, y + card_h - 12 * mm, "第%d考场" % room_no)
        pdf.setFont(name, 30)
        pdf.drawCentredString(cx, y + card_h / 2 + 2 * mm, "%d号" % candidate.seat_no)
        pdf.setFont(name, 16)
        pdf.drawCentredString(cx, y + card_h / 2 - 12 * mm, candidate.enrollment.worker_name)
        pdf.setFont(name, 12)
        pdf.drawCentredString(cx, y + 10 * mm, "准考证号：%s" % candidate.ticket_no)
    if not seated:
        pdf.setFont(name, 12)
        pdf.drawString(20 * mm, height - 30 * mm, "第%d考场没有考生" % room_no)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- 签到表 ----------------------------------------------------------------------------------------

SIGN_COLUMNS = (("序号", 14), ("准考证号", 42), ("姓名", 26), ("身份证号", 44), ("座位号", 16), ("签名", 38))


def sign_in_pdf(exam, room_no, subject, candidates):
    """签到表 of one room and subject (theory/practical); full ID numbers, a signature column."""
    label = SUBJECTS[subject]
    buffer = io.BytesIO()
    pdf = _new_canvas(buffer, "%s 第%d考场 %s考试签到表" % (exam.name, room_no, label))
    name = font()
    width, height = A4
    seated = sorted((c for c in candidates if c.room_no == room_no), key=lambda c: c.seat_no)
    start = getattr(exam, subject + "_start")
    end = getattr(exam, subject + "_end")
    row_h = 9 * mm
    per_page = 24
    pages = max(1, (len(seated) + per_page - 1) // per_page)
    for page in range(pages):
        top = height - 15 * mm
        pdf.setFont(name, 16)
        pdf.drawCentredString(width / 2, top - 6 * mm, "%s考试签到表" % label)
        pdf.setFont(name, 10)
        pdf.drawString(15 * mm, top - 14 * mm, "考核计划：%s" % exam.name)
        pdf.drawString(15 * mm, top - 20 * mm, "考场：第%d考场　　考试时间：%s　　考核地点：%s"
                       % (room_no, _period(start, end), exam.site_address))
        y = top - 30 * mm
        x = 15 * mm
        pdf.setFont(name, 11)
        for title, w in SIGN_COLUMNS:
            pdf.rect(x, y - row_h, w * mm, row_h)
            pdf.drawCentredString(x + w * mm / 2, y - row_h + 3 * mm, title)
            x += w * mm
        for index, candidate in enumerate(seated[page * per_page:(page + 1) * per_page]):
            y -= row_h
            values = (str(page * per_page + index + 1), candidate.ticket_no or "", candidate.enrollment.worker_name,
                      candidate.enrollment.id_number, str(candidate.seat_no), "")
            x = 15 * mm
            for (title, w), value in zip(SIGN_COLUMNS, values):
                pdf.rect(x, y - row_h, w * mm, row_h)
                pdf.setFont(name, fit_text(value, 10, w * mm - 2 * mm))
                pdf.drawCentredString(x + w * mm / 2, y - row_h + 3 * mm, value)
                x += w * mm
        pdf.setFont(name, 10)
        pdf.drawString(15 * mm, 15 * mm, "考评员签字：")
        pdf.drawRightString(width - 15 * mm, 15 * mm, "第%d页 / 共%d页" % (page + 1, pages))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- 汇总表 ----------------------------------------------------------------------------------------

def summary_xlsx(exam, candidates):
    """汇总表: sheet 考生名单 (roster) and sheet 企业汇总 (count per enterprise)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from app.documents.xlsx_out import append_row

    book = Workbook()
    roster = book.active
    roster.title = "考生名单"
    append_row(roster, ["%s 考生汇总表" % exam.name])
    append_row(roster, ["培训机构：%s　考核地点：%s　理论：%s　实操：%s" % (
        exam.institution.name, exam.site_address, _period(exam.theory_start, exam.theory_end),
        _period(exam.practical_start, exam.practical_end))])
    headers = ["序号", "准考证号", "姓名", "性别", "身份证号", "所属企业", "工种", "技能等级", "考场", "座位号"]
    append_row(roster, headers)
    for cell in roster[3]:
        cell.font = Font(bold=True)
    plan = exam.plan
    ordered = sorted(candidates, key=lambda c: (c.room_no or 0, c.seat_no or 0, c.enrollment_id))
    for index, candidate in enumerate(ordered, start=1):
        enrollment = candidate.enrollment
        append_row(roster, [index, candidate.ticket_no, enrollment.worker_name,
                            enrollment.worker.gender if enrollment.worker else "", enrollment.id_number,
                            enrollment.enterprise_name, plan.trade_label or plan.trade_code,
                            plan.skill_level_label or plan.skill_level, candidate.room_no, candidate.seat_no])
    for letter, width in zip("ABCDEFGHIJ", (6, 20, 10, 6, 20, 30, 14, 12, 6, 8)):
        roster.column_dimensions[letter].width = width
    counts = OrderedDict(sorted(Counter(c.enrollment.enterprise_name for c in candidates).items()))
    sheet = book.create_sheet("企业汇总")
    append_row(sheet, ["企业名称", "考生人数"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for enterprise_name, count in counts.items():
        append_row(sheet, [enterprise_name, count])
    append_row(sheet, ["合计", len(candidates)])
    sheet.column_dimensions["A"].width = 36
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
