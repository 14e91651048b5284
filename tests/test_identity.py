"""The sealed reporter identity: absent from every tip response and from the audit table; read only on purpose."""
import json

import pytest
from sqlmodel import select

from domain.models import AuditEntry, ReporterIdentity

API = "/api/v1/tips"
NAME, PHONE, ID_NUMBER, ADDRESS = "欧阳慕青", "13912345678", "11010519491231002X", "幸福路88号"
SECRETS = (NAME, PHONE, ID_NUMBER, ADDRESS)
REAL = {"channel": "walk_in", "institution_id": 2, "facts": "医院虚构诊疗项目骗取医保基金", "anonymous": False,
        "reporter": {"name": NAME, "phone": PHONE, "id_number": ID_NUMBER, "address": ADDRESS}}
ANON = {"channel": "web", "institution_id": 2, "facts": "药店串换药品", "anonymous": True}
OFFICE_USERS = ("desk", "investigator", "investigator2", "chief", "head", "office", "auditor", "admin")
READERS, NON_READERS = ("desk", "chief", "head"), ("investigator", "auditor", "office")


def leaks(text: str) -> list[str]:
    """The identity strings found in a response or row text (JSON escapes undone)."""
    try:
        text = json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        pass
    return [secret for secret in SECRETS if secret in text]


def audit_rows(app) -> list[AuditEntry]:
    with app.state.runtime.db.read() as session:
        return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)))


def audit_text(app) -> str:
    return "\n".join(json.dumps(row.model_dump(mode="json"), ensure_ascii=False) for row in audit_rows(app))


class Recorder:
    """Calls the API and keeps every response body, to search them afterwards."""

    def __init__(self, client, login, investigator_id) -> None:
        self.client, self.login, self.investigator_id, self.bodies = client, login, investigator_id, []

    def call(self, method: str, url: str, user: str | None = "desk", **kwargs):
        headers = self.login(user) if user else {}
        response = self.client.request(method, url, headers=headers, **kwargs)
        self.bodies.append((f"{method} {url} as {user} -> {response.status_code}", response.text))
        return response

    def move(self, tip_id: int, user: str, event: str, **extra) -> dict:
        version = self.call("GET", f"{API}/{tip_id}").json()["version"]
        response = self.call("POST", f"{API}/{tip_id}/transitions", user,
                             json={"event": event, "expected_version": version, **extra})
        assert response.status_code == 200, response.text
        return response.json()

    def read_everything(self, tip_id: int) -> None:
        for user in OFFICE_USERS:
            for url in (API, f"{API}/{tip_id}", f"{API}/{tip_id}/history", f"{API}?status=closed",
                        f"{API}?institution_id=2"):
                assert self.call("GET", url, user).status_code == 200

    def found(self) -> list[tuple[str, list[str]]]:
        return [(where, found) for where, text in self.bodies if (found := leaks(text))]


@pytest.fixture
def rec(client, login, users):
    return Recorder(client, login, users["investigator"].id)


def register(rec, body=REAL) -> int:
    response = rec.call("POST", API, json=body)
    assert response.status_code == 201, response.text
    return response.json()["tip"]["id"]


def test_identity_never_appears_in_tip_responses_or_audit(rec, app):
    tip_id = register(rec)
    rec.read_everything(tip_id)
    rec.move(tip_id, "chief", "accept", reason="线索具体")
    rec.move(tip_id, "desk", "notify_decision")
    rec.move(tip_id, "investigator", "start_investigation")
    rec.move(tip_id, "investigator", "request_extension", reason="需调取病历")
    rec.move(tip_id, "head", "deny_extension", reason="可在期限内完成")
    rec.read_everything(tip_id)
    rec.move(tip_id, "investigator", "conclude", finding="substantiated", amount_confirmed="3000")
    rec.move(tip_id, "chief", "notify_reporter")
    rec.move(tip_id, "desk", "close")
    rec.read_everything(tip_id)
    assert len(rec.bodies) > 3 * len(OFFICE_USERS) * 5
    assert rec.found() == []
    assert leaks(audit_text(app)) == []
    assert [r.action for r in audit_rows(app)][:2] == ["register", "accept"]


