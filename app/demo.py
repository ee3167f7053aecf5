"""Demo data for a newcomer's first look: organisations and accounts of every role, records in every state.

Built through the service verbs (新增主管部门, 企业注册, 新增培训机构 and its staff, plans, 学员管理, 报名 to 确认考勤,
exam plans, 成绩导入, certificates, review moves) so the records are what the product itself would have written;
by hand only where a verb would refuse what is to be shown (an understaffed institution's plan) or to back-date
what the demo writes in one instant (review times, class dates). Idempotent: does nothing when the demo admin
already exists.
"""
import datetime
import random
from types import SimpleNamespace

from app.extensions import db
from app.models import (
    Department, ReviewRecord, Enrollment, Enterprise, ExamPlan, Institution, TrainingPlan,
    Worker,
)
from app.models.user import AppUser
from app.services import accounts, review, transaction
from app.services import departments as department_service
from app.services import enrollment as enrollment_service
from app.services import enterprises as enterprise_service
from app.services import exams as exam_service
from app.services import institutions as institution_service
from app.services import plans as plan_service
from app.services import scores as score_service
from app.services import workers as worker_service
from app.validators import id_check_char, uscc_check_char

# 角色 | 账号 | 密码 — the README lists exactly these.
DEMO_ACCOUNTS = [
    ("系统管理员", "admin", "Admin@2026"),
    ("主管部门（省：浙江省住房和城乡建设厅）", "zj_admin", "Zhejiang2026"),
    ("主管部门（市：杭州市城乡建设委员会）", "hz_admin", "Hangzhou2026"),
    ("主管部门（区县：西湖区住房和城乡建设局）", "xh_admin", "Xihu2026"),
    ("主管部门（市：宁波市住房和城乡建设局）", "nb_admin", "Ningbo2026"),
    ("培训机构（杭州建工职业技能培训学校）", "hz_school", "School2026"),
    ("培训机构（宁波建筑技能培训中心）", "nb_center", "Center2026"),
    ("培训机构（已注销：杭州恒信建筑培训学校）", "hx_school", "Hengxin2026"),
    ("企业（杭州西湖建设集团有限公司）", "xh_build", "Build2026"),
    ("企业（宁波海曙建工有限公司）", "nb_build", "Build2026"),
]
PASSWORDS = {username: password for _role, username, password in DEMO_ACCOUNTS}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "建国", "志强", "海燕",
         "晓东", "春华"]


def make_id_number(rng, area="330106"):
    """A valid 18-digit ID number for a worker aged 20–55."""
    birth = datetime.date(rng.randint(1971, 2005), rng.randint(1, 12), rng.randint(1, 28))
    first17 = "%s%s%03d" % (area, birth.strftime("%Y%m%d"), rng.randint(1, 999))
    return first17 + id_check_char(first17)


def make_uscc(seed):
    """A valid 统一社会信用代码 (GB 32100) derived from a number."""
    first17 = "913301%010dX" % seed
    first17 = first17[:17].replace("I", "1").replace("O", "0")
    return first17 + uscc_check_char(first17)


def _user(username, account_type, name, **org):
    return accounts.create_user(username, PASSWORDS[username], account_type, name=name, **org)


def load_demo():
    """Load every demo organisation, account and record; does nothing when the demo admin already exists."""
    if db.session.query(AppUser.id).filter_by(username="admin").first():
        return "demo data already present"
    rng = random.Random(20261128)
    today = datetime.date.today()
    now = datetime.datetime.now().replace(microsecond=0)
    users = _demo_departments()
    enterprises, ent_users = _demo_enterprises(rng, users)
    institutions, inst_users = _demo_institutions(rng, users, now)
    hangzhou, owner, reviewer = institutions["hz"], inst_users["hz"], users["hz"]
    plans = _demo_training_plans(hangzhou, owner, reviewer, today)
    _demo_enrollments(rng, now, plans, enterprises, ent_users, owner)
    _demo_exam_plan(hangzhou, plans["finished"], owner, now)
    _demo_ningbo_plans(institutions["nb"], inst_users["nb"], users["nb"], today)
    approve_demo_exam_plan(reviewer)
    add_demo_certificates(hangzhou, owner, reviewer, enterprises["xh"], ent_users["xh"])
    _spread_review_times(rng, now)
    add_demo_enterprise_documents()
    add_demo_understaffed_institution()
    add_demo_enrollment_states(rng)
    return "demo data loaded: %d accounts" % db.session.query(AppUser).count()


