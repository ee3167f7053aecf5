"""Web hardening: no deletes over GET, capped page sizes, no whole related tables in search forms, CSRF.

(a) CSRFProtect is installed, so FAB refuses a delete (or an action) sent as a plain GET.
(b) psize_<View> is capped at 100, whatever is asked; malformed psize_/page_ never give a 500.
(c) No list page's search form holds a <select> of related rows (found generically: <option>s whose
    value is the id of a row of a table the view's model relates to, with that row's text).
(d) With WTF_CSRF_ENABLED a POST without token is refused with the Chinese message of app/web.py.
"""
import contextlib
import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import RelationshipProperty

from app.extensions import db
from app.models import Department, DictItem, DictType, Enrollment, Enterprise, Institution, TrainingPlan
from app.security.scope import Scope
from app.views.base import ScopedModelView
from tests import factories

CSRF_MESSAGE = "页面已过期或请求无效"


def _rows_on_page(body, route_base):
    """Primary keys of the rows a list page shows (each row links to its detail page)."""
    return set(re.findall(re.escape(route_base) + r"/show/([^\"'?/&]+)", body))


def _decoded(body):
    """FAB embeds the search form as JSON inside a <script>: undo its \\uXXXX and \\" escaping."""
    body = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), body)
    return body.replace('\\"', '"').replace("\\/", "/")


OPTION = re.compile(r"<option\b[^>]*\bvalue=\"([^\"]*)\"[^>]*>(.*?)</option>", re.S)


def related_options(body, model):
    """[(related model, value, text)] for <option>s that are rows of a table `model` relates to."""
    options = [(value, html.unescape(text).strip()) for value, text in OPTION.findall(_decoded(body))]
    if not options:
        return []
    found = []
    for prop in model.__mapper__.iterate_properties:
        if not isinstance(prop, RelationshipProperty):
            continue
        related = prop.mapper.class_
        pk = related.__mapper__.primary_key[0]
        rows = {str(getattr(row, pk.key)): str(row) for row in db.session.execute(select(related)).scalars()}
        found += [(related, value, text) for value, text in options if rows.get(value) == text]
    return found


# Related tables allowed as a search <select>: tiny, fixed reference lists every account sees whole.
SEARCH_SELECT_ALLOWED = {
    DictType: "数据字典类型: a handful of configuration rows, visible to every account (系统管理员 pages only)",
}


def _our_list_endpoints(app):
    """(url, view, model) of every list page of our views (ModelViews, and BaseViews with a scoped_model)."""
    found = []
    for rule in app.url_map.iter_rules():
        view = getattr(app.view_functions[rule.endpoint], "__self__", None)
        if not rule.endpoint.endswith(".list") or rule.arguments or view is None:
            continue
        if not type(view).__module__.startswith("app."):
            continue
        datamodel = getattr(view, "datamodel", None)
        model = datamodel.obj if datamodel is not None else getattr(view, "scoped_model", None)
        if model is not None:
            found.append((rule.rule, view, model))
    return found


# --- (a) no delete over GET ---------------------------------------------------------------------

def test_csrf_protect_is_installed(app):
    assert "csrf" in app.extensions


def test_get_to_a_delete_url_deletes_nothing(app, personas, login):
    client = login(personas.admin)
    dept = Department(name="待删除的测试部门", region_code="330102", enabled=True)
    db.session.add(dept)
    db.session.commit()
    response = client.get("/departmentview/delete/%d" % dept.id)
    assert response.status_code in (302, 403, 405)
    db.session.rollback()
    assert db.session.get(Department, dept.id) is not None

    # every delete URL of every view, as every account that may delete there
    tested = 0
    for rule in app.url_map.iter_rules():
        view = getattr(app.view_functions[rule.endpoint], "__self__", None)
        if not rule.endpoint.endswith(".delete") or not isinstance(view, ScopedModelView):
            continue
        model = view.datamodel.obj
        pk = model.__mapper__.primary_key[0]
        row = db.session.execute(select(model)).scalars().first()
        if row is None:
            continue
        key = getattr(row, pk.key)
        count = db.session.query(model).count()
        response = client.get(rule.rule.replace("<pk>", str(key)))
        assert response.status_code in (302, 403, 404, 405), rule.rule
        db.session.rollback()
        assert db.session.query(model).count() == count, rule.rule
        tested += 1
    assert tested >= 3


def test_get_to_an_action_url_changes_nothing(personas, login):
    plan = factories.training_plan(personas.inst_a, state="submitted", owner=personas.inst_a_user)
    client = login(personas.city)
    response = client.get("/trainingplanreview/pending/action/bulk_accept/%d" % plan.id)
    assert response.status_code in (302, 405)
    db.session.rollback()
    assert db.session.get(TrainingPlan, plan.id).review_state == "submitted"


