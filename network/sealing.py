"""Sealing referral payloads to the receiving agency (docs/adr/0003-referrals.md).

X25519 sealed boxes from libsodium (PyNaCl): only the holder of the receiver's private key opens
a payload; the sender's ephemeral key is discarded. Private keys are stored wrapped with a Fernet
key derived by HKDF from FIELD_ENCRYPTION_KEY for this purpose only. No hand-made cryptography.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from casework.crypto import derive_key

WRAP_PURPOSE = b"terpadu-agency-private-key"
PAD_TO = 256  # payload lengths leak little: padded to a multiple of this many bytes


class SealingError(ValueError):
    """A payload could not be opened: wrong key, damaged ciphertext or a wrapped key that does
    not match FIELD_ENCRYPTION_KEY."""


@dataclass(frozen=True)
class KeyPair:
    key_id: str
    public_key: str  # base64
    private_key_wrapped: str  # Fernet token of the raw private key


def key_id_of(public_key_b64: str) -> str:
    """A short, stable fingerprint of a public key (first 16 bytes of its SHA-256, hex)."""
    return hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()[:32]


def _wrapper() -> Fernet:
    key = derive_key(WRAP_PURPOSE, settings.FIELD_ENCRYPTION_KEY)
    return Fernet(base64.urlsafe_b64encode(key))


def keypair_generate() -> KeyPair:
    """A new X25519 key pair, the private half wrapped for storage in the NGO's schema."""
    private = PrivateKey.generate()
    public_b64 = base64.b64encode(bytes(private.public_key)).decode()
    wrapped = _wrapper().encrypt(bytes(private)).decode()
    return KeyPair(key_id=key_id_of(public_b64), public_key=public_b64, private_key_wrapped=wrapped)


def seal(public_key_b64: str, payload: dict[str, Any]) -> bytes:
    """`payload` as canonical JSON, padded, sealed to the public key."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    data = text.encode()
    data += b" " * (-len(data) % PAD_TO)  # JSON ignores trailing white space
    return SealedBox(PublicKey(base64.b64decode(public_key_b64))).encrypt(data)


def open_sealed(private_key_wrapped: str, sealed: bytes) -> dict[str, Any]:
    """Open a payload sealed to this key pair; SealingError when it cannot."""
    try:
        raw = _wrapper().decrypt(private_key_wrapped.encode())
        data = SealedBox(PrivateKey(raw)).decrypt(bytes(sealed))
    except (InvalidToken, CryptoError, ValueError) as error:
        raise SealingError("Cannot open this payload with this key.") from error
    return json.loads(data.decode())