def _demo_departments():
    """The administrator and the 省 / 杭州市 / 西湖区 / 宁波市 departments (新增主管部门 by the administrator) with one
    reviewer account each."""
    admin = _user("admin", "admin", "平台管理员")
    db.session.commit()
    depts = {}
    for key, name, region in (("zj", "浙江省住房和城乡建设厅", "330000"), ("hz", "杭州市城乡建设委员会", "330100"),
                              ("xh", "西湖区住房和城乡建设局", "330106"), ("nb", "宁波市住房和城乡建设局", "330200")):
        depts[key] = department_service.create_department(
            dict(name=name, region_code=region, contact="业务科", phone="0571-8700%04d" % len(depts)), user=admin)
    users = {"admin": admin}
    for key, name in (("zj", "省厅审核员"), ("hz", "杭州市审核员"), ("xh", "西湖区审核员"), ("nb", "宁波市审核员")):
        users[key] = _user(key + "_admin", "department", name, department_id=depts[key].id)
    return users


def _demo_enterprises(rng, users):
    """Enterprises with their accounts, the qualification in every state, reviewed by the nearest department."""
    enterprises, ent_users = {}, {}
    for index, (key, name, region, state) in enumerate((
        ("xh", "杭州西湖建设集团有限公司", "330106", "approved"),
        ("nb", "宁波海曙建工有限公司", "330203", "approved"),
        ("yh", "杭州余杭建筑劳务有限公司", "330110", "submitted"),
        ("gs", "杭州拱墅装饰工程有限公司", "330105", "accepted"),
        ("xr", "西湖区欣荣建筑安装有限公司", "330106", "rejected"),
        ("wz", "温州鹿城市政工程有限公司", "330302", "submitted"),
    ), start=1):
        values = dict(
            name=name, uscc=make_uscc(index * 7919), region_code=region, address="%s某路%d号" % (name[:2], index * 10),
            legal_representative=rng.choice(SURNAMES) + rng.choice(GIVEN), contact_person=rng.choice(SURNAMES) + "经理",
            contact_mobile="1380571%04d" % index, qualification_category="general", qualification_grade="二级",
            qualification_cert_no="D2330%05d" % index)
        username = {"xh": "xh_build", "nb": "nb_build"}.get(key, "ent_" + key)
        password = PASSWORDS.get(username, "Build2026")
        # 企业注册 as the enterprise does it: the account, the three documents, then 上报.
        enterprises[key], ent_users[key] = enterprise_service.register_enterprise(
            values, _demo_enterprise_files(SimpleNamespace(**values)), username=username, password=password,
            confirm_password=password)
    reviewers = {"xh": users["xh"], "nb": users["nb"], "yh": users["hz"], "gs": users["hz"], "xr": users["xh"],
                 "wz": users["zj"]}
    for key, enterprise in enterprises.items():
        target = {"xh": "approved", "nb": "approved", "gs": "accepted", "xr": "rejected"}.get(key)
        if target in ("accepted",):
            review.move(enterprise, "accept", user=reviewers[key])
        elif target == "approved":
            review.move(enterprise, "approve", user=reviewers[key])
        elif target == "rejected":
            review.move(enterprise, "reject", user=reviewers[key], opinion="营业执照与企业名称不一致，请重新上传")
    return enterprises, ent_users


def _demo_institutions(rng, users, now):
    """Institutions set up by the 杭州 and 宁波 departments, with staff rosters; one of them 注销."""
    institutions = {}
    for key, name, region, dept, itype in (
        ("hz", "杭州建工职业技能培训学校", "330106", "hz", "social_exam"),
        ("nb", "宁波建筑技能培训中心", "330203", "nb", "social_exam"),
        ("hx", "杭州恒信建筑培训学校", "330105", "hz", "social"),
    ):
        values = dict(name=name, uscc=make_uscc(100000 + len(institutions) * 31), institution_type=itype,
                      region_code=region, address=name[:2] + "市培训路8号",
                      legal_representative=rng.choice(SURNAMES) + rng.choice(GIVEN), contact_person="教务处",
                      contact_phone="0571-8811%04d" % len(institutions))
        institutions[key] = institution_service.create_institution(values, _demo_license(values), user=users[dept])
    inst_users = {"hz": _user("hz_school", "institution", "杭州建工培训学校", institution_id=institutions["hz"].id),
                  "nb": _user("nb_center", "institution", "宁波建筑技能培训中心", institution_id=institutions["nb"].id),
                  "hx": _user("hx_school", "institution", "恒信培训学校", institution_id=institutions["hx"].id)}
    for key in ("hz", "nb"):
        add_staff_roster(institutions[key], rng, user=users[key])
    hx = institution_service.cancel_institution(institutions["hx"].id, "考核过程中存在违规代考行为", user=users["hz"])
    hx.cancelled_at = now - datetime.timedelta(days=30)
    db.session.commit()
    return institutions, inst_users


