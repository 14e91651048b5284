"""受理告知书 / 不予受理告知书: the right notice for the decision, a stable document number, the reporter's name
only for identity readers (and then an audited identity read), anonymous reporters addressed by code only,
PDFs with the Chinese text, refusal before a decision, role gates, and the links on the pages."""
import re

import pytest
from sqlmodel import select

from domain.enums import REJECTION_GROUND_LABELS, RejectionGround
from domain.models import AuditEntry
from services import tip_notices
from services.demo import DEMO_PASSWORD
from services.errors import InvalidInput
from tests.helpers import REPORTER, actor, register, send
from tests.page_client import PageClient
from tests.test_documents_pdf import ANON_TIP, API, REAL_TIP, move, no_reporter, ok, pdf_text

ACCEPT_NO = re.compile(r"界医保受告〔\d{4}〕\d+号")
REJECT_NO = re.compile(r"界医保不受告〔\d{4}〕\d+号")
REASON = "举报材料未载明被举报机构名称及具体违规事实"


def registered(client, login, body: dict) -> tuple[dict, str | None]:
    made = ok(client.post(f"{API}/tips", json=body, headers=login("desk")), 201)
    return made["tip"], made["receipt_code"]


def decided(client, login, body: dict, event: str = "accept") -> tuple[dict, str | None]:
    tip, code = registered(client, login, body)
    extra = {"ground": RejectionGround.NO_SPECIFIC_CLUE.value, "reason": REASON} if event == "reject" else {}
    return move(client, login, "chief", "tips", tip, event, **extra), code


def audit_rows(runtime, tip_id: int, action: str) -> list[AuditEntry]:
    with runtime.db.read() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.subject_type == "tip",
                                                          AuditEntry.subject_id == tip_id,
                                                          AuditEntry.action == action)))


def html(client, login, who: str, kind: str, tip_id: int):
    return client.get(f"{API}/documents/{kind}/{tip_id}.html", headers=login(who))


def test_acceptance_notice_names_the_reporter_for_a_reader_and_logs_the_read(client, login, runtime):
    tip, _ = decided(client, login, REAL_TIP)
    first = ok(html(client, login, "desk", "acceptance-notice", tip["id"])).text
    number = ACCEPT_NO.search(first).group()
    assert "受理告知书" in first and tip["number"] in first and "予以受理并立案调查" in first
    assert f"{REPORTER.name}：" in first and REPORTER.phone not in first
    reads = audit_rows(runtime, tip["id"], "identity_read")
    assert len(reads) == 1 and number in reads[0].reason
    again = ok(html(client, login, "chief", "acceptance-notice", tip["id"])).text
    assert ACCEPT_NO.search(again).group() == number  # stable across renders and users
    issued = audit_rows(runtime, tip["id"], tip_notices.ISSUED)
    assert [row.detail["number"] for row in issued] == [number]
    assert len(audit_rows(runtime, tip["id"], "identity_read")) == 2  # every naming render is logged


def test_roles_without_identity_access_get_an_archive_copy_without_the_name(client, login, runtime):
    tip, _ = decided(client, login, REAL_TIP)
    for who in ("investigator", "auditor"):
        draft = no_reporter(ok(html(client, login, who, "acceptance-notice", tip["id"])).text)
        assert "存档副本" in draft and tip_notices.WITHHELD_ADDRESSEE in draft and "未编号" in draft
    assert audit_rows(runtime, tip["id"], tip_notices.ISSUED) == []  # viewing issues nothing
    number = ACCEPT_NO.search(ok(html(client, login, "desk", "acceptance-notice", tip["id"])).text).group()
    assert len(audit_rows(runtime, tip["id"], "identity_read")) == 1  # the desk's naming render only
    copy = no_reporter(ok(html(client, login, "investigator", "acceptance-notice", tip["id"])).text)
    assert number in copy and "存档副本" in copy
    assert len(audit_rows(runtime, tip["id"], "identity_read")) == 1
    url = f"{API}/documents/acceptance-notice/{tip['id']}.pdf"
    for who in ("police", "grid", "lx_fy"):
        assert client.get(url, headers=login(who)).status_code == 403
    assert client.get(url).status_code == 401


