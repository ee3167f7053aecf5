"""services.institutions: set-up, edits, 注销/恢复, staff and manager accounts — every rule, every refusal.

Each refused call is checked to leave the database exactly as it was (rows, 机构代码 sequence, 操作日志).
"""
import io
import json

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.demo import make_uscc
from app.extensions import db
from app.models import (
    AuditLog, Institution, InstitutionCodeSequence, Staff, SystemSetting, UploadedFile,
)
from app.models.user import AppUser
from app.security.scope import Scope
from app.services import ServiceError, accounts, review, staffing
from app.services import institutions as service
from tests import factories
from tests.factories import PASSWORD



def _valid_id(seed, area="330106"):
    import random

    from app.demo import make_id_number

    return make_id_number(random.Random(seed), area)


def pdf(name="营业执照.pdf", data=b"%PDF-1.4 licence"):
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/pdf")


def basic(**override):
    data = {"name": "杭州新设职业技能培训学校", "uscc": make_uscc(5550001), "institution_type": "social_exam",
            "region_code": "330106", "address": "杭州市西湖区文一路1号", "legal_representative": "王建国",
            "contact_person": "李老师", "contact_phone": "0571-88886666"}
    data.update(override)
    return data


def state():
    """Everything a refused call must leave untouched."""
    db.session.rollback()
    return {
        "institutions": [tuple(row) for row in db.session.execute(select(
            Institution.id, Institution.code, Institution.name, Institution.uscc, Institution.institution_type,
            Institution.region_code, Institution.contact_person, Institution.contact_phone, Institution.address,
            Institution.status, Institution.cancel_reason, Institution.license_file_id).order_by(Institution.id))],
        "staff": [tuple(row) for row in db.session.execute(select(
            Staff.id, Staff.name, Staff.id_number, Staff.mobile, Staff.category, Staff.trade_code, Staff.specialty)
            .order_by(Staff.id))],
        "users": [tuple(row) for row in db.session.execute(select(
            AppUser.id, AppUser.username, AppUser.password, AppUser.active).order_by(AppUser.id))],
        "files": db.session.execute(select(func.count(UploadedFile.id))).scalar(),
        "audit": db.session.execute(select(func.count(AuditLog.id))).scalar(),
        "sequences": [tuple(row) for row in db.session.execute(select(
            InstitutionCodeSequence.prefix, InstitutionCodeSequence.last_serial).order_by(InstitutionCodeSequence.prefix))],
    }


def refused(call, *args, message, field=None, **kwargs):
    before = state()
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    assert message in caught.value.message, caught.value.message
    if field is not None:
        assert caught.value.field == field
    assert state() == before, "a refused call changed the database"
    return caught.value


def last_log(action):
    db.session.expire_all()
    return db.session.execute(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id.desc())
                              .limit(1)).scalar_one()


# --- 培训机构新增 ------------------------------------------------------------------------------------

def test_department_creates_institution_with_generated_code_licence_and_log(personas):
    p = personas
    institution = service.create_institution(basic(), pdf(), user=p.city)
    db.session.expire_all()
    institution = db.session.get(Institution, institution.id)
    assert institution.code == "3301002"  # inst_a took 3301001
    assert institution.department_id == p.city_dept.id and institution.status == "active"
    assert institution.license_file.original_name == "营业执照.pdf"
    assert institution.license_file.owner_type == "institution" and institution.license_file.owner_id == institution.id
    log = last_log("add")
    assert log.object_type == "institution" and log.object_id == institution.id and log.user_id == p.city.id
    assert json.loads(log.changes)["code"] == [None, "3301002"]
    assert json.loads(log.changes)["name"] == [None, "杭州新设职业技能培训学校"]


def test_code_hint_and_rule_come_from_the_setting(personas):
    assert service.institution_code_hint() == \
        "机构代码由系统按规则生成：33 + 城市序号(01–11) + 3位流水号，全省唯一，例如 3301001"
    db.session.merge(SystemSetting(key="institution_code_rule", value="ZJ{city:02d}{serial:04d}"))
    db.session.commit()
    assert "ZJ + 城市序号(01–11) + 4位流水号" in service.institution_code_hint()
    institution = service.create_institution(basic(region_code="330203"), pdf(), user=personas.other_city)
    assert institution.code == "ZJ020001"


