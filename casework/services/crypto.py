"""Rewriting stored secrets with the current keys (the HKDF migration, and key changes)."""

from __future__ import annotations

from django.db import transaction

from casework import crypto
from casework.audit import audit_record
from casework.models import Child
from core.audit import AuditAction


@transaction.atomic
def children_rekey(*, batch_size: int = 500) -> int:
    """Re-encrypt every NIK written with an older key and recompute its lookup hash, in the
    current schema. Idempotent; returns how many children were rewritten. Audited per child
    (values redacted)."""
    rewritten = 0
    stale = (
        Child.objects.select_for_update()
        .exclude(nik_encrypted="")
        .exclude(nik_encrypted__startswith=crypto.CURRENT_PREFIX)
        .only("pk", "nik_encrypted", "nik_hash")
    )
    for child in stale.iterator(chunk_size=batch_size):
        nik = crypto.decrypt(child.nik_encrypted)
        child.nik_encrypted = crypto.encrypt(nik)
        child.nik_hash = crypto.lookup_hash(nik)
        child.save(update_fields=["nik_encrypted", "nik_hash"])
        audit_record(
            actor=None,
            action=AuditAction.UPDATE,
            instance=child,
            changed_fields={
                "nik_encrypted": ["<redacted>", "<redacted>"],
                "nik_hash": ["<redacted>", "<redacted>"],
            },
        )
        rewritten += 1
    return rewritten
