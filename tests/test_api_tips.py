"""The tips API through the TestClient: roles, conflicts, validation, lists, history, lifecycle, deadlines."""
from decimal import Decimal

import pytest
from sqlmodel import func, select

from domain.enums import Role
from domain.models import AuditEntry, Deadline, ReporterIdentity, Tip
from states.tip import EVENT_ROLES

API = "/api/v1/tips"
USERNAME = {Role.DESK_CLERK: "desk", Role.INVESTIGATOR: "investigator", Role.SECTION_CHIEF: "chief",
            Role.HEAD: "head", Role.MEETING_OFFICE: "office", Role.AUDITOR: "auditor", Role.ADMIN: "admin"}
REAL = {"channel": "phone", "institution_id": 1, "facts": "挂床住院骗取医保基金", "anonymous": False,
        "reporter": {"name": "张三", "phone": "13900000000"}}
ANON = {"channel": "web", "institution_id": 1, "facts": "药店刷医保卡购买生活用品", "anonymous": True}
PAYLOAD = {"reject": {"ground": "out_of_scope", "reason": "不属于医保基金监管范围"},
           "transfer": {"transferred_to": "市卫生健康委员会", "reason": "属卫健部门管辖"},
           "request_extension": {"reason": "案情复杂"}, "deny_extension": {"reason": "理由不充分"},
           "conclude": {"finding": "unsubstantiated"}}
TO_INVESTIGATING = [("chief", "accept"), ("investigator", "start_investigation")]
PATH = {"registered": [], "accepted": [("chief", "accept")], "investigating": TO_INVESTIGATING,
        "extension_requested": TO_INVESTIGATING + [("investigator", "request_extension")],
        "concluded": TO_INVESTIGATING + [("investigator", "conclude")],
        "reporter_notified": TO_INVESTIGATING + [("desk", "notify_decision"), ("investigator", "conclude"),
                                                 ("desk", "notify_reporter")]}
# event -> (state it is sent from in these tests, state it leads to)
MOVES = {e: tuple(m.split()) for e, m in {
    "accept": "registered accepted", "reject": "registered not_accepted", "transfer": "registered transferred",
    "start_investigation": "accepted investigating", "request_extension": "investigating extension_requested",
    "approve_extension": "extension_requested investigating", "deny_extension": "extension_requested investigating",
    "conclude": "investigating concluded", "notify_decision": "accepted accepted",
    "notify_reporter": "concluded reporter_notified", "close": "reporter_notified closed"}.items()}


def expect(response, code: int) -> dict:
    assert response.status_code == code, response.text
    return response.json()


class Api:
    def __init__(self, client, login, investigator_id: int) -> None:
        self.client, self.login, self.investigator_id = client, login, investigator_id

    def register(self, body=REAL, **changes) -> dict:
        return expect(self.client.post(API, json={**body, **changes}, headers=self.login("desk")), 201)["tip"]

    def get(self, tip_id: int, user="desk") -> dict:
        return expect(self.client.get(f"{API}/{tip_id}", headers=self.login(user)), 200)

    def where(self, tip_id: int) -> tuple[str, int]:
        tip = self.get(tip_id)
        return tip["status"], tip["version"]

    def send(self, tip_id: int, user: str, event: str, version: int | None = None, **extra):
        if not extra:
            extra = {"handler_id": self.investigator_id} if event == "start_investigation" else PAYLOAD.get(event, {})
        body = {"event": event, "expected_version": version or self.get(tip_id)["version"], **extra}
        return self.client.post(f"{API}/{tip_id}/transitions", json=body, headers=self.login(user))

    def ok(self, tip_id: int, user: str, event: str, **extra) -> dict:
        return expect(self.send(tip_id, user, event, **extra), 200)

    def at(self, state: str, body=REAL) -> int:
        tip_id = self.register(body)["id"]
        for user, event in PATH[state]:
            self.ok(tip_id, user, event)
        return tip_id


def counts(app) -> tuple[int, ...]:
    with app.state.runtime.db.read() as session:
        return tuple(session.exec(select(func.count()).select_from(m)).one()
                     for m in (Tip, AuditEntry, ReporterIdentity, Deadline))


def names_field(response, field: str) -> bool:
    body = response.json()
    if isinstance(body.get("detail"), list):
        return any(field in map(str, e["loc"]) or field in e["msg"] for e in body["detail"])
    return body.get("field") == field


