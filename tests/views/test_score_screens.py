"""成绩导入 / 成绩证书 screens over HTTP: template download, import (errors listed + workbook back), 上报,
department review, 生成证书 only when 审核通过 (server refuses otherwise), progress, 拉取证书, 推送, 撤销, scope."""
import io
import random

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import Certificate, Enrollment, ScoreReport
from tests.exam_helpers import ticketed_exam


@pytest.fixture
def exam_id(personas):
    p = personas
    exam, _roster = ticketed_exam(p, 3, random.Random(5))
    return exam.id


def fill(template_bytes, scores):
    wb = load_workbook(io.BytesIO(template_bytes))
    ws = wb["成绩"]
    for row, (theory, practical) in enumerate(scores, start=2):
        ws.cell(row=row, column=4, value=theory)
        ws.cell(row=row, column=5, value=practical)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, exam_id, data, name="成绩.xlsx"):
    return client.post("/scores/exam/%d/import" % exam_id, data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def report_of(exam_id):
    db.session.expire_all()
    return db.session.query(ScoreReport).filter_by(exam_plan_id=exam_id).one()


def test_full_flow_over_http(login, personas, exam_id):
    inst, dept = login(personas.inst_a_user), login(personas.city)
    page = inst.get("/scores/")
    assert page.status_code == 200 and "成绩与证书" in page.text
    template = inst.get("/scores/exam/%d/template" % exam_id)
    assert template.status_code == 200 and template.data.startswith(b"PK")

    # a bad import: nothing written, every error listed, the workbook with 错误信息 offered
    bad = upload(inst, exam_id, fill(template.data, [(101, 80), ("x", 80), (70, 70)]))
    assert bad.status_code == 302 and "errors=1" in bad.headers["Location"]
    page = inst.get(bad.headers["Location"])
    assert "成绩导入失败" in page.text and "成绩必须在 0–100 之间" in page.text and "成绩必须是数字" in page.text
    link = page.text.split('id="error-workbook" href="')[1].split('"')[0]
    marked = load_workbook(io.BytesIO(inst.get(link).data))["成绩"]
    assert marked.cell(row=1, column=8).value == "错误信息" and marked.cell(row=2, column=8).value
    assert dept.get(link).status_code == 404  # another session cannot fetch it
    assert "尚未导入成绩" in inst.get("/scores/exam/%d" % exam_id).text

    # a renamed PDF
    page = inst.get(upload(inst, exam_id, b"%PDF-1.4 fake").headers["Location"])
    assert "文件类型错误" in page.text

    # good import, 上报
    assert upload(inst, exam_id, fill(template.data, [(80, 80), (50, 90), (60, 60)])).status_code == 302
    page = inst.get("/scores/exam/%d" % exam_id)
    assert page.text.count(">合格<") == 2 and page.text.count(">不合格<") == 1
    report = report_of(exam_id)
    inst.post("/scores/exam/%d/workflow" % exam_id, data={"move": "submit", "version": report.review_version})
    assert report_of(exam_id).review_state == "submitted"

    # department: 未审核 tab lists it; not yet approved → no 生成证书, and the server refuses
    assert "成绩证书（未审核）" in dept.get("/scorereportreview/pending/list/").text
    assert 'id="btn-generate"' not in dept.get("/scores/exam/%d" % exam_id).text
    dept.post("/scores/exam/%d/generate" % exam_id)
    assert db.session.query(Certificate).count() == 0
    report = report_of(exam_id)
    show = dept.get("/scorereportreview/all/show/%d" % report.id)
    assert "查看成绩与证书" in show.text
    dept.post("/scorereportreview/all/review/%d" % report.id, data={"move": "accept", "version": report.review_version})
    report = report_of(exam_id)
    dept.post("/scorereportreview/all/review/%d" % report.id, data={"move": "approve", "version": report.review_version})
    assert report_of(exam_id).review_state == "approved"
    assert {e.score_status for e in db.session.query(Enrollment).filter_by(exam_plan_id=exam_id)} == {"已审核"}

    # 生成证书 (eager Celery), progress, 拉取证书, 推送 (local adapter)
    page = dept.get("/scores/exam/%d" % exam_id)
    assert 'id="btn-generate"' in page.text and 'id="btn-pull"' not in page.text
    assert inst.post("/scores/exam/%d/generate" % exam_id).status_code in (302, 403, 404)
    assert db.session.query(Certificate).count() == 0  # the institution may not generate
    dept.post("/scores/exam/%d/generate" % exam_id)
    progress = dept.get("/scores/exam/%d/progress" % exam_id).get_json()
    assert progress["status"] == "finished" and progress["done"] == progress["total"] == 2
    db.session.expire_all()
    assert {e.cert_status for e in db.session.query(Enrollment).filter_by(exam_plan_id=exam_id)} == {"证书未生成"}
    dept.post("/scores/exam/%d/pull" % exam_id)
    db.session.expire_all()
    assert sorted(e.cert_status for e in db.session.query(Enrollment).filter_by(exam_plan_id=exam_id)) == \
        ["证书已生成未推送"] * 2 + ["证书未生成"]
    dept.post("/scores/exam/%d/push" % exam_id)
    db.session.expire_all()
    assert {c.status for c in db.session.query(Certificate)} == {"pushed"}
    cert = db.session.query(Certificate).first()
    pdf = dept.get("/scores/certificate/%d/pdf" % cert.id)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert inst.get("/scores/certificate/%d/pdf" % cert.id).status_code == 200
    dept.post("/scores/certificate/%d/revoke" % cert.id, data={"reason": "证书信息有误"})
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).revoked


