"""考核计划 screens and exam document downloads over HTTP as the personas: form, review, scope (404s)."""
import io

from pypdf import PdfReader

from app.extensions import db
from app.models import ExamCandidate, ExamPlan
from app.services import exams
from tests.exam_helpers import exam_data, examiners, trained_plan

OWN = "/examplanview"
PENDING = "/examplanreview/pending"
DOCS = "/examdocs"


def _form(p, **overrides):
    data = exam_data(p.inst_a)
    form = {name: (value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value))
            for name, value in data.items() if name in exams.FIELDS}
    form.update(overrides)
    return form


def _post_form(client, plan, form, examiner_ids, extra=()):
    body = [(k, v) for k, v in form.items()] + [("examiner_ids", str(i)) for i in examiner_ids] + list(extra)
    from werkzeug.datastructures import MultiDict

    return client.post(OWN + "/add?plan_id=%d" % plan.id, data=MultiDict(body))


def _pdf_text(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_institution_creates_an_exam_plan_with_messages_next_to_the_fields(personas, login):
    p = personas
    plan, people = trained_plan(p, (p.ent_a, ["张三", "李四"]))
    client = login(p.inst_a_user)
    chooser = client.get(OWN + "/add")
    assert chooser.status_code == 200 and plan.name in chooser.text
    form_page = client.get(OWN + "/add?plan_id=%d" % plan.id)
    assert "考评员" in form_page.text and "张三" in form_page.text and "土建" in form_page.text
    # too few examiners and rooms too small: the messages are next to their fields, nothing saved
    refused = _post_form(client, plan, _form(p, rooms="1", seats_per_room="1"), examiners(p.inst_a, n=2))
    assert refused.status_code == 200
    assert 'id="error-examiner_ids"' in refused.text and "考评员不少于3人" in refused.text
    assert 'id="error-seats_per_room"' in refused.text and "考场座位不足" in refused.text
    assert db.session.query(ExamPlan).count() == 0
    # removal without a reason is refused; with one it is kept
    refused = _post_form(client, plan, _form(p), examiners(p.inst_a), [("remove", str(people[0].id))])
    assert "移除考生须填写原因" in refused.text
    saved = _post_form(client, plan, _form(p), examiners(p.inst_a),
                       [("remove", str(people[0].id)), ("reason_%d" % people[0].id, "本人申请延期")])
    assert saved.status_code == 302, saved.text
    exam = db.session.query(ExamPlan).one()
    assert [c.removed_reason for c in exam.candidates if c.removed] == ["本人申请延期"]
    show = client.get(OWN + "/show/%d" % exam.id)
    assert "本人申请延期" in show.text and 'id="btn-edit-exam"' in show.text and 'id="btn-submit"' in show.text


def test_forged_ids_answer_404(personas, login):
    p = personas
    plan, _people = trained_plan(p, (p.ent_a, ["张三"]))
    other_plan = factories_plan_b(p)
    client = login(p.inst_a_user)
    assert client.get(OWN + "/add?plan_id=%d" % other_plan.id).status_code == 404
    assert client.get(OWN + "/add?plan_id=abc").status_code == 404
    exam = exams.create_exam_plan(p.inst_a.id, plan.id, exam_data(p.inst_a), user=p.inst_a_user)
    other = login(p.inst_b_user)
    assert other.get(OWN + "/show/%d" % exam.id).status_code == 404
    assert other.get(OWN + "/edit/%d" % exam.id).status_code == 404
    assert other.post(OWN + "/workflow/%d" % exam.id, data={"move": "submit"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(ExamPlan, exam.id).review_state == "draft"


def factories_plan_b(p):
    from tests import factories

    return factories.training_plan(p.inst_b, state="approved", owner=p.inst_b_user, reviewer=p.other_city)


def test_department_reviews_and_downloads_are_scoped(personas, login):
    p = personas
    plan, _people = trained_plan(p, (p.ent_a, ["张三", "李四"]), (p.ent_b, ["王五"]))
    exam = exams.create_exam_plan(p.inst_a.id, plan.id, exam_data(p.inst_a), user=p.inst_a_user)
    owner = login(p.inst_a_user)
    # no documents before approval
    assert owner.get(DOCS + "/tickets/%d" % exam.id).status_code == 404
    owner.post(OWN + "/workflow/%d" % exam.id, data={"move": "submit", "version": "0"})
    city = login(p.city)
    pending = city.get(PENDING + "/list/")
    assert exam.name in pending.text
    city.post("/examplanreview/pending/review/%d" % exam.id, data={"move": "accept", "version": "1"})
    city.post("/examplanreview/pending/review/%d" % exam.id, data={"move": "approve", "version": "2"})
    db.session.expire_all()
    exam = db.session.get(ExamPlan, exam.id)
    assert exam.review_state == "approved"
    assert exam.name in city.get("/examplanreview/reviewed/list/").text
    candidates = {c.enrollment.worker_name: c for c in exam.candidates}
    # institution: everything
    assert "王五" in _pdf_text(owner.get(DOCS + "/tickets/%d" % exam.id))
    assert owner.get(DOCS + "/desk/%d/1" % exam.id).status_code == 200
    assert "签到表" in _pdf_text(owner.get(DOCS + "/signin/%d/1/theory" % exam.id))
    assert owner.get(DOCS + "/signin/%d/1/lunch" % exam.id).status_code == 404
    assert owner.get(DOCS + "/desk/%d/9" % exam.id).status_code == 404
    summary = owner.get(DOCS + "/summary/%d" % exam.id)
    assert summary.status_code == 200 and summary.data[:2] == b"PK"
    # departments in scope may download; another city's may not
    assert city.get(DOCS + "/summary/%d" % exam.id).status_code == 200
    assert login(p.province).get(DOCS + "/tickets/%d" % exam.id).status_code == 200
    nb = login(p.other_city)
    assert nb.get(DOCS + "/tickets/%d" % exam.id).status_code == 404
    assert nb.get(DOCS + "/ticket/%d" % candidates["张三"].id).status_code == 404
    assert login(p.inst_b_user).get(DOCS + "/summary/%d" % exam.id).status_code == 404
    # the enterprise: its own workers' tickets only
    ent = login(p.ent_a_user)
    assert "张三" in _pdf_text(ent.get(DOCS + "/ticket/%d" % candidates["张三"].id))
    assert ent.get(DOCS + "/ticket/%d" % candidates["王五"].id).status_code == 404
    batch = _pdf_text(ent.get(DOCS + "/tickets/%d" % exam.id))
    assert "张三" in batch and "李四" in batch and "王五" not in batch
    for path in ("/desk/%d/1", "/signin/%d/1/theory", "/summary/%d"):
        assert ent.get(DOCS + path % exam.id).status_code == 404
    assert ent.get(DOCS + "/ticket/999999").status_code == 404
    listing = ent.get("/examticketview/list/")
    assert listing.status_code == 200 and exam.name in listing.text
    detail = ent.get("/examticketview/show/%d" % exam.id)
    assert "张三" in detail.text and "王五" not in detail.text
    ent_b = login(p.ent_b_user)
    assert ent_b.get(DOCS + "/ticket/%d" % candidates["张三"].id).status_code == 404
    assert "王五" in _pdf_text(ent_b.get(DOCS + "/ticket/%d" % candidates["王五"].id))
    assert db.session.query(ExamCandidate).filter(ExamCandidate.ticket_no.isnot(None)).count() == 3