def dl(tip: dict, kind: str, status: str = "open") -> dict:
    [found] = [d for d in tip["deadlines"] if d["kind"] == kind and d["status"] == status]
    return found


def open_kinds(tip: dict) -> set[str]:
    return {d["kind"] for d in tip["deadlines"] if d["status"] == "open"}


@pytest.fixture
def api(client, login, users):
    return Api(client, login, users["investigator"].id)


def test_every_event_for_its_roles_and_refused_to_the_others(api):
    # One test (not one per event) so the argon2 log-ins are shared; failures name the event and role.
    for event, (before, after) in MOVES.items():
        for role in EVENT_ROLES[event]:
            response = api.send(api.at(before), USERNAME[role], event)
            assert (response.status_code, response.json()["status"]) == (200, after), (event, role, response.text)
        tip_id = api.at(before)
        version = api.where(tip_id)[1]
        for user in [USERNAME[r] for r in USERNAME if r not in EVENT_ROLES[event]] + ["police"]:
            assert api.send(tip_id, user, event).status_code == 403, (event, user)
        assert api.where(tip_id) == (before, version), event


def test_role_table_spot_checks(api):
    # Hard-coded, so a wrong EVENT_ROLES fails even though the test above derives from it.
    for user, event, code in [
        ("desk", "accept", 403), ("investigator", "accept", 403), ("head", "accept", 200), ("chief", "reject", 200),
        ("head", "approve_extension", 200), ("chief", "approve_extension", 403), ("head", "deny_extension", 200),
        ("investigator", "deny_extension", 403), ("investigator", "conclude", 200), ("head", "conclude", 403),
        ("desk", "notify_decision", 200), ("office", "notify_decision", 403), ("desk", "close", 200),
        ("auditor", "close", 403), ("admin", "accept", 403), ("investigator", "start_investigation", 200),
    ]:
        assert api.send(api.at(MOVES[event][0]), user, event).status_code == code, (user, event)


def test_liaison_and_missing_token(api, client, login):
    tip_id = api.register()["id"]
    for method, url in (("GET", API), ("GET", f"{API}/{tip_id}"), ("POST", API), ("GET", f"{API}/{tip_id}/history")):
        assert client.request(method, url, json=REAL, headers=login("police")).status_code == 403, url
    assert client.get(API).status_code == 401
    assert client.post(f"{API}/{tip_id}/transitions", json={"event": "accept", "expected_version": 1}).status_code == 401


def test_conflicts_answer_409_with_what_to_do(api):
    tip_id = api.register()["id"]
    refused = api.send(tip_id, "chief", "conclude", version=1, finding="unsubstantiated")
    body = refused.json()
    assert refused.status_code == 409 and body["code"] == "transition_not_allowed" and body["state"] == "registered"
    assert sorted(body["allowed_events"]) == ["accept", "reject", "transfer"]
    assert api.ok(tip_id, "chief", "accept")["version"] == 2
    stale = api.send(tip_id, "chief", "reject", version=1)
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version" and stale.json()["current_version"] == 2
    unknown = api.send(tip_id, "chief", "approve", version=2)
    assert unknown.status_code == 422 and names_field(unknown, "event")
    assert api.where(tip_id) == ("accepted", 2)
    assert api.send(99999, "chief", "accept", version=1).status_code == 404


@pytest.mark.parametrize("changes, field", [
    ({"facts": None}, "facts"), ({"amount_involved": "-1"}, "amount_involved"), ({"channel": "fax"}, "channel"),
    ({"institution_id": 999}, "institution_id"), ({"reporter": None}, "reporter"),
    ({"anonymous": True}, "reporter"), ({"priority": "high"}, "priority"),
])
def test_register_rejects_bad_input_and_writes_nothing(api, app, client, login, changes, field):
    body = {k: v for k, v in {**REAL, **changes}.items() if v is not None}
    before = counts(app)
    response = client.post(API, json=body, headers=login("desk"))
    assert response.status_code == 422, response.text
    assert names_field(response, field), response.text
    assert counts(app) == before


