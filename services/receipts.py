"""Receipt codes for anonymous reporters: shown once, stored only as an argon2 hash.

A code is 28 base32 characters: an 8-character locator (40 random bits, stored in clear to find the tip)
followed by a 20-character secret (100 random bits). Only the argon2 hash of the whole code is stored, so a
stolen database does not yield codes, and each guess costs an argon2 verification.
"""
import base64
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from domain.models import Tip

LOCATOR_CHARS, CODE_CHARS = 8, 28
_hasher = PasswordHasher()


def new_receipt_code() -> str:
    """A fresh code grouped for reading aloud, e.g. 'K7QZ-2M4X-....' (7 groups of 4)."""
    raw = base64.b32encode(secrets.token_bytes(18)).decode()[:CODE_CHARS]
    return "-".join(raw[i:i + 4] for i in range(0, CODE_CHARS, 4))


def normalize_receipt_code(code: str) -> str:
    """Forgive case, spaces and dashes as people type them."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def seal_receipt_code(code: str) -> tuple[str, str]:
    """(locator, argon2 hash) to store for a new code."""
    normalized = normalize_receipt_code(code)
    return normalized[:LOCATOR_CHARS], _hasher.hash(normalized)


def tip_by_receipt(session: Session, code: str) -> Tip | None:
    """The tip this code belongs to, or None (wrong length, unknown locator, or a wrong secret)."""
    normalized = normalize_receipt_code(code)
    if len(normalized) != CODE_CHARS:
        return None
    tip = session.exec(select(Tip).where(Tip.receipt_locator == normalized[:LOCATOR_CHARS])).first()
    return tip if tip is not None and receipt_matches(tip, normalized) else None


def receipt_matches(tip: Tip, code: str) -> bool:
    if not tip.receipt_hash:
        return False
    try:
        return _hasher.verify(tip.receipt_hash, normalize_receipt_code(code))
    except (VerificationError, InvalidHashError):
        return False
