"""In a real browser: 生成证书 pressed while the background-task service is down says so in Chinese, the page keeps
working with the job 排队中, and the job finishes by itself once the service is back and the sweep runs."""
from app.services import certificates as certificate_service
from app.tasks.jobs import sweep_background_jobs
from tests.e2e.conftest import commit_fixture_data, login_as
from tests.services.test_certificates import approved_exam
from tests.services.test_task_outbox import NOTICE, broker  # noqa: F401  (the fixture)


def test_generate_while_the_broker_is_down_then_finished_by_the_sweep(page, base_url, personas, broker):  # noqa: F811
    exam = approved_exam(personas, count=3)
    commit_fixture_data()
    login_as(page, base_url, personas.city, "department")
    broker.down()
    page.goto(base_url + "/scores/exam/%d" % exam.id)
    with page.expect_navigation():
        page.click("#btn-generate")
    assert NOTICE in " ".join(page.locator(".alert").all_inner_texts())
    assert page.locator("#job-queue-notice").inner_text().strip() == NOTICE
    assert page.locator("#job-status").inner_text().strip() == "排队中"

    broker.eager()  # the service is back; the sweep (beat's job) sends the recorded task, which runs here
    sweep_background_jobs.run()
    page.reload()
    page.locator("#job-status", has_text="已完成").wait_for()
    assert page.locator("#job-queue-notice").count() == 0
    assert page.locator("#btn-pull").is_visible()
    assert len(certificate_service.certificates_of(exam)) == 2  # the 2nd of 3 candidates failed
    assert page.js_errors == [] and page.external_requests == []
