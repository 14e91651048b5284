"""Leak scan: after a scripted journey through tips, referrals, escalations, a reward and notifications (e-mail to a
real SMTP server included), the reporter's name, phone and ID number appear nowhere except in the answers to
permitted, logged identity reads and the claim notice addressed to the reporter. Scanned: API and page bodies,
every official document as HTML and as PDF text, every .xlsx export's cells, every mail received, the logs and
every database row."""
import logging
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header, make_header
from io import BytesIO

import pytest
from aiosmtpd.controller import Controller
from openpyxl import load_workbook
from sqlalchemy import text

from api.app import create_app
from api.routes.documents import Kind
from domain.models import SQLModel
from notifications.setup import channels_from_settings
from services.demo import DEMO_PASSWORD
from services.escalation import sweep
from services.outbox import relay_once
from settings import Settings
from tests.helpers import REPORTER
from tests.page_client import PageClient
from tests.test_documents_pdf import pdf_text
from tests.test_relay import Inbox, free_port
from tests.test_sweep import at

SECRETS = (REPORTER.name, REPORTER.phone, REPORTER.id_number)
ROLES = ("desk", "investigator", "chief", "head", "auditor", "admin", "police", "procurator", "supervisor")
TIP = {"channel": "walk_in", "institution_id": 2, "facts": "中医院将自费项目串换为医保项目结算", "anonymous": False,
       "amount_involved": "24000", "reporter": REPORTER.model_dump()}
EXPORTS = ("tips", "referrals", "overdue", "rewards")
PDF_READERS = {Kind.REFERRAL_LETTER: ("investigator", "police"), Kind.REFERRAL_RECEIPT: ("investigator", "police"),
               Kind.REWARD_APPROVAL_FORM: ("investigator", "head")}
TO_REPORTER = (Kind.ACCEPTANCE_NOTICE, Kind.REWARD_CLAIM_NOTICE)  # may name the reporter to identity readers
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Journey:
    """Drives the API as the named users and keeps the text of every answer, by kind, for the scan."""

    client: PageClient
    tokens: dict[str, dict] = field(default_factory=dict)
    scanned: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: {"body": [], "pdf": [], "xlsx": []})

    def headers(self, who: str) -> dict:
        if who not in self.tokens:
            answer = self.client.post("/api/v1/auth/token", json={"username": who, "password": DEMO_PASSWORD})
            self.tokens[who] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        return self.tokens[who]

    def call(self, method: str, path: str, who: str, **kw):
        response = getattr(self.client, method)(path, headers=self.headers(who), **kw)
        assert response.status_code < 500, response.text
        kind = {"application/pdf": "pdf", XLSX: "xlsx"}.get(response.headers.get("content-type"), "body")
        if response.status_code != 200:
            kind = "body"
        read = {"pdf": pdf_text, "xlsx": xlsx_text, "body": lambda r: r.text}[kind]
        self.scanned[kind].append((f"{method} {path} as {who}", read(response)))
        return response

    def move(self, path: str, who: str, event: str, version: int, **extra) -> dict:
        response = self.call("post", path, who, json={"event": event, "expected_version": version, **extra})
        assert response.status_code == 200, response.text
        return response.json()


def mentions_reporter(body: str) -> bool:
    return any(secret in body for secret in SECRETS)


def xlsx_text(response) -> str:
    book = load_workbook(BytesIO(response.content), read_only=True)
    return "\n".join(str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for value in row if value is not None)


def mail_text(content: bytes) -> str:
    """Subject and every decoded part of one received mail, plus the raw message."""
    mail = message_from_bytes(content)
    parts = [str(make_header(decode_header(mail["Subject"] or ""))), content.decode("utf-8", errors="replace")]
    parts += [part.get_payload(decode=True).decode("utf-8", errors="replace")
              for part in mail.walk() if not part.is_multipart()]
    return "\n".join(parts)


@pytest.fixture
def mailbox():
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def mailing_app(database, clock, users, mailbox):
    """A deployment that also e-mails: every user and every department leader has an address."""
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE app_user SET email = username || '@example.gov.cn'"))
        conn.execute(text("UPDATE department SET leader_name = '负责人', leader_email = code || '-lead@example.gov.cn'"))
    return create_app(settings=Settings(smtp_host="127.0.0.1", smtp_port=mailbox[1]), database=database, clock=clock)


def test_the_reporter_never_leaks(mailing_app, mailbox, clock, caplog, database):
    caplog.set_level(logging.DEBUG)
    runtime, channels = mailing_app.state.runtime, channels_from_settings(mailing_app.state.settings)
    j = Journey(PageClient(mailing_app, headers={"Origin": "http://testserver"}))
    tip = j.call("post", "/api/v1/tips", "desk", json=TIP).json()["tip"]
    allowed = j.client.post(f"/api/v1/tips/{tip['id']}/reporter", json={"reason": "核实"}, headers=j.headers("chief"))
    assert REPORTER.name in allowed.text  # the one permitted, logged read; not scanned
    ref = referred(j, tip, database)
    clock.set(at("2026-11-02"))
    sweep(runtime)
    relay_once(runtime, channels)
    reward = rewarded(j, tip)
    relay_once(runtime, channels)
    scan_pages(j, tip["id"], ref["id"], reward["id"])
    ids = {Kind.REFERRAL_LETTER: ref["id"], Kind.REFERRAL_RECEIPT: ref["id"], Kind.REWARD_APPROVAL_FORM: reward["id"],
           Kind.REWARD_CLAIM_NOTICE: reward["id"], Kind.ACCEPTANCE_NOTICE: tip["id"]}
    scan_documents(j, ids)
    to_reporter = addressed_to_reporter(j, ids)
    mails = [(f"mail to {m.rcpt_tos}", mail_text(m.content)) for m in mailbox[0].messages]

    scanned = [*j.scanned["body"], *j.scanned["pdf"], *j.scanned["xlsx"], *mails]
    hits = [where for where, body in scanned if mentions_reporter(body)]
    print(f"\nleak scan: {len(j.scanned['body'])} bodies, {len(j.scanned['pdf'])} PDFs, "
          f"{len(j.scanned['xlsx'])} workbooks, {len(mails)} mails; {len(hits)} hits")
    assert hits == []
    assert len(j.scanned["pdf"]) >= 4 and len(j.scanned["xlsx"]) >= 8 and len(mails) >= 5  # not a vacuous scan
    assert all(tip["number"] in body for _where, body in j.scanned["pdf"])
    assert len(to_reporter) == 4 and all(mentions_reporter(notice) for notice in to_reporter)  # the scan works
    assert not any(s in caplog.text for s in SECRETS)
    assert _rows_mentioning(database) == []


