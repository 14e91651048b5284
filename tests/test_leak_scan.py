"""Leak scan: after a scripted journey through tips, referrals, escalations and notifications, the reporter's
name, phone and ID number appear nowhere except in the answers to permitted, logged identity reads."""
import logging

from sqlalchemy import text

from domain.models import SQLModel
from services.escalation import sweep
from services.outbox import relay_once
from tests.helpers import REPORTER
from tests.test_sweep import at

SECRETS = (REPORTER.name, REPORTER.phone, REPORTER.id_number)
ROLES = ("desk", "investigator", "chief", "head", "auditor", "admin", "police", "procurator", "supervisor")
TIP = {"channel": "walk_in", "institution_id": 2, "facts": "中医院将自费项目串换为医保项目结算", "anonymous": False,
       "amount_involved": "24000", "reporter": REPORTER.model_dump()}


class Journey:
    def __init__(self, client, login):
        self.client, self.login, self.bodies = client, login, []

    def call(self, method: str, path: str, who: str, **kw):
        response = getattr(self.client, method)(path, headers=self.login(who), **kw)
        assert response.status_code < 500, response.text
        self.bodies.append((f"{method} {path} as {who}", response.text))
        return response

    def move(self, path: str, who: str, event: str, version: int, **extra) -> dict:
        response = self.call("post", path, who, json={"event": event, "expected_version": version, **extra})
        assert response.status_code == 200, response.text
        return response.json()


def test_the_reporter_never_leaks(client, login, runtime, users, clock, caplog, database):
    caplog.set_level(logging.DEBUG)
    j = Journey(client, login)
    tip = j.call("post", "/api/v1/tips", "desk", json=TIP).json()["tip"]
    allowed = client.post(f"/api/v1/tips/{tip['id']}/reporter", json={"reason": "核实"}, headers=login("chief"))
    assert REPORTER.name in allowed.text  # the one permitted, logged read; not scanned
    url = f"/api/v1/tips/{tip['id']}/transitions"
    tip = j.move(url, "chief", "accept", tip["version"])
    tip = j.move(url, "investigator", "start_investigation", tip["version"])
    with database.engine.connect() as conn:
        gaj = conn.execute(text("SELECT id FROM department WHERE code = 'gaj'")).scalar_one()
    (ref,) = j.call("post", f"/api/v1/tips/{tip['id']}/referrals", "investigator",
                    json={"department_ids": [gaj], "summary": "串换项目骗取医保基金", "amount": "24000"}).json()
    ref = j.move(f"/api/v1/referrals/{ref['id']}/transitions", "head", "approve", ref["version"])
    ref = j.move(f"/api/v1/referrals/{ref['id']}/transitions", "investigator", "send_letter", ref["version"])
    ref = j.move(f"/api/v1/referrals/{ref['id']}/transitions", "police", "sign", ref["version"])
    clock.set(at("2026-11-02"))
    sweep(runtime)
    relay_once(runtime, {})
    for who in ROLES:
        for path in ("/api/v1/tips", f"/api/v1/tips/{tip['id']}", f"/api/v1/tips/{tip['id']}/history",
                     "/api/v1/referrals", f"/api/v1/referrals/{ref['id']}/letter", f"/api/v1/referrals/{ref['id']}/receipt",
                     "/api/v1/escalations", "/api/v1/inbox", "/tips", f"/tips/{tip['id']}", "/overdue", "/inbox",
                     "/portal", f"/referrals/{ref['id']}"):
            j.call("get", path, who)
    hits = [where for where, body in j.bodies if any(s in body for s in SECRETS)]
    assert hits == []
    assert not any(s in caplog.text for s in SECRETS)
    assert _rows_mentioning(database) == []


def _rows_mentioning(database) -> list[str]:
    """Every table, every row, as text: only the sealed identity table may hold the reporter (encrypted)."""
    found = []
    with database.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                if any(s in str(tuple(row)) for s in SECRETS):
                    found.append(table.name)
    return found
