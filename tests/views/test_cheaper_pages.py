"""Issue 14, cheaper pages: the side menu is rendered once per (grants, language, current entry) and permissions are
read once per request — neither ever shows one user's menu or rights to another, nor outlives a role change — and
a list reads its related rows per page, not per row."""
import re

from flask import render_template_string
from flask_babel import force_locale
from sqlalchemy import event

from app.extensions import db
from tests import factories
from app.views.menu_cache import EXTENSION


def side_menu(response):
    """The names of the entries in the page's side menu."""
    nav = re.search(r'<nav class="app-side".*?</nav>', response.text, re.S)
    assert nav, response.text[:500]
    return re.findall(r'data-menu="([^"]+)"', nav.group(0))


def menu_cache(app):
    return app.extensions[EXTENSION]


def set_roles(app, username, *role_names):
    with app.app_context():
        user = db.session.query(app.appbuilder.sm.user_model).filter_by(username=username).one()
        user.roles = [app.appbuilder.sm.find_role(name) for name in role_names]
        db.session.commit()


def set_menu_access(app, role_name, menu_name, granted):
    """Grant or revoke menu_access on one entry (what `flask sync-roles` or a role edit does)."""
    with app.app_context():
        sm = app.appbuilder.sm
        role, pv = sm.find_role(role_name), sm.find_permission_view_menu("menu_access", menu_name)
        if granted and pv not in role.permissions:
            sm.add_permission_role(role, pv)
        elif not granted and pv in role.permissions:
            sm.del_permission_role(role, pv)
        db.session.commit()


def test_a_user_whose_role_changes_sees_the_new_menu_and_loses_the_old_pages(app, personas, login):
    client = login(personas.county)
    assert "EnterpriseReviewPending" in side_menu(client.get("/"))
    assert "TrainingPlanManage" not in side_menu(client.get("/"))
    try:
        set_roles(app, "county", "Institution")
        menu = side_menu(client.get("/"))
        assert "TrainingPlanManage" in menu and "EnterpriseReviewPending" not in menu
        assert client.get("/enterprisereview/pending/list/").status_code != 200  # has_access follows too
    finally:
        set_roles(app, "county", "Department")
    assert "EnterpriseReviewPending" in side_menu(client.get("/"))
    assert client.get("/enterprisereview/pending/list/").status_code == 200


def test_a_grant_revoked_from_a_role_leaves_the_menu_of_every_user_of_that_role(app, personas, login):
    county, city = login(personas.county), login(personas.city)
    assert "IndustryDashboard" in side_menu(county.get("/enrollmentview/list/"))
    try:
        set_menu_access(app, "Department", "IndustryDashboard", granted=False)
        assert "IndustryDashboard" not in side_menu(county.get("/enrollmentview/list/"))
        assert "IndustryDashboard" not in side_menu(city.get("/enrollmentview/list/"))
    finally:
        set_menu_access(app, "Department", "IndustryDashboard", granted=True)
    assert "IndustryDashboard" in side_menu(city.get("/enrollmentview/list/"))


def test_zh_and_en_menus_are_kept_apart(personas, login):
    client = login(personas.county)
    assert "报名人员查询" in client.get("/").text
    client.get("/lang/en")
    english = client.get("/").text
    assert "Enrollee Search" in english and "报名人员查询" not in english
    client.get("/lang/zh")
    assert "报名人员查询" in client.get("/").text


def test_two_roles_each_see_their_own_menu_and_users_of_one_role_share_a_rendering(app, personas, login):
    department, institution = login(personas.county), login(personas.inst_a_user)
    menu_cache(app)._items.clear()
    for _ in range(2):  # alternating: a shared cache must not hand one role's menu to the other
        assert "EnterpriseReviewPending" in side_menu(department.get("/"))
        assert "EnterpriseReviewPending" not in side_menu(institution.get("/"))
        assert "TrainingPlanManage" in side_menu(institution.get("/"))
    assert len(menu_cache(app)) == 2
    side_menu(login(personas.city).get("/"))  # another department user, same grants, same page
    assert len(menu_cache(app)) == 2
    rendered = " ".join(menu_cache(app)._items.values())
    for private in ("county", "inst_a", personas.county.first_name, personas.inst_a_user.first_name):
        assert private not in rendered  # nothing about a user is in a shared rendering


def test_a_user_holding_two_roles_sees_both_menus(app, personas, login):
    client = login(personas.county)
    try:
        set_roles(app, "county", "Department", "Institution")
        menu = side_menu(client.get("/"))
        assert "EnterpriseReviewPending" in menu and "TrainingPlanManage" in menu
    finally:
        set_roles(app, "county", "Department")


def test_the_current_entry_is_marked_in_the_cached_menu(personas, login):
    client = login(personas.county)
    for path, entry in (("/enrollmentview/list/", "EnrollmentQuery"), ("/dashboard/", "IndustryDashboard")):
        html = client.get(path).text
        assert re.search(r'<li class="side-item active" data-menu="%s">' % entry, html)
        assert html.count('aria-current="page"') == 1
    assert re.search(r'<li class="side-home active">', client.get("/").text)


def statements_of(app, client, path):
    """The SQL statements a GET of path sends."""
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statements


def test_permissions_are_read_once_per_request(app, personas, login):
    # the view's own check, the list widgets' checks and the menu
    statements = statements_of(app, login(personas.city), "/trainingplanreview/all/list/")
    assert len([s for s in statements if "ab_permission_view" in s]) == 1
    assert not [s for s in statements if re.search(r"FROM ab_(role|group)\b", s)]  # FAB's roles and groups queries


def test_template_translations_follow_force_locale_and_keep_newstyle_formatting(app):
    with app.test_request_context("/"):
        assert render_template_string('{{ _("报名人员查询") }}') == "报名人员查询"
        with force_locale("en"):
            assert render_template_string('{{ _("报名人员查询") }}') == "Enrollee Search"
        assert render_template_string('{{ _("报名人员查询") }}') == "报名人员查询"
        assert render_template_string('{{ _("共 %(n)d 条", n=3) }}|{{ _("100%%") }}') == "共 3 条|100%"


def test_a_review_list_reads_the_related_rows_of_a_page_at_once(app, personas, login):
    p = personas
    client = login(p.city)

    def add_exam_plan():  # each on its own training plan: the 培训计划 column differs on every row
        plan = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city)
        return factories.exam_plan(plan, state="submitted", owner=p.inst_a_user)

    add_exam_plan()
    one_row = len(statements_of(app, client, "/examplanreview/all/list/"))
    names = [add_exam_plan().plan.name for _ in range(3)]
    statements = statements_of(app, client, "/examplanreview/all/list/")
    assert len(statements) == one_row, statements
    page = client.get("/examplanreview/all/list/").text
    assert all(name in page for name in names)