def referred(j: Journey, tip: dict, database) -> dict:
    """Accepted, investigated and referred to the police, who sign for it."""
    url = f"/api/v1/tips/{tip['id']}/transitions"
    tip = j.move(url, "chief", "accept", tip["version"])
    tip = j.move(url, "investigator", "start_investigation", tip["version"])
    with database.engine.connect() as conn:
        gaj = conn.execute(text("SELECT id FROM department WHERE code = 'gaj'")).scalar_one()
    (ref,) = j.call("post", f"/api/v1/tips/{tip['id']}/referrals", "investigator",
                    json={"department_ids": [gaj], "summary": "串换项目骗取医保基金", "amount": "24000"}).json()
    for who, event in (("head", "approve"), ("investigator", "send_letter"), ("police", "sign")):
        ref = j.move(f"/api/v1/referrals/{ref['id']}/transitions", who, event, ref["version"])
    return ref


def rewarded(j: Journey, tip: dict) -> dict:
    """The tip concluded as substantiated, a reward proposed, approved twice and its claim notice issued."""
    tip = j.call("get", f"/api/v1/tips/{tip['id']}", "desk").json()
    j.move(f"/api/v1/tips/{tip['id']}/transitions", "investigator", "conclude", tip["version"],
           finding="substantiated", amount_confirmed="24000")
    reward = j.call("post", f"/api/v1/tips/{tip['id']}/reward-proposal", "investigator", json={}).json()
    for who, event in (("chief", "approve"), ("head", "approve"), ("desk", "issue_notice")):
        reward = j.move(f"/api/v1/rewards/{reward['id']}/transitions", who, event, reward["version"])
    return reward


def scan_pages(j: Journey, tip_id: int, ref_id: int, reward_id: int) -> None:
    """What every role sees of the case: lists, details, histories, inboxes, pages, and the .xlsx exports."""
    paths = ("/api/v1/tips", f"/api/v1/tips/{tip_id}", f"/api/v1/tips/{tip_id}/history", "/api/v1/referrals",
             "/api/v1/escalations", "/api/v1/inbox", "/api/v1/rewards", f"/api/v1/rewards/{reward_id}",
             f"/api/v1/rewards/{reward_id}/history", f"/api/v1/referrals/{ref_id}/letter",
             f"/api/v1/referrals/{ref_id}/receipt", f"/api/v1/rewards/{reward_id}/approval-form", "/tips", f"/tips/{tip_id}", "/overdue", "/inbox", "/portal",
             f"/referrals/{ref_id}", "/rewards", *(f"/api/v1/export/{name}.xlsx" for name in EXPORTS))
    for who in ROLES:
        for path in paths:
            j.call("get", path, who)


def scan_documents(j: Journey, ids: dict[Kind, int]) -> None:
    """Every official document the journey produced, as HTML (every role) and as PDF (readers of each kind);
    those addressed to the reporter as roles that may not read the identity (refused, or an archive copy)."""
    for kind, readers in PDF_READERS.items():
        for who in ROLES:
            j.call("get", f"/api/v1/documents/{kind}/{ids[kind]}.html", who)
        for who in readers:
            assert j.call("get", f"/api/v1/documents/{kind}/{ids[kind]}.pdf", who).status_code == 200
    for kind in TO_REPORTER:
        for who in ("investigator", "police"):
            j.call("get", f"/api/v1/documents/{kind}/{ids[kind]}.html", who)
            j.call("get", f"/api/v1/documents/{kind}/{ids[kind]}.pdf", who)


def addressed_to_reporter(j: Journey, ids: dict[Kind, int]) -> list[str]:
    """The documents addressed to the reporter, HTML and PDF, as an identity reader: they name the reporter,
    and only by name."""
    notices = []
    for kind in TO_REPORTER:
        html = j.client.get(f"/api/v1/documents/{kind}/{ids[kind]}.html", headers=j.headers("desk"))
        pdf = j.client.get(f"/api/v1/documents/{kind}/{ids[kind]}.pdf", headers=j.headers("desk"))
        assert html.status_code == pdf.status_code == 200, (kind, html.text)
        notices += [html.text, pdf_text(pdf)]
    for notice in notices:
        assert REPORTER.name in notice
        assert REPORTER.phone not in notice and REPORTER.id_number not in notice
    return notices


def _rows_mentioning(database) -> list[str]:
    """Every table, every row, as text: only the sealed identity table may hold the reporter (encrypted)."""
    found = []
    with database.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                if any(s in str(tuple(row)) for s in SECRETS):
                    found.append(table.name)
    return found
