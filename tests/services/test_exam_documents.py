"""Exam documents: 准考证 (single + batch), 桌贴, 签到表 in Chinese (STSong-Light, extractable), 汇总表 xlsx."""
import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.documents import exam_docs
from app.security.scope import Scope
from app.services import exams, review
from app.validators import mask_id_number
from tests.exam_helpers import exam_data, trained_plan


def _text(data):
    reader = PdfReader(io.BytesIO(data))
    return [page.extract_text() for page in reader.pages], reader


@pytest.fixture
def approved(personas):
    p = personas
    plan, _people = trained_plan(p, (p.ent_a, ["张三丰", "李四光", "王五"]), (p.ent_b, ["赵六"]))
    exam = exams.create_exam_plan(p.inst_a.id, plan.id, exam_data(p.inst_a), user=p.inst_a_user)
    for action, user in (("submit", p.inst_a_user), ("accept", p.city), ("approve", p.city)):
        review.move(exam, action, user=user)
    return exam


def test_ticket_pdf_has_the_candidate_facts_in_chinese_and_a_masked_id(app, approved, personas):
    exam = approved
    candidate = exams.visible_candidates(exam, Scope("admin"))[0]
    with app.test_request_context():
        pages, reader = _text(exam_docs.tickets_pdf(exam, [candidate]))
    assert len(pages) == 1
    text = pages[0]
    for expected in ("准考证", candidate.ticket_no, candidate.enrollment.worker_name, "砌筑工", exam.site_address,
                     "第1考场", "1号", personas.inst_a.name, "考生须知", mask_id_number(candidate.enrollment.id_number)):
        assert expected in text, expected
    assert candidate.enrollment.id_number not in text  # only the masked number is printed
    fonts = reader.pages[0]["/Resources"]["/Font"].get_object()
    assert any("STSong-Light" in str(f.get_object()["/BaseFont"]) for f in fonts.values())


def test_batch_pdf_is_one_page_per_candidate_and_the_enterprise_batch_only_its_workers(app, approved, personas):
    exam = approved
    with app.test_request_context():
        everyone = exams.visible_candidates(exam, Scope("institution", institution_id=personas.inst_a.id))
        own = exams.visible_candidates(exam, Scope("enterprise", enterprise_id=personas.ent_a.id))
        pages, _ = _text(exam_docs.tickets_pdf(exam, everyone))
        own_pages, _ = _text(exam_docs.tickets_pdf(exam, own))
    assert len(pages) == 4 and len(own_pages) == 3
    assert "赵六" in "".join(pages) and "赵六" not in "".join(own_pages)


def test_desk_cards_and_sign_in_sheets_per_room_and_subject(app, approved):
    exam = approved
    everyone = exams.visible_candidates(exam, Scope("admin"))
    assert exams.room_numbers(exam) == [1, 2]
    with app.test_request_context():
        desk, _ = _text(exam_docs.desk_cards_pdf(exam, 1, everyone))
        theory, _ = _text(exam_docs.sign_in_pdf(exam, 2, "theory", everyone))
        practical, _ = _text(exam_docs.sign_in_pdf(exam, 1, "practical", everyone))
    room1 = [c for c in everyone if c.room_no == 1]
    for c in room1:
        assert c.ticket_no in desk[0] and c.enrollment.worker_name in desk[0]
    assert "第1考场" in desk[0] and "3号" in desk[0]
    assert "理论考试签到表" in theory[0] and "赵六" in theory[0] and "张三丰" not in theory[0]
    for heading in ("序号", "准考证号", "姓名", "身份证号", "座位号", "签名"):
        assert heading in practical[0]
    assert "实操考试签到表" in practical[0] and room1[0].enrollment.id_number in practical[0]


def test_summary_workbook_has_the_roster_and_counts_per_enterprise(app, approved, personas):
    exam = approved
    everyone = exams.visible_candidates(exam, Scope("admin"))
    with app.test_request_context():
        book = load_workbook(io.BytesIO(exam_docs.summary_xlsx(exam, everyone)))
    roster = list(book["考生名单"].iter_rows(values_only=True))
    assert roster[2][:3] == ("序号", "准考证号", "姓名")
    assert sorted(r[1] for r in roster[3:]) == sorted(c.ticket_no for c in everyone)
    counts = {r[0]: r[1] for r in book["企业汇总"].iter_rows(min_row=2, values_only=True)}
    assert counts == {personas.ent_a.name: 3, personas.ent_b.name: 1, "合计": 4}


def test_a_ticket_page_renders_to_an_image(app, approved, tmp_path):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm 未安装（apt-get install -y poppler-utils）")
    exam = approved
    with app.test_request_context():
        data = exam_docs.tickets_pdf(exam, exams.visible_candidates(exam, Scope("admin"))[:1])
    source = tmp_path / "ticket.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(source), str(tmp_path / "page")],
                   check=True, timeout=60)
    images = list(tmp_path.glob("page*.png"))
    assert images and images[0].stat().st_size > 5000