def _demo_license(values):
    """The 营业执照 a department uploads when it sets an institution up (a small demo PDF)."""
    import io

    from werkzeug.datastructures import FileStorage

    data = demo_pdf("营业执照（演示）", [
        "统一社会信用代码：%s" % values["uscc"], "名称：%s" % values["name"], "类型：民办非企业单位",
        "法定代表人：%s" % values["legal_representative"], "住所：%s" % values["address"], "业务范围：职业技能培训"])
    return FileStorage(io.BytesIO(data), filename="营业执照（演示）.pdf", content_type="application/pdf")


def _demo_training_plans(institution, owner, reviewer, today):
    """杭州's training plans in every state of the review engine, by state."""
    plans = {}
    specs = [
        ("draft", "2026年第4期钢筋工（五级）培训", "020", 10, 40),
        ("submitted", "2026年第3期砌筑工（五级）培训", "010", 5, 35),
        ("accepted", "2026年第2期架子工（四级）培训", "030", 0, 30),
        ("rejected", "2026年第1期模板工（五级）培训", "050", -10, 20),
        ("enrolling", "2026年第5期钢筋工（四级）培训", "020", -5, 20),
        ("finished", "2026年第6期砌筑工（五级）培训", "010", -60, -30),
    ]
    for state, name, trade, start_offset, end_offset in specs:
        enroll_start = today + datetime.timedelta(days=start_offset)
        enroll_end = today + datetime.timedelta(days=max(end_offset, start_offset + 1) if state != "enrolling" else 10)
        plans[state] = plan_service.create_plan(institution.id, dict(
            name=name, trade_code=trade, skill_level="5" if "五级" in name else "4", training_type="initial",
            capacity=50, fee=1200, hours=64, enroll_start=enroll_start, enroll_end=enroll_end,
            train_start=enroll_end + datetime.timedelta(days=1), train_end=enroll_end + datetime.timedelta(days=20),
            location="杭州市西湖区文三路100号实训基地", contact_person="张老师", contact_phone="0571-88110001"), user=owner)
    for state, plan in plans.items():
        if state == "draft":
            continue
        review.move(plan, "submit", user=owner)
        if state in ("accepted", "rejected", "enrolling", "finished"):
            review.move(plan, "accept", user=reviewer)
        if state == "rejected":
            review.move(plan, "reject", user=reviewer, opinion="培训学时不足，请按大纲调整为不少于64学时")
        if state in ("enrolling", "finished"):
            review.move(plan, "approve", user=reviewer, opinion="同意")
    return plans


def _demo_enrollments(rng, now, plans, enterprises, ent_users, institution_user):
    """Workers of the two approved enterprises enrolled in the 报名中 and the finished plan; the finished plan's
    enrollments are paid, in class and have their attendance confirmed."""
    finished, enrolling = plans["finished"], plans["enrolling"]
    workers = [(key, _demo_worker(rng, enterprises[key], area, ent_users[key]))
               for key, count, area in (("xh", 12, "330106"), ("nb", 6, "330203")) for _ in range(count)]
    attendance = []
    for index, (key, worker) in enumerate(workers):
        plan = finished if index % 3 else enrolling
        enrollment = _demo_enroll(plan, enterprises[key], worker, ent_users[key])
        if plan is finished:
            attendance.append((enrollment, "SJ%06d" % index, 64 if index % 7 else 40, "合格" if index % 7 else "不合格"))
    _demo_class(finished, attendance, institution_user, now, enrolled=50, paid=40, opened=35, confirmed=25)


def _demo_enroll(plan, enterprise, worker, user):
    """培训报名 of one worker; a plan whose enrollment window is past is enrolled into as on its first day."""
    enrollment, = enrollment_service.enroll(plan.id, enterprise.id, [worker.id], user=user,
                                            today=max(plan.enroll_start, min(plan.enroll_end, datetime.date.today())))
    return enrollment


