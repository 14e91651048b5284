"""Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), as authenticator apps use."""
import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from datetime import datetime, timedelta
from urllib.parse import quote

STEP_S, DIGITS = 30, 6


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode()


def code_at(secret: str, moment: datetime) -> str:
    counter = int(moment.timestamp()) // STEP_S
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** DIGITS).zfill(DIGITS)


def verify(secret: str, code: str, moment: datetime, *, window: int = 1) -> bool:
    """Accept the current code and `window` steps either side (clock drift), compared in constant time."""
    try:
        candidates = [code_at(secret, moment + timedelta(seconds=STEP_S * k)) for k in range(-window, window + 1)]
    except (binascii.Error, ValueError):  # not a base32 secret
        return False
    return any(hmac.compare_digest(candidate, code.strip()) for candidate in candidates)


def provisioning_uri(secret: str, username: str) -> str:
    return f"otpauth://totp/FundWatch:{quote(username)}?secret={secret}&issuer=FundWatch"
