"""The custodian release step before an investigator reads an identity; evidence files checked and hashed."""
import hashlib

from sqlmodel import select

from domain.models import AuditEntry
from tests.helpers import REPORTER, register

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_an_investigator_reads_the_identity_only_after_the_custodian_releases_it(client, login, runtime, users):
    tip = register(runtime, users["desk"])
    url = f"/api/v1/tips/{tip.id}/reporter"
    assert client.post(url, json={"reason": "需要联系举报人补充证据"}, headers=login("investigator")).status_code == 403
    release = {"user_id": users["investigator"].id, "reason": "调查需要与举报人核实"}
    assert client.post(f"{url}/releases", json=release, headers=login("chief")).status_code == 403  # not custodian
    assert client.post(f"{url}/releases", json=release, headers=login("head")).status_code == 201
    read = client.post(url, json={"reason": "需要联系举报人补充证据"}, headers=login("investigator"))
    assert read.status_code == 200 and read.json()["name"] == REPORTER.name
    assert client.post(url, json={"reason": "好奇"}, headers=login("investigator2")).status_code == 403
    bad = client.post(f"{url}/releases", json={"user_id": users["auditor"].id, "reason": "x x"}, headers=login("head"))
    assert bad.status_code == 422 and bad.json()["field"] == "user_id"
    with runtime.db.read() as session:
        trail = session.exec(select(AuditEntry.action, AuditEntry.actor_name).where(
            AuditEntry.subject_id == tip.id, AuditEntry.action.in_(["identity_released", "identity_read"]))).all()
    assert trail == [("identity_released", "陈局长"), ("identity_read", "李承办")]


def test_evidence_files_are_checked_by_content_and_hashed(client, login, runtime, users):
    tip = register(runtime, users["desk"])
    url = f"/api/v1/tips/{tip.id}/evidence"
    good = client.post(url, files={"file": ("现场照片.png", PNG, "image/png")}, headers=login("desk"))
    assert good.status_code == 201 and good.json()["sha256"] == hashlib.sha256(PNG).hexdigest()
    fake = client.post(url, files={"file": ("invoice.pdf", b"not a pdf", "application/pdf")}, headers=login("desk"))
    assert fake.status_code == 422 and fake.json()["field"] == "file"
    big = client.post(url, files={"file": ("big.txt", b"a" * (11 * 1024 * 1024), "text/plain")}, headers=login("desk"))
    assert big.status_code == 422 and "10 MB" in big.json()["detail"]
    assert client.post(url, files={"file": ("x.png", PNG, "image/png")}, headers=login("police")).status_code == 403
    listed = client.get(url, headers=login("investigator")).json()
    assert [e["filename"] for e in listed] == ["现场照片.png"]