def _demo_class(plan, attendance, institution_user, now, *, enrolled, paid, opened, confirmed):
    """缴费, 开班, 考勤 and 考勤确认 of a plan as the institution does them, then dated that many days ago.

    `attendance`: (enrollment, receipt number, hours attended, 考勤结果) per enrollment of the class.
    """
    for enrollment, receipt_no, _hours, _result in attendance:
        enrollment_service.confirm_payment([enrollment], amount=plan.fee, paid_at=now - datetime.timedelta(days=paid),
                                           receipt_no=receipt_no, user=institution_user)
    enrollment_service.open_class(plan, user=institution_user)
    for enrollment, _receipt_no, hours, result in attendance:
        enrollment_service.record_attendance(enrollment, hours=hours, result=result, user=institution_user)
    enrollment_service.confirm_attendance(plan, user=institution_user)
    # The demo is written in one instant: the class opened and its attendance was confirmed weeks ago.
    plan.class_opened_at = now - datetime.timedelta(days=opened)
    plan.attendance_confirmed_at = now - datetime.timedelta(days=confirmed)
    for enrollment, *_rest in attendance:
        enrollment.enrolled_at = now - datetime.timedelta(days=enrolled)
        enrollment.attendance_confirmed_at = plan.attendance_confirmed_at
    db.session.commit()


def _demo_worker(rng, enterprise, area, user):
    """A new worker in the enterprise's roster, added as the enterprise would (学员管理)."""
    while True:
        id_number = make_id_number(rng, area)
        if not db.session.query(Worker.id).filter_by(id_number=id_number).first():
            break
    return worker_service.add_worker(enterprise.id, dict(
        id_number=id_number, name=rng.choice(SURNAMES) + rng.choice(GIVEN),
        mobile="13%d%08d" % (rng.randint(5, 9), rng.randint(0, 99999999)),
        education=rng.choice(["junior", "senior", "college"])), user=user)


def _demo_exam_plan(institution, finished, owner, now):
    """An exam plan submitted for the finished plan (examinees: those whose attendance is 合格), with a score
    report draft."""
    examiners = [s.id for s in exam_service.examiner_choices(institution.id, finished)][:3]
    exam = exam_service.create_exam_plan(institution.id, finished.id, dict(
        name="2026年第6期砌筑工（五级）考核", theory_start=now + datetime.timedelta(days=7, hours=1),
        theory_end=now + datetime.timedelta(days=7, hours=3), practical_start=now + datetime.timedelta(days=8),
        practical_end=now + datetime.timedelta(days=8, hours=4), site_address="杭州市西湖区文三路100号考点",
        rooms=2, seats_per_room=30, examiner_ids=examiners, removed={}), user=owner)
    score_service.report_of(exam, create=True)
    db.session.commit()
    review.move(exam, "submit", user=owner)


def _demo_ningbo_plans(institution, owner, reviewer, today):
    """宁波: one approved plan and one waiting for 受理."""
    for state, name in (("approved", "2026年第1期建筑电工（五级）培训"), ("submitted", "2026年第2期电焊工（五级）培训")):
        plan = plan_service.create_plan(institution.id, dict(
            name=name, trade_code="130" if "建筑电工" in name else "270", skill_level="5", training_type="initial",
            capacity=40, fee=1000, hours=56, enroll_start=today - datetime.timedelta(days=3),
            enroll_end=today + datetime.timedelta(days=20), train_start=today + datetime.timedelta(days=21),
            train_end=today + datetime.timedelta(days=40), location="宁波市海曙区实训中心", contact_person="李老师",
            contact_phone="0574-87001234"), user=owner)
        review.move(plan, "submit", user=owner)
        if state == "approved":
            review.move(plan, "accept", user=reviewer)
            review.move(plan, "approve", user=reviewer)


def approve_demo_exam_plan(reviewer):
    """受理 and 审核通过 the demo exam plan, so its examinees have 准考证号, rooms and seats (and documents)."""
    exam = db.session.query(ExamPlan).filter_by(name="2026年第6期砌筑工（五级）考核").first()
    if exam is None or exam.review_state not in ("submitted", "accepted"):
        return
    if exam.review_state == "submitted":
        review.move(exam, "accept", user=reviewer)
    review.move(exam, "approve", user=reviewer, opinion="同意")


