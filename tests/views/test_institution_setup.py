"""培训机构管理, 本机构信息 and 管理人员账号 over HTTP, as the personas use them."""
import io
import re

from sqlalchemy import func, select

from app.demo import make_uscc
from app.extensions import db
from app.models import AuditLog, Institution
from app.models.user import AppUser
from app.services import institutions as service
from tests import factories
from tests.factories import PASSWORD

ADD = "/institutionview/add"


def form(**override):
    data = {"name": "西湖新设建筑培训学校", "uscc": make_uscc(6660001), "institution_type": "social",
            "region_code": "330106", "address": "杭州市西湖区天目山路1号", "legal_representative": "周建华",
            "contact_person": "吴老师", "contact_phone": "0571-87001234",
            "license_file": (io.BytesIO(b"%PDF-1.4 licence"), "营业执照（正本）.pdf")}
    data.update(override)
    return data


def institution_count():
    db.session.rollback()
    return db.session.execute(select(func.count(Institution.id))).scalar()


def fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def login_form(app, username, password, account_type="institution"):
    """The login page as a stranger uses it (own app context: the test's session must not answer)."""
    with app.app_context():
        return app.test_client().post("/login/", data={"account_type": account_type, "username": username,
                                                       "password": password}, follow_redirects=False)


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- 培训机构新增 ------------------------------------------------------------------------------------

def test_add_form_shows_the_code_rule_and_only_counties_of_the_jurisdiction(personas, login):
    page = login(personas.city).get(ADD).text
    assert "机构代码由系统按规则生成：33 + 城市序号(01–11) + 3位流水号，全省唯一" in page
    assert 'value="330106"' in page and 'value="330110"' in page  # 杭州 counties
    assert 'value="330203"' not in page and 'value="330100"' not in page  # 宁波; the city itself
    assert "社会培训考核机构" in page and 'type="file"' in page
    county_page = login(personas.county).get(ADD).text
    assert 'value="330106"' in county_page and 'value="330105"' not in county_page


def test_department_creates_an_institution_through_the_form(personas, login):
    client = login(personas.city)
    response = client.post(ADD, data=form(), content_type="multipart/form-data")
    assert response.status_code == 302, text_of(response.text)[:500]
    institution = db.session.execute(select(Institution).where(Institution.name == "西湖新设建筑培训学校")).scalar_one()
    assert institution.code == "3301002" and institution.department_id == personas.city_dept.id
    show = client.get(response.headers["Location"]).text
    for text in ("3301002", "西湖新设建筑培训学校", "营业执照（正本）.pdf", "正常", "不符合规定", "管理人员账号", "注销"):
        assert text in show, text
    download = client.get("/files/%d" % institution.license_file_id)
    assert download.status_code == 200 and download.data.startswith(b"%PDF")


def test_bad_form_input_gets_the_message_next_to_the_field_and_creates_nothing(personas, login):
    client = login(personas.city)
    before = institution_count()
    cases = [
        ({"uscc": "91330106MA2ABCDE1X"}, "统一社会信用代码校验位错误"),
        ({"uscc": personas.inst_a.uscc}, "已被其他培训机构使用"),
        ({"region_code": "330203"}, "所选地区不在本部门辖区内"),  # forged: not among the choices
        ({"institution_type": "forged"}, "所选项不存在或已停用"),
        ({"contact_phone": "888"}, "联系电话应为11位手机号或区号+号码"),
        ({"license_file": (io.BytesIO(b"MZ\x90 not a pdf"), "营业执照.pdf")}, "不是有效的PDF、JPG或PNG文件"),
        ({"license_file": (io.BytesIO(b""), "")}, "请上传营业执照"),
        ({"name": ""}, "请填写机构名称"),
    ]
    for override, message in cases:
        response = client.post(ADD, data=form(**override), content_type="multipart/form-data")
        assert response.status_code == 200, override
        assert message in response.text, (override, text_of(response.text)[-800:])
        # next to the field: inside the form's error box, not only in a flash
        assert re.search(r'alert alert-danger">[^<]*' + re.escape(message), response.text), override
    assert institution_count() == before


def test_institution_and_enterprise_accounts_cannot_create(personas, login):
    before = institution_count()
    for user in (personas.inst_a_user, personas.ent_a_user):
        assert login(user).post(ADD, data=form(), content_type="multipart/form-data").status_code == 403
    assert institution_count() == before


