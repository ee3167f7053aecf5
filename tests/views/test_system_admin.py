"""系统管理 screens through HTTP: 数据字典, 行政区划, 主管部门, 系统设置 (Chinese messages, nothing half-saved)."""
import html as html_lib
import re

import pytest
from flask import render_template_string

from app.extensions import db
from app.models import AuditLog, Department, DictItem, DictType, Region, SystemSetting
from app.services.dictionaries import DictSelectField, items, label
from tests.queries import SqlCounter


def _type(code):
    return db.session.query(DictType).filter_by(code=code).one_or_none()


def _item(type_code, value):
    return (db.session.query(DictItem).join(DictType)
            .filter(DictType.code == type_code, DictItem.value == value).one_or_none())


def _text(page):
    return html_lib.unescape(page)


def _fresh():
    """See what the requests committed (the test's own session may hold stale rows)."""
    db.session.expire_all()


def _data_values():
    """Codes stored as data (字典类型编码, 字典值, 参数值 and 参数说明): shown as they are, not UI text."""
    values = {code for (code,) in db.session.query(DictType.code)}
    values |= {value for (value,) in db.session.query(DictItem.value)}
    values |= {value for (value,) in db.session.query(SystemSetting.value)}
    values |= {text for (text,) in db.session.query(SystemSetting.description) if text}
    return sorted(values, key=len, reverse=True)


def _readonly(page, name):
    """The value shown in a read-only input of a form (None when there is no such read-only input)."""
    for tag in re.findall(r"<input[^>]*>", page):
        if 'name="%s"' % name in tag and "readonly" in tag:
            found = re.search(r'value="([^"]*)"', tag)
            return html_lib.unescape(found.group(1)) if found else ""
    return None


