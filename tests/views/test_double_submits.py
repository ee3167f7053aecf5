"""Double clicks and races answered with a Chinese message, never a 500 or a second record (issue 12)."""
import io
import re
from unittest import mock

from openpyxl import Workbook

from app.extensions import db
from app.models import FormSubmission, TrainingPlan, Worker
from app.services import workers as worker_service
from tests.services.test_workers import ID_A
from tests.views.test_plan_screens import OWN, _form

ROSTER = "/workerview"


def _plans():
    db.session.expire_all()
    return db.session.query(TrainingPlan).count()


def _workers():
    db.session.expire_all()
    return db.session.query(Worker).count()


def test_plan_add_posted_twice_creates_one_plan(personas, login):
    client = login(personas.inst_a_user)
    page = client.get(OWN + "/add").text
    token = re.search(r'name="form_token"[^>]*value="([0-9a-f]{32})"', page)
    assert token, "the add form carries a one-time token"
    before = _plans()
    first = client.post(OWN + "/add", data={**_form(), "form_token": token.group(1)})
    assert first.status_code == 302 and _plans() == before + 1
    second = client.post(OWN + "/add", data={**_form(), "form_token": token.group(1)}, follow_redirects=True)
    assert second.status_code == 200 and "该培训计划已保存，重复提交的表单未再次保存" in second.text
    assert _plans() == before + 1
    # the same token from another account is no key to anything: refused, nothing created
    other = login(personas.inst_b_user).post(OWN + "/add", data={**_form(), "form_token": token.group(1)},
                                             follow_redirects=True)
    assert other.status_code == 200 and "表单已失效" in other.text and _plans() == before + 1
    # a fresh form (a new token) saves a second plan as the user meant
    fresh = re.search(r'name="form_token"[^>]*value="([0-9a-f]{32})"', client.get(OWN + "/add").text).group(1)
    assert fresh != token.group(1)
    assert client.post(OWN + "/add", data={**_form(), "form_token": fresh}).status_code == 302
    assert _plans() == before + 2 and db.session.query(FormSubmission).count() == 2


def test_a_refused_plan_form_keeps_its_token_usable(personas, login):
    client = login(personas.inst_a_user)
    token = re.search(r'name="form_token"[^>]*value="([0-9a-f]{32})"', client.get(OWN + "/add").text).group(1)
    refused = client.post(OWN + "/add", data={**_form(capacity="0"), "form_token": token})
    assert refused.status_code == 200 and _plans() == 0 and db.session.query(FormSubmission).count() == 0
    assert client.post(OWN + "/add", data={**_form(), "form_token": token}).status_code == 302 and _plans() == 1


def test_worker_add_losing_the_race_gets_a_field_message_not_500(personas, login):
    """The other request inserted the 身份证号 between this one's check and its insert (unique key)."""
    client = login(personas.ent_a_user)
    form = {"id_number": ID_A, "name": "张三", "mobile": "13900001111", "education": "senior"}
    assert client.post(ROSTER + "/add", data=form).status_code == 302 and _workers() == 1
    real = worker_service.find_by_id_number
    calls = []

    def stale_then_real(id_number):
        calls.append(id_number)
        return None if len(calls) == 1 else real(id_number)

    with mock.patch.object(worker_service, "find_by_id_number", side_effect=stale_then_real):
        page = client.post(ROSTER + "/add", data=form)
    assert page.status_code == 200 and "已在本企业学员名单中" in page.text and _workers() == 1


def test_roster_imported_twice_at_once_one_wins(personas, login):
    """The second import checked the roster before the first committed: its insert collides, nothing of it stays."""
    book = Workbook()
    book.active.append(worker_service.TEMPLATE_HEADERS)
    book.active.append([ID_A, "张三", "13900001111", "高中/中专"])
    data = io.BytesIO()
    book.save(data)
    client = login(personas.ent_a_user)
    real_select = worker_service.select
    assert client.post(ROSTER + "/import", data={"file": (io.BytesIO(data.getvalue()), "学员.xlsx")},
                       content_type="multipart/form-data").status_code == 302
    assert _workers() == 1

    def nothing_there_yet(*args):  # the roster read before the other import committed
        statement = real_select(*args)
        return statement.where(False) if args and args[0] is Worker else statement

    with mock.patch.object(worker_service, "select", side_effect=nothing_there_yet):
        page = client.post(ROSTER + "/import", data={"file": (io.BytesIO(data.getvalue()), "学员.xlsx")},
                           content_type="multipart/form-data")
    assert page.status_code == 200 and "未导入任何学员" in page.text and "同时导入了两次" in page.text
    assert _workers() == 1


def test_exam_plan_add_posted_twice_creates_one_exam_plan(personas, login):
    from app.models import ExamPlan
    from tests.exam_helpers import examiners, trained_plan
    from tests.views.test_exam_screens import OWN as EXAMS, _form as exam_form, _post_form

    p = personas
    plan, _people = trained_plan(p, (p.ent_a, ["张三", "李四"]))
    client = login(p.inst_a_user)
    page = client.get(EXAMS + "/add?plan_id=%d" % plan.id).text
    token = re.search(r'name="form_token" value="([0-9a-f]{32})"', page).group(1)
    first = _post_form(client, plan, exam_form(p), examiners(p.inst_a), [("form_token", token)])
    assert first.status_code == 302, first.text
    second = _post_form(client, plan, exam_form(p), examiners(p.inst_a), [("form_token", token)])
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    db.session.expire_all()
    assert db.session.query(ExamPlan).count() == 1
    assert "该考核计划已保存，重复提交的表单未再次保存" in client.get(second.headers["Location"]).text


def test_old_claims_are_forgotten(personas):
    import datetime

    from app.services import submissions

    user = personas.inst_a_user
    old = FormSubmission(token="a" * 32, user_id=user.id, object_type="training_plan", object_id=None,
                         created_at=datetime.datetime.now() - datetime.timedelta(days=submissions.KEEP_DAYS + 1))
    db.session.add(old)
    db.session.commit()
    assert submissions.claim("not-a-token", user.id, "training_plan") is None  # malformed: no guard, no row
    assert submissions.claim(submissions.new_token(), user.id, "training_plan") is not None
    db.session.commit()
    assert db.session.get(FormSubmission, "a" * 32) is None and db.session.query(FormSubmission).count() == 1
