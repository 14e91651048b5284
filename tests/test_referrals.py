"""Referrals: the police path end to end on the law's clocks, department isolation, escalation, bad input."""
from datetime import datetime

from sqlalchemy import text
from sqlmodel import func, select

from domain.calendar import SHANGHAI
from domain.models import AuditEntry, Department, DeadlineStep, Outbox
from domain.referral_models import Referral
from services.escalation import sweep
from tests.helpers import REPORTER, register, send


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def dept(runtime, code: str) -> int:
    with runtime.db.read() as session:
        return session.exec(select(Department.id).where(Department.code == code)).one()


def accepted_tip(runtime, users):
    tip = register(runtime, users["desk"])
    send(runtime, users["chief"], tip.id, "accept")
    return tip


def propose(client, login, tip_id: int, *codes_ids: int, who="investigator"):
    body = {"department_ids": list(codes_ids), "summary": "某医院虚构住院骗取医保基金12万元", "suspected_offence": "诈骗罪",
            "amount": "120000"}
    return client.post(f"/api/v1/tips/{tip_id}/referrals", json=body, headers=login(who))


def move(client, login, who: str, referral: dict, event: str, **extra) -> dict:
    response = client.post(f"/api/v1/referrals/{referral['id']}/transitions",
                           json={"event": event, "expected_version": referral["version"], **extra}, headers=login(who))
    assert response.status_code == 200, response.text
    return response.json()


def deadline(referral: dict, kind: str) -> dict:
    return next(d for d in referral["deadlines"] if d["kind"] == kind)


def test_police_path_end_to_end_with_clocks_across_national_day(client, login, runtime, users, clock):
    tip = accepted_tip(runtime, users)
    clock.set(at("2026-09-28T09:00"))
    (ref,) = propose(client, login, tip.id, dept(runtime, "gaj")).json()
    assert ref["track"] == "police" and ref["copy_to_name"] == "市人民检察院" and ref["status"] == "proposed"
    assert deadline(ref, "referral_approval")["last_day"] == "2026-10-08"  # Oct 1 is National Day: rolls on
    clock.set(at("2026-09-30T10:00"))
    ref = move(client, login, "head", ref, "approve")
    send_clock = deadline(ref, "referral_send")  # 24 clock hours, straight through the holiday
    assert send_clock["unit"] == "hours" and send_clock["due_at"].startswith("2026-10-01T02:00")
    clock.set(at("2026-09-30T20:00"))
    ref = move(client, login, "investigator", ref, "send_letter")
    assert ref["number"] == "界医保移〔2026〕1号"
    assert deadline(ref, "police_ack")["last_day"] == "2026-10-08"  # 1 working day: Oct 1-7 are off
    clock.set(at("2026-10-08T09:00"))
    ref = move(client, login, "police", ref, "sign")
    assert deadline(ref, "police_decision")["last_day"] == "2026-10-12"  # Oct 11 is Sunday: rolls to Monday
    ref = move(client, login, "police", ref, "decline", decision_doc_no="界公不立字〔2026〕3号", reason="不构成犯罪")
    assert deadline(ref, "reconsideration_request")["status"] == "open"
    ref = move(client, login, "head", ref, "request_reconsideration", reason="金额已达立案标准")
    ref = move(client, login, "police", ref, "uphold", reason="维持")
    ref = move(client, login, "head", ref, "propose_supervision", reason="建议检察院监督立案")
    assert ref["status"] == "supervision_proposed"
    ref = move(client, login, "police", ref, "file")
    assert deadline(ref, "exhibits_handover")["status"] == "open"
    ref = move(client, login, "investigator", ref, "hand_over")
    ref = move(client, login, "investigator", ref, "track")
    ref = move(client, login, "investigator", ref, "close", reply="已判决")
    assert ref["status"] == "closed" and all(d["status"] != "open" for d in ref["deadlines"])
    history = client.get(f"/api/v1/referrals/{ref['id']}", headers=login("procurator"))
    assert history.status_code == 200  # the procuratorate reads its copy