def _spread_review_times(rng, now):
    """The demo was written in one instant: spread each document's moves over the past weeks."""
    from app.services.review import KINDS

    records = db.session.query(ReviewRecord).order_by(ReviewRecord.id).all()
    by_document = {}
    for record in records:
        by_document.setdefault((record.object_type, record.object_id), []).append(record)
    for (object_type, object_id), moves in by_document.items():
        at = now - datetime.timedelta(days=rng.randint(8, 25), hours=rng.randint(0, 12))
        stamps = {}
        for record in moves:
            record.at = min(at, now)
            stamps[{"submit": "submitted_at", "accept": "accepted_at"}.get(record.action, "reviewed_at")] = record.at
            at += datetime.timedelta(hours=rng.randint(3, 60), minutes=rng.randint(0, 59))
        document = db.session.get(KINDS[object_type].model, object_id)
        for column, value in stamps.items():
            if getattr(document, column) is not None:
                setattr(document, column, value)
    db.session.commit()


@transaction
def add_staff_roster(institution, rng, *, user):
    """A staff roster meeting the default rule for 砌筑工/钢筋工 (土建) and 电工/焊工 (安装), added one by one through
    institutions.add_staff by `user` (the department that set the institution up, or the institution); the verbs
    join this one transaction: a roster is written whole or not at all."""
    used = set()

    def person(category, **extra):
        first17 = None
        while first17 is None or first17 in used:  # one person per ID number within a category
            first17 = "%s19%02d0%d1%d%03d" % (institution.region_code, rng.randint(60, 90), rng.randint(1, 9),
                                              rng.randint(0, 2), rng.randint(1, 999))
        used.add(first17)
        institution_service.add_staff(institution.id, dict(
            name=rng.choice(SURNAMES) + rng.choice(GIVEN), id_number=first17 + id_check_char(first17),
            mobile="1390000%04d" % rng.randint(0, 9999), category=category, title="高级工程师",
            certificate_no="ZJ%08d" % rng.randint(0, 10 ** 8), **extra), user=user)
    for _ in range(2):
        person("safety")
    for trade in ("010", "020", "030", "050", "130", "270"):
        person("theory", trade_code=trade)
    for specialty in ("土建", "安装"):
        for _ in range(8):
            person("examiner", specialty=specialty)


# --- 企业资质文件 of the demo enterprises: small real PDF/PNG files a newcomer can open -----------------

_CJK_FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                   "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def demo_pdf(title, lines):
    """A one-page A4 PDF with Chinese text (ReportLab's built-in CID font STSong-Light, no font file needed)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    width, height = A4
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.setTitle(title)
    page.setStrokeColorRGB(0.75, 0.1, 0.1)
    page.rect(40, 40, width - 80, height - 80)
    page.setFont("STSong-Light", 26)
    page.drawCentredString(width / 2, height - 130, title)
    page.setFont("STSong-Light", 14)
    for index, line in enumerate(lines):
        page.drawString(90, height - 200 - index * 30, line)
    page.setFont("STSong-Light", 11)
    page.drawCentredString(width / 2, 70, "本文件为系统演示数据，不具有任何法律效力")
    page.showPage()
    page.save()
    return buffer.getvalue()


def demo_png(title, lines):
    """A small certificate-like PNG; lines are text or (Chinese, ASCII fallback) for machines without a CJK font."""
    import io
    import os

    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (900, 620), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 887, 607), outline=(170, 30, 30), width=6)
    draw.ellipse((660, 400, 840, 580), outline=(200, 30, 30), width=5)
    font_file = next((path for path in _CJK_FONT_FILES if os.path.exists(path)), None)

    def font(size):
        return ImageFont.truetype(font_file, size) if font_file else ImageFont.load_default(size=size)

    def pick(text):
        chinese, fallback = text if isinstance(text, tuple) else (text, None)
        return chinese if font_file else fallback

    draw.text((450, 70), pick((title, "QUALIFICATION CERTIFICATE (DEMO)")), fill=(140, 20, 20),
              font=font(40), anchor="mm")
    y = 150
    for line in lines:
        text = pick(line)
        if text:
            draw.text((70, y), text, fill="black", font=font(24))
            y += 50
    draw.text((750, 490), "DEMO", fill=(200, 30, 30), font=font(36), anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _demo_enterprise_documents(enterprise):
    """{document field: (file name, bytes)}: 企业承诺书, 营业执照 and 企业资质证书 made from the enterprise's data."""
    from app.services.dictionaries import label

    today = datetime.date.today().strftime("%Y年%m月%d日")
    return {
        "commitment_file": ("企业承诺书（演示）.pdf", demo_pdf("企业承诺书（演示）", [
            "本企业郑重承诺：在建筑技能工人培训管理系统中填报的企业信息",
            "及上传的营业执照、企业资质证书等材料真实、准确、有效，",
            "如有虚假，愿承担相应责任。",
            "", "企业名称：%s" % enterprise.name, "统一社会信用代码：%s" % enterprise.uscc,
            "法定代表人：%s" % (enterprise.legal_representative or ""), "日期：%s" % today])),
        "license_file": ("营业执照（演示）.pdf", demo_pdf("营业执照（演示）", [
            "统一社会信用代码：%s" % enterprise.uscc, "名称：%s" % enterprise.name, "类型：有限责任公司",
            "法定代表人：%s" % (enterprise.legal_representative or ""), "住所：%s" % (enterprise.address or ""),
            "经营范围：建设工程施工；建筑劳务分包"])),
        "qualification_file": ("企业资质证书（演示）.png", demo_png("企业资质证书（演示）", [
            "企业名称：%s" % enterprise.name,
            ("证书编号：%s" % (enterprise.qualification_cert_no or ""),
             "Certificate No.: %s" % (enterprise.qualification_cert_no or "")),
            ("统一社会信用代码：%s" % enterprise.uscc, "USCC: %s" % enterprise.uscc),
            "资质类别：%s %s" % (label("qualification_category", enterprise.qualification_category),
                             enterprise.qualification_grade or "")])),
    }


