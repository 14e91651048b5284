"""End-to-end smoke: a clerk registers a tip and the chief accepts it."""


def test_register_and_accept(client, login):
    body = {"channel": "phone", "institution_id": 1, "facts": "挂床住院骗取医保基金", "anonymous": False,
            "reporter": {"name": "张三", "phone": "13900000000"}}
    created = client.post("/api/v1/tips", json=body, headers=login("desk"))
    assert created.status_code == 201, created.text
    tip = created.json()["tip"]
    assert tip["status"] == "registered" and tip["deadlines"][0]["kind"] == "filing_decision"
    moved = client.post(f"/api/v1/tips/{tip['id']}/transitions", json={"event": "accept", "expected_version": 1},
                        headers=login("chief"))
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "accepted"
