"""企业资质审核 over HTTP: the department opens the documents and decides; the enterprise corrects and resubmits;
scope (forged ids → 404); the 企业列表 search; the banner while not approved."""
import io
import json
import re
from urllib.parse import unquote

import pytest

from app.extensions import db
from app.models import Enterprise, UploadedFile
from tests.factories import PASSWORD
from tests.services.test_enterprises import PDF, PNG, enterprise_data, register, store_snapshot

PENDING = "/enterprisereview/pending"
ALL = "/enterprisereview/all"
MINE = "/myenterpriseview"


def _state(enterprise):
    db.session.expire_all()
    return db.session.get(Enterprise, enterprise.id).review_state


@pytest.fixture
def submitted(personas):
    """A freshly registered enterprise of 西湖区 (reviewed by the county) with its login."""
    return register(enterprise_data(name="杭州待审建设有限公司", region_code="330106"), username="pending_ent",
                    password=PASSWORD, confirm_password=PASSWORD)


@pytest.fixture
def yuhang(personas):
    """A registered enterprise of 余杭区, which has no department: the city reviews it."""
    return register(enterprise_data(name="余杭待审建设有限公司", region_code="330110"), username="yuhang_ent",
                    password=PASSWORD, confirm_password=PASSWORD)


def _document_links(page):
    return re.findall(r'href="/files/(\d+)"[^>]*class="document-link" data-field="(\w+)"', page)


def test_department_opens_the_three_documents_inline_with_their_chinese_names(personas, login, submitted):
    enterprise, _user = submitted
    county = login(personas.county)
    listing = county.get(PENDING + "/list/").text
    assert "杭州待审建设有限公司" in listing and "未受理" in listing
    show = county.get("%s/show/%d" % (PENDING, enterprise.id)).text
    links = dict((field, int(pk)) for pk, field in _document_links(show))
    assert links == {"commitment_file": enterprise.commitment_file_id, "license_file": enterprise.license_file_id,
                     "qualification_file": enterprise.qualification_file_id}
    assert "审核部门：西湖区住房和城乡建设局" in show and 'target="_blank"' in show
    for field, pk in links.items():
        response = county.get("/files/%d" % pk)
        record = db.session.get(UploadedFile, pk)
        assert response.status_code == 200 and response.data == (PNG if field == "qualification_file" else PDF)
        assert response.mimetype == record.content_type
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("inline") and unquote(disposition.split("''")[1]) == record.original_name


def test_reject_with_opinion_then_correct_resubmit_and_approve(personas, login, submitted):
    p = personas
    enterprise, user = submitted
    county = login(p.county)
    show = county.get("%s/show/%d" % (PENDING, enterprise.id)).text
    assert 'id="btn-approve"' in show and 'id="btn-reject"' in show  # 受理 is implicit for enterprises
    refused = county.post("%s/review/%d" % (PENDING, enterprise.id), data={"move": "reject", "opinion": " "},
                          follow_redirects=True)
    assert "审核不通过时必须填写审核意见" in refused.text and _state(enterprise) == "submitted"
    county.post("%s/review/%d" % (PENDING, enterprise.id),
                data={"move": "reject", "opinion": "营业执照名称与企业名称不一致", "version": enterprise.review_version})
    assert _state(enterprise) == "rejected"
    assert "杭州待审建设有限公司" in county.get("/enterprisereview/reviewed/list/").text

    # The enterprise sees the opinion on its home page and on 企业信息, with 修改资料.
    ent = login(user)
    home = ent.get("/").text
    assert "审核不通过" in home and "营业执照名称与企业名称不一致" in home
    assert ent.get(MINE + "/list/").headers["Location"].endswith("%s/show/%d" % (MINE, enterprise.id))
    mine = ent.get("%s/show/%d" % (MINE, enterprise.id)).text
    assert 'id="btn-edit-enterprise"' in mine and 'id="btn-submit"' in mine
    assert "营业执照名称与企业名称不一致" in mine and len(_document_links(mine)) == 3
    form_page = ent.get("%s/edit/%d" % (MINE, enterprise.id)).text
    assert "杭州待审建设有限公司" in form_page and "营业执照.pdf" in form_page  # current values and files

    old_license = db.session.get(Enterprise, enterprise.id).license_file_id
    data = enterprise_data(name="杭州待审建设集团有限公司", uscc=enterprise.uscc, region_code="330106")
    data.update(save="submit", license_file=(io.BytesIO(PNG), "营业执照（更正）.png"))
    response = ent.post("%s/edit/%d" % (MINE, enterprise.id), data=data, content_type="multipart/form-data",
                        follow_redirects=True)
    assert "企业资料已保存并重新上报" in response.text
    db.session.expire_all()
    corrected = db.session.get(Enterprise, enterprise.id)
    assert (corrected.name, corrected.review_state) == ("杭州待审建设集团有限公司", "submitted")
    assert corrected.license_file_id != old_license
    assert db.session.get(UploadedFile, corrected.license_file_id).original_name == "营业执照（更正）.png"
    assert 'id="btn-edit-enterprise"' not in ent.get("%s/show/%d" % (MINE, enterprise.id)).text

    county.post("%s/review/%d" % (PENDING, enterprise.id), data={"move": "approve", "opinion": "材料齐全"})
    assert _state(enterprise) == "approved"
    records = county.get("%s/records/%d" % (ALL, enterprise.id)).text
    for text in ("上报", "受理", "审核不通过", "审核通过", "营业执照名称与企业名称不一致", "材料齐全",
                 p.county.first_name):
        assert text in records
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", records)  # when
    home = ent.get("/").text
    assert "审核通过" in home and "enterprise-approval-banner" not in ent.get("/workerview/list/").text


