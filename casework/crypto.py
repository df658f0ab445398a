"""Encryption at rest for sensitive identifiers (NIK) and a keyed hash to find duplicates.

Keys derive from FIELD_ENCRYPTION_KEY with HKDF-SHA256 (RFC 5869), one `info` per purpose, so the
lookup hash can never be used to decrypt and rotating one purpose does not reuse the other.

Migration path: values written before HKDF (keys were `sha256(purpose || 0 || secret)`) are still
read. Encrypted values now carry the prefix `h1:`; one without it is decrypted with the legacy
key. Lookups match both the HKDF hash and the legacy one (`lookup_hashes`), and
`manage.py crypto_rekey` rewrites every stored value and hash of every NGO with the HKDF keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

ENCRYPTION_PURPOSE = b"terpadu-field-encryption"
LOOKUP_PURPOSE = b"terpadu-lookup-hash"
CURRENT_PREFIX = "h1:"  # HKDF-derived Fernet key


@cache
def derive_key(purpose: bytes, secret: str) -> bytes:
    """32 bytes for `purpose`, derived from `secret` with HKDF-SHA256."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )


def _legacy_key(purpose: bytes, secret: str) -> bytes:
    """The pre-HKDF derivation, kept only to read values written before the migration."""
    return hashlib.sha256(purpose + b"\x00" + secret.encode()).digest()


@cache
def _fernet(key: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(key))


def _secret() -> str:
    return settings.FIELD_ENCRYPTION_KEY


def encrypt(value: str) -> str:
    """Encrypt `value` (authenticated, randomised); returns text safe to store."""
    token = _fernet(derive_key(ENCRYPTION_PURPOSE, _secret())).encrypt(value.encode()).decode()
    return CURRENT_PREFIX + token


def decrypt(token: str) -> str:
    """Decrypt a value produced by `encrypt` (current or legacy); ValueError on a wrong key."""
    if token.startswith(CURRENT_PREFIX):
        key = derive_key(ENCRYPTION_PURPOSE, _secret())
        token = token.removeprefix(CURRENT_PREFIX)
    else:
        key = _legacy_key(ENCRYPTION_PURPOSE, _secret())
    try:
        return _fernet(key).decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("Cannot decrypt: wrong FIELD_ENCRYPTION_KEY or damaged value") from error


def is_current(token: str) -> bool:
    """Was `token` written with the current (HKDF) key?"""
    return token.startswith(CURRENT_PREFIX)


def lookup_hash(value: str) -> str:
    """A keyed hash of `value` for equality lookups without storing the value in clear."""
    key = derive_key(LOOKUP_PURPOSE, _secret())
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def lookup_hashes(value: str) -> list[str]:
    """Every hash a stored row may hold for `value`: current first, then the legacy one (rows
    not yet rewritten by `crypto_rekey`)."""
    legacy = hmac.new(_legacy_key(LOOKUP_PURPOSE, _secret()), value.encode(), hashlib.sha256)
    return [lookup_hash(value), legacy.hexdigest()]


def mask_nik(last_digits: str) -> str:
    """A NIK shown in lists: only its last four digits."""
    return "•" * 12 + last_digits if last_digits else ""