# --- (b) page sizes -----------------------------------------------------------------------------

@pytest.fixture
def many_items(ctx):
    kind = DictType(code="hardening_test", name="分页测试字典")
    db.session.add(kind)
    db.session.flush()
    db.session.add_all([DictItem(type_id=kind.id, value="v%03d" % i, label="分页测试项%03d" % i, sort_order=i)
                        for i in range(130)])
    db.session.commit()
    return db.session.query(DictItem).count()


@pytest.mark.parametrize("query,expected", [
    ("psize_DictItemView=100000", 100), ("psize_DictItemView=101", 100), ("psize_DictItemView=100", 100),
    ("psize_DictItemView=-1", None), ("psize_DictItemView=0", None), ("psize_DictItemView=abc", None),
    ("psize_DictItemView=1e9", None), ("psize_DictItemView=9999999", None), ("page_DictItemView=abc", None),
    ("page_DictItemView=-5", None), ("page_DictItemView=99999", 0), ("psize_DictItemView=&page_DictItemView=",
                                                                         None),
])
def test_page_size_is_capped_and_bad_values_do_not_fail(personas, login, many_items, query, expected):
    assert many_items > 130
    client = login(personas.admin)
    response = client.get("/dictitemview/list/?" + query, follow_redirects=True)
    assert response.status_code == 200, query
    shown = _rows_on_page(response.get_data(as_text=True), "/dictitemview")
    assert len(shown) <= 100
    if expected is not None:
        assert len(shown) == expected, query
    else:
        assert len(shown) > 0


def test_regions_page_size_is_capped(personas, login):
    client = login(personas.admin)
    response = client.get("/regionview/list/?psize_RegionView=100000")
    assert response.status_code == 200
    assert len(_rows_on_page(response.get_data(as_text=True), "/regionview")) == 100  # 102 seed regions


def test_dropping_a_bad_page_argument_keeps_the_filters_as_typed(personas, login):
    client = login(personas.admin)
    response = client.get("/regionview/list/", query_string=[
        ("_flt_0_name", "A&B 宁波"), ("_flt_0_name", "杭州"), ("page_RegionView", "abc")])
    assert response.status_code == 302
    kept = parse_qsl(urlsplit(response.headers["Location"]).query)
    assert kept == [("_flt_0_name", "A&B 宁波"), ("_flt_0_name", "杭州")]


def test_page_argument_inside_another_name_does_not_fail(personas, login):
    client = login(personas.admin)
    response = client.get("/regionview/list/?xpage_RegionView=abc", follow_redirects=True)
    assert response.status_code == 200


# --- (c) search forms -----------------------------------------------------------------------------

def test_the_detector_finds_fab_style_options(personas):
    """The scan below is only worth something if it recognises the options FAB renders (JSON-escaped)."""
    dept = personas.city_dept
    escaped = '{"department": "\\u003cselect id=\\"department\\"\\u003e\\u003coption value=\\"%d\\"\\u003e%s' \
              '\\u003c/option\\u003e\\u003c/select\\u003e"}' % (dept.id, dept.name)
    from app.models.user import AppUser

    assert [(m, v) for m, v, _ in related_options(escaped, AppUser)] == [(Department, str(dept.id))]
    plain = '<select><option value="%d">%s</option></select>' % (personas.inst_a.id, personas.inst_a.name)
    assert [m for m, _, _ in related_options(plain, TrainingPlan)] == [Institution]


PERSONAS = factories.PERSONA_USERS


def test_no_search_form_lists_a_related_table(app, personas, login):
    from tests.services.test_scope import build_world

    build_world(personas)
    problems, pages = [], 0
    for persona in PERSONAS:
        user = getattr(personas, persona)
        client = None
        grants = {(pv.permission.name, pv.view_menu.name) for role in user.roles for pv in role.permissions}
        for url, view, model in _our_list_endpoints(app):
            if "can_list" not in (view.base_permissions or ["can_list"]) or \
                    ("can_list", view.class_permission_name) not in grants:
                continue
            client = client or login(user)
            response = client.get(url, follow_redirects=True)  # e.g. 本机构信息 goes to its one record
            assert response.status_code == 200, (persona, url, response.status_code)
            pages += 1
            scope = Scope.for_user(user)
            for related, value, text in related_options(response.get_data(as_text=True), model):
                if related in SEARCH_SELECT_ALLOWED:
                    continue
                pk = related.__mapper__.primary_key[0]
                visible = db.session.execute(select(pk).where(pk == value, scope.criterion(related))).first()
                problems.append("%s %s: <option value=%s>%s</option> of %s%s" % (
                    persona, url, value, text, related.__name__,
                    "" if visible else "  ← OUT OF SCOPE: a leak"))
    assert pages > 20
    assert not problems, (
        "search forms holding related rows (use a text filter on a denormalised/name column instead, "
        "e.g. plans.py FilterInstitutionName):\n" + "\n".join(problems[:50]))