def test_list_filters_and_pagination(api, client, login, clock):
    a = api.register(REAL)["id"]
    clock.advance(hours=1)
    b = api.register(ANON, institution_id=2)["id"]
    clock.advance(hours=1)
    c = api.register(ANON, channel="letter")["id"]
    api.ok(a, "chief", "accept")
    api.ok(a, "desk", "notify_decision")

    def ids(**params):
        page = client.get(API, params=params, headers=login("auditor")).json()
        return [t["id"] for t in page["items"]], page["total"]

    assert ids() == ([c, b, a], 3)
    assert ids(status="accepted") == ([a], 1) and ids(status="registered") == ([c, b], 2)
    assert ids(channel="web") == ([b], 1) and ids(institution_id=1) == ([c, a], 2)
    assert ids(overdue=True) == ([], 0)
    clock.set(clock.now.replace(year=2026, month=10, day=20))  # filing deadlines ended on 2026-10-19
    assert ids(overdue=True) == ([c, b], 2) and ids(overdue=False) == ([a], 1)
    assert ids(limit=2) == ([c, b], 3) and ids(offset=2, limit=2) == ([a], 3)
    page = client.get(API, params={"offset": 1, "limit": 1}, headers=login("desk")).json()
    assert (page["offset"], page["limit"], page["total"], len(page["items"])) == (1, 1, 3, 1)
    assert client.get(API, params={"status": "bogus"}, headers=login("desk")).status_code == 422
    assert client.get(API, params={"limit": 0}, headers=login("desk")).status_code == 422


def test_history_lists_register_and_transitions(api, client, login):
    tip_id = api.register()["id"]
    api.ok(tip_id, "chief", "accept", reason="线索具体")
    api.ok(tip_id, "desk", "notify_decision")
    rows = client.get(f"{API}/{tip_id}/history", headers=login("auditor")).json()
    assert [(r["action"], r["actor_name"], r["from_state"], r["to_state"], r["reason"]) for r in rows] == [
        ("register", "王受理", None, "registered", None), ("accept", "张科长", "registered", "accepted", "线索具体"),
        ("notify_decision", "王受理", "accepted", "accepted", None)]
    assert client.get(f"{API}/99999/history", headers=login("desk")).status_code == 404


def test_full_lifecycle_opens_and_stops_deadlines(api):
    tip = api.register()
    assert open_kinds(tip) == {"filing_decision"} and dl(tip, "filing_decision")["last_day"] == "2026-10-19"
    assert tip["allowed_events"] == [] and api.get(tip["id"], "head")["allowed_events"] == ["accept", "reject", "transfer"]
    tip = api.ok(tip["id"], "chief", "accept")
    assert dl(tip, "filing_decision", "met") and open_kinds(tip) == {"handling", "decision_notice"}
    assert dl(tip, "decision_notice")["last_day"] == "2026-09-29"  # 5 WD; Sep 25-27 Mid-Autumn
    assert dl(tip, "handling")["last_day"] == "2026-12-21"  # Sep 21 + 90 = Sun Dec 20, rolled to Monday
    tip = api.ok(tip["id"], "desk", "notify_decision")
    assert dl(tip, "decision_notice", "met") and open_kinds(tip) == {"handling"}
    assert "notify_decision" not in api.get(tip["id"], "chief")["allowed_events"]
    for handler in (None, api.investigator_id + 100, 1):  # none named, unknown user, the desk clerk
        refused = api.send(tip["id"], "chief", "start_investigation", handler_id=handler)
        assert refused.status_code == 422 and names_field(refused, "handler_id"), handler
    tip = api.ok(tip["id"], "investigator", "start_investigation", reason="开始核查")
    assert tip["handler_id"] == api.investigator_id
    tip = api.ok(tip["id"], "investigator", "request_extension")
    tip = api.ok(tip["id"], "head", "approve_extension")
    assert tip["status"] == "investigating" and tip["extension_count"] == 1
    assert dl(tip, "handling", "cancelled")["last_day"] == "2026-12-21"
    longer = dl(tip, "handling")
    assert (longer["last_day"], longer["amount"], longer["unit"]) == ("2027-01-20", 30, "calendar_days")
    assert longer["provisional"]  # 2027 is not in the loaded schedules
    assert api.send(tip["id"], "investigator", "request_extension").status_code == 409  # one extension only
    tip = api.ok(tip["id"], "investigator", "conclude", finding="substantiated", amount_confirmed="12000",
                 amount_recovered="8000.50")
    assert dl(tip, "handling", "met") and open_kinds(tip) == {"result_notice", "reward_decision"}
    assert dl(tip, "result_notice")["last_day"] == "2026-10-19" == dl(tip, "reward_decision")["last_day"]
    assert tip["finding"] == "substantiated"
    assert (Decimal(tip["amount_confirmed"]), Decimal(tip["amount_recovered"])) == (Decimal(12000), Decimal("8000.5"))
    tip = api.ok(tip["id"], "desk", "notify_reporter")
    assert dl(tip, "result_notice", "met") and open_kinds(tip) == {"reward_decision"}
    tip = api.ok(tip["id"], "desk", "close")
    assert tip["status"] == "closed" and tip["allowed_events"] == [] and open_kinds(tip) == set()
    assert tip["version"] == 9  # register + 8 transitions; the refused request changed nothing


