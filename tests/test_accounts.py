"""Accounts: password policy, admin-only management, disabled accounts, the optional TOTP second factor."""
from sqlmodel import select

from domain.models import AuditEntry
from services import totp
from services.demo import DEMO_PASSWORD


def new_user(client, login, **extra):
    body = {"username": "wang2", "display_name": "王二", "role": "investigator", "password": "Strong2026pass", **extra}
    return client.post("/api/v1/users", json=body, headers=login("admin"))


def test_weak_passwords_are_refused_with_the_reasons(client, login):
    weak = new_user(client, login, password="short1")
    assert weak.status_code == 422 and weak.json()["field"] == "password" and "至少 10 位" in weak.json()["detail"]
    letters = new_user(client, login, password="onlyletterspassword")
    assert "字母和数字" in letters.json()["detail"]
    named = new_user(client, login, password="wang2wang2wang2X1")
    assert "用户名" in named.json()["detail"]
    assert new_user(client, login).status_code == 201
    assert new_user(client, login).json()["field"] == "username"  # taken


def test_only_admins_manage_accounts_and_disabled_users_cannot_log_in(client, login, runtime):
    assert new_user(client, login).status_code == 201
    assert client.post("/api/v1/users", json={}, headers=login("head")).status_code == 403
    assert client.get("/api/v1/users", headers=login("chief")).status_code == 403
    created = {u["username"]: u for u in client.get("/api/v1/users", headers=login("admin")).json()}["wang2"]
    client.post(f"/api/v1/users/{created['id']}/active", json={"active": False}, headers=login("admin"))
    refused = client.post("/api/v1/auth/token", json={"username": "wang2", "password": "Strong2026pass"})
    assert refused.status_code == 401
    with runtime.db.read() as session:
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.subject_type == "user")).all()
    assert actions == ["user_created", "user_disabled"]


def test_change_own_password_needs_the_current_one(client, login):
    headers = login("chief")
    wrong = client.post("/api/v1/me/password", json={"current": "nope", "new": "Another2026pw"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["field"] == "current"
    assert client.post("/api/v1/me/password", json={"current": DEMO_PASSWORD, "new": "Another2026pw"},
                       headers=headers).status_code == 204
    assert client.post("/api/v1/auth/token", json={"username": "chief", "password": "Another2026pw"}).status_code == 200


def test_totp_turned_on_is_required_at_log_in(client, login, clock):
    headers = login("head")
    setup = client.get("/api/v1/me/totp/new", headers=headers).json()
    assert setup["uri"].startswith("otpauth://totp/FundWatch:head?secret=")
    bad = client.post("/api/v1/me/totp", json={"secret": setup["secret"], "code": "000000"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "code"
    good = totp.code_at(setup["secret"], clock.now)
    assert client.post("/api/v1/me/totp", json={"secret": setup["secret"], "code": good}, headers=headers).status_code == 204
    without = client.post("/api/v1/auth/token", json={"username": "head", "password": DEMO_PASSWORD})
    assert without.status_code == 401 and "动态验证码" in without.json()["detail"]
    with_code = client.post("/api/v1/auth/token", json={"username": "head", "password": DEMO_PASSWORD,
                                                        "otp": totp.code_at(setup["secret"], clock.now)})
    assert with_code.status_code == 200
    page = client.post("/login", data={"username": "head", "password": DEMO_PASSWORD,
                                       "otp": totp.code_at(setup["secret"], clock.now)}, follow_redirects=False)
    assert page.status_code == 303


def test_totp_codes_match_the_rfc_6238_reference():
    from datetime import datetime, timezone
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of the RFC's ASCII "12345678901234567890"
    assert totp.code_at(secret, datetime.fromtimestamp(59, timezone.utc)) == "287082"
    assert totp.code_at(secret, datetime.fromtimestamp(1111111109, timezone.utc)) == "081804"


def test_log_out_ends_every_session_of_the_user(client, login):
    first = client.post("/api/v1/auth/token", json={"username": "desk", "password": DEMO_PASSWORD}).json()
    second = client.post("/api/v1/auth/token", json={"username": "desk", "password": DEMO_PASSWORD}).json()
    old = {"Authorization": f"Bearer {first['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=old).status_code == 200
    assert client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {second['access_token']}"}
                       ).status_code == 204
    assert client.get("/api/v1/auth/me", headers=old).status_code == 401  # a copied token is dead too
    client.post("/login", data={"username": "chief", "password": DEMO_PASSWORD})
    cookie = client.cookies.get("fw_session")
    assert client.get("/tips").status_code == 200
    client.post("/logout")
    client.cookies.set("fw_session", cookie)  # someone kept a copy of the cookie
    assert client.get("/tips", follow_redirects=False).status_code == 303


def test_a_password_change_ends_sessions_opened_with_the_old_one(client, login):
    headers = login("investigator")
    assert client.post("/api/v1/me/password", json={"current": DEMO_PASSWORD, "new": "Another2026pw"},
                       headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