def test_enrollment_list_does_not_offer_all_enterprises_or_institutions(personas, login):
    from tests.services.test_scope import build_world

    world = build_world(personas)
    names = [row.name for row in db.session.execute(select(Enterprise)).scalars()] + \
            [row.name for row in db.session.execute(select(Institution)).scalars()]
    for user in (personas.admin, personas.province, personas.county, personas.inst_a_user, personas.ent_b_user):
        body = _decoded(login(user).get("/enrollmentview/list/").get_data(as_text=True))
        options = {html.unescape(text).strip() for _, text in OPTION.findall(body)}
        assert not options & set(names), (user.username, options & set(names))
        # the rows themselves are scoped: the county does not get 宁波's own enrollment
        if user is personas.county:
            assert world.e_bb.worker_name not in body or world.e_ba.worker_name == world.e_bb.worker_name
    county = Scope.for_user(personas.county)
    assert world.e_bb.id not in set(db.session.execute(
        select(Enrollment.id).where(county.criterion(Enrollment))).scalars())


# --- (d) CSRF -----------------------------------------------------------------------------------

@contextlib.contextmanager
def csrf_enabled(app):
    """Turn CSRF checking on for the block (the test config has it off), whatever happens inside."""
    before = app.config["WTF_CSRF_ENABLED"]
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = before


def test_post_without_token_is_refused_in_chinese(app, personas, login):
    plan = factories.training_plan(personas.inst_a, state="draft")
    dept = personas.county_dept
    admin, institution = login(personas.admin), login(personas.inst_a_user)  # log in before CSRF is on
    with csrf_enabled(app):
        cases = [
            (admin, "/departmentview/edit/%d" % dept.id, {"name": "改名测试", "region_code": dept.region_code}),
            (admin, "/departmentview/delete/%d" % dept.id, {}),
            (institution, "/trainingplanview/workflow/%d" % plan.id, {"move": "submit", "version": "0"}),
            (admin, "/dictitemview/add", {"value": "x", "label": "x"}),
        ]
        for client, url, data in cases:
            response = client.post(url, data=data)
            assert response.status_code == 400, (url, response.status_code)
            assert CSRF_MESSAGE in response.get_data(as_text=True), url
        response = institution.post("/trainingplanview/workflow/%d" % plan.id,
                                    data={"move": "submit", "csrf_token": "forged-token"})
        assert response.status_code == 400 and CSRF_MESSAGE in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Department, dept.id).name == "西湖区住房和城乡建设局"
    assert db.session.get(TrainingPlan, plan.id).review_state == "draft"


def test_post_with_a_valid_token_goes_through(app, personas, login):
    """The refusal above is the token's doing: the same POST with the page's token is accepted."""
    plan = factories.training_plan(personas.inst_a, state="draft")
    client = login(personas.inst_a_user)
    with csrf_enabled(app):
        page = client.get("/trainingplanview/show/%d" % plan.id).get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or \
            re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
        assert token, "the detail page carries a CSRF token"
        response = client.post("/trainingplanview/workflow/%d" % plan.id,
                               data={"move": "submit", "version": str(plan.review_version),
                                     "csrf_token": token.group(1)})
        assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(TrainingPlan, plan.id).review_state == "submitted"


def test_crafted_sort_and_filter_arguments_are_dropped_not_a_500(app, personas, login):
    """A sort column FAB does not know or a filter index past a column's filters: redirected without them."""
    client = login(personas.admin)
    checked = 0
    for url, view, _model in _our_list_endpoints(app):
        if not isinstance(view, ScopedModelView):
            continue  # a page of its own, not FAB's list
        name = view.__class__.__name__
        searchable = view._filters.get_search_filters()
        # FAB reads one digit of filter index: the first column with fewer than 10 filters has an impossible one
        column = next((c for c, filters in searchable.items() if len(filters) < 10), None)
        crafted = "%s?_oc_%s=no_such_column&_od_%s=asc" % (url, name, name)
        bad_filter = "_flt_%d_%s" % (len(searchable[column]), column) if column else None
        if bad_filter:
            crafted += "&%s=x" % bad_filter
        response = client.get(crafted)
        if response.status_code in (403, 404):
            continue  # not the admin's list
        assert response.status_code == 302, (crafted, response.status_code)
        cleaned = response.headers["Location"]
        assert "no_such_column" not in cleaned and (bad_filter is None or bad_filter not in cleaned), cleaned
        assert client.get(cleaned, follow_redirects=True).status_code == 200, cleaned
        checked += 1
    assert checked > 15