def _english_words(page, data=()):
    """Visible English words (scripts, styles, tag attributes, data values and the language switch left out)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
    for value in data:
        text = re.sub(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(value), " ", text)
    return sorted(set(re.findall(r"[A-Za-z]{2,}", text)) - {"English"})


def _add_type(client, code="safety_equipment", name="安全防护用品", **extra):
    return client.post("/dicttypeview/add", data={"code": code, "name": name, **extra}, follow_redirects=True)


def _add_item(client, dict_type, value, text, order=0, enabled=True, **extra):
    data = {"dict_type": str(dict_type.id), "value": value, "label": text, "sort_order": str(order), **extra}
    if enabled:
        data["enabled"] = "y"
    return client.post("/dictitemview/add", data=data, follow_redirects=True)


def _edit_item(client, item, enabled, text=None, order=None, **extra):
    data = {"label": item.label if text is None else text, "sort_order": str(item.sort_order if order is None else order), **extra}
    if enabled:
        data["enabled"] = "y"
    return client.post("/dictitemview/edit/%d" % item.id, data=data, follow_redirects=True)


# --- access ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/dicttypeview/list/", "/dictitemview/list/", "/regionview/list/",
                                 "/departmentview/list/", "/systemsettingview/list/", "/regionview/add"])
def test_system_screens_are_for_the_system_admin_only(login, personas, url):
    assert login(personas.admin).get(url).status_code == 200
    for user in (personas.province, personas.inst_a_user, personas.ent_a_user):
        response = login(user).get(url)
        assert response.status_code in (302, 403), (user.username, url)
        assert "浙江省" not in response.text


# --- 数据字典: types -------------------------------------------------------------------------------

def test_admin_adds_a_dictionary_type_and_the_generic_message_is_chinese(login, personas):
    admin = login(personas.admin)
    page = _text(_add_type(admin, description="施工现场安全防护用品").text)
    assert "新增成功" in page
    _fresh()
    assert _type("safety_equipment").name == "安全防护用品"
    assert db.session.query(AuditLog).filter_by(action="add", object_type="dict_type").count() == 1
    listing = _text(admin.get("/dicttypeview/list/").text)
    assert "安全防护用品" in listing and "数据字典" in listing


@pytest.mark.parametrize("code,message", [
    ("Safety", "类型编码只能包含小写字母、数字和下划线，以字母开头"),
    ("9abc", "类型编码只能包含小写字母、数字和下划线，以字母开头"),
    ("safety-equipment", "类型编码只能包含小写字母、数字和下划线，以字母开头"),
    ("", "请填写类型编码"),
    ("trade", "类型编码“trade”已存在"),
])
def test_bad_or_duplicate_type_codes_are_refused_next_to_the_field(login, personas, code, message):
    before = db.session.query(DictType).count()
    page = _text(_add_type(login(personas.admin), code=code).text)
    assert message in page
    assert "该值已存在" not in page and "Integrity" not in page and "UNIQUE" not in page
    assert 'name="code"' in page  # the form is shown again with the message
    _fresh()
    assert db.session.query(DictType).count() == before


def test_missing_type_name_is_refused(login, personas):
    page = _text(_add_type(login(personas.admin), name="  ").text)
    assert "请填写类型名称" in page
    _fresh()
    assert _type("safety_equipment") is None


def test_type_code_is_fixed_once_saved_and_builtin_or_used_types_cannot_be_deleted(login, personas):
    admin = login(personas.admin)
    trade = _type("trade")
    edit_page = admin.get("/dicttypeview/edit/%d" % trade.id).text
    assert _readonly(edit_page, "code") == "trade" and 'name="name"' in edit_page
    page = _text(admin.post("/dicttypeview/edit/%d" % trade.id,
                            data={"code": "hacked", "name": "工种（全国平台）"}, follow_redirects=True).text)
    assert "修改成功" in page
    _fresh()
    assert trade.code == "trade" and trade.name == "工种（全国平台）"

    page = _text(admin.post("/dicttypeview/delete/%d" % trade.id, follow_redirects=True).text)
    assert "系统内置的字典类型，不能删除" in page
    _add_type(admin)
    _fresh()
    custom = _type("safety_equipment")
    _add_item(admin, custom, "helmet", "安全帽")
    page = _text(admin.post("/dicttypeview/delete/%d" % custom.id, follow_redirects=True).text)
    assert "该字典类型下还有字典项，不能删除" in page
    _add_type(admin, code="unused_list", name="未使用的列表")
    _fresh()
    page = _text(admin.post("/dicttypeview/delete/%d" % _type("unused_list").id, follow_redirects=True).text)
    assert "删除成功" in page
    _fresh()
    assert _type("unused_list") is None and _type("trade") is not None and _type("safety_equipment") is not None


# --- 数据字典: items -------------------------------------------------------------------------------

def test_items_are_listed_under_their_type_and_added_from_there(login, personas):
    admin = login(personas.admin)
    skill = _type("skill_level")
    show = _text(admin.get("/dicttypeview/show/%d" % skill.id).text)
    assert "字典项" in show and "五级/初级工" in show and "一级/高级技师" in show
    assert "建筑工人" not in show  # only this type's items
    # The related list's add link carries the type filter; the type select is then left out of the form.
    add_page = admin.get("/dictitemview/add?_flt_0_dict_type=%d" % skill.id).text
    assert 'name="value"' in add_page and 'name="dict_type"' not in add_page
    page = _text(admin.post("/dictitemview/add?_flt_0_dict_type=%d" % skill.id,
                            data={"value": "0", "label": "专项能力", "sort_order": "9", "enabled": "y"},
                            follow_redirects=True).text)
    assert "新增成功" in page
    _fresh()
    assert _item("skill_level", "0").label == "专项能力"
    assert items("skill_level")[-1] == ("0", "专项能力")


def test_duplicate_value_within_a_type_is_refused_but_allowed_in_another_type(login, personas):
    admin = login(personas.admin)
    page = _text(_add_item(admin, _type("education"), "college", "大专（重复）").text)
    assert "该字典类型下已存在值“college”" in page
    assert "Integrity" not in page and "UNIQUE" not in page
    page = _text(_add_item(admin, _type("training_type"), "college", "学院培训").text)
    assert "新增成功" in page
    _fresh()
    assert label("education", "college") == "大专"
    assert db.session.query(DictItem).filter_by(value="college").count() == 2


@pytest.mark.parametrize("type_code,value,text,extra,message", [
    ("education", "doctor", "", {}, "请填写显示名称"),
    ("education", "", "博士", {}, "请填写值"),
    ("trade", "99", "新工种", {"group_value": "土建"}, "工种代码应为3位数字"),
    ("trade", "999", "新工种", {"group_value": "不存在的专业"}, "分组值“不存在的专业”不是“专业”中的字典项"),
    ("trade", "999", "新工种", {"parent_value": "998"}, "上级值“998”不是“工种”中的字典项"),
    ("education", "doctor", "博士", {"sort_order": "abc"}, "请输入有效的整数"),
])
def test_bad_items_are_refused_with_a_chinese_message(login, personas, type_code, value, text, extra, message):
    before = db.session.query(DictItem).count()
    data = {"dict_type": str(_type(type_code).id), "value": value, "label": text, "sort_order": "0", "enabled": "y"}
    data.update(extra)
    page = _text(login(personas.admin).post("/dictitemview/add", data=data, follow_redirects=True).text)
    assert message in page
    _fresh()
    assert db.session.query(DictItem).count() == before


def test_a_new_trade_goes_under_an_existing_specialty(login, personas):
    admin = login(personas.admin)
    page = _text(_add_item(admin, _type("trade"), "999", "装配式构件安装工", order=200,
                           group_value="安装", parent_value="000").text)
    assert "新增成功" in page
    from app.services.dictionaries import specialty_of_trade, trades_of_specialty

    _fresh()
    assert specialty_of_trade("999") == "安装" and "999" in trades_of_specialty("安装")


def test_disabling_an_item_through_the_form_keeps_its_label_and_value(login, personas):
    """An unticked 启用 box must save (FAB's converted checkbox on a NOT NULL column required a tick)."""
    admin = login(personas.admin)
    item = _item("education", "primary")
    edit_page = _text(admin.get("/dictitemview/edit/%d" % item.id).text)
    assert _readonly(edit_page, "value") == "primary" and _readonly(edit_page, "dict_type") == "学历"
    assert 'name="enabled"' in edit_page
    page = _text(_edit_item(admin, item, enabled=False, value="changed").text)
    assert "修改成功" in page
    _fresh()
    assert item.enabled is False and item.value == "primary"
    assert ("primary", "小学") not in items("education") and label("education", "primary") == "小学"
    assert _text(_edit_item(admin, item, enabled=True, text="小学及以下").text).count("修改成功") == 1
    _fresh()
    assert item.enabled is True and items("education")[0] == ("primary", "小学及以下")
    page = _text(_edit_item(admin, item, enabled=True, text="").text)
    assert "请填写显示名称" in page
    assert _readonly(page, "value") == "primary" and _readonly(page, "dict_type") == "学历"  # form shown again
    _fresh()
    assert item.label == "小学及以下"


def test_items_cannot_be_deleted_only_disabled(login, personas):
    item = _item("education", "primary")
    response = login(personas.admin).post("/dictitemview/delete/%d" % item.id, follow_redirects=True)
    _fresh()
    assert _item("education", "primary") is not None
    assert "删除成功" not in _text(response.text)


def test_a_new_lookup_type_is_usable_by_a_field_without_code_change_or_restart(app, login, personas):
    admin = login(personas.admin)

    class EquipmentForm(__import__("wtforms").Form):
        equipment = DictSelectField("安全防护用品", dict_type="safety_equipment")

    def rendered_options():
        with app.test_request_context("/"):
            return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>',
                              render_template_string("{{ form.equipment() }}", form=EquipmentForm()))

    assert rendered_options() == [("", "请选择")]  # the field exists before its type does
    assert "新增成功" in _text(_add_type(admin).text)
    _fresh()
    equipment = _type("safety_equipment")
    for order, (value, text) in enumerate([("helmet", "安全帽"), ("harness", "安全带"), ("net", "安全网")]):
        assert "新增成功" in _text(_add_item(admin, equipment, value, text, order=order).text)
    assert rendered_options() == [("", "请选择"), ("helmet", "安全帽"), ("harness", "安全带"), ("net", "安全网")]

    _fresh()
    assert "修改成功" in _text(_edit_item(admin, _item("safety_equipment", "harness"), enabled=False).text)
    assert rendered_options() == [("", "请选择"), ("helmet", "安全帽"), ("net", "安全网")]
    _fresh()
    assert label("safety_equipment", "harness") == "安全带"  # still shown on old records