def test_refused_registration_does_not_echo_the_identity(rec):
    for body in ({**REAL, "anonymous": True}, {**REAL, "channel": "fax"}, {**REAL, "institution_id": 999},
                 {**REAL, "reporter": {**REAL["reporter"], "phone": "phone:" + PHONE}}):
        assert rec.call("POST", API, json=body).status_code == 422
    assert rec.found() == []


@pytest.mark.parametrize("user", READERS)
def test_identity_readers_see_it_with_a_reason_and_the_read_is_audited(rec, app, user):
    tip_id = register(rec)
    before = len(audit_rows(app))
    response = rec.call("POST", f"{API}/{tip_id}/reporter", user, json={"reason": "核实举报人身份以便奖励"})
    assert response.status_code == 200, response.text
    assert response.json() == {"name": NAME, "phone": PHONE, "id_number": ID_NUMBER, "address": ADDRESS}
    rows = audit_rows(app)
    assert len(rows) == before + 1
    read = rows[-1]
    assert (read.action, read.subject_type, read.subject_id) == ("identity_read", "tip", tip_id)
    assert read.reason == "核实举报人身份以便奖励" and read.actor_name == rec.call("GET", "/api/v1/auth/me", user).json()[
        "display_name"]
    assert leaks(audit_text(app)) == []
    history = rec.call("GET", f"{API}/{tip_id}/history", "auditor").json()
    assert history[-1]["action"] == "identity_read" and history[-1]["reason"] == "核实举报人身份以便奖励"
    assert leaks(json.dumps(history, ensure_ascii=False)) == []


@pytest.mark.parametrize("user", NON_READERS + ("investigator2", "admin"))
def test_other_roles_cannot_read_the_identity_and_nothing_is_written(rec, app, user):
    tip_id = register(rec)
    before = len(audit_rows(app))
    response = rec.call("POST", f"{API}/{tip_id}/reporter", user, json={"reason": "想看看"})
    assert response.status_code == 403
    assert len(audit_rows(app)) == before
    assert rec.found() == []


def test_liaison_and_anonymous_callers_are_refused(rec, app):
    tip_id = register(rec)
    before = len(audit_rows(app))
    assert rec.call("POST", f"{API}/{tip_id}/reporter", "police", json={"reason": "办案需要"}).status_code == 403
    assert rec.call("POST", f"{API}/{tip_id}/reporter", None, json={"reason": "办案需要"}).status_code == 401
    assert len(audit_rows(app)) == before and rec.found() == []


@pytest.mark.parametrize("payload", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "a"}, {"reason": "x" * 1001}])
def test_a_reason_is_required(rec, app, payload):
    tip_id = register(rec)
    before = len(audit_rows(app))
    response = rec.call("POST", f"{API}/{tip_id}/reporter", "chief", json=payload)
    assert response.status_code == 422
    assert "reason" in response.text
    assert len(audit_rows(app)) == before and rec.found() == []


def test_anonymous_or_missing_tip_says_404(rec, app):
    anonymous = rec.call("POST", API, json=ANON).json()["tip"]["id"]
    before = len(audit_rows(app))
    response = rec.call("POST", f"{API}/{anonymous}/reporter", "head", json={"reason": "核实身份"})
    assert response.status_code == 404 and "匿名" in response.json()["detail"]
    assert rec.call("POST", f"{API}/99999/reporter", "head", json={"reason": "核实身份"}).status_code == 404
    assert len(audit_rows(app)) == before


def test_identity_is_stored_apart_from_the_tip(rec, app):
    tip_id = register(rec)
    with app.state.runtime.db.read() as session:
        stored = session.get(ReporterIdentity, tip_id)
    assert (stored.name, stored.phone, stored.id_number, stored.address) == (NAME, PHONE, ID_NUMBER, ADDRESS)