def _demo_enterprise_files(enterprise):
    """The three documents as the registration form uploads them."""
    import io

    from werkzeug.datastructures import FileStorage

    return {field: FileStorage(io.BytesIO(data), filename=filename)
            for field, (filename, data) in _demo_enterprise_documents(enterprise).items()}


def add_demo_enterprise_documents():
    """Give every enterprise that lacks them its 企业承诺书, 营业执照 and 企业资质证书 (idempotent)."""
    import io

    from werkzeug.datastructures import FileStorage

    from app.services.uploads import save_upload

    added = 0
    missing = db.session.query(Enterprise).filter(
        (Enterprise.commitment_file_id.is_(None)) | (Enterprise.license_file_id.is_(None))
        | (Enterprise.qualification_file_id.is_(None))).order_by(Enterprise.id).all()
    for enterprise in missing:
        owner = db.session.query(AppUser).filter_by(enterprise_id=enterprise.id).order_by(AppUser.id).first()
        documents = _demo_enterprise_documents(enterprise)
        for field, (filename, data) in documents.items():
            if getattr(enterprise, field + "_id") is not None:
                continue
            record = save_upload(FileStorage(io.BytesIO(data), filename=filename), owner_type="enterprise",
                                 owner_id=enterprise.id, purpose=field, user_id=owner.id if owner else None)
            setattr(enterprise, field + "_id", record.id)
            added += 1
    db.session.commit()
    return added


def add_demo_understaffed_institution():
    """An institution whose roster does NOT meet the staffing rule, so its detail page lists what is missing.

    杭州余杭建筑技能培训中心 (set up by 杭州): 1 安全生产知识培训师资, a 砌筑工 theory teacher, 3 土建 考评员,
    and a draft 钢筋工 plan — so it lacks a safety teacher, a 钢筋工 theory teacher and 5 土建 examiners.
    """
    department = db.session.query(Department).filter_by(region_code="330100").first()
    if department is None or db.session.query(Institution.id).filter_by(name="杭州余杭建筑技能培训中心").first():
        return
    rng = random.Random(330110)
    setter = db.session.query(AppUser).filter_by(department_id=department.id).order_by(AppUser.id).first()
    values = dict(name="杭州余杭建筑技能培训中心", uscc=make_uscc(100777), institution_type="social",
                  region_code="330110", address="杭州市余杭区临平大道88号", legal_representative="沈建平",
                  contact_person="教务科", contact_phone="0571-86120001")
    institution = institution_service.create_institution(values, _demo_license(values), user=setter)
    for category, extra in (("safety", {}), ("theory", {"trade_code": "010"}), ("examiner", {"specialty": "土建"}),
                            ("examiner", {"specialty": "土建"}), ("examiner", {"specialty": "土建"})):
        first17 = "33011019%02d0%d1%d%03d" % (rng.randint(60, 90), rng.randint(1, 9), rng.randint(0, 2),
                                               rng.randint(1, 999))
        institution_service.add_staff(institution.id, dict(
            name=rng.choice(SURNAMES) + rng.choice(GIVEN), id_number=first17 + id_check_char(first17),
            mobile="1378600%04d" % rng.randint(0, 9999), category=category, title="工程师", **extra), user=setter)
    today = datetime.date.today()
    # Written by hand: plans.create_plan refuses a 工种 the roster does not staff, which is what this shows.
    db.session.add(TrainingPlan(
        institution_id=institution.id, name="2026年第1期钢筋工（五级）培训", trade_code="020", skill_level="5",
        training_type="initial", capacity=40, fee=1000, hours=64, enroll_start=today + datetime.timedelta(days=5),
        enroll_end=today + datetime.timedelta(days=25), train_start=today + datetime.timedelta(days=26),
        train_end=today + datetime.timedelta(days=45), location="杭州市余杭区实训基地", contact_person="沈老师",
        contact_phone="0571-86120001", review_state="draft",
    ))
    db.session.commit()


