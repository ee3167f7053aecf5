"""学员管理, 培训报名 and 报名管理 over HTTP as the personas: forms, import, each step, forged ids (404)."""
import io
import random

import pytest
from openpyxl import Workbook, load_workbook

from app.demo import make_id_number
from app.extensions import db
from app.models import AuditLog, Enrollment, TrainingPlan, Worker
from app.services import enrollment as enrollment_service
from app.services import workers as worker_service
from tests import factories

ROSTER, ENROLL, MANAGE = "/workerview", "/enrollplan", "/enrollmanage"
_rng = random.Random(77)


def new_id(area="330106"):
    while True:
        number = make_id_number(_rng, area=area)
        if worker_service.find_by_id_number(number) is None:
            return number


def add_worker(enterprise, name="学员"):
    return worker_service.add_worker(enterprise.id, {"id_number": new_id(enterprise.region_code), "name": name,
                                                     "mobile": "13900001111", "education": "senior"})


@pytest.fixture
def plan(personas):
    return factories.training_plan(personas.inst_a, name="西湖钢筋工报名中计划", state="approved",
                                   owner=personas.inst_a_user, reviewer=personas.city)


def xlsx(rows):
    book = Workbook()
    book.active.append(worker_service.TEMPLATE_HEADERS)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_enterprise_adds_worker_and_sees_field_errors(personas, login):
    ent = login(personas.ent_a_user)
    page = ent.get(ROSTER + "/add").text
    for text in ("新增学员", "身份证号", "姓名", "手机号", "学历", "照片", "高中/中专"):
        assert text in page
    bad = ent.post(ROSTER + "/add", data={"id_number": "330106199001011230", "name": "张三", "mobile": "12",
                                          "education": "senior"}).text
    assert "身份证号校验位错误" in bad and "手机号格式不正确" in bad
    number = new_id()
    done = ent.post(ROSTER + "/add", data={"id_number": number, "name": "张三", "mobile": "13900001111",
                                           "education": "senior"}, follow_redirects=True).text
    assert "已新增学员“张三”" in done and number[:6] + "********" + number[-4:] in done
    assert number not in done  # masked in the list
    db.session.expire_all()
    assert db.session.query(Worker).filter_by(id_number=number).one().enterprise_id == personas.ent_a.id


def test_worker_of_another_enterprise_is_offered_transfer(personas, login):
    worker = add_worker(personas.ent_a, "李四")
    ent_b = login(personas.ent_b_user)
    page = ent_b.post(ROSTER + "/add", data={"id_number": worker.id_number, "name": "李四", "mobile": "13900001111",
                                             "education": "senior"}).text
    assert 'id="btn-transfer"' in page and "转入本企业" in page and personas.ent_a.name not in page
    # ent_b cannot see ent_a's worker by id before the move
    assert ent_b.get(ROSTER + "/show/%d" % worker.id).status_code == 404
    moved = ent_b.post(ROSTER + "/transfer", data={"id_number": worker.id_number}, follow_redirects=True).text
    assert "已将学员“李四”转入本企业" in moved
    db.session.expire_all()
    assert db.session.get(Worker, worker.id).enterprise_id == personas.ent_b.id
    assert db.session.query(AuditLog).filter_by(action="transfer", object_id=worker.id).count() == 1


def test_import_template_errors_and_success(personas, login):
    ent = login(personas.ent_a_user)
    template = ent.get(ROSTER + "/template")
    assert template.status_code == 200
    assert [c.value for c in load_workbook(io.BytesIO(template.data)).worksheets[0][1]] == ["身份证号", "姓名", "手机号", "学历"]
    good = new_id()
    page = ent.post(ROSTER + "/import", data={"file": (io.BytesIO(xlsx([[good, "王五", "13900001111", "大专"],
                                                                         ["123", "", "13900001111", "大专"]])), "学员.xlsx")},
                    content_type="multipart/form-data").text
    assert "未导入任何数据" in page and "第3行" in page and "身份证号应为18位" in page and "请填写姓名" in page
    db.session.expire_all()
    assert db.session.query(Worker).count() == 0
    link = page.split('id="link-import-errors" href="')[1].split('"')[0]
    marked = load_workbook(io.BytesIO(ent.get(link).data)).worksheets[0]
    assert marked.cell(row=1, column=5).value == "错误信息"
    assert login(personas.ent_b_user).get(link).status_code == 404  # another account's error file
    wrong = ent.post(ROSTER + "/import", data={"file": (io.BytesIO(b"%PDF-1.4"), "学员.pdf")},
                     content_type="multipart/form-data").text
    assert "文件类型错误" in wrong
    ok = ent.post(ROSTER + "/import", data={"file": (io.BytesIO(xlsx([[good, "王五", "13900001111", "大专"]])), "学员.xlsx")},
                  content_type="multipart/form-data", follow_redirects=True).text
    assert "导入成功：新增学员1人" in ok


