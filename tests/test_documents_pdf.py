"""Official documents as PDF: real PDFs with the Chinese title and the document number as text, Noto CJK glyphs
embedded (not boxes), role gates and visibility as on the HTML routes, and no reporter identity in any PDF that
is not addressed to the reporter."""
import re
from datetime import datetime
from io import BytesIO

from pypdf import PdfReader
from sqlmodel import select

from domain.calendar import SHANGHAI
from domain.models import Department
from services.meetings import open_due_meeting
from services.minutes import issue, recipients_of, send_to_unit
from tests.helpers import REPORTER, register, send

API = "/api/v1"
IDENTITY = [v for v in (REPORTER.name, REPORTER.phone, REPORTER.id_number, REPORTER.address) if v]
REAL_TIP = {"channel": "phone", "institution_id": 1, "facts": "挂床住院骗取医保基金", "anonymous": False,
            "reporter": {"name": REPORTER.name, "phone": REPORTER.phone, "id_number": REPORTER.id_number}}
ANON_TIP = {"channel": "web", "institution_id": 2, "facts": "药店刷医保卡购买生活用品", "anonymous": True}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def dept(runtime, code: str) -> int:
    with runtime.db.read() as session:
        return session.exec(select(Department.id).where(Department.code == code)).one()


def ok(response, code: int = 200):
    assert response.status_code == code, response.text
    return response.json() if "json" in response.headers.get("content-type", "") else response