def test_anonymous_tips_skip_reporter_notices(api, client):
    registered = client.post(API, json=ANON, headers=api.login("desk")).json()
    assert registered["receipt_code"] and registered["tip"]["anonymous"]
    tip = api.ok(registered["tip"]["id"], "chief", "accept")
    assert open_kinds(tip) == {"handling"}
    assert api.send(tip["id"], "desk", "notify_decision").status_code == 409
    rejected = api.ok(api.register(ANON)["id"], "chief", "reject")
    assert open_kinds(rejected) == set() and api.ok(rejected["id"], "desk", "close")["status"] == "closed"
    assert open_kinds(api.get(api.at("concluded", ANON))) == set()  # no result_notice either


def test_reject_needs_ground_and_reason_and_notice_before_close(api):
    tip_id = api.register()["id"]
    missing_ground = api.send(tip_id, "chief", "reject", reason="不属于监管范围")
    assert missing_ground.status_code == 422 and names_field(missing_ground, "ground")
    missing_reason = api.send(tip_id, "chief", "reject", ground="out_of_scope", reason="  ")
    assert missing_reason.status_code == 422 and names_field(missing_reason, "reason")
    assert api.where(tip_id) == ("registered", 1)
    tip = api.ok(tip_id, "chief", "reject")
    assert tip["rejection_ground"] == "out_of_scope" and open_kinds(tip) == {"decision_notice"}
    refused = api.send(tip_id, "desk", "close")
    assert refused.status_code == 409 and refused.json()["allowed_events"] == ["notify_decision"]
    api.ok(tip_id, "desk", "notify_decision")
    assert api.ok(tip_id, "desk", "close")["status"] == "closed"


def test_conclude_checks_the_amounts(api):
    tip_id = api.at("investigating")
    missing = api.send(tip_id, "investigator", "conclude", finding="substantiated")
    assert missing.status_code == 422 and names_field(missing, "amount_confirmed")
    too_much = api.send(tip_id, "investigator", "conclude", finding="substantiated", amount_confirmed="100",
                        amount_recovered="100.01")
    assert too_much.status_code == 422 and names_field(too_much, "amount_recovered")
    assert (api.get(tip_id)["status"], open_kinds(api.get(tip_id))) == ("investigating", {"handling", "decision_notice"})
    partly = api.ok(tip_id, "investigator", "conclude", finding="partly", amount_confirmed="100", amount_recovered="100")
    assert partly["status"] == "concluded"
    assert open_kinds(partly) == {"decision_notice", "result_notice", "reward_decision"}
    api.ok(tip_id, "desk", "notify_reporter")
    refused = api.send(tip_id, "desk", "close")  # the real-name reporter was never told the filing decision
    assert refused.status_code == 409 and refused.json()["allowed_events"] == ["notify_decision"]
    api.ok(tip_id, "desk", "notify_decision")
    closed = api.ok(tip_id, "desk", "close")
    assert open_kinds(closed) == set() and dl(closed, "decision_notice", "met")


def test_duplicates_link_to_the_first_report(api, client, login, clock):
    ids = []
    for institution in (1, 1, 1, 2):
        ids.append(api.register(REAL, institution_id=institution)["id"])
        clock.advance(minutes=5)
    first, second, third, other = ids

    def link(tip_id, earlier):
        version = api.get(tip_id)["version"]
        return client.post(f"{API}/{tip_id}/duplicate-of", headers=login("investigator"),
                           json={"earlier_tip_id": earlier, "expected_version": version, "reason": "同一事实"})

    assert link(second, first).json()["duplicate_of_id"] == first
    assert link(third, second).json()["duplicate_of_id"] == first  # the chain points at the first report
    for tip_id, earlier in ((other, first), (first, third), (first, first), (first, 99999)):
        response = link(tip_id, earlier)
        assert response.status_code == 422 and names_field(response, "earlier_tip_id"), (tip_id, earlier)
    assert api.get(first)["duplicate_of_id"] is None and api.get(other)["duplicate_of_id"] is None
    assert link(second, first).status_code == 200
    assert client.post(f"{API}/{second}/duplicate-of", headers=login("head"),
                       json={"earlier_tip_id": first, "expected_version": 3}).status_code == 403