def add_demo_enrollment_states(rng):
    """The 报名中 plan's enrollments in various states (paid, unpaid, cancelled), through the services,
    plus a few roster workers not yet enrolled, so 培训报名 and 报名管理 have something to show."""
    from sqlalchemy import select

    from app.services import enrollment as enrollment_service

    today = datetime.date.today()
    plan = db.session.execute(
        select(TrainingPlan).join(Enrollment, Enrollment.plan_id == TrainingPlan.id)
        .where(TrainingPlan.review_state == "approved", TrainingPlan.enroll_start <= today,
               TrainingPlan.enroll_end >= today, TrainingPlan.class_opened_at.is_(None))
        .order_by(TrainingPlan.id).limit(1)).scalar_one_or_none()
    if plan is None:
        return
    rows = db.session.execute(select(Enrollment).where(Enrollment.plan_id == plan.id, Enrollment.cancelled_at.is_(None),
                                                       Enrollment.paid_at.is_(None))
                              .order_by(Enrollment.id)).scalars().all()
    institution_user = db.session.execute(
        select(AppUser).where(AppUser.institution_id == plan.institution_id).order_by(AppUser.id).limit(1)).scalar()
    paid, cancelled = rows[:3], rows[3:4]
    if paid:
        enrollment_service.confirm_payment(paid, amount=plan.fee, receipt_no="SJ2026%04d" % plan.id,
                                           paid_at=datetime.datetime.now().replace(microsecond=0)
                                           - datetime.timedelta(days=1), user=institution_user)
    for enrollment in cancelled:
        enterprise_user = db.session.execute(select(AppUser).where(
            AppUser.enterprise_id == enrollment.enterprise_id).order_by(AppUser.id).limit(1)).scalar()
        enrollment_service.cancel(enrollment, reason="工地工期调整，改报下一期", user=enterprise_user)
    # unenrolled workers in each enterprise's roster (学员管理), ready for 培训报名
    enterprises = {e.enterprise_id for e in rows}
    for enterprise_id in sorted(enterprises):
        enterprise = db.session.get(Enterprise, enterprise_id)
        enterprise_user = db.session.execute(select(AppUser).where(
            AppUser.enterprise_id == enterprise.id).order_by(AppUser.id).limit(1)).scalar()
        for _ in range(3):
            _demo_worker(rng, enterprise, enterprise.region_code, enterprise_user)


DEMO_CERTIFICATE_EXAM = "2026年第3期钢筋工（五级）考核"


DEMO_SCORE_REPORTS = (
    # (培训计划, 考核计划, 工种, 成绩报审 moves, 审核意见)
    ("2026年第4期钢筋工（五级）培训", "2026年第4期钢筋工（五级）考核", "020", ("submit",), None),
    ("2026年第5期钢筋工（五级）培训", "2026年第5期钢筋工（五级）考核", "020", ("submit", "accept"), None),
    ("2026年第6期钢筋工（五级）培训", "2026年第6期钢筋工（五级）考核", "020", ("submit", "accept", "reject"),
     "第3行实操成绩与考评记录不符，请核对后重新导入并上报"),
)