def test_enroll_and_cancel_screens(personas, login, plan):
    worker = add_worker(personas.ent_a, "赵六")
    factories.training_plan(personas.inst_a, name="未审核的计划")
    ent = login(personas.ent_a_user)
    listing = ent.get(ENROLL + "/list/").text
    assert "西湖钢筋工报名中计划" in listing and "未审核的计划" not in listing
    page = ent.get(ENROLL + "/show/%d" % plan.id).text
    assert "赵六" in page and "剩余名额" in page
    done = ent.post(ENROLL + "/enroll/%d" % plan.id, data={"worker_id": [str(worker.id)]}, follow_redirects=True).text
    assert "报名成功：1人" in done and "待缴费" in done
    again = ent.post(ENROLL + "/enroll/%d" % plan.id, data={"worker_id": [str(worker.id)]}, follow_redirects=True).text
    assert "不能重复报名" in again
    enrollment = db.session.query(Enrollment).one()
    cancel_url = ENROLL + "/cancel/%d" % plan.id
    assert "请填写取消报名的原因" in ent.post(cancel_url, data={"enrollment_id": enrollment.id, "reason": ""},
                                            follow_redirects=True).text
    # forged ids: another enterprise cannot cancel it, nor enroll ent_a's worker
    ent_b = login(personas.ent_b_user)
    assert ent_b.post(cancel_url, data={"enrollment_id": enrollment.id, "reason": "x"}).status_code == 404
    forged = ent_b.post(ENROLL + "/enroll/%d" % plan.id, data={"worker_id": [str(worker.id)]}, follow_redirects=True).text
    assert "不在本企业学员名单中" in forged
    cancelled = ent.post(cancel_url, data={"enrollment_id": enrollment.id, "reason": "工地赶工"},
                         follow_redirects=True).text
    assert "已取消报名" in cancelled and "工地赶工" in cancelled


def test_unapproved_enterprise_is_told_why(personas, login, plan):
    ent, user = factories.enterprise("未审核建设有限公司", "330106", "ent_pending")
    page = login(user).post(ENROLL + "/enroll/%d" % plan.id, data={"worker_id": ["1"]}, follow_redirects=True).text
    assert "企业资质尚未审核通过，不能报名" in page


