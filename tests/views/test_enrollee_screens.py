"""报名人员查询 over HTTP: the page, 详情 and 导出 (direct and background) through each account's scope."""
import datetime
import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Enrollment, ExportJob, SystemSetting
from tests.queries import SqlCounter
from tests.services.test_enrollee_query import EXPECT, NAMES, build_enrollee_world, enroll, make_worker


@pytest.fixture
def world(personas):
    return build_enrollee_world(personas)


def ids_on_page(html):
    return {int(x) for x in re.findall(r'<tr data-id="(\d+)"', html)}


def names(world, ids):
    by_id = {getattr(world, n).id: n for n in NAMES}
    return {by_id[i] for i in ids}


def read_xlsx(data):
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


@pytest.mark.parametrize("persona", ["province", "city", "county", "other_city", "inst_a_user", "inst_b_user",
                                     "ent_a_user", "ent_b_user"])
def test_the_list_shows_exactly_the_scope(personas, world, login, persona):
    response = login(getattr(personas, persona)).get("/enrollmentview/list/?psize=100")
    assert response.status_code == 200
    assert names(world, ids_on_page(response.text)) == EXPECT[persona]


def test_the_list_masks_ids_and_shows_seed_statuses(personas, world, login):
    html = login(personas.county).get("/enrollmentview/list/?name=张西湖").text
    assert world.w_a.id_number not in html
    assert world.w_a.masked_id_number in html
    row = html[html.index('<tr data-id="%d"' % world.e_done.id):]
    row = row[:row.index("</tr>")]
    for text in ("培训结束", "已审核", "证书已推送"):
        assert text in row
    for label in ("姓名", "身份证号", "手机号", "企业名称", "培训机构名称", "培训计划名称", "考核计划名称", "培训计划",
                  "考核计划", "成绩报审", "培训证书", "报名中", "证书已生成未推送", "未通过"):
        assert label in html  # filter labels, column headers and status choices in the seed's words


def test_filters_over_http(personas, world, login):
    client = login(personas.city)
    cases = [("name=西湖", {"e_aa", "e_done"}), ("id_number=%s" % world.w_b.id_number, {"e_ba"}),
             ("mobile=13912345678", {"e_aa", "e_done"}), ("enterprise_name=余杭", {"e_cc"}),
             ("institution_name=杭州建工", {"e_aa", "e_ba", "e_done", "e_formula", "e_control"}),
             ("plan_name=砌筑工", {"e_aa", "e_ba"}), ("exam_plan_name=考核", {"e_done"}),
             ("plan_status=报名中", {"e_aa", "e_ba", "e_cc"}), ("cert_status=证书已推送", {"e_done"}),
             ("score_status=已审核&exam_status=已审核", {"e_done"})]
    for query, expected in cases:
        html = client.get("/enrollmentview/list/?" + query).text
        assert names(world, ids_on_page(html)) == expected, query
    html = client.get("/enrollmentview/list/?id_number=33010619").text
    assert "请输入完整的18位身份证号" in html and ids_on_page(html) == set()