def test_a_liaison_cannot_see_or_act_on_another_departments_referral(client, login, runtime, users):
    tip = accepted_tip(runtime, users)
    police_ref, health_ref = propose(client, login, tip.id, dept(runtime, "gaj"), dept(runtime, "wjw")).json()
    assert client.get("/api/v1/referrals", headers=login("health")).json() == []  # not sent yet: not theirs to see
    police_ref = move(client, login, "investigator", move(client, login, "head", police_ref, "approve"), "send_letter")
    health_ref = move(client, login, "investigator", move(client, login, "head", health_ref, "approve"), "send_letter")
    assert client.get(f"/api/v1/referrals/{police_ref['id']}", headers=login("health")).status_code == 404
    assert [r["id"] for r in client.get("/api/v1/referrals", headers=login("health")).json()] == [health_ref["id"]]
    assert [r["id"] for r in client.get("/api/v1/referrals", headers=login("discipline")).json()] == []
    refused = client.post(f"/api/v1/referrals/{police_ref['id']}/transitions",
                          json={"event": "sign", "expected_version": police_ref["version"]}, headers=login("health"))
    assert refused.status_code == 404
    copy_refused = client.post(f"/api/v1/referrals/{police_ref['id']}/transitions",
                               json={"event": "sign", "expected_version": police_ref["version"]},
                               headers=login("procurator"))
    assert copy_refused.status_code == 403
    upload = client.post(f"/api/v1/referrals/{police_ref['id']}/attachments", headers=login("procurator"),
                         files={"file": ("x.pdf", b"%PDF-1.7", "application/pdf")})
    assert upload.status_code == 403  # a copy is read-only
    assert client.get(f"/api/v1/referrals/{police_ref['id']}", headers=login("supervisor")).status_code == 403
    assert client.get(f"/api/v1/referrals/{police_ref['id']}/letter", headers=login("health")).status_code == 404
    assert client.get(f"/api/v1/tips/{tip.id}/referrals", headers=login("police")).status_code == 403
    glance = client.get(f"/api/v1/tips/{tip.id}/referrals", headers=login("chief")).json()
    assert {r["department_name"] for r in glance} == {"市公安局", "市卫生健康委员会"}  # joint handling at a glance


def test_an_overdue_acknowledgement_escalates_once_per_level(client, login, runtime, users, clock):
    tip = accepted_tip(runtime, users)
    (ref,) = propose(client, login, tip.id, dept(runtime, "jwjw")).json()
    ref = move(client, login, "head", ref, "approve")
    ref = move(client, login, "investigator", ref, "send_letter")
    ack = deadline(ref, "department_ack")
    assert ack["last_day"] == "2026-09-29"  # 5 working days from Mon Sep 21: 22, 23, 24, 28, 29 (25: Mid-autumn)
    clock.set(at("2026-09-30T09:00"))
    first, again = sweep(runtime), sweep(runtime)
    assert again.steps == [] and any(s.endswith("level-1") for s in first.steps)
    clock.set(at("2026-10-13T09:00"))  # level 2: 3 working days past Sep 29 (Sep 30, Oct 8, Oct 9)
    sweep(runtime)
    sweep(runtime)
    with runtime.db.read() as session:
        codes = session.exec(select(DeadlineStep.code).where(DeadlineStep.deadline_id == ack["id"])).all()
        told = session.exec(select(Outbox.key).where(Outbox.deadline_id == ack["id"])).all()
    assert sorted(codes) == ["level-1", "level-2", "remind-1"]
    assert len(told) == len(set(told))
    assert any(f"u{users['discipline'].id}:inbox" in key and "level-1" in key for key in told)


