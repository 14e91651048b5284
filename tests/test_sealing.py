"""Reporter identities are sealed at rest and survive a key rotation."""
import json
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from domain.sealing import PREFIX, SealError, seal, unseal
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


def stored_seal(database) -> str:
    with database.engine.connect() as conn:
        return conn.execute(text("SELECT sealed FROM reporter_identity")).scalar_one()


def rekey(database, keys: str) -> None:
    env = {**os.environ, "DATABASE_URL": database.url, "FUNDWATCH_IDENTITY_KEYS": keys}
    done = subprocess.run([FUNDWATCH, "identity", "rekey"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and '"resealed": 1' in done.stdout, done.stderr


def test_rekey_moves_every_identity_to_the_new_key(runtime, users, database):
    register(runtime, users["desk"])
    new_key = Fernet.generate_key().decode()
    rekey(database, f"{new_key},{DEV_IDENTITY_KEY}")
    sealed = stored_seal(database)
    assert unseal(sealed, keys=new_key)["name"] == REPORTER.name
    with pytest.raises(SealError):  # the old key no longer opens it
        unseal(sealed, keys=DEV_IDENTITY_KEY)


def test_an_identity_sealed_in_the_earlier_form_still_opens_and_rekey_reseals_it(
    runtime, users, database, client, login,
):
    """Identities sealed before AES-GCM (Fernet, under the same keys) are read as before, then moved."""
    tip = register(runtime, users["desk"])
    earlier = Fernet(DEV_IDENTITY_KEY.encode()).encrypt(json.dumps(REPORTER.model_dump(), ensure_ascii=False)
                                                        .encode()).decode()
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE reporter_identity SET sealed = :sealed"), {"sealed": earlier})
    read = client.post(f"/api/v1/tips/{tip.id}/reporter", json={"reason": "核实身份"}, headers=login("chief"))
    assert read.json()["name"] == REPORTER.name
    rekey(database, DEV_IDENTITY_KEY)
    assert stored_seal(database).startswith(PREFIX) and unseal(stored_seal(database))["name"] == REPORTER.name


def test_a_seal_opens_only_whole_and_only_with_its_key():
    sealed = seal({"name": REPORTER.name})
    assert sealed.startswith(PREFIX) and REPORTER.name not in sealed and unseal(sealed) == {"name": REPORTER.name}
    assert seal({"name": REPORTER.name}) != sealed  # a fresh nonce each time: equal data does not show as equal
    body = sealed[len(PREFIX):]
    flipped = PREFIX + body[:20] + ("A" if body[20] != "A" else "B") + body[21:]
    for damaged in (flipped, sealed[:-4], PREFIX + "not base64!", "gAAAAAgarbage"):
        with pytest.raises(SealError):
            unseal(damaged)
    with pytest.raises(SealError):
        unseal(sealed, keys=Fernet.generate_key().decode())
    assert unseal(sealed, keys=f"{Fernet.generate_key().decode()},{DEV_IDENTITY_KEY}") == {"name": REPORTER.name}


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