def test_department_edits_basic_data_but_never_the_code(personas, login):
    p = personas
    client = login(p.city)
    page = client.get("/institutionview/edit/%d" % p.inst_a.id).text
    assert p.inst_a.code in page and "系统生成，不可修改" in page and 'name="code"' not in page
    data = form(name="杭州建工职业技能培训学院", uscc=p.inst_a.uscc, region_code="330105", code="9999999")
    data.pop("license_file")
    response = client.post("/institutionview/edit/%d" % p.inst_a.id, data=data)
    assert response.status_code == 302
    institution = fresh(Institution, p.inst_a.id)
    assert institution.name == "杭州建工职业技能培训学院" and institution.region_code == "330105"
    assert institution.code == p.inst_a.code


def test_departments_that_did_not_set_it_up_see_but_cannot_act(personas, login):
    p = personas
    for user in (p.province, p.county):
        client = login(user)
        show = client.get("/institutionview/show/%d" % p.inst_a.id)
        assert show.status_code == 200 and p.inst_a.name in show.text
        assert 'id="btn-cancel-institution"' not in show.text and 'id="btn-edit-institution"' not in show.text
        assert 'id="accounts-panel"' not in show.text and 'id="btn-add-staff"' not in show.text
        refused = client.post("/institutionview/edit/%d" % p.inst_a.id, data=form(name="越权修改"),
                              content_type="multipart/form-data", follow_redirects=True)
        assert "只有设立该培训机构的主管部门可以修改其基本信息" in refused.text
        refused = client.post("/institutionview/cancel/%d" % p.inst_a.id, data={"reason": "越权注销"},
                              follow_redirects=True)
        assert "只有设立该培训机构的主管部门可以注销该机构" in refused.text
    institution = fresh(Institution, p.inst_a.id)
    assert institution.name == p.inst_a.name and institution.status == "active"


def test_out_of_jurisdiction_ids_answer_404(personas, login):
    p = personas
    client = login(p.city)  # 杭州 does not see 宁波's inst_b
    for method, url in (("get", "/institutionview/show/%d"), ("get", "/institutionview/edit/%d"),
                        ("post", "/institutionview/edit/%d"), ("post", "/institutionview/cancel/%d"),
                        ("post", "/institutionview/restore/%d")):
        assert getattr(client, method)(url % p.inst_b.id, data={"reason": "x", "name": "x"}).status_code == 404, url
    assert p.inst_b.name not in client.get("/institutionview/list/").text
    assert fresh(Institution, p.inst_b.id).status == "active"


# --- 注销 / 恢复 --------------------------------------------------------------------------------------

def test_cancel_with_reason_refuses_login_and_restore_lets_it_back(personas, login, app):
    p = personas
    open_session = login(p.inst_a_user)
    client = login(p.city)
    empty = client.post("/institutionview/cancel/%d" % p.inst_a.id, data={"reason": " "}, follow_redirects=True)
    assert "请填写注销原因" in empty.text and fresh(Institution, p.inst_a.id).status == "active"
    done = client.post("/institutionview/cancel/%d" % p.inst_a.id, data={"reason": "考核违规"}, follow_redirects=True)
    assert "已注销培训机构" in done.text and "考核违规" in done.text and 'id="btn-restore-institution"' in done.text
    assert fresh(Institution, p.inst_a.id).status == "cancelled"
    log = db.session.execute(select(AuditLog).where(AuditLog.action == "cancel_institution")).scalar_one()
    assert "考核违规" in log.detail and log.username == p.city.username
    # the login page refuses with the clear message; an open session is ended
    refusal = login_form(app, p.inst_a_user.username, PASSWORD)
    assert refusal.status_code == 200 and "所属培训机构已注销，不能登录系统" in refusal.text
    kicked = open_session.get("/myinstitutionview/list/", follow_redirects=True)
    assert "所属培训机构已注销" in kicked.text and 'id="login-form"' in kicked.text
    # the department still sees it and its history
    assert "考核违规" in client.get("/institutionview/show/%d" % p.inst_a.id).text
    assert p.inst_a.name in client.get("/institutionview/list/").text
    restored = client.post("/institutionview/restore/%d" % p.inst_a.id, data={"reason": "整改完成"},
                           follow_redirects=True)
    assert "已恢复培训机构" in restored.text and fresh(Institution, p.inst_a.id).status == "active"
    assert login_form(app, p.inst_a_user.username, PASSWORD).status_code == 302


