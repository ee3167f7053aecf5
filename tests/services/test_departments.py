"""新增主管部门 (departments.create_department): the 系统管理员 only, the form's rules and messages, one 操作日志 row."""
import json

import pytest

from app.extensions import db
from app.models import AuditLog, Department
from app.services import ServiceError, departments


def test_the_administrator_adds_a_department_with_its_log_row(personas):
    dept = departments.create_department(dict(name=" 上城区住房和城乡建设局 ", region_code="330102", contact="业务科",
                                              phone="0571-88880000"), user=personas.admin)
    db.session.expire_all()
    dept = db.session.get(Department, dept.id)
    assert (dept.name, dept.region_code, dept.contact, dept.phone, dept.enabled) == (
        "上城区住房和城乡建设局", "330102", "业务科", "0571-88880000", True)
    [row] = db.session.query(AuditLog).filter_by(action="add", object_type="department", object_id=dept.id).all()
    assert row.username == "admin" and json.loads(row.changes)["region_code"] == [None, "330102"]


@pytest.mark.parametrize("data, field, message", [
    (dict(name="", region_code="330102"), "name", "请填写部门名称"),
    (dict(name="部" * 101, region_code="330102"), "name", "部门名称不能超过100个字"),
    (dict(name="杭州市城乡建设委员会", region_code="330102"), "name", "部门名称“杭州市城乡建设委员会”已存在"),
    (dict(name="上城区住房和城乡建设局"), "region_code", "请选择行政区划"),
    (dict(name="上城区住房和城乡建设局", region_code="999999"), "region_code", "请选择有效的行政区划"),
    (dict(name="上城区住房和城乡建设局", region_code="330102", contact="人" * 51), "contact", "联系人不能超过50个字"),
    (dict(name="上城区住房和城乡建设局", region_code="330102", phone="12345"), "phone", "联系电话应为11位手机号"),
])
def test_bad_input_is_refused_by_field_and_writes_nothing(personas, data, field, message):
    before = (db.session.query(Department).count(), db.session.query(AuditLog).count())
    with pytest.raises(ServiceError) as refused:
        departments.create_department(data, user=personas.admin)
    assert refused.value.field == field and message in refused.value.message
    db.session.rollback()
    assert (db.session.query(Department).count(), db.session.query(AuditLog).count()) == before


@pytest.mark.parametrize("persona", ["province", "inst_a_user", "ent_a_user"])
def test_only_the_administrator_adds_departments(personas, persona):
    with pytest.raises(ServiceError, match="只有系统管理员可以新增主管部门"):
        departments.create_department(dict(name="上城区住房和城乡建设局", region_code="330102"),
                                      user=getattr(personas, persona))
    assert db.session.query(Department).filter_by(name="上城区住房和城乡建设局").count() == 0