def test_bad_input_is_refused_and_changes_nothing(client, login, runtime, users):
    registered = register(runtime, users["desk"])
    assert propose(client, login, registered.id, dept(runtime, "gaj")).status_code == 422  # not filed yet
    tip = accepted_tip(runtime, users)
    assert propose(client, login, tip.id, dept(runtime, "ybj")).json()["field"] == "department_ids"
    assert propose(client, login, tip.id, dept(runtime, "wjw"), who="desk").status_code == 403
    (ref,) = propose(client, login, tip.id, dept(runtime, "wjw")).json()
    assert propose(client, login, tip.id, dept(runtime, "wjw")).status_code == 422  # already referred there
    ref = move(client, login, "head", ref, "approve")
    ref = move(client, login, "investigator", ref, "send_letter")
    before = _counts(runtime)
    early = client.post(f"/api/v1/referrals/{ref['id']}/transitions",
                        json={"event": "reply", "expected_version": ref["version"], "reply": "已处理"},
                        headers=login("health"))
    assert early.status_code == 409 and early.json()["allowed_events"] == ["acknowledge"]
    ref = move(client, login, "health", ref, "acknowledge")
    missing = client.post(f"/api/v1/referrals/{ref['id']}/transitions",
                          json={"event": "reply", "expected_version": ref["version"]}, headers=login("health"))
    assert missing.status_code == 422 and missing.json()["field"] == "reply"
    stale = client.post(f"/api/v1/referrals/{ref['id']}/transitions",
                        json={"event": "reply", "expected_version": 1, "reply": "x"}, headers=login("health"))
    assert stale.status_code == 409 and stale.json()["current_version"] == ref["version"]
    after = client.get(f"/api/v1/referrals/{ref['id']}", headers=login("health")).json()
    assert after["status"] == "acknowledged" and after["version"] == ref["version"]
    assert _counts(runtime)[0] == before[0] + 1  # only the acknowledgement's audit row


def _counts(runtime) -> tuple[int, int]:
    with runtime.db.read() as session:
        return (session.exec(select(func.count()).select_from(AuditEntry)).one(),
                session.exec(select(func.count()).select_from(Referral)).one())


def test_letter_and_receipt_carry_the_number_and_never_the_reporter(client, login, runtime, users):
    tip = accepted_tip(runtime, users)
    (ref,) = propose(client, login, tip.id, dept(runtime, "gaj")).json()
    ref = move(client, login, "head", ref, "approve")
    ref = move(client, login, "investigator", ref, "send_letter")
    letter = client.get(f"/api/v1/referrals/{ref['id']}/letter", headers=login("police")).text
    assert "涉嫌犯罪案件移送书" in letter and ref["number"] in letter and "抄告：市人民检察院" in letter
    move(client, login, "police", ref, "sign")
    receipt = client.get(f"/api/v1/referrals/{ref['id']}/receipt", headers=login("chief")).text
    assert "回执" in receipt and "签收时间" in receipt and "尚未签收" not in receipt
    for secret in (REPORTER.name, REPORTER.phone, REPORTER.id_number):
        assert secret not in letter and secret not in receipt


def test_attachments_are_checked_and_hashed(client, login, runtime, users):
    tip = accepted_tip(runtime, users)
    (ref,) = propose(client, login, tip.id, dept(runtime, "gaj")).json()
    url = f"/api/v1/referrals/{ref['id']}/attachments"
    good = client.post(url, files={"file": ("调查报告.pdf", b"%PDF-1.7 test", "application/pdf")},
                       headers=login("investigator"))
    assert good.status_code == 201 and len(good.json()["sha256"]) == 64
    fake = client.post(url, files={"file": ("x.pdf", b"MZ\x90\x00", "application/pdf")}, headers=login("investigator"))
    assert fake.status_code == 422 and fake.json()["field"] == "file"
    exe = client.post(url, files={"file": ("x.exe", b"MZ", "application/octet-stream")}, headers=login("investigator"))
    assert exe.status_code == 422
    download = client.get(f"{url}/{good.json()['id']}", headers=login("investigator"))
    assert download.content == b"%PDF-1.7 test"


def test_the_departments_own_leader_is_told_at_the_higher_step(client, login, runtime, users, clock, database):
    from services.runtime import Runtime

    with database.engine.begin() as conn:
        conn.execute(text("UPDATE department SET leader_name = '王局长', leader_email = 'leader@gaj.example' "
                          "WHERE code = 'gaj'"))
    mailing = Runtime(db=runtime.db, policy=runtime.policy, clock=clock, channels=frozenset({"inbox", "email"}))
    tip = accepted_tip(runtime, users)
    (ref,) = propose(client, login, tip.id, dept(runtime, "gaj")).json()
    ref = move(client, login, "investigator", move(client, login, "head", ref, "approve"), "send_letter")
    assert deadline(ref, "police_ack")["last_day"] == "2026-09-22"
    clock.set(at("2026-09-23T09:00"))  # past due: level 1 (liaison, handler, chief) only
    sweep(mailing)
    with runtime.db.read() as session:
        assert session.exec(select(Outbox).where(Outbox.address == "leader@gaj.example")).all() == []
    clock.set(at("2026-09-24T09:00"))  # one working day later: level 2 adds the police's own leader
    sweep(mailing)
    sweep(mailing)
    with runtime.db.read() as session:
        mails = session.exec(select(Outbox).where(Outbox.address == "leader@gaj.example")).all()
    assert len(mails) == 1 and mails[0].channel == "email" and "王局长" in mails[0].body
    assert REPORTER.name not in mails[0].body