def test_reject_then_reimport_and_report_again(login, personas, exam_id):
    inst, dept = login(personas.inst_a_user), login(personas.city)
    template = inst.get("/scores/exam/%d/template" % exam_id).data
    upload(inst, exam_id, fill(template, [(80, 80), (80, 80), (80, 80)]))
    inst.post("/scores/exam/%d/workflow" % exam_id, data={"move": "submit"})
    report = report_of(exam_id)
    dept.post("/scorereportreview/all/review/%d" % report.id, data={"move": "accept"})
    dept.post("/scorereportreview/all/review/%d" % report.id, data={"move": "reject", "opinion": "第2名考生成绩有误"})
    assert report_of(exam_id).review_state == "rejected"
    assert {e.score_status for e in db.session.query(Enrollment).filter_by(exam_plan_id=exam_id)} == {"未通过"}
    page = inst.get("/scores/exam/%d" % exam_id)
    assert "第2名考生成绩有误" in page.text and 'id="btn-import"' in page.text
    upload(inst, exam_id, fill(template, [(80, 80), (40, 80), (80, 80)]))
    inst.post("/scores/exam/%d/workflow" % exam_id, data={"move": "submit"})
    assert report_of(exam_id).review_state == "submitted"
    inst.post("/scores/exam/%d/workflow" % exam_id, data={"move": "withdraw"})
    assert report_of(exam_id).review_state == "draft"


def test_scope_other_institution_and_department_get_404(login, personas, exam_id):
    for user in (personas.inst_b_user, personas.other_city):
        client = login(user)
        assert client.get("/scores/exam/%d" % exam_id).status_code == 404
        assert client.get("/scores/exam/%d/template" % exam_id).status_code == 404
    assert login(personas.ent_a_user).get("/scores/exam/%d" % exam_id).status_code in (302, 403, 404)


def test_a_stale_job_is_flagged_and_generate_resubmits_it(app, login, personas):
    """A 生成证书 job without progress (worker gone): the page says so, and 生成证书 re-runs the same job."""
    import datetime

    from app.models import CertificateJob
    from tests.services.test_certificates import approved_exam

    exam = approved_exam(personas, count=3)
    job = CertificateJob(exam_plan_id=exam.id, status="running", total=2, done=0)
    db.session.add(job)
    db.session.commit()
    dept = login(personas.city)
    assert 'id="job-stale"' not in dept.get("/scores/exam/%d" % exam.id).text
    job.updated_at -= datetime.timedelta(seconds=app.config["CERTIFICATE_JOB_STALE_SECONDS"] + 60)
    db.session.commit()
    page = dept.get("/scores/exam/%d" % exam.id).text
    assert 'id="job-stale"' in page and "长时间没有进展" in page
    assert 'id="job-stale"' not in login(personas.inst_a_user).get("/scores/exam/%d" % exam.id).text
    assert dept.post("/scores/exam/%d/generate" % exam.id).status_code == 302
    db.session.expire_all()
    assert db.session.query(CertificateJob).count() == 1
    assert (db.session.get(CertificateJob, job.id).status, db.session.query(Certificate).count()) == ("finished", 2)
    assert 'id="job-stale"' not in dept.get("/scores/exam/%d" % exam.id).text