@pytest.mark.parametrize("override, file, message, field", [
    ({"uscc": "91330106MA2ABCDE1X"}, True, "统一社会信用代码", "uscc"),
    ({"uscc": ""}, True, "请填写统一社会信用代码", "uscc"),
    ({"region_code": "330203"}, True, "不在本部门辖区内", "region_code"),  # 宁波: outside 杭州
    ({"region_code": "330100"}, True, "不在本部门辖区内", "region_code"),  # a city, not a county
    ({"region_code": "999999"}, True, "不在本部门辖区内", "region_code"),
    ({"institution_type": "bogus"}, True, "机构类型", "institution_type"),
    ({"name": "  "}, True, "请填写机构名称", "name"),
    ({"name": "校" * 201}, True, "不能超过200个字", "name"),
    ({"contact_phone": "12345"}, True, "联系电话", "contact_phone"),
    ({"contact_person": ""}, True, "请填写联系人", "contact_person"),
    ({"code": "3301999"}, True, "机构代码由系统按规则生成", "code"),
    ({}, None, "请上传营业执照", "license_file"),
    ({}, "exe", "不是有效的PDF、JPG或PNG文件", "license_file"),
], ids=["uscc-checksum", "uscc-empty", "region-other-city", "region-city-level", "region-unknown", "type",
        "name-empty", "name-long", "phone", "contact", "forged-code", "no-licence", "licence-not-pdf"])
def test_bad_set_up_input_changes_nothing(personas, override, file, message, field):
    upload = {True: pdf(), None: None, "exe": pdf("营业执照.pdf", b"MZ\x90\x00 not a pdf")}[file]
    refused(service.create_institution, basic(**override), upload, user=personas.city, message=message, field=field)


def test_uscc_must_be_unique_among_institutions(personas):
    refused(service.create_institution, basic(uscc=personas.inst_b.uscc), pdf(), user=personas.city,
            message="已被其他培训机构使用", field="uscc")


def test_a_failed_upload_does_not_use_up_a_code(personas):
    refused(service.create_institution, basic(), pdf("x.pdf", b""), user=personas.city, message="空文件")
    assert service.create_institution(basic(), pdf(), user=personas.city).code == "3301002"


def test_county_department_creates_only_in_its_county(personas):
    p = personas
    refused(service.create_institution, basic(region_code="330105"), pdf(), user=p.county,
            message="不在本部门辖区内", field="region_code")
    institution = service.create_institution(basic(), pdf(), user=p.county)
    assert institution.region_code == "330106" and institution.department_id == p.county_dept.id


@pytest.mark.parametrize("who", ["inst_a_user", "ent_a_user", "admin"])
def test_only_departments_set_institutions_up(personas, who):
    refused(service.create_institution, basic(), pdf(), user=getattr(personas, who), message="只有主管部门可以新增培训机构")


# --- basic data ----------------------------------------------------------------------------------

def test_setting_up_department_edits_everything_but_the_code(personas):
    p = personas
    code = p.inst_a.code
    service.update_institution(p.inst_a.id, basic(name="杭州建工职业技能培训学院", region_code="330105"), pdf("新执照.png",
                               b"\x89PNG\r\n\x1a\n...."), user=p.city)
    db.session.expire_all()
    institution = db.session.get(Institution, p.inst_a.id)
    assert institution.name == "杭州建工职业技能培训学院" and institution.region_code == "330105"
    assert institution.code == code and institution.license_file.original_name == "新执照.png"
    changes = json.loads(last_log("edit").changes)
    assert changes["name"] == ["杭州建工职业技能培训学校", "杭州建工职业技能培训学院"]
    assert changes["region_code"] == ["330106", "330105"] and "license_file_id" in changes
    refused(service.update_institution, p.inst_a.id, {"code": "3301999"}, user=p.city,
            message="机构代码由系统按规则生成")
    refused(service.update_institution, p.inst_a.id, {"uscc": p.inst_b.uscc}, user=p.city,
            message="已被其他培训机构使用", field="uscc")


