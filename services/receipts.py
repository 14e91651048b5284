"""Receipt codes for anonymous reporters: 100 random bits, shown once, stored only as a hash."""
import base64
import hashlib
import secrets

CODE_BYTES = 13  # 104 random bits; the code keeps 100 of them (20 base32 characters)


def new_receipt_code() -> str:
    """A fresh code grouped for reading aloud, e.g. 'K7QZ-2M4X-...'."""
    raw = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode()[:20]
    return "-".join(raw[i:i + 4] for i in range(0, 20, 4))


def normalize_receipt_code(code: str) -> str:
    """Forgive case, spaces and dashes as people type them."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_receipt_code(code: str) -> str:
    """SHA-256 of the normalized code (a 100-bit secret needs no slow hash to resist guessing)."""
    return hashlib.sha256(normalize_receipt_code(code).encode()).hexdigest()