def test_enterprise_saves_without_submitting_then_uses_the_report_button(personas, login, submitted):
    enterprise, user = submitted
    login(personas.county).post("%s/review/%d" % (PENDING, enterprise.id), data={"move": "reject", "opinion": "缺章"})
    ent = login(user)
    data = enterprise_data(name="仅保存的名称", uscc=enterprise.uscc, save="save")
    saved = ent.post("%s/edit/%d" % (MINE, enterprise.id), data=data, content_type="multipart/form-data",
                     follow_redirects=True).text
    assert "请点击“上报”提交审核" in saved and _state(enterprise) == "rejected"
    ent.post("%s/workflow/%d" % (MINE, enterprise.id), data={"move": "submit"})
    assert _state(enterprise) == "submitted"


def test_bad_correction_shows_messages_and_changes_nothing(personas, login, submitted):
    enterprise, user = submitted
    login(personas.county).post("%s/review/%d" % (PENDING, enterprise.id), data={"move": "reject", "opinion": "缺章"})
    ent = login(user)
    before = store_snapshot()
    data = enterprise_data(name="改了但不该保存", uscc=personas.ent_a.uscc, contact_mobile="999", save="submit")
    data["license_file"] = (io.BytesIO(b"MZ" + b"\x00" * 100), "营业执照.pdf")
    page = ent.post("%s/edit/%d" % (MINE, enterprise.id), data=data, content_type="multipart/form-data").text
    for message in ("已注册", "手机号格式不正确", "不是有效的PDF、JPG或PNG文件"):
        assert message in page
    assert 'value="改了但不该保存"' in page
    assert store_snapshot() == before
    db.session.expire_all()
    assert db.session.get(Enterprise, enterprise.id).name == "杭州待审建设有限公司" and _state(enterprise) == "rejected"


def test_edit_is_refused_while_under_review(personas, login, submitted):
    enterprise, user = submitted
    ent = login(user)
    response = ent.get("%s/edit/%d" % (MINE, enterprise.id), follow_redirects=True)
    assert "不能修改企业资料" in response.text
    posted = ent.post("%s/edit/%d" % (MINE, enterprise.id), data=enterprise_data(name="偷改", uscc=enterprise.uscc),
                      content_type="multipart/form-data")
    assert posted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Enterprise, enterprise.id).name == "杭州待审建设有限公司"


def test_banner_says_why_an_unapproved_enterprise_cannot_enroll(personas, login, submitted):
    enterprise, user = submitted
    ent = login(user)
    page = ent.get("/workerview/list/").text
    assert 'id="enterprise-approval-banner"' in page
    assert "企业资质尚未审核通过，不能报名（当前状态：未受理）" in page and "请等待主管部门审核" in page
    assert 'id="enterprise-approval-banner"' not in ent.get("/").text  # the home page shows the state itself


def test_approved_enterprise_sees_no_banner(personas, login):
    page = login(personas.ent_a_user).get("/workerview/list/").text
    assert "enterprise-approval-banner" not in page


# --- scope: forged ids answer 404 ------------------------------------------------------------------

def test_county_department_cannot_see_or_act_on_another_countys_enterprise(personas, login, yuhang):
    enterprise, _user = yuhang
    county = login(personas.county)
    assert "余杭待审建设有限公司" not in county.get(PENDING + "/list/").text
    for url in ("%s/show/%d" % (PENDING, enterprise.id), "%s/records/%d" % (ALL, enterprise.id),
                "/enterpriseview/show/%d" % enterprise.id, "/files/%d" % enterprise.license_file_id):
        assert county.get(url).status_code == 404, url
    assert county.post("%s/review/%d" % (PENDING, enterprise.id),
                       data={"move": "approve"}).status_code == 404
    assert county.post(PENDING + "/action_post", data={"action": "bulk_approve",
                                                       "rowid": [enterprise.id]}).status_code == 404
    assert _state(enterprise) == "submitted"


