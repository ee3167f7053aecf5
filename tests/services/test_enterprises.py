"""企业注册, 修改资料 and 重新上报, and require_approved (app.services.enterprises), against the review engine and scope.

The helpers at the top (registration data, real small PDF/PNG files, the store counter) are also used
by the HTTP and browser tests of the enterprise issue.
"""
import io
import itertools
import os

import pytest
from flask import current_app
from werkzeug.datastructures import FileStorage

from app.demo import demo_pdf, demo_png, make_uscc
from app.extensions import db
from app.models import AuditLog, Enterprise, ReviewRecord, SystemSetting, UploadedFile
from app.models.user import AppUser
from app.security.scope import Scope
from app.services import ServiceError, enterprises, review
from app.validators import uscc_check_char

_serial = itertools.count(1)
PDF = demo_pdf("营业执照（测试）", ["名称：测试建设有限公司"])
PNG = demo_png("企业资质证书（测试）", ["测试"])


def new_uscc():
    return make_uscc(900000 + next(_serial) * 17)


def bad_checksum(uscc):
    """The same code with a wrong check character."""
    right = uscc_check_char(uscc[:17])
    return uscc[:17] + ("1" if right != "1" else "2")


def enterprise_data(**changes):
    data = {
        "name": "杭州测试建设有限公司", "uscc": new_uscc(), "region_code": "330106", "address": "杭州市西湖区文三路1号",
        "legal_representative": "张建国", "contact_person": "李经理", "contact_mobile": "13812345678",
        "qualification_category": "general", "qualification_grade": "二级", "qualification_cert_no": "D233012345",
    }
    data.update(changes)
    return data


def upload(data=PDF, filename="营业执照.pdf"):
    return FileStorage(io.BytesIO(data), filename=filename)


def documents(**changes):
    files = {"commitment_file": upload(PDF, "企业承诺书.pdf"), "license_file": upload(PDF, "营业执照.pdf"),
             "qualification_file": upload(PNG, "企业资质证书.png")}
    files.update(changes)
    return files


def account(**changes):
    values = {"username": "reg%d" % next(_serial), "password": "Qiye2026a", "confirm_password": "Qiye2026a"}
    values.update(changes)
    return values


def register(data=None, files=None, **account_changes):
    return enterprises.register_enterprise(data or enterprise_data(), files if files is not None else documents(),
                                           **account(**account_changes))


def stored_files():
    folder = current_app.config["UPLOAD_FOLDER"]
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()


def store_snapshot():
    """What a refused operation must not change: rows of the tables it writes, and files on disk."""
    return {
        "enterprise": db.session.query(Enterprise).count(),
        "ab_user": db.session.query(AppUser).count(),
        "uploaded_file": db.session.query(UploadedFile).count(),
        "review_record": db.session.query(ReviewRecord).count(),
        "files": stored_files(),
    }


def set_upload_limit(megabytes):
    db.session.merge(SystemSetting(key="upload_max_mb", value=str(megabytes), description="上传文件大小上限（MB）"))
    db.session.commit()


# --- registration --------------------------------------------------------------------------------

def test_registration_creates_enterprise_account_documents_and_submits_in_one_go(personas):
    before = store_snapshot()
    data = enterprise_data(uscc=new_uscc().lower(), contact_mobile=" 13912345678 ")
    enterprise, user = register(data, username="xh_new")

    db.session.expire_all()
    enterprise = db.session.get(Enterprise, enterprise.id)
    assert enterprise.uscc == data["uscc"].upper() and enterprise.contact_mobile == "13912345678"
    assert enterprise.review_state == "submitted" and enterprise.submitted_at is not None
    user = db.session.get(AppUser, user.id)
    assert (user.username, user.account_type, user.enterprise_id) == ("xh_new", "enterprise", enterprise.id)
    assert [role.name for role in user.roles] == ["Enterprise"]
    files = {field: db.session.get(UploadedFile, getattr(enterprise, field + "_id")) for field in enterprises.DOCUMENTS}
    assert {f: r.original_name for f, r in files.items()} == {
        "commitment_file": "企业承诺书.pdf", "license_file": "营业执照.pdf", "qualification_file": "企业资质证书.png"}
    for field, row in files.items():
        assert (row.owner_type, row.owner_id, row.purpose, row.uploaded_by_id) == ("enterprise", enterprise.id, field,
                                                                                   user.id)
    assert files["qualification_file"].content_type == "image/png"
    after = store_snapshot()
    assert after["files"] - before["files"] == {row.stored_name for row in files.values()}
    with open(os.path.join(current_app.config["UPLOAD_FOLDER"], files["license_file"].stored_name), "rb") as handle:
        assert handle.read() == PDF
    records = db.session.query(ReviewRecord).filter_by(object_type="enterprise", object_id=enterprise.id).all()
    assert [(r.action, r.from_state, r.to_state, r.actor_id) for r in records] == [("submit", "draft", "submitted",
                                                                                     user.id)]
    assert db.session.query(AuditLog).filter_by(action="register_enterprise", object_id=enterprise.id).count() == 1


