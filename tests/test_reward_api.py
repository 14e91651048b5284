"""The rewards API through the TestClient: the anonymous path end to end through the receipt code, roles
(403), bad input (422, nothing written), conflicts (409), the budget endpoints and the documents."""
from sqlmodel import func, select

from domain.models import AuditEntry
from domain.reward_models import ClaimantIdentity, Reward

API = "/api/v1"
REAL = {"channel": "phone", "institution_id": 1, "facts": "挂床住院骗取医保基金", "anonymous": False,
        "reporter": {"name": "林秀英", "phone": "13812345678", "id_number": "34128219800101123X"}}
ANON = {"channel": "web", "institution_id": 2, "facts": "药店刷医保卡购买生活用品", "anonymous": True}
CLAIMANT = {"identity_verified": True, "name": "匿名领奖人甲", "id_number": "341282199203034567",
            "phone": "13700001111", "bank_name": "界首农商银行", "bank_account": "6230910000123456"}


def expect(response, code: int) -> dict | str:
    assert response.status_code == code, response.text
    return response.json() if "json" in response.headers.get("content-type", "") else response.text


class Api:
    def __init__(self, client, login, users) -> None:
        self.client, self.login, self.users = client, login, users

    def concluded_tip(self, body=REAL, amount="30000") -> tuple[dict, str | None]:
        made = expect(self.client.post(f"{API}/tips", json=body, headers=self.login("desk")), 201)
        tip_id = made["tip"]["id"]
        steps = (("chief", "accept", {}),
                 ("investigator", "start_investigation", {"handler_id": self.users["investigator"].id}),
                 ("investigator", "conclude", {"finding": "substantiated", "amount_confirmed": amount}))
        for user, event, extra in steps:
            version = expect(self.client.get(f"{API}/tips/{tip_id}", headers=self.login("desk")), 200)["version"]
            expect(self.client.post(f"{API}/tips/{tip_id}/transitions", headers=self.login(user),
                                    json={"event": event, "expected_version": version, **extra}), 200)
        return made["tip"], made["receipt_code"]

    def propose(self, tip_id: int, user="investigator", **body):
        return self.client.post(f"{API}/tips/{tip_id}/reward-proposal", json=body, headers=self.login(user))

    def get(self, reward_id: int) -> dict:
        return expect(self.client.get(f"{API}/rewards/{reward_id}", headers=self.login("desk")), 200)

    def send(self, reward_id: int, user: str, event: str, version: int | None = None, **extra):
        body = {"event": event, "expected_version": version or self.get(reward_id)["version"], **extra}
        return self.client.post(f"{API}/rewards/{reward_id}/transitions", json=body, headers=self.login(user))

    def approved(self, tip_id: int, reward: dict | None = None) -> dict:
        reward = reward or expect(self.propose(tip_id), 201)
        expect(self.send(reward["id"], "chief", "approve"), 200)
        return expect(self.send(reward["id"], "head", "approve"), 200)

    def public(self, path: str, code: str):
        return self.client.get(f"{API}/public/rewards/{path}", headers={"X-Receipt-Code": code})


def make(client, login, users) -> Api:
    return Api(client, login, users)


def count_rewards(app) -> int:
    with app.state.runtime.db.read() as session:
        return session.exec(select(func.count()).select_from(Reward)).one()


