"""Reporter identities are sealed at rest and survive a key rotation."""
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import text

from settings import DEV_IDENTITY_KEY, Settings
from tests.helpers import REPORTER, register

FUNDWATCH = os.path.join(os.path.dirname(sys.executable), "fundwatch")


def raw_rows(database) -> list[str]:
    with database.engine.connect() as conn:
        return [str(tuple(row)) for row in conn.execute(text("SELECT * FROM reporter_identity"))]


def test_the_database_holds_no_plaintext_identity(runtime, users, database, client, login):
    tip = register(runtime, users["desk"])
    stored = raw_rows(database)
    assert len(stored) == 1
    for secret in (REPORTER.name, REPORTER.phone, REPORTER.id_number, REPORTER.address):
        assert secret not in stored[0]
    read = client.post(f"/api/v1/tips/{tip.id}/reporter", json={"reason": "核实身份"}, headers=login("chief"))
    assert read.json()["name"] == REPORTER.name and read.json()["id_number"] == REPORTER.id_number


def test_rekey_moves_every_identity_to_the_new_key(runtime, users, database):
    register(runtime, users["desk"])
    new_key = Fernet.generate_key().decode()
    env = {**os.environ, "DATABASE_URL": database.url, "FUNDWATCH_IDENTITY_KEYS": f"{new_key},{DEV_IDENTITY_KEY}"}
    done = subprocess.run([FUNDWATCH, "identity", "rekey"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and '"resealed": 1' in done.stdout, done.stderr
    with database.engine.connect() as conn:
        sealed = conn.execute(text("SELECT sealed FROM reporter_identity")).scalar_one()
    assert REPORTER.name in Fernet(new_key.encode()).decrypt(sealed.encode()).decode()
    with pytest.raises(InvalidToken):  # the old key no longer opens it
        Fernet(DEV_IDENTITY_KEY.encode()).decrypt(sealed.encode())


def test_production_refuses_the_development_identity_key():
    with pytest.raises(ValueError, match="FUNDWATCH_IDENTITY_KEYS"):
        Settings(environment="production", secret_key="a-real-secret", identity_keys=DEV_IDENTITY_KEY)


def test_receipt_codes_are_stored_as_argon2_only(client, login, runtime, users, database):
    body = {"channel": "web", "institution_id": 1, "facts": "药店刷医保卡购买生活用品", "anonymous": True}
    code = client.post("/api/v1/tips", json=body, headers=login("desk")).json()["receipt_code"]
    assert len(code.replace("-", "")) == 28
    with database.engine.connect() as conn:
        locator, stored = conn.execute(text("SELECT receipt_locator, receipt_hash FROM tip")).one()
    assert stored.startswith("$argon2") and code.replace("-", "") not in stored
    assert code.replace("-", "").startswith(locator)
    found = client.get("/api/v1/public/tips/status", headers={"X-Receipt-Code": code.lower()})
    assert found.status_code == 200 and found.json()["status_label"] == "已登记"
    forged = code[:-1] + ("A" if code[-1] != "A" else "B")  # right locator, wrong secret
    assert client.get("/api/v1/public/tips/status", headers={"X-Receipt-Code": forged}).status_code == 404
