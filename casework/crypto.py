"""Encryption at rest for sensitive identifiers (NIK) and a keyed hash to find duplicates.

Keys derive from FIELD_ENCRYPTION_KEY with distinct purposes, so the lookup hash can never be
used to decrypt and rotating one purpose does not silently reuse the other.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _derive(purpose: bytes) -> bytes:
    return hashlib.sha256(purpose + b"\x00" + settings.FIELD_ENCRYPTION_KEY.encode()).digest()


@cache
def _fernet(key_material: str) -> Fernet:
    del key_material  # part of the cache key only: a changed setting gets a new Fernet
    return Fernet(base64.urlsafe_b64encode(_derive(b"terpadu-field-encryption")))


def encrypt(value: str) -> str:
    """Encrypt `value` (authenticated, randomised); returns text safe to store."""
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a value produced by `encrypt`; raises ValueError when the key does not match."""
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("Cannot decrypt: wrong FIELD_ENCRYPTION_KEY or damaged value") from error


def lookup_hash(value: str) -> str:
    """A keyed hash of `value` for equality lookups without storing the value in clear."""
    return hmac.new(_derive(b"terpadu-lookup-hash"), value.encode(), hashlib.sha256).hexdigest()


def mask_nik(last_digits: str) -> str:
    """A NIK shown in lists: only its last four digits."""
    return "•" * 12 + last_digits if last_digits else ""
