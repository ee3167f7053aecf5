"""考核计划 over HTTP as the personas: 删除 (never-submitted drafts only), bulk 上报 / 撤回 from the institution's
list, bulk 审核不通过 with one opinion on the department's tabs; forged ids, stale pages, nothing changed."""
import datetime
import itertools
import re

import pytest

from app.extensions import db
from app.models import ExamPlan
from app.services import exams
from tests import factories
from tests.exam_helpers import exam_data, trained_plan
from tests.services.test_exam_delete import _walk, snapshot

OWN = "/examplanview"
PENDING = "/examplanreview/pending"
REVIEWED = "/examplanreview/reviewed"
ALL = "/examplanreview/all"
_seq = itertools.count(1)


def _exam(p, names=("张三", "李四")):
    """A real exam plan of inst_a: its own approved training plan, 3 考评员, examinees."""
    plan, _people = trained_plan(p, (p.ent_a, ["%s%d" % (name, next(_seq)) for name in names]))
    return exams.create_exam_plan(p.inst_a.id, plan.id, exam_data(p.inst_a, name="第%d期砌筑工考核" % next(_seq)),
                                  user=p.inst_a_user)


def _light(p, state="draft", inst=None):
    """A light exam plan (factories.exam_plan: its own approved plan, one examinee) moved through the engine to `state`."""
    inst = inst or p.inst_a
    owner, reviewer = (p.inst_a_user, p.city) if inst is p.inst_a else (p.inst_b_user, p.other_city)
    plan = factories.training_plan(inst, state="approved", owner=owner, reviewer=reviewer)
    return factories.exam_plan(plan, state=state, owner=owner, reviewer=reviewer)


def _exam_row(html, pk):
    match = re.search(r'<tr id="exam-row-%d".*?</tr>' % pk, html, re.S)
    return match.group(0) if match else None


def _state(pk):
    db.session.expire_all()
    exam = db.session.get(ExamPlan, pk)
    return exam.review_state if exam is not None else None


# --- 删除 ------------------------------------------------------------------------------------------

def test_institution_deletes_a_draft_exam_plan(personas, login):
    p = personas
    exam = _exam(p)
    kept = _exam(p)
    before = snapshot(exam.id)
    assert before["examiners"] and before["candidates"] and before["enrollments"]
    client = login(p.inst_a_user)
    show = client.get(OWN + "/show/%d" % exam.id).text
    assert 'id="btn-delete-exam"' in show and "确定删除该考核计划？" in show
    assert "/examplanview/delete/%d" % exam.id in _exam_row(client.get(OWN + "/list/").text, exam.id)
    assert client.get(OWN + "/delete/%d" % exam.id).status_code == 405  # no GET mutation
    assert snapshot(exam.id) == before
    kept_before = snapshot(kept.id)
    exam_id, name = exam.id, exam.name
    done = client.post(OWN + "/delete/%d" % exam_id, follow_redirects=True)
    assert "已删除考核计划“%s”" % name in done.text
    after = snapshot(exam_id)
    assert after["exam"] is None and after["examiners"] == [] and after["candidates"] == []
    assert after["enrollments"] == [] and after["deletes"] == 1
    assert snapshot(kept.id) == kept_before
    assert client.get(OWN + "/show/%d" % exam_id).status_code == 404


@pytest.mark.parametrize("state, message", [
    ("submitted", "只能删除未上报的考核计划（当前状态：未受理）"),
    ("accepted", "只能删除未上报的考核计划（当前状态：已受理）"),
    ("approved", "只能删除未上报的考核计划（当前状态：审核通过）"),
    ("rejected", "只能删除未上报的考核计划（当前状态：审核不通过）"),
    ("withdrawn", "该考核计划已上报过，有审核记录，不能删除"),
])
def test_delete_is_refused_on_the_server_in_every_other_state(personas, login, state, message):
    p = personas
    exam = _exam(p)
    _walk(p, exam, state)
    before = snapshot(exam.id)
    client = login(p.inst_a_user)
    assert 'id="btn-delete-exam"' not in client.get(OWN + "/show/%d" % exam.id).text
    assert "/delete/%d" % exam.id not in _exam_row(client.get(OWN + "/list/").text, exam.id)
    refused = client.post(OWN + "/delete/%d" % exam.id, follow_redirects=True)
    assert refused.status_code == 200 and message in refused.text
    assert snapshot(exam.id) == before


