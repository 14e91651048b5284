"""Sealing personal data at rest (Fernet: AES-128-CBC + HMAC-SHA256). The first key seals; every key
listed unseals, so keys can be rotated: add a new key first, run `fundwatch identity rekey`, drop the old."""
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SealError(Exception):
    """A sealed value could not be opened with any configured key."""


@lru_cache
def _keys(spec: str) -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in spec.split(",") if key.strip()])


def _current() -> MultiFernet:
    from settings import get_settings

    return _keys(get_settings().identity_keys)


def seal(data: dict) -> str:
    return _current().encrypt(json.dumps(data, ensure_ascii=False).encode()).decode()


def unseal(token: str) -> dict:
    try:
        return json.loads(_current().decrypt(token.encode()))
    except InvalidToken:
        raise SealError("sealed data cannot be opened with the configured keys") from None


def reseal(token: str) -> str:
    """The same data sealed with the current first key."""
    return _current().rotate(token.encode()).decode()