def test_anonymous_reporter_sees_the_notice_through_the_receipt_code_and_is_paid(client, login, users, app):
    api = make(client, login, users)
    tip, code = api.concluded_tip(ANON)
    reward = expect(api.propose(tip["id"]), 201)
    assert (reward["status"], reward["amount"]) == ("proposed", "600.00")  # 30,000 x 2%
    expect(api.public("status", code), 404)                               # nothing to claim yet
    reward = api.approved(tip["id"], reward)
    assert reward["allowed_events"] == [] and reward["next_approver"] is None
    expect(api.send(reward["id"], "desk", "issue_notice"), 200)
    status = expect(api.public("status", code.lower().replace("-", " ")), 200)
    # Notice on Mon 2026-09-21: two months end on Sat Nov 21, a rest day, so the window runs to Mon Nov 23.
    assert (status["amount"], status["claim_last_day"], status["status_label"]) == ("600.00", "2026-11-23", "已通知领取")
    assert "举报时取得的查询码" in status["documents_needed"] and status["tip_number"] == tip["number"]
    notice = expect(api.public("claim-notice", code), 200)
    assert "查询码持有人" in notice and "600.00" in notice and "2026-11-23" in notice
    expect(api.public("status", "AAAA-BBBB-CCCC-DDDD-EEEE"), 404)
    expect(client.get(f"{API}/public/rewards/status"), 422)
    claimed = expect(api.send(reward["id"], "desk", "claim", claimant={**CLAIMANT, "receipt_code": code}), 200)
    for secret in (CLAIMANT["name"], CLAIMANT["id_number"], CLAIMANT["bank_account"]):
        assert secret not in str(claimed) and secret not in str(api.get(reward["id"]))
    expect(client.post(f"{API}/rewards/{reward['id']}/claimant", json={"reason": "核对账户"},
                       headers=login("investigator")), 403)
    sealed = expect(client.post(f"{API}/rewards/{reward['id']}/claimant", json={"reason": "财务转账核对账户"},
                                headers=login("desk")), 200)
    assert (sealed["name"], sealed["bank_account"]) == (CLAIMANT["name"], CLAIMANT["bank_account"])
    paid = expect(api.send(reward["id"], "desk", "pay", bank_transfer_ref="NSYH2026092100017"), 200)
    assert paid["status"] == "paid" and expect(api.public("status", code), 200)["status_label"] == "已发放"
    history = expect(client.get(f"{API}/rewards/{reward['id']}/history", headers=login("auditor")), 200)
    assert [h["action"] for h in history] == ["propose", "approve", "approve", "issue_notice", "claim",
                                              "claimant_identity_read", "pay"]


def test_roles_are_refused_with_403_and_nothing_is_written(client, login, users, app):
    api = make(client, login, users)
    tip, _ = api.concluded_tip()
    expect(client.get(f"{API}/rewards", headers=login("police")), 403)
    expect(client.get(f"{API}/rewards"), 401)
    expect(api.propose(tip["id"], user="desk"), 403)
    assert count_rewards(app) == 0
    reward = expect(api.propose(tip["id"]), 201)
    for user in ("investigator", "desk", "head"):  # head: not yet the head's turn
        expect(api.send(reward["id"], user, "approve"), 403)
    expect(client.put(f"{API}/rewards/budget/2026", json={"budgeted": "1"}, headers=login("auditor")), 403)
    assert api.get(reward["id"])["version"] == 1


def test_bad_input_is_refused_with_422_and_nothing_is_written(client, login, users, app):
    api = make(client, login, users)
    tip, _ = api.concluded_tip()
    for body in ({"basis": "-1"}, {"basis": "100.123"}, {"reporter_kind": "company"}, {"colour": "red"},
                 {"option": "9"}, {"basis": "30000.01"}):
        expect(api.propose(tip["id"], **body), 422)
    expect(api.propose(999), 404)
    assert count_rewards(app) == 0
    reward = api.approved(tip["id"])
    expect(api.send(reward["id"], "desk", "teleport"), 422)
    expect(api.send(reward["id"], "desk", "issue_notice", notice_received_on="2030-01-01"), 422)
    expect(api.send(reward["id"], "desk", "issue_notice"), 200)
    bad = {**CLAIMANT, "id_number": "12345"}
    expect(api.send(reward["id"], "desk", "claim", claimant=bad), 422)
    expect(api.send(reward["id"], "desk", "claim", claimant={**CLAIMANT, "proxy_name": "代领人"}), 422)
    assert api.get(reward["id"])["status"] == "claim_notice_issued"
    with app.state.runtime.db.read() as session:
        assert session.exec(select(func.count()).select_from(ClaimantIdentity)).one() == 0