def test_label_cache_does_not_serve_stale_data_after_an_edit_in_the_same_request(app, personas):
    from flask import g

    item = _item("education", "junior")
    with app.test_request_context("/dictitemview/edit/%d" % item.id, method="POST",
                                  data={"label": "初级中学", "sort_order": "1", "enabled": "y"}):
        g.user = personas.admin
        view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "DictItemView")
        assert label("education", "junior") == "初中"  # cached for this request
        view._edit(item.id)
        assert label("education", "junior") == "初级中学"


# --- 行政区划 ---------------------------------------------------------------------------------------

def test_admin_adds_a_region_whose_level_and_parent_follow_from_the_code(login, personas):
    admin = login(personas.admin)
    page = _text(admin.post("/regionview/add", data={"code": "330199", "name": "测试新区", "selectable": "y"},
                            follow_redirects=True).text)
    assert "新增成功" in page
    _fresh()
    region = db.session.get(Region, "330199")
    assert (region.level, region.parent_code, region.selectable) == ("county", "330100", True)
    assert ("330199", "杭州市测试新区") in __import__("app.services.regions", fromlist=["x"]).county_choices("3301")

    for data, message in (({"code": "33019", "name": "短码"}, "区划代码应为6位数字"),
                          ({"code": "330106", "name": "重复"}, "区划代码“330106”已存在"),
                          ({"code": "339901", "name": "无上级"}, "上级区划（339900）不存在，请先添加上级区划"),
                          ({"code": "330198", "name": ""}, "请填写区划名称")):
        assert message in _text(admin.post("/regionview/add", data=data, follow_redirects=True).text)
    _fresh()
    assert db.session.query(Region).count() == 103