def test_institution_changes_only_its_contact_details(personas):
    p = personas
    service.update_institution(p.inst_a.id, {"contact_person": "赵老师", "contact_phone": "13900001111",
                                             "address": "杭州市西湖区新地址"}, user=p.inst_a_user)
    db.session.expire_all()
    institution = db.session.get(Institution, p.inst_a.id)
    assert (institution.contact_person, institution.contact_phone, institution.address) == \
        ("赵老师", "13900001111", "杭州市西湖区新地址")
    assert last_log("edit").user_id == p.inst_a_user.id
    for key, value in (("name", "改名"), ("uscc", make_uscc(777)), ("institution_type", "social"),
                       ("region_code", "330105"), ("code", "3301999")):
        refused(service.update_institution, p.inst_a.id, {key: value}, user=p.inst_a_user,
                message="由" if key != "code" else "机构代码", field=key)
    refused(service.update_institution, p.inst_a.id, {"contact_person": "x"}, pdf(), user=p.inst_a_user,
            message="营业执照由主管部门上传")
    refused(service.update_institution, p.inst_a.id, {"contact_phone": "abc"}, user=p.inst_a_user,
            message="联系电话", field="contact_phone")


@pytest.mark.parametrize("who, message", [
    ("county", "只有设立该培训机构的主管部门"),  # sees inst_a (西湖区) but did not set it up
    ("province", "只有设立该培训机构的主管部门"),  # supervises, does not act
    ("other_city", "不存在或不在您的管辖范围内"),
    ("inst_b_user", "不存在或不在您的管辖范围内"),
])
def test_others_cannot_edit_basic_data(personas, who, message):
    refused(service.update_institution, personas.inst_a.id, {"name": "越权修改"}, user=getattr(personas, who),
            message=message)


# --- 注销 / 恢复 --------------------------------------------------------------------------------------

def test_cancel_needs_a_reason_and_the_setting_up_department(personas):
    p = personas
    refused(service.cancel_institution, p.inst_a.id, "  ", user=p.city, message="请填写注销原因", field="reason")
    for who in (p.county, p.province, p.inst_a_user):
        refused(service.cancel_institution, p.inst_a.id, "违规", user=who, message="只有设立该培训机构的主管部门")
    refused(service.cancel_institution, p.inst_a.id, "违规", user=p.other_city, message="不在您的管辖范围内")


def test_cancelled_institution_cannot_log_in_submit_or_change_but_stays_visible(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, state="draft")
    approved = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city)
    exam = factories.exam_plan(approved, state="draft")
    scored = factories.exam_plan(factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user,
                                                         reviewer=p.city), state="approved", owner=p.inst_a_user,
                                 reviewer=p.city)
    report = factories.score_report(scored, state="draft")  # scores imported: only 注销 stands in its way
    service.cancel_institution(p.inst_a.id, "考核过程中存在代考行为", user=p.city)
    db.session.expire_all()
    institution = db.session.get(Institution, p.inst_a.id)
    assert institution.status == "cancelled" and institution.cancel_reason == "考核过程中存在代考行为"
    assert institution.cancelled_by_id == p.city.id and institution.cancelled_at is not None
    log = last_log("cancel_institution")
    assert log.object_id == p.inst_a.id and "考核过程中存在代考行为" in log.detail and log.user_id == p.city.id
    # its users cannot log in, with the clear message
    with pytest.raises(ServiceError) as caught:
        accounts.authenticate(p.inst_a_user.username, PASSWORD, "institution")
    assert caught.value.message == "所属培训机构已注销，不能登录系统"
    # nothing can be submitted any more
    for document in (plan, exam, report):
        with pytest.raises(ServiceError) as caught:
            review.move(db.session.get(type(document), document.id), "submit", user=p.inst_a_user)
        assert "培训机构已注销" in caught.value.message
    # nothing of it changes (staff, data, accounts) until restored
    refused(service.add_staff, p.inst_a.id, _staff("safety"), user=p.city, message="已注销")
    refused(service.update_institution, p.inst_a.id, {"contact_person": "x"}, user=p.city, message="已注销")
    refused(service.create_manager_account, p.inst_a.id, "new_mgr", "新管理员", "Passw0rd9", user=p.city,
            message="已注销")
    refused(service.cancel_institution, p.inst_a.id, "再次", user=p.city, message="已注销")
    # its records stay visible to departments
    for department in (p.city, p.county, p.province):
        scope = Scope.for_user(department)
        assert scope.can_see(db.session, institution) and scope.can_see(db.session, plan)