def test_a_delete_from_a_page_loaded_before_a_submit_changes_nothing(personas, login):
    p = personas
    exam = _exam(p)
    page = login(p.inst_a_user)
    assert 'id="btn-delete-exam"' in page.get(OWN + "/show/%d" % exam.id).text
    colleague = login(p.inst_a_user)
    colleague.post(OWN + "/workflow/%d" % exam.id, data={"move": "submit", "version": "0"})
    before = snapshot(exam.id)
    assert before["exam"][:2] == ("submitted", 1) and before["records"] == 1
    refused = page.post(OWN + "/delete/%d" % exam.id, follow_redirects=True)
    assert "只能删除未上报的考核计划（当前状态：未受理）" in refused.text
    assert snapshot(exam.id) == before


def test_delete_with_forged_ids_answers_404_or_is_refused_for_every_role(personas, login):
    p = personas
    exam = _exam(p)
    before = snapshot(exam.id)
    own = login(p.inst_a_user)
    for forged in ("999999", "abc", "9223372036854775808", "-1"):
        assert own.post(OWN + "/delete/%s" % forged).status_code == 404, forged
    assert login(p.inst_b_user).post(OWN + "/delete/%d" % exam.id).status_code == 404
    for who in (p.admin, p.province, p.city, p.county, p.other_city, p.ent_a_user, p.ent_b_user):
        client = login(who)
        response = client.post(OWN + "/delete/%d" % exam.id)
        assert response.status_code in (302, 403, 404), (who.username, response.status_code)
        for tab in (PENDING, ALL):
            assert client.post(tab + "/delete/%d" % exam.id).status_code in (302, 403, 404, 405), who.username
    assert snapshot(exam.id) == before


# --- bulk 上报 / 撤回 from the institution's list -----------------------------------------------------

def test_bulk_submit_moves_the_good_rows_and_names_each_refused_one(personas, login):
    p = personas
    good = [_exam(p), _light(p)]
    already = _light(p, "submitted")
    broken = _exam(p)
    gone = sorted(broken.candidates, key=lambda c: c.enrollment_id)[0].enrollment
    gone.cancelled_at = datetime.datetime.now().replace(microsecond=0)  # since saving: the 上报 check refuses it
    db.session.commit()
    befores = {e.id: snapshot(e.id) for e in (already, broken)}
    client = login(p.inst_a_user)
    listing = client.get(OWN + "/list/").text
    assert "bulk_submit" in listing and "bulk_withdraw" in listing
    assert "bulk_accept" not in listing and "bulk_reject" not in listing
    ids = [e.id for e in good + [already, broken]]
    done = client.post(OWN + "/action_post", data={"action": "bulk_submit", "rowid": ids}, follow_redirects=True)
    assert "已上报 2 条记录" in done.text, re.findall(r'alert-\w+">(.*?)</div>', done.text, re.S)
    assert "%s：当前状态为“未受理”，不能执行“上报”操作" % already.name in done.text
    assert "%s：考生%s考勤不合格或报名已取消，请修改考核计划" % (broken.name, gone.worker_name) in done.text
    for exam in good:
        after = snapshot(exam.id)
        assert after["exam"][:2] == ("submitted", 1) and after["records"] == 1
    # the engine's effect ran: the examinees' 考核计划 status follows
    assert {status for _id, _name, status in snapshot(good[0].id)["enrollments"]} == {"未审核"}
    for pk, before in befores.items():
        assert snapshot(pk) == before


def test_bulk_withdraw_skips_what_was_already_accepted(personas, login):
    p = personas
    waiting, accepted = _light(p, "submitted"), _light(p, "accepted")
    before = snapshot(accepted.id)
    done = login(p.inst_a_user).post(OWN + "/action_post", data={"action": "bulk_withdraw",
                                                                 "rowid": [waiting.id, accepted.id]},
                                     follow_redirects=True)
    assert "已撤回 1 条记录" in done.text and "%s：当前状态为“已受理”，不能执行“撤回”操作" % accepted.name in done.text
    assert _state(waiting.id) == "draft" and snapshot(accepted.id) == before