def test_a_region_in_use_cannot_be_deleted_and_its_code_cannot_change(login, personas):
    admin = login(personas.admin)
    assert _readonly(admin.get("/regionview/edit/330106").text, "code") == "330106"
    page = _text(admin.post("/regionview/edit/330106", data={"code": "330199", "name": "西湖区"},
                            follow_redirects=True).text)
    assert "修改成功" in page
    _fresh()
    region = db.session.get(Region, "330106")
    assert region.selectable is False  # unticked box saved
    assert db.session.get(Region, "330199") is None
    page = _text(admin.post("/regionview/delete/330106", follow_redirects=True).text)
    assert "该行政区划已被主管部门、企业、培训机构使用，不能删除" in page
    page = _text(admin.post("/regionview/delete/330100", follow_redirects=True).text)
    assert "下级区划" in page
    _fresh()
    assert db.session.get(Region, "330106") is not None and db.session.get(Region, "330100") is not None


# --- 主管部门 ---------------------------------------------------------------------------------------

def test_admin_creates_and_edits_a_department(login, personas):
    admin = login(personas.admin)
    add_page = admin.get("/departmentview/add").text
    assert "杭州市西湖区（330106）" in _text(add_page)
    page = _text(admin.post("/departmentview/add", data={
        "name": "温州市住房和城乡建设局", "region_code": "330300", "contact": "张三", "phone": "0577-88888888",
        "enabled": "y"}, follow_redirects=True).text)
    assert "新增成功" in page
    _fresh()
    dept = db.session.query(Department).filter_by(name="温州市住房和城乡建设局").one()
    assert (dept.region_code, dept.enabled) == ("330300", True)
    page = _text(admin.post("/departmentview/edit/%d" % dept.id, data={
        "name": "温州市住房和城乡建设局", "region_code": "330302", "contact": "李四", "phone": "13912345678"},
        follow_redirects=True).text)
    assert "修改成功" in page
    _fresh()
    assert (dept.region_code, dept.contact, dept.enabled) == ("330302", "李四", False)
    # Keeping its own name on edit is not a duplicate.
    page = _text(admin.post("/departmentview/edit/%d" % dept.id, data={
        "name": "温州市住房和城乡建设局", "region_code": "330302", "enabled": "y"}, follow_redirects=True).text)
    assert "修改成功" in page and "已存在" not in page