def test_restore_by_the_setting_up_department_only(personas):
    p = personas
    service.cancel_institution(p.inst_a.id, "违规办班", user=p.city)
    for who in (p.county, p.province):
        refused(service.restore_institution, p.inst_a.id, user=who, message="只有设立该培训机构的主管部门")
    service.restore_institution(p.inst_a.id, "整改完成", user=p.city)
    db.session.expire_all()
    institution = db.session.get(Institution, p.inst_a.id)
    assert institution.status == "active" and institution.cancel_reason is None
    log = last_log("restore_institution")
    assert "违规办班" in log.detail and "整改完成" in log.detail
    assert accounts.authenticate(p.inst_a_user.username, PASSWORD, "institution").id == p.inst_a_user.id
    refused(service.restore_institution, p.inst_a.id, user=p.city, message="未注销")


# --- 师资及考评员 -------------------------------------------------------------------------------------

def _staff(category, seed=1, **override):
    data = {"name": "测试教师", "id_number": _valid_id(seed), "mobile": "13912345678", "category": category,
            "trade_code": "010" if category == "theory" else None,
            "specialty": "土建" if category == "examiner" else None, "title": "工程师", "certificate_no": "C001"}
    data.update(override)
    return data


def test_department_and_institution_add_edit_remove_staff(personas):
    p = personas
    teacher = service.add_staff(p.inst_a.id, _staff("theory", 11, trade_code="020"), user=p.city)
    examiner = service.add_staff(p.inst_a.id, _staff("examiner", 12), user=p.inst_a_user)
    safety = service.add_staff(p.inst_a.id, _staff("safety", 13, trade_code="010", specialty="土建"), user=p.city)
    assert (teacher.trade_code, examiner.specialty) == ("020", "土建")
    assert safety.trade_code is None and safety.specialty is None  # only theory/examiner carry them
    assert last_log("add").object_type == "staff"
    service.update_staff(teacher.id, _staff("theory", 11, trade_code="030", name="改名教师"), user=p.inst_a_user)
    db.session.expire_all()
    assert db.session.get(Staff, teacher.id).trade_code == "030"
    assert json.loads(last_log("edit").changes)["trade_code"] == ["020", "030"]
    service.remove_staff(examiner.id, user=p.city)
    assert db.session.get(Staff, examiner.id) is None and last_log("delete").object_id == examiner.id
    # the same person may hold two categories, but not one twice
    service.add_staff(p.inst_a.id, _staff("examiner", 11), user=p.city)
    refused(service.add_staff, p.inst_a.id, _staff("theory", 11, trade_code="050"), user=p.city,
            message="已登记为本机构的“职业理论知识培训师资”", field="id_number")


@pytest.mark.parametrize("data, message, field", [
    (_staff("theory", trade_code=None), "职业理论知识培训师资须选择工种", "trade_code"),
    (_staff("examiner", specialty=None), "考评员须选择专业", "specialty"),
    (_staff("theory", trade_code="999"), "所选工种不存在或已停用", "trade_code"),
    (_staff("examiner", specialty="不存在的专业"), "所选专业不存在或已停用", "specialty"),
    (_staff("safety", id_number="330106198001011234"), "身份证号校验位错误", "id_number"),
    (_staff("safety", id_number="33010619800101"), "身份证号应为18位", "id_number"),
    (_staff("safety", id_number=""), "请填写身份证号", "id_number"),
    (_staff("safety", mobile="12345678901"), "手机号格式不正确", "mobile"),
    (_staff("safety", mobile=""), "请填写手机号", "mobile"),
    (_staff("director"), "请选择人员类别", "category"),
    (_staff("safety", name=" "), "请填写姓名", "name"),
    (dict(_staff("safety"), institution_secret="x"), "不能填写", None),
], ids=["theory-no-trade", "examiner-no-specialty", "unknown-trade", "unknown-specialty", "id-checksum", "id-short",
        "id-empty", "mobile", "mobile-empty", "category", "name", "forged-key"])