def test_institution_pays_opens_class_confirms_attendance_department_reopens(personas, login, plan):
    workers = [add_worker(personas.ent_a, name) for name in ("甲", "乙")]
    first, second = enrollment_service.enroll(plan.id, personas.ent_a.id, [w.id for w in workers])
    inst = login(personas.inst_a_user)
    assert "西湖钢筋工报名中计划" in inst.get(MANAGE + "/list/").text
    page = inst.get(MANAGE + "/show/%d" % plan.id).text
    assert "甲" in page and "确认缴费" in page and "开班" in page
    paid = inst.post(MANAGE + "/pay/%d" % plan.id, data={"rowid": [str(first.id)], "amount": "800",
                                                         "paid_at": "2026-11-20 10:00", "receipt_no": "R-1"},
                     follow_redirects=True).text
    assert "已确认缴费：1人" in paid and "R-1" in paid
    opened = inst.post(MANAGE + "/open/%d" % plan.id, follow_redirects=True).text
    assert "已开班：1人" in opened
    missing = inst.post(MANAGE + "/attendance/%d" % plan.id, data={"confirm": "1"}, follow_redirects=True).text
    assert "尚未录入考勤结果" in missing
    confirmed = inst.post(MANAGE + "/attendance/%d" % plan.id, data={"hours_%d" % first.id: "60",
                                                                     "result_%d" % first.id: "合格", "confirm": "1"},
                          follow_redirects=True).text
    assert "已确认考勤，合格1人" in confirmed and 'id="attendance-locked"' in confirmed
    locked = inst.post(MANAGE + "/attendance/%d" % plan.id, data={"hours_%d" % first.id: "1",
                                                                  "result_%d" % first.id: "不合格"},
                       follow_redirects=True).text
    assert "考勤已确认，不能修改" in locked
    db.session.expire_all()
    assert db.session.get(Enrollment, first.id).attendance_result == "合格"
    # other institution: 404 on the plan and its enrollees
    inst_b = login(personas.inst_b_user)
    assert inst_b.get(MANAGE + "/show/%d" % plan.id).status_code == 404
    assert inst_b.post(MANAGE + "/pay/%d" % plan.id, data={"rowid": [str(second.id)], "amount": "1"}).status_code == 404
    # the department that set the institution up reopens it; another department cannot
    assert "只有设立该培训机构的主管部门" not in login(personas.province).get(MANAGE + "/show/%d" % plan.id).text
    assert login(personas.other_city).get(MANAGE + "/show/%d" % plan.id).status_code == 404
    city = login(personas.city)
    assert 'id="btn-reopen"' in city.get(MANAGE + "/show/%d" % plan.id).text
    assert city.post(MANAGE + "/pay/%d" % plan.id, data={"rowid": [str(second.id)], "amount": "1"}).status_code in (302, 403)
    reopened = city.post(MANAGE + "/reopen/%d" % plan.id, data={"reason": "学时录错"}, follow_redirects=True).text
    assert "已退回考勤" in reopened
    db.session.expire_all()
    assert db.session.get(TrainingPlan, plan.id).attendance_confirmed_at is None
    assert db.session.get(Enrollment, second.id).paid_at is None


def test_enterprise_cannot_reach_institution_operations(personas, login, plan):
    ent = login(personas.ent_a_user)
    assert ent.get(MANAGE + "/list/").status_code in (302, 403)
    assert ent.post(MANAGE + "/open/%d" % plan.id).status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(TrainingPlan, plan.id).class_opened_at is None


def test_delete_worker_only_without_enrollments_and_only_own(personas, login, plan):
    enrolled, free = add_worker(personas.ent_a, "已报名"), add_worker(personas.ent_a, "未报名")
    enrollment_service.enroll(plan.id, personas.ent_a.id, [enrolled.id])
    free_id, enrolled_id = free.id, enrolled.id
    assert login(personas.ent_b_user).post(ROSTER + "/delete/%d" % free.id).status_code == 404
    ent = login(personas.ent_a_user)
    assert "该学员已有报名记录，不能删除" in ent.post(ROSTER + "/delete/%d" % enrolled.id, follow_redirects=True).text
    assert "已删除学员“未报名”" in ent.post(ROSTER + "/delete/%d" % free.id, follow_redirects=True).text
    db.session.expire_all()
    assert db.session.get(Worker, free_id) is None and db.session.get(Worker, enrolled_id) is not None


def test_edit_worker_keeps_id_number(personas, login):
    worker = add_worker(personas.ent_a, "改名前")
    worker_id, number = worker.id, worker.id_number
    ent = login(personas.ent_a_user)
    assert "改名前" in ent.get(ROSTER + "/edit/%d" % worker_id).text
    bad = ent.post(ROSTER + "/edit/%d" % worker_id, data={"name": "改名后", "mobile": "1", "education": "college"}).text
    assert "手机号格式不正确" in bad
    done = ent.post(ROSTER + "/edit/%d" % worker_id, data={"name": "改名后", "mobile": "13800001111",
                                                           "education": "college", "id_number": "X"},
                    follow_redirects=True).text
    assert "已保存修改" in done
    db.session.expire_all()
    saved = db.session.get(Worker, worker_id)
    assert (saved.name, saved.mobile, saved.education, saved.id_number) == ("改名后", "13800001111", "college", number)
    assert login(personas.ent_b_user).get(ROSTER + "/edit/%d" % worker_id).status_code == 404