def add_demo_certificates(institution, owner, reviewer, enterprise, enterprise_user):
    """Finished exam plans (钢筋工) with imported scores, one per 成绩报审 state; the approved one has
    generated, pulled certificates: pushed, failed to push, waiting and revoked, and 证书查询 on the login
    page finds them. Built through the services."""
    from app.models import CertificateJob
    from app.services import certificates as certificate_service
    from app.services import push as push_service
    from app.services.scores import report_of

    rng = random.Random(20261129)
    exam = _demo_scored_exam(institution, owner, reviewer, enterprise, enterprise_user, rng,
                             "2026年第3期钢筋工（五级）培训", DEMO_CERTIFICATE_EXAM, "020", days_ago=40)
    _demo_move(report_of(exam), ("submit", "accept", "approve"), owner, reviewer, "同意")
    # 生成证书 runs in the background in the product; the demo runs the same job body inline.
    job = CertificateJob(exam_plan_id=exam.id, status="pending", requested_by_id=reviewer.id)
    db.session.add(job)
    db.session.commit()
    certificate_service.run_job(job.id)
    certificate_service.pull(exam, user=reviewer)
    certificates = certificate_service.certificates_of(exam)
    push_service.process_outbox(adapter=_DemoNationalSystem({certificates[1].number}))  # one refused, kept for retry
    certificate_service.revoke(certificates[-1], "考评记录复核发现代考，撤销该证书", user=reviewer)
    for days, (plan_name, exam_name, trade, moves, opinion) in enumerate(DEMO_SCORE_REPORTS, start=1):
        other = _demo_scored_exam(institution, owner, reviewer, enterprise, enterprise_user, rng, plan_name,
                                  exam_name, trade, days_ago=40 - 5 * days)
        _demo_move(report_of(other), moves, owner, reviewer, opinion)
    return exam


class _DemoNationalSystem:
    """Stands in for the national system in the demo: refuses the given certificate numbers."""

    def __init__(self, refused):
        self.refused = refused

    def push(self, certificate):
        from app.services.push import LocalAdapter, PushResult

        if certificate.number in self.refused:
            return PushResult(False, "国家系统返回：身份证号与姓名不一致（错误码 E1021）")
        return LocalAdapter().push(certificate)


def _demo_move(document, moves, owner, reviewer, opinion):
    for action in moves:
        review.move(document, action, user=owner if action == "submit" else reviewer,
                    opinion=opinion if action in ("approve", "reject") else None)


def _demo_scored_exam(institution, owner, reviewer, enterprise, enterprise_user, rng, plan_name, exam_name, trade,
                      *, days_ago):
    """An approved training plan and exam plan, six examinees, scores imported from the filled template."""
    import io

    from openpyxl import load_workbook

    today = datetime.date.today()
    now = datetime.datetime.now().replace(microsecond=0)
    plan = plan_service.create_plan(institution.id, dict(
        name=plan_name, trade_code=trade, skill_level="5", training_type="initial", capacity=30, fee=1100, hours=64,
        enroll_start=today - datetime.timedelta(days=days_ago + 50), enroll_end=today - datetime.timedelta(days=days_ago + 30),
        train_start=today - datetime.timedelta(days=days_ago + 25), train_end=today - datetime.timedelta(days=days_ago),
        location="杭州市西湖区实训基地", contact_person="王老师", contact_phone="0571-87001234"), user=owner)
    _demo_move(plan, ("submit", "accept", "approve"), owner, reviewer, "同意")
    attendance = [(_demo_enroll(plan, enterprise, _demo_worker(rng, enterprise, "330106", enterprise_user),
                                enterprise_user), None, plan.hours, "合格") for _ in range(6)]
    _demo_class(plan, attendance, owner, now, enrolled=days_ago + 40, paid=days_ago + 30, opened=days_ago + 25,
                confirmed=days_ago)
    exam_day = now - datetime.timedelta(days=max(days_ago - 10, 1))
    examiners = [s.id for s in exam_service.examiner_choices(institution.id, plan)][:3]
    exam = exam_service.create_exam_plan(institution.id, plan.id, dict(
        name=exam_name, theory_start=exam_day - datetime.timedelta(hours=3),
        theory_end=exam_day - datetime.timedelta(hours=1), practical_start=exam_day + datetime.timedelta(days=1),
        practical_end=exam_day + datetime.timedelta(days=1, hours=4), site_address="杭州市西湖区文三路100号考点",
        rooms=1, seats_per_room=30, examiner_ids=examiners, removed={}), user=owner)
    _demo_move(exam, ("submit", "accept", "approve"), owner, reviewer, "同意")  # 审核通过 gives the 准考证号
    wb = load_workbook(io.BytesIO(score_service.build_template(exam)))
    ws = wb["成绩"]
    for row, (theory, practical, absent) in enumerate(
            [(86, 90, "否"), (78.5, 82, "否"), (55, 70, "否"), (None, None, "是"), (92, 88, "否"), (66, 61, "否")], start=2):
        ws.cell(row=row, column=4, value=theory)
        ws.cell(row=row, column=5, value=practical)
        ws.cell(row=row, column=6, value=absent)
    out = io.BytesIO()
    wb.save(out)
    score_service.import_scores(exam, out.getvalue(), "%s成绩.xlsx" % exam_name, user=owner)
    return exam