def test_city_reviews_counties_without_a_department_but_not_those_with_one(personas, login, yuhang, submitted):
    city = login(personas.city)
    yh, _ = yuhang
    xh, _ = submitted
    listing = city.get(PENDING + "/list/").text
    assert "余杭待审建设有限公司" in listing and "杭州待审建设有限公司" in listing  # supervises both
    own = city.get("%s/show/%d" % (PENDING, yh.id)).text
    assert 'id="btn-approve"' in own and "审核部门：杭州市城乡建设委员会" in own
    watched = city.get("%s/show/%d" % (PENDING, xh.id)).text
    assert 'id="btn-approve"' not in watched and len(_document_links(watched)) == 3  # read-only, documents open
    refused = city.post("%s/review/%d" % (PENDING, xh.id), data={"move": "approve"}, follow_redirects=True)
    assert "无权" in refused.text and _state(xh) == "submitted"
    city.post("%s/review/%d" % (PENDING, yh.id), data={"move": "approve"})
    assert _state(yh) == "approved"


def test_an_enterprise_cannot_reach_another_enterprise(personas, login, submitted):
    enterprise, _user = submitted
    other = login(personas.ent_b_user)
    for url in ("%s/show/%d" % (MINE, enterprise.id), "%s/edit/%d" % (MINE, enterprise.id),
                "%s/records/%d" % (MINE, enterprise.id), "/files/%d" % enterprise.commitment_file_id):
        assert other.get(url).status_code == 404, url
    for url, data in (("%s/edit/%d" % (MINE, enterprise.id), enterprise_data(uscc=enterprise.uscc)),
                      ("%s/workflow/%d" % (MINE, enterprise.id), {"move": "withdraw"})):
        assert other.post(url, data=data).status_code == 404
    assert other.get(PENDING + "/list/").status_code == 403
    assert _state(enterprise) == "submitted"


def test_other_city_department_sees_nothing_of_hangzhou(personas, login, submitted):
    enterprise, _user = submitted
    ningbo = login(personas.other_city)
    assert ningbo.get("%s/show/%d" % (PENDING, enterprise.id)).status_code == 404
    assert ningbo.get("/files/%d" % enterprise.license_file_id).status_code == 404


def _search_inputs(page):
    """The search inputs FAB's filter script receives ({column: input html})."""
    decoder = json.JSONDecoder()
    rest = page[page.index("AdminFilters(") + len("AdminFilters("):]
    rest = rest[rest.index(",") + 1:].lstrip()
    _labels, end = decoder.raw_decode(rest)
    rest = rest[end:].lstrip()[1:].lstrip()
    return decoder.raw_decode(rest)[0]


# --- 企业列表: search by name, USCC, region code and status (Chinese labels) ------------------------

def test_enterprise_list_searches_by_status_label_name_uscc_and_region(personas, login, submitted, yuhang):
    p = personas
    xh, _ = submitted
    yh, _ = yuhang
    login(p.city).post("%s/review/%d" % (PENDING, yh.id), data={"move": "reject", "opinion": "缺少资质证书"})
    city = login(p.city)
    page = city.get("/enterpriseview/list/").text
    assert '<option value="rejected">审核不通过</option>' in _search_inputs(page)["review_state"]  # Chinese labels

    def names(query):
        text = city.get("/enterpriseview/list/?" + query).text
        return {n for n in ("杭州待审建设有限公司", "余杭待审建设有限公司", p.ent_a.name, p.ent_b.name) if n in text}

    assert names("_flt_3_review_state=rejected") == {"余杭待审建设有限公司"}
    assert names("_flt_3_review_state=submitted") == {"杭州待审建设有限公司"}
    assert names("_flt_3_review_state=approved") == {p.ent_a.name}  # 宁波 is out of the city's scope
    assert names("_flt_2_name=待审") == {"杭州待审建设有限公司", "余杭待审建设有限公司"}
    assert names("_flt_3_uscc=" + xh.uscc) == {"杭州待审建设有限公司"}
    assert names("_flt_0_region_code=330110") == {"余杭待审建设有限公司"}
    show = city.get("/enterpriseview/show/%d" % xh.id).text
    assert len(_document_links(show)) == 3 and "浙江省杭州市西湖区" in show
