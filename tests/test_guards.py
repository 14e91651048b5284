"""HTTP guards: security headers, 413, throttled log-in, rate-limited receipt look-ups, no stack traces."""
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from api.app import create_app
from services.demo import DEMO_PASSWORD
from settings import Settings
from tests.page_client import PageClient


def test_every_answer_carries_security_headers(client):
    for response in (client.get("/login"), client.get("/api/v1/health"), client.get("/api/v1/tips")):
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_oversized_bodies_are_refused_with_413(client, login):
    big = b"x" * (13 * 1024 * 1024)
    response = client.post("/api/v1/tips", content=big, headers={**login("desk"), "Content-Type": "application/json"})
    assert response.status_code == 413 and "请求体过大" in response.json()["detail"]


def test_repeated_login_failures_are_throttled_then_even_the_right_password_waits(client):
    for _ in range(5):
        assert client.post("/api/v1/auth/token", json={"username": "chief", "password": "wrong"}).status_code == 401
    blocked = client.post("/api/v1/auth/token", json={"username": "chief", "password": DEMO_PASSWORD})
    assert blocked.status_code == 429
    page = client.post("/login", data={"username": "chief", "password": DEMO_PASSWORD})
    assert page.status_code == 429 and "登录失败次数过多" in page.text
    assert client.post("/api/v1/auth/token", json={"username": "head", "password": DEMO_PASSWORD}).status_code == 200


def test_receipt_lookups_are_rate_limited_and_failures_never_log_the_code(client, runtime, users, caplog):
    code = "ABCD-EFGH-IJKL-MNOP-QRST"
    answers = [client.get("/api/v1/public/tips/status", headers={"X-Receipt-Code": code}).status_code
               for _ in range(12)]
    assert answers[:10] == [404] * 10 and answers[10:] == [429, 429]
    assert "receipt-code look-up failed" in caplog.text and code not in caplog.text


def test_an_unexpected_error_shows_no_internals(app):
    def boom():
        raise RuntimeError("secret internals: db password")
    app.add_api_route("/api/v1/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as plain:
        response = plain.get("/api/v1/boom")
    assert response.status_code == 500 and "secret internals" not in response.text and "Traceback" not in response.text


def test_a_cross_site_form_post_with_the_session_cookie_is_refused(client, login):
    client.post("/login", data={"username": "chief", "password": DEMO_PASSWORD})
    assert "fw_session" in client.cookies
    evil = client.post("/logout", headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403 and "CSRF" in evil.text
    referer = client.post("/logout", headers={"Origin": "", "Referer": "http://evil.example/page"})
    assert referer.status_code == 403
    ours = client.post("/logout", follow_redirects=False)
    assert ours.status_code == 303


def test_a_page_form_without_its_token_is_refused_and_changes_nothing(client, login):
    client.post("/login", data={"username": "chief", "password": DEMO_PASSWORD})
    page = client.get("/tips/new")
    assert 'name="csrf_token" value="' in page.text
    form = {"channel": "phone", "institution_id": "1", "facts": "某医院虚构诊疗项目套取医保基金，涉及多名参保人。",
            "anonymity": "anonymous"}
    before = client.get("/api/v1/tips", headers=login("chief")).json()
    missing = client.post("/tips/new", data=form, csrf=False)
    forged = client.post("/tips/new", data={**form, "csrf_token": "0" * 64}, csrf=False)
    assert missing.status_code == forged.status_code == 403
    assert "表单已失效" in missing.text
    assert client.get("/api/v1/tips", headers=login("chief")).json() == before
    assert client.post("/tips/new", data=form).status_code == 201


def test_the_form_token_is_bound_to_the_browser_cookie(app):
    first, second = PageClient(app), PageClient(app)
    first.get("/login")
    second.get("/login")
    assert first.cookies.get("fw_csrf") != second.cookies.get("fw_csrf")
    stolen = first.form_token()
    refused = second.post("/login", data={"username": "chief", "password": DEMO_PASSWORD, "csrf_token": stolen},
                          csrf=False)
    assert refused.status_code == 403


def test_login_failures_are_logged_with_the_name_but_never_the_password(client, caplog):
    secret = "Guess#Pa55word-2026"
    for _ in range(6):
        client.post("/api/v1/auth/token", json={"username": "chief", "password": secret})
    client.post("/login", data={"username": "chief", "password": secret})
    assert "failed log-in for 'chief'" in caplog.text and "too many failures" in caplog.text
    assert secret not in caplog.text


def test_cookies_are_secure_httponly_and_samesite_outside_development(database, clock, users):
    settings = Settings(environment="production", secret_key="a-real-secret-for-this-test",
                        identity_keys=Fernet.generate_key().decode())
    browser = PageClient(create_app(settings=settings, database=database, clock=clock), base_url="https://testserver")
    browser.get("/login")
    response = browser.post("/login", data={"username": "desk", "password": DEMO_PASSWORD}, follow_redirects=False)
    assert response.status_code == 303
    cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    assert "fw_session" in cookies
    for cookie in cookies.values():
        assert "; secure" in cookie and "; httponly" in cookie and "samesite=" in cookie


def test_every_post_form_in_the_templates_carries_the_csrf_field():
    """The test client adds the token itself, so a template missing it would pass the page tests and fail
    in a real browser (the browser journeys cover only some forms): check the templates directly."""
    import re
    from pathlib import Path

    forms = []
    for template in sorted((Path(__file__).resolve().parent.parent / "api" / "templates").glob("*.html")):
        text = template.read_text(encoding="utf-8")
        forms += [(template.name, m.group(0), text[m.end():m.end() + 40])
                  for m in re.finditer(r"<form\b[^>]*>", text) if 'method="post"' in m.group(0).lower()]
    assert len(forms) >= 30
    assert [(name, tag) for name, tag, after in forms if not after.lstrip().startswith("{{ csrf_field() }}")] == []