# --- 本机构信息 ---------------------------------------------------------------------------------------

def test_institution_sees_its_own_record_and_changes_only_contact_details(personas, login):
    p = personas
    client = login(p.inst_a_user)
    landing = client.get("/myinstitutionview/list/")
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/myinstitutionview/show/%d" % p.inst_a.id)
    show = client.get(landing.headers["Location"]).text
    assert p.inst_a.code in show and "符合规定" in show and 'id="btn-add-staff"' in show
    assert 'id="btn-cancel-institution"' not in show and 'id="accounts-panel"' not in show
    edit = client.get("/myinstitutionview/edit/%d" % p.inst_a.id).text
    assert 'name="contact_person"' in edit and 'name="name"' not in edit and 'name="uscc"' not in edit
    response = client.post("/myinstitutionview/edit/%d" % p.inst_a.id, data={
        "contact_person": "新联系人", "contact_phone": "13712345678", "address": "新地址",
        "name": "越权改名", "uscc": make_uscc(1), "region_code": "330105", "code": "3309999",
        "institution_type": "social"})
    assert response.status_code == 302
    institution = fresh(Institution, p.inst_a.id)
    assert (institution.contact_person, institution.contact_phone, institution.address) == ("新联系人", "13712345678", "新地址")
    assert (institution.name, institution.uscc, institution.region_code, institution.code, institution.institution_type) == \
        (p.inst_a.name, p.inst_a.uscc, p.inst_a.region_code, p.inst_a.code, p.inst_a.institution_type)
    bad = client.post("/myinstitutionview/edit/%d" % p.inst_a.id, data={"contact_person": "x", "contact_phone": "1"})
    assert "联系电话应为11位手机号或区号+号码" in bad.text


def test_institution_cannot_reach_other_institutions_or_the_department_screens(personas, login):
    p = personas
    client = login(p.inst_a_user)
    for method, url in (("get", "/myinstitutionview/show/%d"), ("get", "/myinstitutionview/edit/%d"),
                        ("post", "/myinstitutionview/edit/%d")):
        assert getattr(client, method)(url % p.inst_b.id, data={"contact_person": "x"}).status_code == 404
    for url in ("/institutionview/list/", "/institutionview/show/%d" % p.inst_a.id, ADD,
                "/institutionaccount/list/"):
        assert client.get(url).status_code == 403, url
    assert client.post("/institutionview/cancel/%d" % p.inst_a.id, data={"reason": "x"}).status_code == 403


# --- 师资配备 on the detail page -----------------------------------------------------------------------

def test_detail_page_shows_the_staffing_verdict_gaps_and_counts(personas, login):
    p = personas
    bare, _user = factories.institution("杭州缺员培训中心", "330110", p.city_dept, "bare_user", staffed=False)
    # A plan of a roster that no longer staffs its 工种: 新增培训计划 refuses one for the bare roster itself.
    factories.training_plan(p.inst_a, trade="020").institution_id = bare.id
    db.session.commit()
    page = login(p.city).get("/institutionview/show/%d" % bare.id).text
    gaps = re.search(r'<ul id="staffing-gaps"[^>]*>(.*?)</ul>', page, re.S).group(1)
    items = [text_of(li).strip() for li in re.findall(r"<li>(.*?)</li>", gaps, re.S)]
    assert items == service.staffing_summary(bare.id)["gaps"] and len(items) == 3
    assert "不符合规定" in page and "钢筋工" in page
    full = login(p.city).get("/institutionview/show/%d" % p.inst_a.id).text
    assert 'id="staffing-gaps"' not in full and "符合规定" in full
    counts = re.search(r'<table[^>]*id="staff-counts".*?</table>', full, re.S).group(0)
    assert re.search(r'data-category="safety">\s*<td>安全生产知识培训师资</td><td class="count">2</td>', counts)
    assert re.search(r'data-category="examiner">\s*<td>考评员</td><td class="count">16</td>', counts)
    assert "土建 8人" in counts


# --- 管理人员账号 -------------------------------------------------------------------------------------

