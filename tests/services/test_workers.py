"""学员管理 (app.services.workers): add by 身份证号, refusals, 转入本企业, all-or-nothing xlsx import."""
import io

import pytest
from openpyxl import Workbook, load_workbook
from werkzeug.datastructures import FileStorage

from app.demo import make_id_number
from app.extensions import db
from app.models import AuditLog, Worker
from app.services import ServiceError, review
from app.services import workers as worker_service
from app.services.workers import WorkerElsewhere, WorkerInvalid
from app.validators import id_check_char
from tests import factories

ID_A = "330106199001011234"[:17]
ID_A = ID_A + id_check_char(ID_A)  # male (17th digit 3), born 1990-01-01
ID_B = "33010619920202002"
ID_B = ID_B + id_check_char(ID_B)  # female


def data(id_number=ID_A, name="张三", mobile="13900001111", education="senior"):
    return {"id_number": id_number, "name": name, "mobile": mobile, "education": education}


def xlsx(rows, headers=None):
    book = Workbook()
    sheet = book.active
    sheet.append(headers or worker_service.TEMPLATE_HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(content, filename="学员.xlsx"):
    return FileStorage(stream=io.BytesIO(content), filename=filename)


def test_add_derives_gender_and_birth_date_and_logs(personas):
    worker = worker_service.add_worker(personas.ent_a.id, data(), user=personas.ent_a_user)
    assert (worker.gender, str(worker.birth_date), worker.enterprise_id) == ("男", "1990-01-01", personas.ent_a.id)
    assert db.session.query(AuditLog).filter_by(object_type="worker", action="add").count() == 1


def test_add_refusals_have_chinese_field_messages(personas):
    with pytest.raises(WorkerInvalid) as refused:
        worker_service.add_worker(personas.ent_a.id, data(id_number=ID_A[:17] + "0", name="", mobile="123",
                                                          education="博士后"))
    errors = refused.value.errors
    assert errors["id_number"] == "身份证号校验位错误"
    assert errors["name"] == "请填写姓名"
    assert "手机号格式不正确" in errors["mobile"]
    assert "学历“博士后”不存在或已停用" in errors["education"]
    assert db.session.query(Worker).count() == 0


def test_education_by_label_is_accepted(personas):
    worker = worker_service.add_worker(personas.ent_a.id, data(education="大专"))
    assert worker.education == "college"


def test_unapproved_enterprise_cannot_keep_a_roster(personas):
    ent, _user = factories.enterprise("未审核建设有限公司", "330106", "ent_pending")
    with pytest.raises(ServiceError) as refused:
        worker_service.add_worker(ent.id, data())
    assert "企业资质尚未审核通过" in refused.value.message


def test_duplicate_in_own_roster_and_other_enterprise_is_masked(personas):
    worker_service.add_worker(personas.ent_a.id, data())
    with pytest.raises(ServiceError) as refused:
        worker_service.add_worker(personas.ent_a.id, data())
    assert "已在本企业学员名单中" in refused.value.message
    with pytest.raises(WorkerElsewhere) as elsewhere:
        worker_service.add_worker(personas.ent_b.id, data(name="张三丰"))
    message = elsewhere.value.message
    assert "杭州" in message and personas.ent_a.name not in message and "转入本企业" in message
    assert ID_A not in message and ID_A[:6] + "********" + ID_A[-4:] in message
    assert db.session.get(Worker, elsewhere.value.worker_id).enterprise_id == personas.ent_a.id


def test_transfer_moves_worker_and_writes_audit_log(personas):
    worker = worker_service.add_worker(personas.ent_a.id, data())
    worker_service.transfer_worker(personas.ent_b.id, ID_A, user=personas.ent_b_user)
    db.session.expire_all()
    assert db.session.get(Worker, worker.id).enterprise_id == personas.ent_b.id
    log = db.session.query(AuditLog).filter_by(action="transfer").one()
    assert "转入本企业" in log.detail and personas.ent_a.name in log.detail
    with pytest.raises(ServiceError, match="已在本企业学员名单中"):
        worker_service.transfer_worker(personas.ent_b.id, ID_A)


def test_update_keeps_id_number_and_syncs_nothing_else(personas):
    worker = worker_service.add_worker(personas.ent_a.id, data())
    changes = worker_service.update_worker(worker, {"name": "张三三", "mobile": "13700001111",
                                                    "id_number": ID_B, "education": "junior"})
    assert set(changes) == {"name", "mobile", "education"}
    assert worker.id_number == ID_A


def test_photo_must_be_an_image(personas):
    bad = FileStorage(stream=io.BytesIO(b"MZ not an image"), filename="photo.jpg")
    with pytest.raises(WorkerInvalid) as refused:
        worker_service.add_worker(personas.ent_a.id, data(), photo=bad)
    assert "不是有效的PDF、JPG或PNG文件" in refused.value.errors["photo"]
    assert db.session.query(Worker).count() == 0
    good = FileStorage(stream=io.BytesIO(b"\x89PNG\r\n\x1a\nrest"), filename="照片.png")
    worker = worker_service.add_worker(personas.ent_a.id, data(), photo=good)
    assert worker_service.photo_of(worker).original_name == "照片.png"


def test_template_and_good_import(personas):
    book = load_workbook(io.BytesIO(worker_service.template_workbook()))
    assert [c.value for c in book.worksheets[0][1]] == worker_service.TEMPLATE_HEADERS
    result = worker_service.import_workers(personas.ent_a.id, upload(xlsx([
        [ID_A, "张三", "13900001111", "高中/中专"], [ID_B, "李四", "13900002222", "college"]])))
    assert result.ok and result.created == 2
    assert db.session.query(Worker).filter_by(enterprise_id=personas.ent_a.id).count() == 2


def test_bad_import_writes_nothing_and_reports_every_error(personas):
    worker_service.add_worker(personas.ent_b.id, data(id_number=ID_B, name="李四"))
    good = make_id_number(__import__("random").Random(5))
    result = worker_service.import_workers(personas.ent_a.id, upload(xlsx([
        [good, "王五", "13900003333", "大专"],
        [ID_A[:17] + "0", "", "139", "博士后"],
        [good, "王五", "13900003333", "大专"],
        [ID_B, "李四", "13900002222", "大专"],
    ])))
    assert not result.ok and result.created == 0
    errors = {(row, column) for row, column, _reason in result.errors}
    assert {(3, "身份证号"), (3, "姓名"), (3, "手机号"), (3, "学历"), (4, "身份证号"), (5, "身份证号")} == errors
    reasons = " ".join(reason for _r, _c, reason in result.errors)
    assert "与第2行的身份证号重复" in reasons and "宁波" in reasons and "转入本企业" in reasons
    assert db.session.query(Worker).filter_by(enterprise_id=personas.ent_a.id).count() == 0
    marked = load_workbook(io.BytesIO(result.workbook)).worksheets[0]
    assert marked.cell(row=1, column=5).value == "错误信息"
    assert "身份证号校验位错误" in marked.cell(row=3, column=5).value
    assert marked.cell(row=2, column=5).value is None
    # the marked workbook is kept for its importer alone
    token = worker_service.keep_import_errors(result, personas.ent_a_user.id)
    with open(worker_service.import_errors_workbook(token, personas.ent_a_user.id), "rb") as kept:
        assert kept.read() == result.workbook
    for user_id, forged in ((personas.ent_b_user.id, token), (personas.ent_a_user.id, token.split("-")[1]),
                            (personas.ent_a_user.id, "../" + token)):
        assert worker_service.import_errors_workbook(forged, user_id) is None


@pytest.mark.parametrize("content, filename, message", [
    (b"%PDF-1.4", "学员.pdf", "文件类型错误：这是 PDF 文件"),
    (b"not a zip", "学员.xlsx", "文件类型错误"),
    (b"", "学员.xlsx", "文件为空"),
    ("headers", "学员.xlsx", "表头不正确"),
    ("empty", "学员.xlsx", "没有学员数据"),
])
def test_file_level_refusals(personas, content, filename, message):
    if content == "headers":
        content = xlsx([[ID_A, "张三", "13900001111", "大专"]], headers=["姓名", "身份证号", "手机", "学历"])
    elif content == "empty":
        content = xlsx([])
    with pytest.raises(ServiceError) as refused:
        worker_service.import_workers(personas.ent_a.id, upload(content, filename))
    assert message in refused.value.message


def test_too_many_rows_uses_the_setting(personas):
    from app.models import SystemSetting

    assert db.session.get(SystemSetting, worker_service.IMPORT_MAX_ROWS).value == "2000"  # seeded default
    db.session.get(SystemSetting, worker_service.IMPORT_MAX_ROWS).value = "1"
    db.session.commit()
    with pytest.raises(ServiceError, match="行数超过上限 1 行"):
        worker_service.import_workers(personas.ent_a.id, upload(xlsx([
            [ID_A, "张三", "13900001111", "大专"], [ID_B, "李四", "13900002222", "大专"]])))


def test_delete_refused_once_enrolled(personas):
    from app.services import enrollment as enrollment_service

    worker = worker_service.add_worker(personas.ent_a.id, data())
    plan = factories.training_plan(personas.inst_a, state="approved", owner=personas.inst_a_user,
                                   reviewer=personas.city)
    enrollment_service.enroll(plan.id, personas.ent_a.id, [worker.id])
    with pytest.raises(ServiceError, match="已有报名记录"):
        worker_service.delete_worker(worker)
    other = worker_service.add_worker(personas.ent_a.id, data(id_number=ID_B, name="李四"))
    worker_service.delete_worker(other)
    assert db.session.get(Worker, other.id) is None
    assert review  # imported for the factories' review moves