@pytest.mark.parametrize("data,message", [
    ({"name": "杭州市城乡建设委员会", "region_code": "330100"}, "部门名称“杭州市城乡建设委员会”已存在"),
    ({"name": "新部门", "region_code": "999999"}, "请选择有效的行政区划"),
    ({"name": "新部门", "region_code": ""}, "请选择行政区划"),
    ({"name": "", "region_code": "330100"}, "请填写部门名称"),
    ({"name": "新部门", "region_code": "330100", "phone": "abc"}, "联系电话应为11位手机号或区号+号码"),
])
def test_bad_departments_are_refused_in_chinese(login, personas, data, message):
    before = db.session.query(Department).count()
    page = _text(login(personas.admin).post("/departmentview/add", data=data, follow_redirects=True).text)
    assert message in page
    assert "Integrity" not in page and "UNIQUE" not in page and "FOREIGN" not in page
    _fresh()
    assert db.session.query(Department).count() == before


def test_department_list_is_searchable_by_name_and_region_code(login, personas):
    admin = login(personas.admin)
    by_name = _text(admin.get("/departmentview/list/?_flt_2_name=杭州").text)
    assert "杭州市城乡建设委员会" in by_name and "宁波市住房和城乡建设局" not in by_name
    by_region = _text(admin.get("/departmentview/list/?_flt_0_region_code=3301").text)
    assert "杭州市城乡建设委员会" in by_region and "西湖区住房和城乡建设局" in by_region
    assert "宁波市住房和城乡建设局" not in by_region and "浙江省住房和城乡建设厅" not in by_region


def test_a_department_with_accounts_cannot_be_deleted(login, personas):
    page = _text(login(personas.admin).post("/departmentview/delete/%d" % personas.county_dept.id,
                                            follow_redirects=True).text)
    assert "该主管部门已有账号或培训机构，不能删除" in page
    _fresh()
    assert db.session.get(Department, personas.county_dept.id) is not None


# --- 系统设置 ---------------------------------------------------------------------------------------

def test_an_invalid_setting_is_refused_in_chinese_and_the_row_is_unchanged(login, personas):
    admin = login(personas.admin)
    url = "/systemsettingview/edit/min_examiners_per_specialty"
    edit_page = admin.get(url).text
    inputs = re.findall(r'<(?:input|select|textarea)[^>]*name="(\w+)"', edit_page)
    assert "value" in inputs and "key" not in inputs
    assert _readonly(_text(edit_page), "description") == "每专业考评员最少人数"  # which setting this is
    before = db.session.get(SystemSetting, "min_examiners_per_specialty").updated_at
    audits = db.session.query(AuditLog).count()
    for value, message in (("abc", "参数“每专业考评员最少人数”的值“abc”格式不正确"),
                           ("", "请填写参数值"), ("1000", "格式不正确")):
        page = _text(admin.post(url, data={"value": value, "key": "default_pass_line", "description": "改"},
                                follow_redirects=True).text)
        assert _readonly(page, "description") == "每专业考评员最少人数"  # the form shown again says which setting
        assert message in page and "修改成功" not in page
    _fresh()
    row = db.session.get(SystemSetting, "min_examiners_per_specialty")
    assert (row.value, row.updated_at) == ("8", before)
    assert db.session.get(SystemSetting, "default_pass_line").value == "60"
    assert db.session.query(AuditLog).count() == audits

    page = _text(admin.post(url, data={"value": " 10 ", "description": "改"}, follow_redirects=True).text)
    assert "修改成功" in page
    _fresh()
    row = db.session.get(SystemSetting, "min_examiners_per_specialty")
    assert (row.value, row.description) == ("10", "每专业考评员最少人数")
    assert "每专业考评员最少人数" in _text(admin.get("/systemsettingview/list/").text)


def test_refusal_from_pre_update_commits_nothing(app, personas):
    """The view's pre_update backstop (FAB flashes str(e)) leaves no pending change in the session."""
    from flask import g, get_flashed_messages

    with app.test_request_context("/systemsettingview/edit/upload_max_mb", method="POST", data={"value": "0"}):
        g.user = personas.admin
        view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "SystemSettingView")
        row = db.session.get(SystemSetting, "upload_max_mb")
        row.value = "0"
        with __import__("pytest").raises(Exception) as refused:
            view.pre_update(row)
        assert "参数“上传文件大小上限（MB）”的值应在 1 到 60 之间" in str(refused.value)
        db.session.commit()
        get_flashed_messages()
    _fresh()
    assert db.session.get(SystemSetting, "upload_max_mb").value == "10"