def cjk_fonts(content: bytes) -> set[str]:
    """Names of the embedded (FontFile present) CJK fonts the PDF's pages use."""
    names = set()
    for page in PdfReader(BytesIO(content)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            if "CJK" in str(font["/BaseFont"]) and any(k.startswith("/FontFile") for k in descriptor):
                names.add(str(font["/BaseFont"]).split("+")[-1])
    return names


def pdf_text(response) -> str:
    """The PDF's text, whitespace removed (line breaks fall anywhere); checks it is a PDF with CJK glyphs."""
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert any(name.startswith("Noto-Serif-CJK") for name in cjk_fonts(response.content))
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    return re.sub(r"\s+", "", text)


def no_reporter(text: str) -> str:
    for secret in IDENTITY:
        assert re.sub(r"\s+", "", secret) not in text
    return text


def move(client, login, who: str, path: str, row: dict, event: str, **extra) -> dict:
    body = {"event": event, "expected_version": row["version"], **extra}
    return ok(client.post(f"{API}/{path}/{row['id']}/transitions", json=body, headers=login(who)))


def signed_police_referral(client, login, runtime, users) -> dict:
    tip = register(runtime, users["desk"])  # a real-name tip: its reporter must not appear on the letter
    send(runtime, users["chief"], tip.id, "accept")
    body = {"department_ids": [dept(runtime, "gaj")], "summary": "某医院虚构住院骗取医保基金12万元",
            "suspected_offence": "诈骗罪", "amount": "120000"}
    (ref,) = ok(client.post(f"{API}/tips/{tip.id}/referrals", json=body, headers=login("investigator")), 201)
    ref = move(client, login, "head", "referrals", ref, "approve")
    ref = move(client, login, "investigator", "referrals", ref, "send_letter")
    return move(client, login, "police", "referrals", ref, "sign")


def test_referral_letter_and_receipt_as_pdf_without_the_reporter(client, login, runtime, users):
    ref = signed_police_referral(client, login, runtime, users)
    number = ref["number"]
    assert number == "界医保移〔2026〕1号"
    letter = no_reporter(pdf_text(ok(client.get(f"{API}/documents/referral-letter/{ref['id']}.pdf",
                                                 headers=login("investigator")))))
    assert "涉嫌犯罪案件移送书" in letter and number in letter and "市公安局" in letter
    receipt = no_reporter(pdf_text(ok(client.get(f"{API}/documents/referral-receipt/{ref['id']}.pdf",
                                                  headers=login("police")))))
    assert "涉嫌犯罪案件移送书（回执）" in receipt and f"对应文号：{number}" in receipt
    assert client.get(f"{API}/documents/referral-letter/{ref['id']}.pdf", headers=login("health")).status_code == 404
    assert client.get(f"{API}/documents/referral-letter/{ref['id']}.pdf", headers=login("grid")).status_code == 403
    assert client.get(f"{API}/documents/referral-letter/{ref['id']}.pdf").status_code == 401
    assert client.get(f"{API}/documents/no-such-kind/{ref['id']}.pdf", headers=login("head")).status_code == 422
    assert client.get(f"{API}/documents/referral-letter/999999.pdf", headers=login("head")).status_code == 404


def concluded_tip(client, login, users, body: dict) -> tuple[dict, str | None]:
    made = ok(client.post(f"{API}/tips", json=body, headers=login("desk")), 201)
    tip = made["tip"]
    for who, event, extra in (("chief", "accept", {}),
                              ("investigator", "start_investigation", {"handler_id": users["investigator"].id}),
                              ("investigator", "conclude", {"finding": "substantiated", "amount_confirmed": "30000"})):
        tip = move(client, login, who, "tips", tip, event, **extra)
    return tip, made["receipt_code"]


def issued_reward(client, login, tip: dict) -> dict:
    reward = ok(client.post(f"{API}/tips/{tip['id']}/reward-proposal", json={}, headers=login("investigator")), 201)
    for who, event in (("chief", "approve"), ("head", "approve"), ("desk", "issue_notice")):
        reward = move(client, login, who, "rewards", reward, event)
    return reward


def test_reward_form_keeps_the_reporter_off_and_the_claim_notice_names_them(client, login, users):
    tip, _ = concluded_tip(client, login, users, REAL_TIP)
    reward = issued_reward(client, login, tip)
    form = no_reporter(pdf_text(ok(client.get(f"{API}/documents/reward-approval-form/{reward['id']}.pdf",
                                               headers=login("investigator")))))
    assert "举报奖励审批表" in form and reward["number"] in form and tip["number"] in form
    url = f"{API}/documents/reward-claim-notice/{reward['id']}.pdf"
    assert client.get(url, headers=login("investigator")).status_code == 403  # not an identity reader
    assert client.get(url, headers=login("police")).status_code == 403
    notice = pdf_text(ok(client.get(url, headers=login("desk"))))
    assert "举报奖励领取通知书" in notice and reward["notice_number"] in notice
    assert f"{REPORTER.name}：" in notice  # addressed to the reporter: the one document that names them


def test_anonymous_reporter_gets_the_claim_notice_pdf_with_the_receipt_code(client, login, users):
    tip, code = concluded_tip(client, login, users, ANON_TIP)
    reward = issued_reward(client, login, tip)
    notice = pdf_text(ok(client.get(f"{API}/public/documents/reward-claim-notice.pdf",
                                    headers={"X-Receipt-Code": code})))
    assert "举报奖励领取通知书" in notice and reward["notice_number"] in notice and "查询码持有人" in notice
    wrong = client.get(f"{API}/public/documents/reward-claim-notice.pdf",
                       headers={"X-Receipt-Code": "AAAA-BBBB-CCCC-DDDD-EEEE"})
    assert wrong.status_code == 404


def started_round_with_finding(client, login, runtime) -> tuple[dict, dict]:
    body = {"year": 2026, "quarter": 3, "title": "定点医药机构监管履职督导", "planned_start": "2026-09-21",
            "targets": [{"department_id": dept(runtime, "wjw")}, {"institution_id": 1}]}
    rnd = ok(client.post(f"{API}/supervision/rounds", json=body, headers=login("supervisor")), 201)
    rnd = move(client, login, "supervisor", "supervision/rounds", rnd, "start")
    target = next(t for t in rnd["targets"] if t["name"] == "市卫生健康委员会")
    finding = {"target_id": target["id"], "description": "未按要求开展医保政策宣传", "requirement": "制定宣传方案并入户宣传",
               "deadline_option": "30d"}
    return rnd, ok(client.post(f"{API}/supervision/rounds/{rnd['id']}/findings", json=finding,
                               headers=login("supervisor")), 201)


def test_rectification_notice_and_supervision_report_as_pdf(client, login, runtime, users):
    rnd, finding = started_round_with_finding(client, login, runtime)
    url = f"{API}/documents/rectification-notice/{finding['id']}.pdf"
    notice = no_reporter(pdf_text(ok(client.get(url, headers=login("health")))))
    assert "整改通知书" in notice and finding["number"] in notice and "未按要求开展医保政策宣传" in notice
    assert client.get(url, headers=login("police")).status_code == 404  # another unit's finding
    report_url = f"{API}/documents/supervision-report/{rnd['id']}.pdf"
    report = no_reporter(pdf_text(ok(client.get(report_url, headers=login("supervisor")))))
    assert "关于2026年第3季度医保基金监管督导情况的报告" in report and finding["number"] in report
    assert client.get(report_url, headers=login("health")).status_code == 403


def meeting_with_draft_minutes(client, login, runtime, clock) -> dict:
    meeting_id = open_due_meeting(runtime)
    meeting = ok(client.get(f"{API}/meetings/{meeting_id}", headers=login("office")))
    meeting = move(client, login, "office", "meetings", meeting, "open_topics", topic_cutoff="2026-09-30")
    meeting = move(client, login, "office", "meetings", meeting, "propose_agenda", topic_ids=[],
                   agenda="一、通报基金监管形势；二、研究行刑衔接问题")
    meeting = move(client, login, "convener", "meetings", meeting, "approve_agenda",
                   scheduled_at="2026-10-15T09:00:00+08:00", location="市政府三楼会议室")
    meeting = move(client, login, "office", "meetings", meeting, "send_notice")
    clock.set(at("2026-10-15T11:30"))
    meeting = move(client, login, "office", "meetings", meeting, "hold")
    matters = [{"title": "建立欺诈骗保案件移送反馈台账", "owner_department_id": dept(runtime, "gaj"), "due_date": "2026-11-30"}]
    return move(client, login, "office", "meetings", meeting, "draft_minutes", matters=matters,
                minutes="会议听取了各成员单位工作汇报，研究了行刑衔接等问题，议定事项如下。")


def issue_minutes(client, login, runtime, meeting: dict) -> None:
    """The convener approves; the distribution flow's steps send the minutes to every unit and issue them."""
    meeting = move(client, login, "convener", "meetings", meeting, "approve_minutes")
    for unit in recipients_of(runtime):
        send_to_unit(runtime, meeting["id"], unit)
    assert issue(runtime, meeting["id"])


def test_meeting_notice_minutes_and_matter_sheet_as_pdf(client, login, runtime, users, clock):
    meeting = meeting_with_draft_minutes(client, login, runtime, clock)
    notice = no_reporter(pdf_text(ok(client.get(f"{API}/documents/meeting-notice/{meeting['id']}.pdf",
                                                 headers=login("police")))))
    assert f"关于召开{meeting['title']}的通知" in notice and "市政府三楼会议室" in notice
    minutes_url = f"{API}/documents/meeting-minutes/{meeting['id']}.pdf"
    assert client.get(minutes_url, headers=login("police")).status_code == 404  # not issued to members yet
    assert f"{meeting['title']}纪要" in pdf_text(ok(client.get(minutes_url, headers=login("office"))))
    issue_minutes(client, login, runtime, meeting)
    minutes = no_reporter(pdf_text(ok(client.get(minutes_url, headers=login("police")))))
    (matter,) = ok(client.get(f"{API}/matters", headers=login("police")))
    assert f"第{meeting['seq']}次" in minutes and matter["number"] in minutes and "建立欺诈骗保案件移送反馈台账" in minutes
    sheet = no_reporter(pdf_text(ok(client.get(f"{API}/documents/matter-sheet/{matter['id']}.pdf",
                                                headers=login("police")))))
    assert "议定事项督办单" in sheet and matter["number"] in sheet
    assert client.get(f"{API}/documents/matter-sheet/{matter['id']}.pdf", headers=login("desk")).status_code == 403