def test_bad_staff_input_changes_nothing(personas, data, message, field):
    refused(service.add_staff, personas.inst_a.id, data, user=personas.city, message=message, field=field)


def test_bad_staff_edit_changes_nothing(personas):
    p = personas
    teacher = service.add_staff(p.inst_a.id, _staff("theory", 21), user=p.city)
    refused(service.update_staff, teacher.id, _staff("theory", 21, trade_code=""), user=p.city,
            message="须选择工种", field="trade_code")
    refused(service.update_staff, teacher.id, _staff("examiner", 21, specialty=None), user=p.city,
            message="须选择专业", field="specialty")


KEEPERS_ONLY = "只有设立该培训机构的主管部门或该培训机构本身"
UNSEEN_STAFF = "师资及考评员记录不存在或不在您的管辖范围内"


@pytest.mark.parametrize("who, on_add, on_staff", [
    ("county", KEEPERS_ONLY, KEEPERS_ONLY),  # sees inst_a (西湖区) but did not set it up
    ("province", KEEPERS_ONLY, KEEPERS_ONLY),  # supervises, does not act
    ("other_city", "培训机构不存在或不在您的管辖范围内", UNSEEN_STAFF),
    ("inst_b_user", "培训机构不存在或不在您的管辖范围内", UNSEEN_STAFF),
    ("ent_a_user", KEEPERS_ONLY, UNSEEN_STAFF),  # enterprises see active institutions, never their staff
])
def test_only_the_setting_up_department_and_the_institution_keep_staff(personas, who, on_add, on_staff):
    p = personas
    user = getattr(p, who)
    existing = db.session.execute(select(Staff).where(Staff.institution_id == p.inst_a.id).limit(1)).scalar_one()
    refused(service.add_staff, p.inst_a.id, _staff("safety", 31), user=user, message=on_add)
    refused(service.update_staff, existing.id, _staff("safety", 31), user=user, message=on_staff)
    refused(service.remove_staff, existing.id, user=user, message=on_staff)


def test_examiner_chosen_for_an_exam_plan_cannot_be_removed(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city)
    examiner = factories.exam_plan(plan).examiners[0]  # chosen when the exam plan was made
    refused(service.remove_staff, examiner.id, user=p.city, message="已被考核计划")


def test_staffing_summary_lists_exactly_what_the_rule_misses(personas):
    p = personas
    bare, _user = factories.institution("杭州缺员培训中心", "330105", p.city_dept, "bare_user", staffed=False)
    # A plan of a roster that no longer staffs its 工种: 新增培训计划 refuses one for the bare roster itself.
    factories.training_plan(p.inst_a, trade="020").institution_id = bare.id
    db.session.commit()
    service.add_staff(bare.id, _staff("safety", 41), user=p.city)
    service.add_staff(bare.id, _staff("examiner", 42), user=p.city)
    summary = service.staffing_summary(bare.id)
    assert not summary["meets"]
    assert summary["gaps"] == staffing.gaps(bare.id)
    assert summary["gaps"] == ["安全生产知识培训师资不少于2人，现有1人",
                               "工种“钢筋工”的职业理论知识培训师资不少于1人，现有0人",
                               "专业“土建”的考评员不少于8人，现有1人"]
    assert summary["trades"] == ["钢筋工"]
    assert ("safety", "安全生产知识培训师资", 1) in summary["categories"]
    assert summary["examiners"] == [("土建", 1)]
    full = service.staffing_summary(p.inst_a.id)
    assert full["meets"] and full["gaps"] == []
    assert ("examiner", "考评员", 16) in full["categories"] and ("土建", 8) in full["examiners"]