def test_bulk_submit_with_forged_ids_changes_nothing(personas, login):
    p = personas
    mine, theirs = _light(p), _light(p, inst=p.inst_b)
    befores = {e.id: snapshot(e.id) for e in (mine, theirs)}
    for rowids in ([theirs.id], [mine.id, theirs.id], [mine.id, 999999], [mine.id, "abc"]):
        response = login(p.inst_a_user).post(OWN + "/action_post", data={"action": "bulk_submit", "rowid": rowids})
        assert response.status_code == 404, rowids
    assert login(p.inst_b_user).post(OWN + "/action_post", data={"action": "bulk_submit",
                                                                 "rowid": [mine.id]}).status_code == 404
    assert login(p.inst_a_user).post(OWN + "/action/bulk_submit/%d" % theirs.id).status_code in (404, 405)
    for who in (p.admin, p.city, p.province, p.ent_a_user):
        response = login(who).post(OWN + "/action_post", data={"action": "bulk_submit", "rowid": [mine.id]})
        assert response.status_code in (302, 403, 404), who.username
    for pk, before in befores.items():
        assert snapshot(pk) == before


# --- bulk 审核不通过 on the department's tabs ---------------------------------------------------------

def test_bulk_reject_with_one_opinion(personas, login):
    p = personas
    accepted = [_exam(p), _light(p, "accepted")]
    _walk(p, accepted[0], "accepted")
    waiting = _light(p, "submitted")
    ids = [e.id for e in accepted] + [waiting.id]
    befores = {pk: snapshot(pk) for pk in ids}
    client = login(p.city)
    assert "bulk_reject" in client.get(PENDING + "/list/").text
    confirm = client.post(PENDING + "/action_post", data={"action": "bulk_reject", "rowid": ids})
    assert confirm.status_code == 200 and "批量审核不通过" in confirm.text
    assert "只有“已受理”的考核计划可以审核不通过" in confirm.text
    assert all(e.name in confirm.text for e in accepted + [waiting])
    versions = dict(re.findall(r'name="(version_\d+)" value="(\d+)"', confirm.text))
    assert versions == {"version_%d" % pk: str(befores[pk]["exam"][1]) for pk in ids}
    # an empty opinion: a message, the same rows, nothing changed
    empty = client.post(PENDING + "/bulk_reject", data={"rowid": ids, "opinion": "  ", **versions})
    assert empty.status_code == 200 and 'id="opinion-error"' in empty.text
    assert "审核不通过时必须填写审核意见" in empty.text and all(e.name in empty.text for e in accepted)
    assert {pk: snapshot(pk) for pk in ids} == befores
    # an opinion over 500 characters: one message on the form, nothing changed
    long = client.post(PENDING + "/bulk_reject", data={"rowid": ids, "opinion": "长" * 501, **versions})
    assert long.status_code == 200 and "审核意见不能超过500个字（现有501个字）" in long.text
    assert long.text.count("审核意见不能超过") == 1 and 'maxlength="500"' in long.text
    assert {pk: snapshot(pk) for pk in ids} == befores
    done = client.post(PENDING + "/bulk_reject", data={"rowid": ids, "opinion": "考场安排不合理", **versions},
                       follow_redirects=True)
    assert "已审核不通过 2 条记录" in done.text
    assert "%s：当前状态为“未受理”，不能执行“审核不通过”操作" % waiting.name in done.text
    for exam in accepted:
        after = snapshot(exam.id)
        assert after["exam"][0] == "rejected" and after["exam"][2] == "考场安排不合理"
        assert after["records"] == befores[exam.id]["records"] + 1
    assert {status for _id, _name, status in snapshot(accepted[0].id)["enrollments"]} == {"未上报"}
    assert snapshot(waiting.id) == befores[waiting.id]
    reviewed = client.get(REVIEWED + "/list/").text
    for exam in accepted:
        row = _exam_row(reviewed, exam.id)
        assert "审核不通过" in row and "考场安排不合理" in row
    # the institution sees the opinion in its list
    row = _exam_row(login(p.inst_a_user).get(OWN + "/list/").text, accepted[0].id)
    assert "考场安排不合理" in row and "/examplanview/edit/%d" % accepted[0].id in row


