"""Field encryption with HKDF-derived keys, and the migration path from the SHA-256 derivation."""

import base64
import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.management import call_command
from django_tenants.utils import schema_context

from casework import crypto, selectors
from casework.models import AuditEvent, Child
from casework.services.crypto import children_rekey

NIK = "3374015203130004"


def _legacy_encrypt(value: str) -> str:
    """How values were encrypted before HKDF: Fernet keyed by sha256(purpose || 0 || secret)."""
    key = hashlib.sha256(b"terpadu-field-encryption\x00" + settings.FIELD_ENCRYPTION_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key.digest())).encrypt(value.encode()).decode()


def _legacy_hash(value: str) -> str:
    key = hashlib.sha256(b"terpadu-lookup-hash\x00" + settings.FIELD_ENCRYPTION_KEY.encode())
    return hmac.new(key.digest(), value.encode(), hashlib.sha256).hexdigest()


def test_keys_are_derived_with_hkdf_per_purpose():
    """The encryption key is HKDF-SHA256(secret, info=purpose), and purposes differ."""
    expected = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"terpadu-field-encryption"
    ).derive(settings.FIELD_ENCRYPTION_KEY.encode())
    assert crypto.derive_key(crypto.ENCRYPTION_PURPOSE, settings.FIELD_ENCRYPTION_KEY) == expected
    assert crypto.derive_key(crypto.LOOKUP_PURPOSE, settings.FIELD_ENCRYPTION_KEY) != expected
    token = crypto.encrypt(NIK)
    assert token.startswith("h1:")
    assert Fernet(base64.urlsafe_b64encode(expected)).decrypt(token[3:].encode()) == NIK.encode()


def test_values_written_before_hkdf_are_still_read():
    """A legacy token decrypts; a legacy hash is among the lookup hashes."""
    assert crypto.decrypt(_legacy_encrypt(NIK)) == NIK
    assert crypto.lookup_hashes(NIK) == [crypto.lookup_hash(NIK), _legacy_hash(NIK)]
    assert crypto.lookup_hash(NIK) != _legacy_hash(NIK)


def test_a_wrong_key_is_a_clear_error(settings):
    token = crypto.encrypt(NIK)
    settings.FIELD_ENCRYPTION_KEY = "another-key-entirely"
    with pytest.raises(ValueError, match="Cannot decrypt"):
        crypto.decrypt(token)


@pytest.mark.django_db
def test_rekey_rewrites_legacy_rows_and_duplicates_are_found_before_and_after(ngo_a, team_a):
    """A child stored with legacy values is found by NIK, rewritten once by crypto_rekey (audited),
    and still found afterwards; a second run rewrites nothing."""
    worker = team_a["worker"].user
    with schema_context(ngo_a.ngo.schema_name):
        from tests.casework.test_registration import _register

        case = _register(worker, "Legacy Child", nik=NIK)
        Child.objects.filter(pk=case.child_id).update(
            nik_encrypted=_legacy_encrypt(NIK), nik_hash=_legacy_hash(NIK)
        )

        def found() -> list:
            return selectors.child_duplicates(
                actor=worker, full_name="Zzz Unrelated", birth_year=None, nik=NIK
            )

        assert [child.pk for child, reasons in found() if "nik" in reasons] == [case.child_id]
        assert children_rekey() == 1
        child = Child.objects.get(pk=case.child_id)
        assert child.nik_encrypted.startswith("h1:")
        assert crypto.decrypt(child.nik_encrypted) == NIK
        assert child.nik_hash == crypto.lookup_hash(NIK)
        event = AuditEvent.objects.filter(object_type="child", object_id=str(child.pk)).first()
        assert event.action == "update"
        assert event.changed_fields["nik_encrypted"] == ["<redacted>", "<redacted>"]
        assert [child.pk for child, reasons in found() if "nik" in reasons] == [case.child_id]
        assert children_rekey() == 0


@pytest.mark.django_db
def test_rekey_command_visits_every_ngo(ngo_a, ngo_b, capsys):
    call_command("crypto_rekey")
    out = capsys.readouterr().out
    assert f"{ngo_a.ngo.schema_name}: " in out
    assert f"{ngo_b.ngo.schema_name}: " in out