@pytest.mark.parametrize("start, amount, unit, due, provisional", [
    ("2025-09-30", 1, "working_days", "2025-10-09", False),   # National Day + Mid-Autumn 2025: Oct 1-8 off
    ("2025-09-30", 3, "working_days", "2025-10-11", False),   # Sat 2025-10-11 is a make-up working day
    ("2025-09-26", 1, "working_days", "2025-09-28", False),   # Sun 2025-09-28 is a make-up working day
    ("2026-02-13", 1, "working_days", "2026-02-14", False),   # Sat 2026-02-14 is a make-up working day
    ("2026-02-14", 1, "working_days", "2026-02-24", False),   # Spring Festival 2026: Feb 15-23 off
    ("2026-09-30", 1, "calendar_days", "2026-10-08", False),  # ends on a holiday: rolled past National Day
    ("2026-12-31", 1, "working_days", "2027-01-01", True),    # 2027 schedule unknown
    ("2026-10-01T10:00", 24, "hours", "2026-10-02T10:00:00+08:00", False),
])
def test_calendar_due(client, login, start, amount, unit, due, provisional):
    response = client.get("/api/v1/calendar/due", params={"start": start, "amount": amount, "unit": unit},
                          headers=login("desk"))
    assert expect(response, 200) == {"due": due, "provisional": provisional}


@pytest.mark.parametrize("params, field", [
    ({"unit": "fortnights"}, "unit"), ({"amount": -1}, "amount"), ({"start": "2026-13-01"}, "start"),
    ({"start": "tomorrow"}, "start"),
])
def test_calendar_due_rejects_bad_input(client, login, params, field):
    query = {"start": "2026-01-05", "amount": 5, "unit": "working_days", **params}
    response = client.get("/api/v1/calendar/due", params=query, headers=login("desk"))
    assert response.status_code == 422 and names_field(response, field), response.text
    assert client.get("/api/v1/calendar/due", params=query).status_code == 401


def test_public_status_by_receipt_code(api, client):
    registered = client.post(API, json=ANON, headers=api.login("desk")).json()
    code, tip = registered["receipt_code"], registered["tip"]
    url = "/api/v1/public/tips/status"
    found = client.get(url, headers={"X-Receipt-Code": code})
    assert found.status_code == 200 and found.json() == {"number": tip["number"], "status_label": "已登记",
                            "registered_at": tip["registered_at"], "finding_label": None}
    assert client.get(url, headers={"X-Receipt-Code": code.lower().replace("-", " ")}).status_code == 200
    assert client.get(url, headers={"X-Receipt-Code": "AAAA-BBBB-CCCC-DDDD-EEEE"}).status_code == 404
    assert client.get(url).status_code == 422
    api.ok(tip["id"], "chief", "accept")
    api.ok(tip["id"], "investigator", "start_investigation")
    api.ok(tip["id"], "investigator", "conclude", finding="substantiated", amount_confirmed="500")
    assert client.get(url, headers={"X-Receipt-Code": code}).json()["finding_label"] == "查实"
    assert client.post(API, json=REAL, headers=api.login("desk")).json()["receipt_code"] is None


def test_an_intake_key_makes_a_repeated_post_register_nothing(client, login):
    body = {"channel": "web", "institution_id": 1, "facts": "虚构诊疗项目套取医保基金", "anonymous": True,
            "intake_key": "retry-after-timeout-0001"}
    first = client.post("/api/v1/tips", json=body, headers=login("desk"))
    assert first.status_code == 201
    again = client.post("/api/v1/tips", json=body, headers=login("desk"))
    assert again.status_code == 409
    assert again.json()["code"] == "already_submitted" and again.json()["existing_id"] == first.json()["tip"]["id"]
    assert client.get("/api/v1/tips", headers=login("chief")).json()["total"] == 1