def test_windows_lapse_quietly_and_the_24_hour_supplement_window_is_tracked(client, login, runtime, users, clock):
    tip = accepted_tip(runtime, users)
    (ref,) = propose(client, login, tip.id, dept(runtime, "gaj")).json()
    ref = move(client, login, "investigator", move(client, login, "head", ref, "approve"), "send_letter")
    clock.set(at("2026-09-22T09:00"))
    ref = move(client, login, "police", ref, "sign")
    window = deadline(ref, "supplement_notice")
    assert window["unit"] == "hours" and window["due_at"].startswith("2026-09-23T01:00")
    ref = move(client, login, "police", ref, "decline", decision_doc_no="界公不立字〔2026〕9号", reason="不构成犯罪")
    statuses = {d["kind"]: d["status"] for d in ref["deadlines"]}
    assert statuses["supplement_notice"] == "met" and statuses["reconsideration_request"] == "open"
    clock.set(at("2026-09-29T09:00"))  # the 3-day reconsideration window passed unused
    sweep(runtime)
    ref = client.get(f"/api/v1/referrals/{ref['id']}", headers=login("chief")).json()
    assert {d["kind"]: d["status"] for d in ref["deadlines"]}["reconsideration_request"] == "cancelled"
    with runtime.db.read() as session:
        told = session.exec(select(Outbox).where(Outbox.subject_type == "referral")).all()
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.subject_id == ref["id"],
                                                               AuditEntry.subject_type == "referral")).all()
    assert not any("reconsideration" in row.key or "超期" in row.title for row in told)  # nobody chased
    assert "window_closed" in actions


def tracked_police_referral(client, login, runtime, users) -> dict:
    """A police referral filed, exhibits handed over, and its outcome now being tracked."""
    (ref,) = propose(client, login, accepted_tip(runtime, users).id, dept(runtime, "gaj")).json()
    ref = move(client, login, "head", ref, "approve")
    ref = move(client, login, "investigator", ref, "send_letter")
    ref = move(client, login, "police", ref, "sign")
    ref = move(client, login, "police", ref, "file")
    return move(client, login, "investigator", move(client, login, "investigator", ref, "hand_over"), "track")


def test_recording_the_polices_progress_starts_the_next_outcome_check(client, login, runtime, users, clock):
    """T_outcome_check recurs ("e.g. every 30 days"): each recorded check meets the running one and starts the next.
    Calendar days: the National Day holiday does not lengthen it."""
    clock.set(at("2026-09-28T09:00"))
    ref = tracked_police_referral(client, login, runtime, users)
    first = deadline(ref, "outcome_check")
    assert first["last_day"] == "2026-10-28" and "check_progress" in ref["allowed_events"]
    clock.set(at("2026-10-26T15:00"))
    empty = client.post(f"/api/v1/referrals/{ref['id']}/transitions", headers=login("investigator"),
                        json={"event": "check_progress", "expected_version": ref["version"]})
    assert empty.status_code == 422 and "办理进展" in empty.text
    ref = move(client, login, "investigator", ref, "check_progress", reply="公安机关称已移送审查起诉")
    checks = [d for d in ref["deadlines"] if d["kind"] == "outcome_check"]
    assert [(d["status"], d["last_day"]) for d in checks] == [("met", "2026-10-28"), ("open", "2026-11-25")]
    assert ref["status"] == "outcome_tracking"
    with runtime.db.read() as session:
        audited = session.exec(select(AuditEntry.reason).where(
            AuditEntry.subject_type == "referral", AuditEntry.subject_id == ref["id"],
            AuditEntry.action == "check_progress")).all()
    assert audited == ["公安机关称已移送审查起诉"]
    ref = move(client, login, "investigator", ref, "close", reply="已判决")
    assert all(d["status"] != "open" for d in ref["deadlines"])
