"""The NGO's key pairs for referral payloads (called in the NGO's own schema)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from network import sealing
from network.models import Agency
from network.referrals.models import AgencyKey


def _publish(agency: Agency, key: AgencyKey) -> None:
    """Put the key's public half on the NGO's directory entry (a public-schema row)."""
    Agency.objects.filter(pk=agency.pk).update(
        public_key=key.public_key, key_id=key.key_id, updated_at=timezone.now()
    )
    agency.public_key, agency.key_id = key.public_key, key.key_id


@transaction.atomic
def agency_key_ensure(*, agency: Agency) -> AgencyKey:
    """The NGO's current key pair, created and published on first use."""
    key = AgencyKey.objects.select_for_update().filter(status=AgencyKey.Status.CURRENT).first()
    if key is None:
        pair = sealing.keypair_generate()
        key = AgencyKey.objects.create(
            key_id=pair.key_id,
            public_key=pair.public_key,
            private_key_wrapped=pair.private_key_wrapped,
        )
    if agency.key_id != key.key_id:
        _publish(agency, key)
    return key


@transaction.atomic
def agency_key_rotate(*, agency: Agency) -> AgencyKey:
    """Retire the current key pair (kept to open older envelopes) and publish a new one."""
    AgencyKey.objects.select_for_update().filter(status=AgencyKey.Status.CURRENT).update(
        status=AgencyKey.Status.RETIRED, retired_at=timezone.now()
    )
    pair = sealing.keypair_generate()
    key = AgencyKey.objects.create(
        key_id=pair.key_id, public_key=pair.public_key, private_key_wrapped=pair.private_key_wrapped
    )
    _publish(agency, key)
    return key


def agency_key_for(key_id: str) -> AgencyKey | None:
    """The key pair with `key_id` that may still open payloads (current or retired)."""
    return AgencyKey.objects.filter(key_id=key_id).exclude(status=AgencyKey.Status.REVOKED).first()