def test_settings_cannot_be_added_or_deleted(login, personas):
    admin = login(personas.admin)
    assert admin.get("/systemsettingview/add").status_code in (302, 403, 404, 405)
    admin.post("/systemsettingview/delete/upload_max_mb")
    _fresh()
    assert db.session.get(SystemSetting, "upload_max_mb") is not None


# --- every string on these screens is Chinese ---------------------------------------------------------

def test_the_system_screens_show_no_english(login, personas):
    """FAB's modal templates hard-code OK/Cancel (general/alert.html, confirm.html): not ours to change here."""
    admin = login(personas.admin)
    trade, item, dept = _type("trade"), _item("education", "college"), personas.city_dept
    urls = ["/dicttypeview/list/", "/dicttypeview/add", "/dicttypeview/show/%d" % trade.id,
            "/dicttypeview/edit/%d" % trade.id, "/dictitemview/list/?_flt_0_dict_type=%d" % trade.id,
            "/dictitemview/add", "/dictitemview/edit/%d" % item.id, "/dictitemview/show/%d" % item.id,
            "/regionview/list/", "/regionview/add", "/regionview/edit/330106", "/regionview/show/330106",
            "/departmentview/list/", "/departmentview/add", "/departmentview/edit/%d" % dept.id,
            "/departmentview/show/%d" % dept.id, "/systemsettingview/list/",
            "/systemsettingview/edit/min_examiners_per_specialty",
            "/systemsettingview/show/min_examiners_per_specialty"]
    from app.models.user import AppUser

    usernames = [name for (name,) in db.session.query(AppUser.username)]
    data = _data_values() + usernames
    for url in urls:
        response = admin.get(url)
        assert response.status_code == 200, url
        words = set(_english_words(response.text, data)) - {"OK", "Cancel", "MB", "IP"}  # MB, IP: as Chinese screens write them
        assert not words, (url, words)
    # A refused form and a success flash are Chinese too.
    page = admin.post("/dicttypeview/add", data={"code": "Bad", "name": ""}, follow_redirects=True).text
    assert not set(_english_words(page)) - {"OK", "Cancel"}
    page = _add_type(admin).text
    assert "新增成功" in _text(page) and not set(_english_words(page)) - {"OK", "Cancel"}


def test_a_unique_violation_at_save_time_gets_the_views_chinese_message(app, personas):
    """Two admins saving the same code at once: the form check passed for both, the database refuses one.

    FAB 5.3 ignores add/edit_integrity_error_message (raw database text on add, "Database Error" on
    edit); FriendlyIntegrityMixin raises the view's message instead and rolls the session back.
    """
    from flask import g

    from app.services import ServiceError

    def view_named(name):
        return next(v for v in app.appbuilder.baseviews if type(v).__name__ == name)

    with app.test_request_context("/dicttypeview/add", method="POST"):
        g.user = personas.admin
        with pytest.raises(ServiceError) as refused:
            view_named("DictTypeView").pre_add(DictType(code="trade", name="重复的工种"))
        assert refused.value.message == "类型编码已存在"
        assert db.session.query(DictType).filter_by(code="trade").count() == 1  # session usable again
    with app.test_request_context("/departmentview/edit/1", method="POST"):
        g.user = personas.admin
        dept = db.session.get(Department, personas.county_dept.id)
        dept.name = personas.city_dept.name
        with pytest.raises(ServiceError) as refused:
            view_named("DepartmentView").pre_update(dept)
        assert refused.value.message == "部门名称已存在，或所选行政区划无效"
    _fresh()
    assert db.session.get(Department, personas.county_dept.id).name == "西湖区住房和城乡建设局"
    assert db.session.query(AuditLog).filter_by(object_type="dict_type").count() == 0


def test_role_list_needs_no_query_per_row(app, login, personas):
    """角色列表 shows each role's permissions: loaded for the whole page at once, not once per role."""
    client = login(personas.admin)

    def measure():
        with SqlCounter() as sql:
            page = client.get("/roles/list/?psize_AppRoleView=100")
        assert page.status_code == 200
        return page.text, len(sql.statements)

    _page, before = measure()
    sm = app.appbuilder.sm
    permission = sm.find_permission_view_menu("can_list", "Region")
    for name in ("测试角色甲", "测试角色乙", "测试角色丙"):
        sm.add_permission_role(sm.add_role(name), permission)
    page, after = measure()
    assert "测试角色丙" in page and after == before, (before, after)