# --- 管理人员账号 -------------------------------------------------------------------------------------

def test_setting_up_department_creates_disables_and_resets_manager_accounts(personas):
    p = personas
    account = service.create_manager_account(p.inst_a.id, "hz_manager2", "第二管理员", "Manager2026",
                                             "Manager2026", user=p.city)
    assert account.account_type == "institution" and account.institution_id == p.inst_a.id
    assert [role.name for role in account.roles] == ["Institution"]
    assert last_log("create_manager_account").object_id == account.id
    assert accounts.authenticate("hz_manager2", "Manager2026", "institution").id == account.id
    service.set_manager_active(account.id, False, user=p.city)
    assert last_log("disable_user").object_id == account.id
    with pytest.raises(ServiceError) as caught:
        accounts.authenticate("hz_manager2", "Manager2026", "institution")
    assert "已停用" in caught.value.message
    service.set_manager_active(account.id, True, user=p.city)
    service.reset_manager_password(account.id, "NewPass2027", "NewPass2027", user=p.city)
    assert last_log("reset_password").object_id == account.id
    with pytest.raises(ServiceError):
        accounts.authenticate("hz_manager2", "Manager2026", "institution")
    assert accounts.authenticate("hz_manager2", "NewPass2027", "institution").id == account.id


@pytest.mark.parametrize("username, name, password, confirm, message, field", [
    ("hz_weak", "管理员", "short1", "short1", "密码至少8位", "password"),
    ("hz_weak", "管理员", "lettersonly", "lettersonly", "密码至少8位", "password"),
    ("hz_weak", "管理员", "Manager2026", "Manager2027", "两次输入的密码不一致", "confirm_password"),
    ("inst_b", "管理员", "Manager2026", "Manager2026", "已存在", "username"),
    ("", "管理员", "Manager2026", "Manager2026", "请填写用户名", "username"),
    ("hz_noname", " ", "Manager2026", "Manager2026", "请填写姓名", "first_name"),
], ids=["short", "no-digit", "confirm", "duplicate", "no-username", "no-name"])
def test_bad_account_input_changes_nothing(personas, username, name, password, confirm, message, field):
    refused(service.create_manager_account, personas.inst_a.id, username, name, password, confirm,
            user=personas.city, message=message, field=field)


def test_only_the_setting_up_department_manages_accounts(personas):
    p = personas
    for who, message in ((p.county, "只有设立该培训机构的主管部门"), (p.province, "只有设立该培训机构的主管部门"),
                         (p.other_city, "不在您的管辖范围内"), (p.inst_a_user, "只有设立该培训机构的主管部门")):
        refused(service.create_manager_account, p.inst_a.id, "x_mgr", "越权", "Manager2026", user=who,
                message=message)
        refused(service.set_manager_active, p.inst_a_user.id, False, user=who, message="只有设立该培训机构的主管部门")
        refused(service.reset_manager_password, p.inst_a_user.id, "Manager2026", user=who,
                message="只有设立该培训机构的主管部门")
    # a department colleague's account, or an enterprise's, is no manager account
    for account in (p.county, p.ent_a_user):
        refused(service.reset_manager_password, account.id, "Manager2026", user=p.city, message="不是培训机构管理人员账号")
    refused(service.reset_manager_password, p.inst_a_user.id, "weak", user=p.city, message="密码至少8位")


def test_accounts_of_a_cancelled_institution_may_be_disabled_but_not_enabled_or_reset(personas):
    p = personas
    service.cancel_institution(p.inst_a.id, "违规", user=p.city)
    service.set_manager_active(p.inst_a_user.id, False, user=p.city)
    refused(service.set_manager_active, p.inst_a_user.id, True, user=p.city, message="已注销")
    refused(service.reset_manager_password, p.inst_a_user.id, "Manager2026", "Manager2026", user=p.city,
            message="已注销")