def _field_and_message(call):
    with pytest.raises(enterprises.EnterpriseInputError) as refused:
        call()
    return refused.value.errors


BAD_INPUTS = {
    "uscc_checksum": (lambda p: dict(data=enterprise_data(uscc=bad_checksum(new_uscc()))), "uscc", "校验位错误"),
    "uscc_taken": (lambda p: dict(data=enterprise_data(uscc=p.ent_a.uscc)), "uscc", "已注册"),
    "uscc_missing": (lambda p: dict(data=enterprise_data(uscc="")), "uscc", "请填写统一社会信用代码"),
    "name_missing": (lambda p: dict(data=enterprise_data(name="  ")), "name", "请填写企业名称"),
    "mobile": (lambda p: dict(data=enterprise_data(contact_mobile="1234567890")), "contact_mobile", "手机号格式不正确"),
    "region_is_a_city": (lambda p: dict(data=enterprise_data(region_code="330100")), "region_code", "请选择企业所在的区县"),
    "region_unknown": (lambda p: dict(data=enterprise_data(region_code="999999")), "region_code", "请选择企业所在的区县"),
    "category_unknown": (lambda p: dict(data=enterprise_data(qualification_category="nope")), "qualification_category",
                         "不存在或已停用"),
    "name_too_long": (lambda p: dict(data=enterprise_data(name="建" * 201)), "name", "不能超过200个字"),
    "password_policy": (lambda p: dict(password="abcdefgh", confirm_password="abcdefgh"), "password", "密码至少8位"),
    "passwords_differ": (lambda p: dict(confirm_password="Qiye2026b"), "confirm_password", "两次输入的密码不一致"),
    "username_taken": (lambda p: dict(username="ent_a"), "username", "已存在"),
    "username_chars": (lambda p: dict(username="企业 1"), "username", "用户名应为"),
    "file_missing": (lambda p: dict(files=documents(license_file=None)), "license_file", "请上传营业执照"),
    "file_no_name": (lambda p: dict(files=documents(license_file=FileStorage(io.BytesIO(b""), filename=""))),
                     "license_file", "请上传营业执照"),
    "renamed_exe": (lambda p: dict(files=documents(license_file=upload(b"MZ\x90\x00" + b"\x00" * 200, "营业执照.pdf"))),
                    "license_file", "不是有效的PDF、JPG或PNG文件"),
    "exe_extension": (lambda p: dict(files=documents(commitment_file=upload(PDF, "setup.exe"))), "commitment_file",
                      "不是有效的PDF、JPG或PNG文件"),
    "empty_file": (lambda p: dict(files=documents(qualification_file=upload(b"", "资质证书.png"))), "qualification_file",
                   "是空文件"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_each_bad_input_is_refused_next_to_its_field_and_changes_nothing(personas, case):
    make, field, message = BAD_INPUTS[case]
    arguments = make(personas)
    before = store_snapshot()
    errors = _field_and_message(lambda: register(**arguments))
    assert field in errors and message in errors[field], errors
    assert store_snapshot() == before


def test_file_over_the_size_limit_setting_is_refused_and_changes_nothing(personas):
    set_upload_limit(1)
    big = PDF + b"\x00" * (1024 * 1024)
    before = store_snapshot()
    errors = _field_and_message(lambda: register(files=documents(license_file=upload(big, "营业执照.pdf"))))
    assert "超过1MB" in errors["license_file"]
    assert store_snapshot() == before
    set_upload_limit(10)
    register(files=documents(license_file=upload(big, "营业执照.pdf")))  # the setting, not a constant, decided


def test_all_problems_are_reported_together(personas):
    errors = _field_and_message(lambda: register(
        enterprise_data(uscc=bad_checksum(new_uscc()), contact_mobile="1"), documents(license_file=None),
        confirm_password="other1234"))
    assert set(errors) == {"uscc", "contact_mobile", "license_file", "confirm_password"}
    assert enterprises.registration_errors(
        enterprise_data(contact_mobile="1"), documents(), **account()) == {"contact_mobile": errors["contact_mobile"]}


def test_failure_while_storing_removes_the_files_already_written(personas, monkeypatch):
    calls = []
    real_save = enterprises.save_upload

    def failing_third(*args, **kwargs):
        calls.append(kwargs["purpose"])
        if len(calls) == 3:
            raise OSError("disk full")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(enterprises, "save_upload", failing_third)
    before = store_snapshot()
    with pytest.raises(OSError):
        register()
    assert len(calls) == 3 and store_snapshot() == before


def test_failure_of_the_submit_move_rolls_everything_back(personas, monkeypatch):
    def refuse(*args, **kwargs):
        raise ServiceError("上报被拒绝")

    monkeypatch.setattr(review, "move", refuse)
    before = store_snapshot()
    with pytest.raises(ServiceError, match="上报被拒绝"):
        register()
    assert store_snapshot() == before


def test_concurrent_registration_of_the_same_uscc_gets_the_field_message(personas, monkeypatch):
    """The other registration commits between our check and our insert: the unique constraint decides."""
    data = enterprise_data()
    real_clean = enterprises._clean_enterprise
    raced = []

    def clean_then_race(values, enterprise=None):
        result = real_clean(values, enterprise)
        if not raced:
            raced.append(True)
            db.session.add(Enterprise(name="抢先注册的企业", uscc=data["uscc"], region_code="330106"))
            db.session.commit()
        return result

    monkeypatch.setattr(enterprises, "_clean_enterprise", clean_then_race)
    before = store_snapshot()
    errors = _field_and_message(lambda: register(data))
    assert "已注册" in errors["uscc"]
    after = store_snapshot()
    assert after["enterprise"] == before["enterprise"] + 1  # only the winner
    assert (after["ab_user"], after["uploaded_file"], after["files"]) == (before["ab_user"], before["uploaded_file"],
                                                                          before["files"])


# --- who reviews (SPEC §3) -----------------------------------------------------------------------

def test_county_department_reviews_its_county_and_city_only_watches(personas):
    p = personas
    enterprise, _user = register(enterprise_data(region_code="330106"))
    assert enterprises.reviewing_department(enterprise).id == p.county_dept.id
    with pytest.raises(ServiceError, match="无权"):
        review.move(enterprise, "approve", user=p.city)
    with pytest.raises(ServiceError, match="无权"):
        review.move(enterprise, "approve", user=p.province)
    review.move(enterprise, "approve", user=p.county)
    assert db.session.get(Enterprise, enterprise.id).review_state == "approved"


def test_city_department_reviews_counties_without_their_own_department(personas):
    p = personas
    enterprise, _user = register(enterprise_data(region_code="330110"))  # 余杭: no department of its own
    assert enterprises.reviewing_department(enterprise).id == p.city_dept.id
    county_scope = Scope.for_user(p.county)
    assert not county_scope.can_see(db.session, enterprise)
    with pytest.raises(ServiceError, match="无权"):
        review.move(enterprise, "reject", user=p.county, opinion="x")
    review.move(enterprise, "reject", user=p.city, opinion="资质证书已过期")
    enterprise = db.session.get(Enterprise, enterprise.id)
    assert (enterprise.review_state, enterprise.review_opinion) == ("rejected", "资质证书已过期")
    actions = [r.action for r in db.session.query(ReviewRecord).filter_by(object_type="enterprise",
                                                                          object_id=enterprise.id).order_by(ReviewRecord.id)]
    assert actions == ["submit", "accept", "reject"]  # 受理 is implicit, and recorded


def test_an_enterprise_sees_only_itself_and_its_own_documents(personas):
    p = personas
    enterprise, user = register()
    scope = Scope.for_user(user)
    assert scope.can_see(db.session, enterprise) and not scope.can_see(db.session, p.ent_a)
    own = db.session.get(UploadedFile, enterprise.license_file_id)
    assert scope.can_see(db.session, own)
    assert not Scope.for_user(p.ent_a_user).can_see(db.session, own)
    assert not Scope.for_user(p.other_city).can_see(db.session, own)
    assert Scope.for_user(p.county).can_see(db.session, own)


# --- correction and resubmission -----------------------------------------------------------------

def _rejected(personas, **data):
    enterprise, user = register(enterprise_data(**data))
    review.move(enterprise, "reject", user=personas.county, opinion="营业执照与企业名称不一致")
    return db.session.get(Enterprise, enterprise.id), user


def test_rejected_enterprise_corrects_data_replaces_a_document_and_resubmits(personas):
    p = personas
    enterprise, user = _rejected(p)
    old_license = enterprise.license_file_id
    old_commitment = enterprise.commitment_file_id
    new_uscc_value = new_uscc()
    before = store_snapshot()
    enterprises.update_enterprise(
        enterprise, enterprise_data(name="杭州测试建设集团有限公司", uscc=new_uscc_value, region_code="330106"),
        {"license_file": upload(PNG, "营业执照（新）.png")}, user=user)
    db.session.expire_all()
    enterprise = db.session.get(Enterprise, enterprise.id)
    assert (enterprise.name, enterprise.uscc, enterprise.review_state) == ("杭州测试建设集团有限公司", new_uscc_value,
                                                                           "rejected")
    assert enterprise.license_file_id != old_license and enterprise.commitment_file_id == old_commitment
    new_file = db.session.get(UploadedFile, enterprise.license_file_id)
    assert (new_file.original_name, new_file.purpose, new_file.owner_id) == ("营业执照（新）.png", "license_file",
                                                                             enterprise.id)
    assert db.session.get(UploadedFile, old_license) is not None  # what was reviewed before stays
    after = store_snapshot()
    assert after["uploaded_file"] == before["uploaded_file"] + 1 and after["files"] - before["files"] == {
        new_file.stored_name}
    edit = db.session.query(AuditLog).filter_by(action="edit", object_type="enterprise",
                                                object_id=enterprise.id).one()
    assert "杭州测试建设集团有限公司" in edit.changes and "license_file" in edit.changes

    enterprises.update_enterprise(enterprise, enterprise_data(name=enterprise.name, uscc=enterprise.uscc), {},
                                  user=user, submit=True)
    enterprise = db.session.get(Enterprise, enterprise.id)
    assert enterprise.review_state == "submitted" and enterprise.review_opinion is None
    review.move(enterprise, "approve", user=p.county)
    assert db.session.get(Enterprise, enterprise.id).review_state == "approved"


def test_moving_to_another_county_moves_the_review_to_its_department(personas):
    p = personas
    enterprise, user = _rejected(p)
    enterprises.update_enterprise(enterprise, enterprise_data(uscc=enterprise.uscc, region_code="330110"), {},
                                  user=user, submit=True)
    with pytest.raises(ServiceError, match="无权"):
        review.move(enterprise, "approve", user=p.county)
    review.move(enterprise, "approve", user=p.city)


@pytest.mark.parametrize("case", ["uscc_of_another", "bad_mobile", "renamed_exe", "empty_file", "region_is_a_city"])
def test_bad_correction_changes_nothing(personas, case):
    p = personas
    enterprise, user = _rejected(p)
    data = enterprise_data(name="改过的名称", uscc=enterprise.uscc)
    files = {}
    field = {"uscc_of_another": "uscc", "bad_mobile": "contact_mobile", "renamed_exe": "license_file",
             "empty_file": "commitment_file", "region_is_a_city": "region_code"}[case]
    if case == "uscc_of_another":
        data["uscc"] = p.ent_b.uscc
    elif case == "bad_mobile":
        data["contact_mobile"] = "23812345678"
    elif case == "renamed_exe":
        files["license_file"] = upload(b"MZ" + b"\x00" * 64, "营业执照.png")
    elif case == "empty_file":
        files["commitment_file"] = upload(b"", "企业承诺书.pdf")
    else:
        data["region_code"] = "330100"
    before = store_snapshot()
    version = enterprise.review_version
    with pytest.raises(enterprises.EnterpriseInputError) as refused:
        enterprises.update_enterprise(enterprise, data, files, user=user, submit=True)
    assert field in refused.value.errors
    db.session.expire_all()
    enterprise = db.session.get(Enterprise, enterprise.id)
    assert (enterprise.name, enterprise.review_state, enterprise.review_version) == ("杭州测试建设有限公司", "rejected",
                                                                                     version)
    assert store_snapshot() == before


def test_failure_while_storing_a_replacement_leaves_nothing_behind(personas, monkeypatch):
    enterprise, user = _rejected(personas)

    def broken_move(*args, **kwargs):
        raise ServiceError("上报失败")

    monkeypatch.setattr(review, "move", broken_move)
    before = store_snapshot()
    with pytest.raises(ServiceError):
        enterprises.update_enterprise(enterprise, enterprise_data(name="新名称", uscc=enterprise.uscc),
                                      {"license_file": upload(PDF, "新执照.pdf")}, user=user, submit=True)
    assert store_snapshot() == before
    db.session.expire_all()
    assert db.session.get(Enterprise, enterprise.id).name == "杭州测试建设有限公司"


@pytest.mark.parametrize("state", ["submitted", "accepted", "approved"])
def test_data_cannot_be_changed_while_under_review_or_approved(personas, state):
    p = personas
    enterprise, user = register()
    if state == "accepted":
        review.move(enterprise, "accept", user=p.county)
    elif state == "approved":
        review.move(enterprise, "approve", user=p.county)
    with pytest.raises(ServiceError, match="不能修改企业资料"):
        enterprises.update_enterprise(enterprise, enterprise_data(uscc=enterprise.uscc, name="改名"), {}, user=user)
    assert not enterprises.editable(enterprise)


def test_withdrawn_registration_is_editable_again(personas):
    enterprise, user = register()
    review.move(enterprise, "withdraw", user=user)
    assert enterprises.editable(db.session.get(Enterprise, enterprise.id))
    enterprises.update_enterprise(enterprise, enterprise_data(uscc=enterprise.uscc, name="撤回后改名"), {}, user=user,
                                  submit=True)
    assert db.session.get(Enterprise, enterprise.id).review_state == "submitted"


def test_a_missing_document_must_be_uploaded_at_correction(personas):
    enterprise, user = _rejected(personas)
    enterprise.qualification_file_id = None
    db.session.commit()
    with pytest.raises(enterprises.EnterpriseInputError) as refused:
        enterprises.update_enterprise(enterprise, enterprise_data(uscc=enterprise.uscc), {}, user=user)
    assert refused.value.errors == {"qualification_file": "请上传企业资质证书"}


# --- only 审核通过 enterprises enroll -------------------------------------------------------------

def test_require_approved_passes_only_approved_enterprises(personas):
    p = personas
    enterprises.require_approved(p.ent_a)  # approved by the county in the personas
    enterprise, user = register()
    with pytest.raises(ServiceError, match=r"企业资质尚未审核通过，不能报名（当前状态：未受理）"):
        enterprises.require_approved(enterprise)
    review.move(enterprise, "accept", user=p.county)
    with pytest.raises(ServiceError, match="当前状态：已受理"):
        enterprises.require_approved(enterprise)
    review.move(enterprise, "reject", user=p.county, opinion="资质证书模糊")
    with pytest.raises(ServiceError) as refused:
        enterprises.require_approved(enterprise)
    assert "当前状态：审核不通过" in refused.value.message and "资质证书模糊" in refused.value.message
    enterprises.update_enterprise(enterprise, enterprise_data(uscc=enterprise.uscc), {}, user=user, submit=True)
    review.move(enterprise, "approve", user=p.county)
    enterprises.require_approved(enterprise)
    with pytest.raises(ServiceError, match="未找到所属企业"):
        enterprises.require_approved(None)


def test_draft_enterprise_is_told_to_submit(personas):
    enterprise, user = register()
    review.move(enterprise, "withdraw", user=user)
    with pytest.raises(ServiceError, match="当前状态：未上报.*上报企业资质"):
        enterprises.require_approved(enterprise)


def test_county_choices_are_grouped_by_city(ctx):
    groups = dict(enterprises.county_groups())
    assert len(groups) == 11 and sum(len(v) for v in groups.values()) == 90
    assert ("330106", "西湖区") in groups["杭州市"] and ("330203", "海曙区") in groups["宁波市"]
    assert all(code[:4] == counties[0][0][:4] for counties in groups.values() for code, _name in counties)


# --- demo data ------------------------------------------------------------------------------------

def test_demo_enterprises_have_their_three_documents_and_reloading_adds_none(ctx):
    import pypdf

    from app.demo import add_demo_enterprise_documents, load_demo

    load_demo()
    demo = db.session.query(Enterprise).order_by(Enterprise.id).all()
    assert len(demo) >= 6
    folder = current_app.config["UPLOAD_FOLDER"]
    for enterprise in demo:
        for field, _label, row in enterprises.documents_of(enterprise):
            assert row is not None and (row.owner_type, row.owner_id, row.purpose) == ("enterprise", enterprise.id,
                                                                                        field)
            with open(os.path.join(folder, row.stored_name), "rb") as handle:
                data = handle.read()
            assert len(data) == row.size and data.startswith((b"%PDF-", b"\x89PNG\r\n\x1a\n"))
    license_row = enterprises.documents_of(demo[0])[1][2]
    assert license_row.original_name == "营业执照（演示）.pdf"
    text = pypdf.PdfReader(os.path.join(folder, license_row.stored_name)).pages[0].extract_text()
    assert "营业执照（演示）" in text and demo[0].name in text and demo[0].uscc in text
    before = store_snapshot()
    assert add_demo_enterprise_documents() == 0 and load_demo() == "demo data already present"
    assert store_snapshot() == before