def test_conflicts_answer_409_with_what_the_caller_needs(client, login, users):
    api = make(client, login, users)
    tip, _ = api.concluded_tip()
    reward = expect(api.propose(tip["id"]), 201)
    stale = expect(api.send(reward["id"], "chief", "approve", version=5), 409)
    assert (stale["code"], stale["current_version"]) == ("stale_version", 1)
    wrong = expect(api.send(reward["id"], "desk", "pay", bank_transfer_ref="X0001"), 409)
    assert wrong["code"] == "transition_not_allowed" and wrong["allowed_events"] == ["approve", "reject"]
    expect(client.put(f"{API}/rewards/budget/2026", json={"budgeted": "500"}, headers=login("head")), 200)
    over = expect(api.send(reward["id"], "chief", "approve"), 409)
    assert over["code"] == "budget_exceeded" and "预算 500.00 元" in over["detail"] and "本笔奖励 600.00 元" in over["detail"]


def test_the_budget_endpoint_shows_budgeted_committed_and_paid(client, login, users):
    api = make(client, login, users)
    budget = expect(client.get(f"{API}/rewards/budget?year=2026", headers=login("auditor")), 200)
    assert (budget["budgeted"], budget["committed"], budget["set_by_policy"]) == ("500000.00", "0.00", True)
    tip, _ = api.concluded_tip()
    api.approved(tip["id"])
    expect(client.put(f"{API}/rewards/budget/2026", json={"budgeted": "800000", "reason": "年度预算批复"},
                      headers=login("head")), 200)
    budget = expect(client.get(f"{API}/rewards/budget", headers=login("auditor")), 200)
    assert (budget["budgeted"], budget["committed"], budget["paid"], budget["available"], budget["set_by_policy"]) == (
        "800000.00", "600.00", "0.00", "799400.00", False)
    expect(client.put(f"{API}/rewards/budget/1999", json={"budgeted": "1"}, headers=login("head")), 422)


def test_documents_keep_the_reporter_off_the_form_and_name_them_on_the_notice(client, login, users, app):
    api = make(client, login, users)
    tip, _ = api.concluded_tip()
    reward = api.approved(tip["id"])
    form = expect(client.get(f"{API}/rewards/{reward['id']}/approval-form", headers=login("investigator")), 200)
    assert "举报奖励审批表" in form and tip["number"] in form and "600.00 元" in form and "张科长" in form
    assert all(secret not in form for secret in REAL["reporter"].values())
    expect(client.get(f"{API}/rewards/{reward['id']}/claim-notice", headers=login("desk")), 404)  # not issued yet
    expect(api.send(reward["id"], "desk", "issue_notice"), 200)
    expect(client.get(f"{API}/rewards/{reward['id']}/claim-notice", headers=login("investigator")), 403)
    notice = expect(client.get(f"{API}/rewards/{reward['id']}/claim-notice", headers=login("desk")), 200)
    assert "林秀英：" in notice and "举报奖励领取通知书" in notice and "银行转账" in notice
    with app.state.runtime.db.read() as session:
        reads = session.exec(select(AuditEntry).where(AuditEntry.subject_type == "tip",
                                                      AuditEntry.subject_id == tip["id"],
                                                      AuditEntry.action == "identity_read")).all()
    number = api.get(reward["id"])["notice_number"]
    assert [(r.actor_name, r.reason) for r in reads] == [("王受理", f"出具举报奖励领取通知书 {number}")]


def test_the_list_filters_by_status_and_tip(client, login, users):
    api = make(client, login, users)
    first, _ = api.concluded_tip()
    second, _ = api.concluded_tip(ANON)
    expect(api.propose(first["id"]), 201)
    expect(api.propose(second["id"], wants_reward=False), 201)
    page = expect(client.get(f"{API}/rewards?status=not_eligible", headers=login("auditor")), 200)
    assert page["total"] == 1 and page["items"][0]["refusal_label"] == "举报人不要求奖励"
    assert expect(client.get(f"{API}/rewards?tip_id={first['id']}", headers=login("auditor")), 200)["total"] == 1
    expect(client.get(f"{API}/rewards?status=flying", headers=login("auditor")), 422)


def test_receipt_code_look_ups_are_rate_limited(client, app):
    answers = [client.get(f"{API}/public/rewards/status", headers={"X-Receipt-Code": f"AAAA-BBBB-CCCC-DDDD-{i:04d}"})
               for i in range(app.state.settings.receipt_lookups_per_min_client + 1)]
    assert [a.status_code for a in answers][-2:] == [404, 429]
