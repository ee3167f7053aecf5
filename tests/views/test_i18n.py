"""Chinese first: zh by default with FAB's own strings translated, English switchable."""
import re

from wtforms import StringField
from wtforms.validators import DataRequired


def _visible_text(html):
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_login_page_is_chinese_by_default(app):
    page = app.test_client().get("/login/").text
    for text in ("建筑技能工人培训管理系统", "主管部门", "培训机构", "企业", "系统管理员", "用户名", "密码", "登录", "企业注册", "证书查询"):
        assert text in page


def test_list_page_shows_fab_strings_in_chinese(personas, login):
    page = login(personas.city).get("/trainingplanreview/all/list/").text
    text = _visible_text(page)
    for english in ("Search", "Record Count", "Actions", "No records found", "Add Filter", "Logout"):
        assert english not in text, english
    assert "搜索" in text


def test_english_is_switchable(personas, login):
    client = login(personas.city)
    client.get("/lang/en")
    text = _visible_text(client.get("/trainingplanreview/all/list/").text)
    assert "Training plan" in text or "Training Plan" in text
    client.get("/lang/zh")
    assert "培训计划" in client.get("/trainingplanreview/all/list/").text


def test_wtforms_messages_come_from_our_catalogue(app):
    from flask_wtf import FlaskForm

    class ProbeForm(FlaskForm):
        name = StringField("名称", validators=[DataRequired()])

    with app.test_request_context("/", method="POST", data={"name": ""}):
        form = ProbeForm(meta={"csrf": False})
        assert not form.validate()
        assert re.search(r"[\u4e00-\u9fff]", form.name.errors[0]), form.name.errors