def test_bulk_reject_from_a_stale_form_changes_nothing(personas, login):
    p = personas
    exam = _light(p, "accepted")
    other = _light(p, "accepted")
    client = login(p.city)
    confirm = client.post(PENDING + "/action_post", data={"action": "bulk_reject", "rowid": [exam.id, other.id]})
    versions = dict(re.findall(r'name="(version_\d+)" value="(\d+)"', confirm.text))
    # meanwhile a colleague rejects one of them on its own page
    login(p.city).post(PENDING + "/review/%d" % exam.id, data={"move": "reject", "opinion": "先行处理",
                                                                "version": versions["version_%d" % exam.id]})
    before = snapshot(exam.id)
    done = client.post(PENDING + "/bulk_reject", data={"rowid": [exam.id, other.id], "opinion": "批量意见",
                                                       **versions}, follow_redirects=True)
    assert "已审核不通过 1 条记录" in done.text and "%s：该考核计划已被审核不通过" % exam.name in done.text
    assert "不能再审核不通过" in done.text
    assert snapshot(exam.id) == before and before["exam"][2] == "先行处理"
    assert _state(other.id) == "rejected"
    # a forged version is refused as stale, never a server error
    third = _light(p, "accepted")
    before = snapshot(third.id)
    forged = client.post(PENDING + "/bulk_reject", data={"rowid": [third.id], "opinion": "x",
                                                         "version_%d" % third.id: "abc"}, follow_redirects=True)
    assert forged.status_code == 200 and "已被他人处理" in forged.text and snapshot(third.id) == before


def test_bulk_reject_and_accept_with_forged_ids_from_every_role(personas, login):
    p = personas
    mine = _light(p, "accepted")
    submitted = _light(p, "submitted")
    theirs = _light(p, "accepted", inst=p.inst_b)
    ids = [mine.id, submitted.id, theirs.id]
    befores = {pk: snapshot(pk) for pk in ids}
    city = login(p.city)
    for rowids in ([theirs.id], [mine.id, theirs.id], [mine.id, 999999], [mine.id, "abc"]):
        assert city.post(PENDING + "/bulk_reject", data={"rowid": rowids, "opinion": "x"}).status_code == 404
        assert city.post(PENDING + "/action_post", data={"action": "bulk_reject",
                                                         "rowid": rowids}).status_code == 404
        assert city.post(PENDING + "/action_post", data={"action": "bulk_accept",
                                                         "rowid": rowids}).status_code == 404
    ningbo = login(p.other_city)
    assert ningbo.post(PENDING + "/bulk_reject", data={"rowid": [mine.id], "opinion": "x"}).status_code == 404
    assert ningbo.post(PENDING + "/action_post", data={"action": "bulk_accept",
                                                       "rowid": [submitted.id]}).status_code == 404
    # the province and the county see the exam plans but did not set the institution up: refused per row
    for who in (p.province, p.county):
        response = login(who).post(PENDING + "/bulk_reject", data={"rowid": [mine.id], "opinion": "越权"},
                                   follow_redirects=True)
        assert response.status_code == 200 and "无权" in response.text, who.username
    # no review permission at all
    for who in (p.admin, p.inst_a_user, p.inst_b_user, p.ent_a_user):
        client = login(who)
        assert client.post(PENDING + "/bulk_reject", data={"rowid": [mine.id], "opinion": "x"}).status_code in (
            302, 403, 404), who.username
        assert client.post(PENDING + "/action_post", data={"action": "bulk_reject",
                                                           "rowid": [mine.id]}).status_code in (302, 403, 404)
    empty = city.post(PENDING + "/bulk_reject", data={"opinion": "x"}, follow_redirects=True)
    assert "请先勾选记录" in empty.text
    assert {pk: snapshot(pk) for pk in ids} == befores


def test_training_plans_still_bulk_reject_through_the_shared_code(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="accepted", owner=p.inst_a_user, reviewer=p.city)
    client = login(p.city)
    confirm = client.post("/trainingplanreview/pending/action_post", data={"action": "bulk_reject",
                                                                          "rowid": [plan.id]})
    assert "只有“已受理”的培训计划可以审核不通过" in confirm.text
    done = client.post("/trainingplanreview/pending/bulk_reject", data={"rowid": [plan.id], "opinion": "学时不足"},
                       follow_redirects=True)
    assert "已审核不通过 1 条记录" in done.text
    db.session.expire_all()
    assert db.session.get(type(plan), plan.id).review_opinion == "学时不足"
