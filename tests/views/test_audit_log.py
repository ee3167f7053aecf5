"""操作日志: who changed what with before/after, written by FAB's forms, readable by 系统管理员 only."""
import json
import re

import pytest

from app.extensions import db
from app.models import AuditLog, Department
from app.services import audit


def _rows(action, object_type=None):
    db.session.expire_all()
    query = db.session.query(AuditLog).filter_by(action=action)
    if object_type:
        query = query.filter_by(object_type=object_type)
    return query.order_by(AuditLog.id).all()


def _department_form(dept, **changes):
    data = {"name": dept.name, "region_code": dept.region_code, "contact": dept.contact or "",
            "phone": dept.phone or "", "enabled": "y" if dept.enabled else ""}
    data.update(changes)
    return data


def test_editing_a_department_records_before_and_after(personas, login):
    dept = personas.county_dept
    dept.contact, dept.phone = "王科长", "0571-87000000"
    db.session.commit()
    client = login(personas.admin)
    response = client.post("/departmentview/edit/%d" % dept.id,
                           data=_department_form(dept, phone="0571-88888888"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Department, dept.id).phone == "0571-88888888"
    [row] = _rows("edit", "department")
    assert json.loads(row.changes) == {"phone": ["0571-87000000", "0571-88888888"]}
    assert (row.user_id, row.username, row.object_id, row.object_label) == (
        personas.admin.id, "admin", dept.id, dept.name)
    assert row.ip == "127.0.0.1" and row.at is not None


def test_empty_fields_left_empty_are_no_change(personas, login):
    dept = personas.county_dept  # contact and phone are NULL; the form sends them back as ""
    client = login(personas.admin)
    client.post("/departmentview/edit/%d" % dept.id, data=_department_form(dept, phone="0571-88888888"))
    [row] = _rows("edit", "department")
    assert json.loads(row.changes) == {"phone": [None, "0571-88888888"]}


def test_a_changed_region_is_recorded(personas, login):
    dept = personas.county_dept
    client = login(personas.admin)
    client.post("/departmentview/edit/%d" % dept.id, data=_department_form(dept, region_code="330102"))
    [row] = _rows("edit", "department")
    assert json.loads(row.changes) == {"region_code": ["330106", "330102"]}


def test_changes_of_records_a_relation_by_its_foreign_key(personas):
    from app.models import Region

    dept = personas.county_dept
    shangcheng, xihu = db.session.get(Region, "330102"), db.session.get(Region, "330106")
    dept.region = shangcheng  # region_code itself only changes at the flush
    assert audit.changes_of(dept) == {"region_code": ["330106", "330102"]}
    dept.region = xihu
    assert audit.changes_of(dept) == {}
    db.session.rollback()


def test_adding_and_deleting_are_recorded(personas, login):
    client = login(personas.admin)
    before = {row.id for row in _rows("add", "department")}  # the personas' departments (departments.create_department)
    response = client.post("/departmentview/add", data={"name": "上城区住房和城乡建设局", "region_code": "330102",
                                                       "phone": "0571-88880000", "enabled": "y"})
    assert response.status_code == 302
    [added] = [row for row in _rows("add", "department") if row.id not in before]
    dept = db.session.query(Department).filter_by(name="上城区住房和城乡建设局").one()
    assert added.object_id == dept.id
    changes = json.loads(added.changes)
    assert changes["name"] == [None, "上城区住房和城乡建设局"] and changes["phone"] == [None, "0571-88880000"]
    assert changes["region_code"] == [None, "330102"]
    dept_id = dept.id
    response = client.post("/departmentview/delete/%d" % dept_id)
    assert response.status_code == 302
    [deleted] = _rows("delete", "department")
    assert (deleted.object_id, deleted.object_label, deleted.username) == (dept_id, "上城区住房和城乡建设局", "admin")


def test_changes_of_ignores_unchanged_and_blank_values(personas):
    dept = personas.county_dept
    dept.name = dept.name
    dept.contact = ""
    assert audit.changes_of(dept) == {}
    dept.enabled = False
    assert audit.changes_of(dept) == {"enabled": [True, False]}
    db.session.rollback()


def test_the_admin_reads_the_log(personas, login):
    client = login(personas.admin)  # the login itself is a row
    response = client.get("/auditlogview/list/")
    assert response.status_code == 200
    assert "操作日志" in response.text and "登录成功" in response.text
    for label in ("时间", "用户", "操作", "对象类型", "IP地址"):
        assert label in response.text
    row = _rows("login_success")[-1]
    detail = client.get("/auditlogview/show/%d" % row.id)
    assert detail.status_code == 200 and "登录身份：系统管理员" in detail.text


@pytest.mark.parametrize("persona", ["province", "city", "inst_a_user", "ent_a_user"])
def test_nobody_else_reads_the_log(personas, login, persona):
    client = login(getattr(personas, persona))
    for url in ("/auditlogview/list/", "/auditlogview/show/%d" % _rows("login_success")[-1].id):
        response = client.get(url)
        assert response.status_code == 403
        assert "login_success" not in response.text
    assert "/auditlogview/list/" not in client.get("/").text  # no menu entry either


def test_anonymous_is_sent_to_the_login(app):
    response = app.test_client().get("/auditlogview/list/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_the_log_cannot_be_edited_or_deleted(personas, login):
    client = login(personas.admin)
    row = _rows("login_success")[-1]
    for url in ("/auditlogview/edit/%d" % row.id, "/auditlogview/delete/%d" % row.id, "/auditlogview/add"):
        response = client.post(url, data={"action": "x"})
        assert response.status_code in (302, 403, 404, 405)
    db.session.expire_all()
    assert db.session.get(AuditLog, row.id) is not None
    assert not re.search(r'href="/auditlogview/(edit|delete)/', client.get("/auditlogview/list/").text)


def test_changes_of_knows_the_old_value_of_an_expired_object(personas):
    dept = personas.county_dept
    dept.phone = "0571-87000000"
    db.session.commit()  # expires dept: the next assignment does not load the old value
    dept.phone = "0571-88888888"
    dept.contact = None  # unchanged (NULL before)
    assert audit.changes_of(dept) == {"phone": ["0571-87000000", "0571-88888888"]}
    db.session.rollback()


def test_action_and_object_labels_are_chinese(ctx):
    assert audit.action_label("login_success") == "登录成功"
    assert audit.action_label("edit") == "修改"
    assert audit.action_label("review_approve") == "审核：审核通过"
    assert audit.action_label("something_new") == "something_new"
    assert audit.object_type_label("department") == "主管部门"
    assert audit.object_type_label("ab_user") == "账号"