def test_pages_have_next_and_previous_without_counting(personas, world, login):
    client = login(personas.province)
    with SqlCounter() as counter:
        html = client.get("/enrollmentview/list/?psize=3").text
    first = ids_on_page(html)
    assert len(first) == 3 and "下一页" in html and "上一页" not in html
    assert "统计总数" in html and "共 " not in html
    assert not any("count(" in s.lower() for s in counter.statements), "a page must not count"
    assert len(counter.statements) <= 10, counter.statements
    next_url = re.search(r'id="link-next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    html2 = client.get(next_url).text
    second = ids_on_page(html2)
    assert len(second) == 3 and not first & second and "上一页" in html2
    html3 = client.get(re.search(r'id="link-next" href="([^"]+)"', html2).group(1).replace("&amp;", "&")).text
    assert len(ids_on_page(html3)) == 1 and "下一页" not in html3
    back = client.get(re.search(r'id="link-prev" href="([^"]+)"', html3).group(1).replace("&amp;", "&")).text
    assert ids_on_page(back) == second
    # the count only when asked for
    counted = client.get("/enrollmentview/list/?psize=3&count=1").text
    assert "共 7 条" in counted
    # a single page is counted for free
    assert "共 2 条" in client.get("/enrollmentview/list/?name=西湖").text


def test_page_size_is_capped_at_100(personas, world, login):
    worker = make_worker("批量学员", personas.ent_a, "330106")
    for index in range(102):
        plan = world.plan_a if index % 2 else world.plan_c
        other = make_worker("批量%03d" % index, personas.ent_a, "330106") if index else worker
        enroll(plan, other, personas.ent_a, personas.inst_a if plan is world.plan_a else world.inst_c)
    db.session.commit()
    html = login(personas.province).get("/enrollmentview/list/?psize=100000").text
    assert len(ids_on_page(html)) == 100 and "下一页" in html
    assert len(ids_on_page(login(personas.province).get("/enrollmentview/list/?psize=abc").text)) == 20


# --- 详情 -------------------------------------------------------------------------------------------

def test_detail_shows_the_four_sections_with_full_id(personas, world, login):
    response = login(personas.county).get("/enrollmentview/show/%d" % world.e_done.id)
    assert response.status_code == 200
    html = response.text
    for section in ("申报信息", "培训信息", "考核信息", "证书信息"):
        assert section in html
    assert world.w_a.id_number in html  # full ID for the department in charge
    assert world.cand_done.ticket_no in html  # 准考证号
    assert "26330100102000001" in html  # 证书编号
    assert "杭州建工砌筑工培训计划" in html  # the worker's other enrollment in scope is a training entry
    assert 'data-toggle="collapse"' in html and 'class="panel-collapse collapse"' in html


def test_admin_sees_the_detail_masked(personas, world, login):
    html = login(personas.admin).get("/enrollmentview/show/%d" % world.e_aa.id).text
    assert world.w_a.id_number not in html and world.w_a.masked_id_number in html


@pytest.mark.parametrize("persona, target", [
    ("county", "e_bb"), ("county", "e_cc"), ("other_city", "e_aa"), ("inst_b_user", "e_aa"),
    ("ent_b_user", "e_aa"), ("ent_a_user", "e_ba"), ("city", "e_bb"),
])
def test_detail_of_a_foreign_enrollment_is_404(personas, world, login, persona, target):
    response = login(getattr(personas, persona)).get("/enrollmentview/show/%d" % getattr(world, target).id)
    assert response.status_code == 404
    assert getattr(world, target).worker_name not in response.text


def test_detail_of_forged_ids_is_404(personas, world, login):
    client = login(personas.province)
    missing = db.session.execute(select(Enrollment.id).order_by(Enrollment.id.desc())).scalar() + 1000
    for url in ("/enrollmentview/show/%d" % missing, "/enrollmentview/show/0", "/enrollmentview/show/-1",
                "/enrollmentview/show/abc"):
        assert client.get(url).status_code == 404, url


def test_anonymous_is_sent_to_login(app, world):
    response = app.test_client().get("/enrollmentview/list/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- 导出 -------------------------------------------------------------------------------------------

def test_direct_export_of_a_county(personas, world, login):
    response = login(personas.county).post("/enrollmentview/export", data={"plan_name": "杭州建工"})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_xlsx(response.data)
    assert rows[0][:3] == ["姓名", "身份证号", "手机号"] and len(rows[0]) == 12
    assert len(rows) - 1 == len(EXPECT["county"])
    assert {r[4] for r in rows[1:]} == {personas.inst_a.name}
    assert world.w_a.id_number not in {c for r in rows for c in r}
    log = db.session.execute(select(AuditLog).where(AuditLog.action == "export")).scalar_one()
    assert log.user_id == personas.county.id and "培训计划名称=杭州建工" in log.detail and "5 行" in log.detail


def test_export_needs_post(personas, world, login):
    assert login(personas.county).get("/enrollmentview/export").status_code == 405


def _background(personas, login, persona="county"):
    db.session.get(SystemSetting, "export_sync_max_rows").value = "2"
    db.session.commit()
    client = login(getattr(personas, persona))
    response = client.post("/enrollmentview/export", data={})
    assert response.status_code == 302
    job_id = int(re.search(r"/exports/(\d+)", response.headers["Location"]).group(1))
    from tests.services.test_exports import wait_for

    wait_for(job_id)
    return client, job_id


def test_large_export_runs_in_the_background_and_its_owner_downloads_it(personas, world, login):
    client, job_id = _background(personas, login)
    status = client.get("/exports/%d" % job_id)
    assert status.status_code == 200 and "已完成" in status.text and "下载" in status.text
    progress = client.get("/exports/%d/progress" % job_id).json
    assert progress["status"] == "finished" and progress["progress"] == 100
    assert progress["rows"] == len(EXPECT["county"]) and progress["download_url"]
    response = client.get("/exports/%d/file" % job_id)
    assert response.status_code == 200
    rows = read_xlsx(response.data)
    assert len(rows) - 1 == len(EXPECT["county"]) and {r[4] for r in rows[1:]} == {personas.inst_a.name}
    assert "导出" in client.get("/exports/").text


@pytest.mark.parametrize("other", ["city", "province", "inst_a_user", "ent_a_user", "admin"])
def test_another_users_export_job_is_404(personas, world, login, other):
    _client, job_id = _background(personas, login)
    client = login(getattr(personas, other))
    for url in ("/exports/%d/file", "/exports/%d", "/exports/%d/progress"):
        response = client.get(url % job_id)
        assert response.status_code in (403, 404), (other, url, response.status_code)
        assert response.status_code == 404 or other == "admin"  # admin holds no export permission at all


def test_an_expired_link_is_refused_in_chinese(personas, world, login):
    client, job_id = _background(personas, login)
    job = db.session.get(ExportJob, job_id)
    job.expires_at = datetime.datetime.now() - datetime.timedelta(minutes=5)
    db.session.commit()
    response = client.get("/exports/%d/file" % job_id)
    assert response.status_code == 410
    assert "下载链接已过期，请重新导出" in response.text
    assert "已过期" in client.get("/exports/%d" % job_id).text


def test_forged_export_job_ids_are_404(personas, world, login):
    client = login(personas.county)
    for url in ("/exports/987654/file", "/exports/987654", "/exports/987654/progress"):
        assert client.get(url).status_code == 404


# --- menus -------------------------------------------------------------------------------------------

def test_departments_have_the_query_and_the_dashboard_in_their_menu(personas, world, login):
    html = login(personas.county).get("/enrollmentview/list/").text
    assert "报名人员查询" in html and "统计分析" in html and "行业数据看板" in html
    html = login(personas.inst_a_user).get("/enrollmentview/list/").text
    assert "报名人员查询" in html and "行业数据看板" not in html
    assert login(personas.inst_a_user).get("/dashboard/").status_code == 403