def test_department_creates_disables_and_resets_a_manager_account(personas, login, app):
    p = personas
    client = login(p.city)
    page = client.get("/institutionaccount/add?institution_id=%d" % p.inst_a.id).text
    assert p.inst_a.name in page and p.inst_b.name not in page
    weak = client.post("/institutionaccount/add", data={"institution_id": p.inst_a.id, "username": "hz_mgr",
                                                         "first_name": "管理员", "password": "abc",
                                                         "confirm_password": "abc"})
    assert "密码至少8位，不含空格，须包含大写字母、小写字母、数字、符号中的至少三类" in weak.text
    assert db.session.execute(select(AppUser).where(AppUser.username == "hz_mgr")).first() is None
    done = client.post("/institutionaccount/add", data={"institution_id": p.inst_a.id, "username": "hz_mgr",
                                                         "first_name": "管理员", "password": "Manager2026",
                                                         "confirm_password": "Manager2026"}, follow_redirects=True)
    assert "已设立管理人员账号" in done.text and "hz_mgr" in done.text
    account = db.session.execute(select(AppUser).where(AppUser.username == "hz_mgr")).scalar_one()
    assert account.institution_id == p.inst_a.id and account.account_type == "institution"
    assert "hz_mgr" in client.get("/institutionaccount/list/").text
    client.post("/institutionaccount/action/disable/%d" % account.id)
    assert fresh(AppUser, account.id).active is False
    assert "该账号已停用" in login_form(app, "hz_mgr", "Manager2026").text
    client.post("/institutionaccount/action_post", data={"action": "enable", "rowid": [account.id]})
    assert fresh(AppUser, account.id).active is True
    mismatch = client.post("/institutionaccount/resetpassword/%d" % account.id,
                           data={"password": "NewPass2027", "confirm_password": "NewPass2028"})
    assert "两次输入的密码不一致" in mismatch.text
    reset = client.post("/institutionaccount/resetpassword/%d" % account.id,
                        data={"password": "NewPass2027", "confirm_password": "NewPass2027"})
    assert reset.status_code == 302, text_of(reset.text)
    assert login_form(app, "hz_mgr", "Manager2026").status_code == 200
    assert login_form(app, "hz_mgr", "NewPass2027").status_code == 302
    actions = set(db.session.execute(select(AuditLog.action).where(AuditLog.object_id == account.id,
                                                                   AuditLog.object_type == "ab_user")).scalars())
    assert {"create_manager_account", "disable_user", "enable_user", "reset_password"} <= actions


def test_accounts_are_scoped_and_forged_ids_answer_404(personas, login):
    p = personas
    other = login(p.other_city)
    assert p.inst_a_user.username not in other.get("/institutionaccount/list/").text
    for url in ("/institutionaccount/show/%d", "/institutionaccount/resetpassword/%d"):
        assert other.get(url % p.inst_a_user.id).status_code == 404
    assert other.post("/institutionaccount/resetpassword/%d" % p.inst_a_user.id,
                      data={"password": "Hacked2026", "confirm_password": "Hacked2026"}).status_code == 404
    assert other.post("/institutionaccount/action/disable/%d" % p.inst_a_user.id).status_code == 404
    assert other.post("/institutionaccount/action_post", data={"action": "disable",
                                                               "rowid": [p.inst_b_user.id, p.inst_a_user.id]}).status_code == 404
    city = login(p.city)
    # a colleague's (department) account and an enterprise's are not manager accounts
    for account in (p.city, p.ent_a_user):
        assert city.get("/institutionaccount/show/%d" % account.id).status_code == 404
        assert city.post("/institutionaccount/resetpassword/%d" % account.id,
                         data={"password": "Hacked2026", "confirm_password": "Hacked2026"}).status_code == 404
    # a supervising province and the county (not the setter) see no accounts of inst_a to act on
    for user in (p.province, p.county):
        assert login(user).post("/institutionaccount/action/disable/%d" % p.inst_a_user.id).status_code == 404
        add = login(user).get("/institutionaccount/add", follow_redirects=True).text
        assert "只有设立培训机构的主管部门可以设立其管理人员账号" in add
    assert fresh(AppUser, p.inst_a_user.id).active is True and fresh(AppUser, p.inst_b_user.id).active is True


def test_department_menus(personas, login):
    page = login(personas.city).get("/institutionview/list/").text
    for label in ("培训机构管理", "师资及考评员", "管理人员账号"):
        assert label in page
    assert "本机构信息" not in page
    page = login(personas.inst_a_user).get("/myinstitutionview/show/%d" % personas.inst_a.id).text
    assert "本机构信息" in page and "师资及考评员" in page and "培训机构管理" not in page and "管理人员账号" not in page