def test_rejection_notice_pdf_carries_ground_reason_and_next_steps(client, login, runtime):
    tip, _ = decided(client, login, REAL_TIP, event="reject")
    text = pdf_text(ok(client.get(f"{API}/documents/rejection-notice/{tip['id']}.pdf", headers=login("chief"))))
    number = REJECT_NO.search(text).group()
    assert "不予受理告知书" in text and tip["number"] in text and "决定不予受理" in text
    assert REJECTION_GROUND_LABELS[RejectionGround.NO_SPECIFIC_CLUE] in text and REASON in text
    assert "重新向本局举报" in text and "上一级医疗保障行政部门" in text and REPORTER.name in text
    view = ok(html(client, login, "head", "rejection-notice", tip["id"])).text
    assert REJECT_NO.search(view).group() == number
    wrong = html(client, login, "chief", "acceptance-notice", tip["id"])
    assert wrong.status_code == 422 and "应出具不予受理告知书" in wrong.json()["detail"]


def test_no_notice_before_the_decision_or_after_a_transfer(client, login, runtime, users):
    tip, _ = registered(client, login, REAL_TIP)
    refused = html(client, login, "chief", "acceptance-notice", tip["id"])
    assert refused.status_code == 422 and "尚未作出是否受理的决定" in refused.json()["detail"]
    assert html(client, login, "chief", "rejection-notice", tip["id"]).status_code == 422
    with pytest.raises(InvalidInput, match="尚未作出是否受理的决定"):
        with runtime.write(actor(users["chief"])) as ctx:
            tip_notices.render_acceptance(ctx, tip["id"])
    assert audit_rows(runtime, tip["id"], tip_notices.ISSUED) == []  # no number was taken
    moved = register(runtime, users["desk"])
    send(runtime, users["chief"], moved.id, "transfer", transferred_to="某市医疗保障局", reason="属地管辖")
    transferred = html(client, login, "chief", "acceptance-notice", moved.id)
    assert transferred.status_code == 422 and "已移交某市医疗保障局" in transferred.json()["detail"]
    assert html(client, login, "chief", "acceptance-notice", 999999).status_code == 404


def test_anonymous_notice_is_addressed_to_the_code_holder_with_the_same_number(client, login, runtime):
    tip, code = decided(client, login, ANON_TIP)
    staff = ok(html(client, login, "desk", "acceptance-notice", tip["id"])).text
    assert tip_notices.ANONYMOUS_ADDRESSEE in staff and "存档副本" not in staff
    assert audit_rows(runtime, tip["id"], "identity_read") == []
    public = pdf_text(ok(client.get(f"{API}/public/documents/decision-notice.pdf", headers={"X-Receipt-Code": code})))
    assert "受理告知书" in public and ACCEPT_NO.search(staff).group() in public and "查询码持有人" in public
    wrong = {"X-Receipt-Code": "AAAA-BBBB-CCCC-DDDD-EEEE"}
    assert client.get(f"{API}/public/documents/decision-notice.pdf", headers=wrong).status_code == 404


def test_anonymous_rejection_fetched_from_the_status_page(app, client, login):
    tip, code = decided(client, login, ANON_TIP, event="reject")
    pending, pending_code = registered(client, login, ANON_TIP)
    with PageClient(app) as public:
        page = public.post("/status", data={"code": code})
        assert page.status_code == 200 and 'action="/status/decision-notice"' in page.text
        text = pdf_text(ok(public.post("/status/decision-notice", data={"code": code})))
        assert "不予受理告知书" in text and tip["number"] in text and REASON in text
        assert 'action="/status/decision-notice"' not in public.post("/status", data={"code": pending_code}).text
        early = public.post("/status/decision-notice", data={"code": pending_code})
        assert early.status_code == 404 and "尚未作出是否受理的决定" in early.text
        assert public.post("/status/decision-notice", data={"code": "AAAA-BBBB-CCCC-DDDD-EEEE"}).status_code == 404


def test_tip_detail_links_the_notice_and_the_view_opens_with_the_session(app, client, login):
    tip, _ = decided(client, login, REAL_TIP)
    with PageClient(app) as chief:
        assert chief.post("/login", data={"username": "chief", "password": DEMO_PASSWORD},
                          follow_redirects=False).status_code == 303
        page = ok(chief.get(f"/tips/{tip['id']}")).text
        assert f"/api/v1/documents/acceptance-notice/{tip['id']}.pdf" in page
        assert f"/api/v1/documents/acceptance-notice/{tip['id']}.html" in page
        assert "rejection-notice" not in page
        assert "受理告知书" in ok(chief.get(f"/api/v1/documents/acceptance-notice/{tip['id']}.html")).text
        rejected, _ = decided(client, login, ANON_TIP, event="reject")
        page = ok(chief.get(f"/tips/{rejected['id']}")).text
        assert f"/api/v1/documents/rejection-notice/{rejected['id']}.pdf" in page and "acceptance-notice" not in page
        undecided, _ = registered(client, login, ANON_TIP)
        assert "告知举报人" not in ok(chief.get(f"/tips/{undecided['id']}")).text
