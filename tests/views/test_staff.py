"""师资及考评员 over HTTP: who may add, edit and remove staff, the conditional 工种/专业, forged ids."""
import random
import re

from sqlalchemy import func, select

from app.demo import make_id_number
from app.extensions import db
from app.models import AuditLog, Staff
from app.services import institutions as service


def new_id(seed):
    return make_id_number(random.Random(seed), "330106")


def staff_form(category, seed=1, **override):
    data = {"name": "新录入教师", "id_number": new_id(seed), "mobile": "13911112222", "category": category,
            "trade_code": "020" if category == "theory" else "", "specialty": "土建" if category == "examiner" else "",
            "title": "工程师", "certificate_no": "JS2026001"}
    data.update(override)
    return data


def roster(institution):
    db.session.rollback()
    return [tuple(row) for row in db.session.execute(
        select(Staff.id, Staff.name, Staff.id_number, Staff.mobile, Staff.category, Staff.trade_code, Staff.specialty)
        .where(Staff.institution_id == institution.id).order_by(Staff.id))]


def one_of(institution, category="examiner"):
    return db.session.execute(select(Staff).where(Staff.institution_id == institution.id,
                                                  Staff.category == category).order_by(Staff.id).limit(1)).scalar_one()


def test_setting_up_department_adds_staff_from_the_institution_page(personas, login):
    p = personas
    client = login(p.city)
    show = client.get("/institutionview/show/%d" % p.inst_a.id).text
    assert "/staffview/add?institution_id=%d" % p.inst_a.id in show
    page = client.get("/staffview/add?institution_id=%d" % p.inst_a.id).text
    assert "安全生产知识培训师资" in page and "职业理论知识培训师资" in page and "考评员" in page
    assert p.inst_a.name in page and p.inst_b.name not in page
    response = client.post("/staffview/add", data=dict(staff_form("theory", 5), institution_id=p.inst_a.id))
    assert response.status_code == 302 and response.headers["Location"].endswith("/institutionview/show/%d" % p.inst_a.id)
    added = db.session.execute(select(Staff).where(Staff.name == "新录入教师")).scalar_one()
    assert (added.institution_id, added.category, added.trade_code) == (p.inst_a.id, "theory", "020")
    page = client.get(response.headers["Location"]).text
    assert "新录入教师" in page and added.id_number not in page  # the roster masks ID numbers
    assert db.session.execute(select(AuditLog).where(AuditLog.action == "add", AuditLog.object_type == "staff",
                                                     AuditLog.object_id == added.id)).scalar_one().user_id == p.city.id


def test_conditional_fields_and_validation_messages(personas, login):
    p = personas
    client = login(p.inst_a_user)
    before = roster(p.inst_a)
    cases = [
        (staff_form("theory", trade_code=""), "职业理论知识培训师资须选择工种"),
        (staff_form("examiner", specialty=""), "考评员须选择专业"),
        (staff_form("safety", id_number="330106198001011234"), "身份证号校验位错误"),
        (staff_form("safety", mobile="10012345678"), "手机号格式不正确"),
        (dict(staff_form("safety"), category=""), "请选择人员类别"),
        (staff_form("theory", trade_code="999"), "所选项不存在或已停用"),
        (staff_form("safety", id_number=one_of(p.inst_a, "safety").id_number), "已登记为本机构的“安全生产知识培训师资”"),
    ]
    for data, message in cases:
        response = client.post("/staffview/add", data=dict(data, institution_id=p.inst_a.id))
        assert response.status_code == 200 and message in response.text, (data, message)
    assert roster(p.inst_a) == before


def test_institution_keeps_its_own_staff(personas, login):
    p = personas
    client = login(p.inst_a_user)
    page = client.get("/staffview/add").text
    assert p.inst_a.name in page and p.inst_b.name not in page
    response = client.post("/staffview/add", data=dict(staff_form("examiner", 7), institution_id=p.inst_a.id))
    assert response.headers["Location"].endswith("/myinstitutionview/show/%d" % p.inst_a.id)
    person = one_of(p.inst_a)
    edit = client.post("/staffview/edit/%d" % person.id, data=staff_form("examiner", 8, name="改过名的考评员",
                                                                         specialty="安装"))
    assert edit.status_code == 302
    db.session.expire_all()
    assert (db.session.get(Staff, person.id).name, db.session.get(Staff, person.id).specialty) == ("改过名的考评员", "安装")
    assert client.post("/staffview/delete/%d" % person.id).status_code == 302
    assert person.id not in [row[0] for row in roster(p.inst_a)]


