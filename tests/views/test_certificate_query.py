"""证书查询 on the login page (anonymous): by 证书编号 + 姓名 or 身份证号 + 姓名; masked ID; 已撤销; every query
logged; anything unknown or mismatched → exactly 未查询到证书; QR verification detects forged numbers; rate limit."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from app.extensions import db
from app.models import AuditLog
from app.services import certificates as certificate_service
from tests.services.test_certificates import approved_exam

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))


@pytest.fixture
def cert(personas):
    exam = approved_exam(personas, count=2)
    certificate_service.start_generation(exam, user=personas.city)
    c = certificate_service.certificates_of(exam)[0]
    return {"id": c.id, "number": c.number, "name": c.worker.name, "id_number": c.worker.id_number,
            "issuer": c.institution.name}


def ask(client, **form):
    return client.post("/public/certificate", data=form)


def test_login_page_links_to_query_and_form_renders(app):
    client = app.test_client()
    assert "/public/certificate" in client.get("/login/").text
    page = client.get("/public/certificate")
    assert page.status_code == 200 and "证书编号" in page.text
    assert "身份证号" in client.get("/public/certificate?mode=id_number").text


def test_by_number_and_name(app, cert):
    page = ask(app.test_client(), mode="number", number=cert["number"], name=cert["name"])
    assert page.status_code == 200
    assert cert["number"] in page.text and cert["name"] in page.text and cert["issuer"] in page.text
    assert cert["id_number"] not in page.text
    assert cert["id_number"][:6] + "********" + cert["id_number"][-4:] in page.text
    assert "砌筑工" in page.text or "010" not in page.text  # 工种 shown by its label
    assert "证书已生成未推送" in page.text and "未查询到证书" not in page.text


def test_by_id_number_and_name(app, cert):
    page = ask(app.test_client(), mode="id_number", id_number=cert["id_number"].lower(), name=cert["name"])
    assert cert["number"] in page.text


@pytest.mark.parametrize("form", [
    {"mode": "number", "number": "26330100101099999", "name": "张三"},
    {"mode": "number", "number": "__NUMBER__", "name": "不是本人"},
    {"mode": "id_number", "id_number": "__ID__", "name": "不是本人"},
    {"mode": "id_number", "id_number": "330106199001011234", "name": "__NAME__"},
    {"mode": "number", "number": "__NUMBER__' OR '1'='1", "name": "__NAME__"},
])
def test_unknown_or_mismatched_says_exactly_not_found(app, cert, form):
    form = {k: v.replace("__NUMBER__", cert["number"]).replace("__ID__", cert["id_number"])
            .replace("__NAME__", cert["name"]) for k, v in form.items()}
    page = ask(app.test_client(), **form)
    message = page.text.split('id="query-message">')[1].split("</div>")[0]
    assert message == "未查询到证书"
    assert "cert-result" not in page.text


def test_every_query_is_logged_with_masked_id(app, ctx, cert):
    client = app.test_client()
    ask(client, mode="number", number=cert["number"], name=cert["name"])
    ask(client, mode="id_number", id_number=cert["id_number"], name="某某")
    db.session.expire_all()
    rows = db.session.query(AuditLog).filter_by(action="certificate_query").order_by(AuditLog.id).all()
    assert len(rows) == 2
    assert "结果：1 张" in rows[0].detail and "结果：0 张" in rows[1].detail
    assert cert["id_number"] not in rows[1].detail


def test_revoked_certificate_shows_revoked(app, ctx, personas, cert):
    from app.models import Certificate

    certificate_service.revoke(db.session.get(Certificate, cert["id"]), "证书信息造假", user=personas.city)
    page = ask(app.test_client(), mode="number", number=cert["number"], name=cert["name"])
    assert "已撤销" in page.text and "证书信息造假" in page.text


def test_qr_verification_signed_and_forged(app, cert):
    client = app.test_client()
    with app.app_context():
        good = certificate_service.verification_path(cert["number"])
        signature = certificate_service.sign(cert["number"])
    page = client.get(good)
    assert "证书真实有效" in page.text and cert["number"] in page.text
    forged = cert["number"][:-1] + ("8" if cert["number"][-1] != "8" else "7")
    page = client.get("/public/certificate/verify?n=%s&s=%s" % (forged, signature))
    assert "证书核验失败" in page.text and forged not in page.text.split("verify-result")[1][:200]


def test_query_rate_limit_reuses_the_app_limiter(app, cert):
    """RATELIMIT_ENABLED is off in TestConfig (limiter wired at create_app): a fresh app in a subprocess."""
    script = textwrap.dedent("""
        import json, sys
        from app import create_app
        url, folder = sys.argv[1], sys.argv[2]
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=True,
                         CERTIFICATE_QUERY_RATE_LIMIT="5 per 1 minute",
                         UPLOAD_FOLDER=folder + "/uploads", EXPORT_FOLDER=folder + "/exports")
        client = app.test_client()
        data = {"mode": "number", "number": sys.argv[3], "name": sys.argv[4]}
        codes = [client.post("/public/certificate", data=data).status_code for _ in range(6)]
        last = client.post("/public/certificate", data=data)
        other = client.post("/public/certificate", data=data, environ_base={"REMOTE_ADDR": "10.9.9.9"})
        print(json.dumps({"codes": codes, "text": last.get_data(True), "other": other.status_code}))
    """)
    folder = os.path.join(app.config["UPLOAD_FOLDER"], os.pardir)
    done = subprocess.run([sys.executable, "-c", script, app.config["SQLALCHEMY_DATABASE_URI"], folder,
                           cert["number"], cert["name"]], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["codes"] == [200] * 5 + [429]
    assert "查询过于频繁，请稍后再试" in result["text"]
    assert result["other"] == 200