def test_institution_cannot_put_staff_into_another_institution(personas, login):
    p = personas
    before_a, before_b = roster(p.inst_a), roster(p.inst_b)
    response = login(p.inst_a_user).post("/staffview/add", data=dict(staff_form("safety", 9),
                                                                      institution_id=p.inst_b.id))
    assert response.status_code == 200 and "所选培训机构不存在或不能维护其师资" in response.text
    assert roster(p.inst_a) == before_a and roster(p.inst_b) == before_b


def test_another_institutions_staff_answers_404(personas, login):
    p = personas
    client = login(p.inst_b_user)
    person = one_of(p.inst_a)
    before = roster(p.inst_a)
    assert person.name not in client.get("/staffview/list/").text or person.name in \
        {s.name for s in db.session.execute(select(Staff).where(Staff.institution_id == p.inst_b.id)).scalars()}
    assert client.get("/staffview/show/%d" % person.id).status_code == 404
    assert client.get("/staffview/edit/%d" % person.id).status_code == 404
    assert client.post("/staffview/edit/%d" % person.id, data=staff_form("examiner", 3)).status_code == 404
    assert client.post("/staffview/delete/%d" % person.id).status_code == 404
    missing = db.session.execute(select(func.max(Staff.id))).scalar() + 100
    assert client.get("/staffview/show/%d" % missing).status_code == 404
    assert roster(p.inst_a) == before


def test_departments_that_did_not_set_it_up_see_staff_but_cannot_change_it(personas, login):
    p = personas
    person = one_of(p.inst_a)
    before = roster(p.inst_a)
    for user in (p.county, p.province):
        client = login(user)
        assert client.get("/staffview/show/%d" % person.id).status_code == 200
        assert person.name in client.get("/staffview/list/?_flt_0_institution_name=建工职业").text
        refused = client.post("/staffview/edit/%d" % person.id, data=staff_form("examiner", 4), follow_redirects=True)
        assert "只有设立该培训机构的主管部门或该培训机构本身可以维护其师资及考评员" in refused.text
        refused = client.post("/staffview/delete/%d" % person.id, follow_redirects=True)
        assert "只有设立该培训机构的主管部门或该培训机构本身可以维护其师资及考评员" in refused.text
        add = client.get("/staffview/add", follow_redirects=True).text
        assert "没有可维护师资的培训机构" in add
        forged = client.post("/staffview/add", data=dict(staff_form("safety", 6), institution_id=p.inst_a.id),
                             follow_redirects=True)
        assert "没有可维护师资的培训机构" in forged.text
    other = login(p.other_city)
    assert other.get("/staffview/show/%d" % person.id).status_code == 404
    assert other.post("/staffview/delete/%d" % person.id).status_code == 404
    assert roster(p.inst_a) == before


def test_staff_of_a_cancelled_institution_is_frozen(personas, login):
    p = personas
    person = one_of(p.inst_a)
    service.cancel_institution(p.inst_a.id, "违规", user=p.city)
    before = roster(p.inst_a)
    client = login(p.city)
    show = client.get("/institutionview/show/%d" % p.inst_a.id).text
    assert 'id="btn-add-staff"' not in show and person.name in show  # history stays visible
    refused = client.post("/staffview/edit/%d" % person.id, data=staff_form("examiner", 4), follow_redirects=True)
    assert "已注销的机构不能维护" in refused.text
    refused = client.post("/staffview/delete/%d" % person.id, follow_redirects=True)
    assert "已注销" in refused.text
    assert roster(p.inst_a) == before


def test_list_searches_by_institution_name_category_and_specialty(personas, login):
    p = personas
    client = login(p.province)
    page = client.get("/staffview/list/").text
    assert "培训机构名称" in page and "<option value=\"%d\"" % p.inst_a.id not in page  # no list of institutions
    names_a = {s.name for s in db.session.execute(select(Staff).where(Staff.institution_id == p.inst_a.id)).scalars()}
    names_b = {s.name for s in db.session.execute(select(Staff).where(Staff.institution_id == p.inst_b.id)).scalars()}
    only_b = sorted(names_b - names_a)
    found = client.get("/staffview/list/?_flt_0_institution_name=宁波&psize_StaffView=100").text
    assert only_b and all(name in found for name in only_b)
    assert p.inst_a.name not in found
    safety = client.get("/staffview/list/?_flt_0_category=safety&psize_StaffView=100").text
    assert "<td>安全生产知识培训师资</td>" in safety and "<td>考评员</td>" not in safety
    assert re.search(r"记录数:</strong>\s*4\b", safety)  # 2 per institution, both institutions in 浙江


def test_get_cannot_delete(personas, login):
    person = one_of(personas.inst_a)
    assert login(personas.city).get("/staffview/delete/%d" % person.id).status_code in (302, 405)
    assert db.session.get(Staff, person.id) is not None
