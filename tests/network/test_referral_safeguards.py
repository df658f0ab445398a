"""What protects a referral besides delivery itself: the payload stays ciphertext for whoever
holds only the public schema (admin sites, the envelope table, every key reachable from there),
an agreement that ends refuses new referrals but keeps the old ones working, and a suspended
NGO's deliveries wait without loss until it is active again (real PostgreSQL)."""

import base64
import binascii
import hashlib
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import schema_context
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox

from casework.crypto import ENCRYPTION_PURPOSE, LOOKUP_PURPOSE, derive_key
from core import clock
from core.admin_sites import ngo_admin_site, operator_site
from core.errors import ApplicationError
from network import sealing
from network import services as network_services
from network.bridge import outbox_sweep
from network.models import Agency, OutboxPending, ReferralEnvelope
from network.referrals import services
from network.referrals.delivery import outbox_drain
from network.referrals.models import AgencyKey, OutboxMessage, Referral, ReferralEvent
from tenants.services import ngo_set_status
from tests.support import ADMIN_PASSWORD, host_client

pytestmark = pytest.mark.django_db

REASON = "Needs counselling after leaving work at the harbour"
# Values of the payload that must never appear in clear outside NGO A's and NGO B's schemas.
PLAINTEXT = ("Dewi", "Lestari", "harbour", "3374015203130099", "081234567890", "Tanjung Mas")


def _send(referrable, team_a, ngo_a, **overrides):
    values = {
        "actor": team_a["worker"].user,
        "case_id": referrable.case.pk,
        "to_agency_uuid": referrable.network.agency_b.uuid,
        "service_type": "counselling",
        "reason": REASON,
    }
    values.update(overrides)
    with schema_context(ngo_a.ngo.schema_name):
        return services.referral_send(**values)


def _drain(ngo) -> int:
    with schema_context(ngo.ngo.schema_name):
        return outbox_drain()


def _delivered_envelope(referrable, team_a, ngo_a) -> tuple[Referral, bytes]:
    referral = _send(referrable, team_a, ngo_a)
    assert _drain(ngo_a) == 1
    connection.set_schema_to_public()
    return referral, bytes(ReferralEnvelope.objects.get(referral_uuid=referral.uuid).sealed_payload)


# --- Ciphertext only in the public schema -------------------------------------------------------


def _public_values() -> list[tuple[str, str, object]]:
    """(table, column, value) of every text and binary value in the public schema's tables,
    read with plain SQL as a database dump or replica would."""
    values = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'bytea', 'jsonb', 'ARRAY') "
            "AND table_name IN (SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE') "
            "ORDER BY table_name, column_name"
        )
        columns = cursor.fetchall()
        for table, column in columns:
            cursor.execute(
                f'SELECT "{column}" FROM public."{table}" WHERE "{column}" IS NOT NULL'  # noqa: S608
            )
            values.extend((table, column, row[0]) for row in cursor.fetchall())
    return values


def _as_text(value) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def _candidate_keys(values) -> dict[str, bytes]:
    """Every 32-byte secret one can reach from the public schema and the settings that are not
    wrapped per tenant: each stored value taken as a raw, base64 or hex key, each Fernet token
    unwrapped with the settings-derived wrapping key, and the keys derived from the settings'
    secrets for every purpose."""
    candidates: dict[str, bytes] = {}
    wrap = derive_key(sealing.WRAP_PURPOSE, settings.FIELD_ENCRYPTION_KEY)
    wrapper = Fernet(base64.urlsafe_b64encode(wrap))
    for secret_name in ("FIELD_ENCRYPTION_KEY", "SECRET_KEY"):
        secret = getattr(settings, secret_name)
        for purpose in (sealing.WRAP_PURPOSE, ENCRYPTION_PURPOSE, LOOKUP_PURPOSE):
            candidates[f"hkdf({secret_name}, {purpose.decode()})"] = derive_key(purpose, secret)
        candidates[f"sha256({secret_name})"] = hashlib.sha256(secret.encode()).digest()
    for number, (table, column, value) in enumerate(values):
        items = value if isinstance(value, list) else [value]
        for item in items:
            raw = bytes(item) if isinstance(item, bytes | memoryview) else str(item).encode()
            where = f"{table}.{column} #{number}"
            if len(raw) == 32:
                candidates[f"{where} raw"] = raw
            for decode in (base64.b64decode, base64.urlsafe_b64decode, binascii.unhexlify):
                try:
                    decoded = decode(raw)
                except (binascii.Error, ValueError):
                    continue
                if len(decoded) == 32:
                    candidates[f"{where} {decode.__name__}"] = decoded
            try:
                unwrapped = wrapper.decrypt(raw)
            except (InvalidToken, TypeError, ValueError):
                continue
            candidates[f"{where} unwrapped"] = unwrapped
    return candidates


def test_the_public_schema_holds_ciphertext_and_no_key_that_opens_it(
    referrable, team_a, ngo_a, ngo_b
):
    """Read with plain SQL, no value of any public table contains the child's data, and no key
    reachable from there (public keys, any stored value, settings-derived keys) opens the
    envelope; only the receiver's private key, kept in its own schema, does."""
    referral, sealed = _delivered_envelope(referrable, team_a, ngo_a)
    values = _public_values()
    envelope_columns = {
        column for table, column, _ in values if table == "network_referralenvelope"
    }
    assert "sealed_payload" in envelope_columns
    dump = "\n".join(_as_text(value) for _, _, value in values)
    for text in PLAINTEXT:
        assert text not in dump
        assert text.encode().hex() not in dump
    candidates = _candidate_keys(values)
    public_keys = set(Agency.objects.exclude(public_key="").values_list("public_key", flat=True))
    tried_public = {base64.b64decode(key) for key in public_keys}
    assert tried_public <= set(candidates.values())
    assert len(candidates) >= len(public_keys) + 8
    opened = []
    for name, key in candidates.items():
        try:
            SealedBox(PrivateKey(key)).decrypt(sealed)
        except CryptoError:
            continue
        opened.append(name)
    assert opened == []
    with schema_context(ngo_b.ngo.schema_name):
        key = AgencyKey.objects.get(status="current")
        assert sealing.open_sealed(key.private_key_wrapped, sealed)["full_name"] == "Dewi Lestari"


def test_no_admin_site_shows_a_payload_or_a_private_key(referrable, team_a, ngo_a, ngo_b):
    """The operator console registers no referral envelope or key table, and none of its pages
    shows the child's data or the ciphertext; an NGO's admin registers no network model (its
    key pairs and referrals are reached through the services only)."""
    referral, sealed = _delivered_envelope(referrable, team_a, ngo_a)
    registered = {
        site.name: {model._meta.label for model in site._registry}
        for site in (operator_site, ngo_admin_site)
    }
    hidden = {"network.ReferralEnvelope", "referrals.AgencyKey", "referrals.Referral"}
    assert registered["operator"] & hidden == set()
    assert {
        label
        for label in registered["ngo_admin"]
        if label.split(".")[0] in ("network", "referrals")
    } == set()
    get_user_model().objects.create_superuser(
        username="operator@example.org", email="operator@example.org", password=ADMIN_PASSWORD
    )
    client = host_client("localhost")
    assert client.login(username="operator@example.org", password=ADMIN_PASSWORD)
    pages = ["/admin/"] + [
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for model in operator_site._registry
    ]
    forbidden = (*PLAINTEXT, sealed.hex(), base64.b64encode(sealed).decode()[:40])
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        body = response.content.decode()
        assert [text for text in forbidden if text in body] == [], page


# --- Agreements that end ------------------------------------------------------------------------


def _clinic_agreement(referrable):
    network = referrable.network
    agreement = network_services.agreement_create(
        actor=network.coordinator,
        consortium=network.consortium,
        first_agency_uuid=network.agency_a.uuid,
        second_agency_uuid=network.clinic.uuid,
        service_types=["health"],
        shared_fields=["full_name", "reason"],
        valid_from=clock.today(),
        valid_to=clock.today() + timedelta(days=30),
        direction="one_way",
    )
    network_services.agreement_activate(
        actor=network.coordinator,
        agreement_uuid=agreement.uuid,
        mou=SimpleUploadedFile("mou.pdf", b"%PDF-1.4"),
    )
    return agreement


def _history(schema: str, referral_uuid) -> list[str]:
    with schema_context(schema):
        return list(
            ReferralEvent.objects.filter(referral__uuid=referral_uuid).values_list(
                "state", flat=True
            )
        )


def test_a_revoked_agreement_refuses_new_referrals_but_its_referrals_go_on(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """After revocation a new referral is refused (no row, no outbox), while the referral made
    before it is still answered by the receiver, the answer reaches the sender, and both sides
    keep the whole history; the envelope stays."""
    referral = _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    network_services.agreement_revoke(
        actor=referrable.network.coordinator,
        agreement_uuid=referrable.agreement.uuid,
        reason="MoU ended by the parties",
    )
    with schema_context(ngo_a.ngo.schema_name):
        messages_before = OutboxMessage.objects.count()
    with pytest.raises(ApplicationError) as caught:
        _send(referrable, team_a, ngo_a, urgency="urgent", reason="Another service")
    assert (caught.value.code, list(caught.value.fields)) == ("no_agreement", ["to_agency"])
    with schema_context(ngo_a.ngo.schema_name):
        assert list(Referral.objects.values_list("uuid", flat=True)) == [referral.uuid]
        assert OutboxMessage.objects.count() == messages_before
    with schema_context(ngo_b.ngo.schema_name):
        services.referral_decline(
            actor=team_b["supervisor"].user, referral_uuid=referral.uuid, reason="No places"
        )
    assert _drain(ngo_b) == 1
    with schema_context(ngo_a.ngo.schema_name):
        mine = Referral.objects.get(uuid=referral.uuid)
        assert (mine.state, mine.decline_reason, mine.agreement_uuid) == (
            "declined",
            "No places",
            referrable.agreement.uuid,
        )
    assert _history(ngo_a.ngo.schema_name, referral.uuid) == ["sent", "declined"]
    assert _history(ngo_b.ngo.schema_name, referral.uuid) == ["sent", "declined"]
    envelope = ReferralEnvelope.objects.get(referral_uuid=referral.uuid)
    assert (envelope.state, envelope.agreement_id) == ("declined", referrable.agreement.pk)


def test_an_expired_agreement_refuses_new_referrals_but_its_referrals_go_on(
    referrable, team_a, ngo_a
):
    """Past its end date (checked at use time, and marked by the daily task) an agreement
    covers no new referral; a referral made under it to an outside agency still moves through
    accepted, in progress and completed, with its history."""
    agreement = _clinic_agreement(referrable)
    clinic = referrable.network.clinic
    worker = team_a["worker"].user
    referral = _send(referrable, team_a, ngo_a, to_agency_uuid=clinic.uuid, service_type="health")
    later = clock.today() + timedelta(days=31)
    with clock.as_of(later):
        with pytest.raises(ApplicationError) as caught:
            _send(
                referrable,
                team_a,
                ngo_a,
                to_agency_uuid=clinic.uuid,
                service_type="health",
                reason="Second visit",
            )
        assert caught.value.code == "no_agreement"
        assert network_services.agreements_expire(today=later) == 1
        agreement.refresh_from_db()
        assert agreement.status == "expired"
        with schema_context(ngo_a.ngo.schema_name):
            for state, note in (
                ("accepted", "By phone"),
                ("in_progress", ""),
                ("completed", "Treated"),
            ):
                services.referral_record_response(
                    actor=worker, referral_uuid=referral.uuid, state=state, note=note
                )
            done = Referral.objects.get(uuid=referral.uuid)
            assert (done.state, done.outcome_note) == ("completed", "Treated")
            assert Referral.objects.count() == 1
    assert _history(ngo_a.ngo.schema_name, referral.uuid) == [
        "sent",
        "accepted",
        "in_progress",
        "completed",
    ]


# --- Suspension ---------------------------------------------------------------------------------


def _inbox(ngo) -> dict:
    with schema_context(ngo.ngo.schema_name):
        return dict(Referral.objects.filter(direction="incoming").values_list("uuid", "state"))


def _pending(ngo) -> int:
    with schema_context(ngo.ngo.schema_name):
        return OutboxMessage.objects.filter(delivered_at__isnull=True).count()


def test_a_suspended_receiver_keeps_everything_waiting_and_gets_it_on_reactivation(
    referrable, team_a, ngo_a, ngo_b
):
    """While B is suspended, a new referral and the withdrawal of an earlier one wait (the new
    envelope exists, undelivered; B's inbox is untouched) through any number of sweeps, which
    keep A marked as pending; once B is active the sweep delivers both, exactly once."""
    from casework import services as casework_services

    earlier = _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    worker = team_a["worker"].user
    with schema_context(ngo_a.ngo.schema_name):
        case = casework_services.child_register(
            actor=worker,
            child=casework_services.ChildInput(
                full_name="Rudi Hartono",
                sex="male",
                school_status="dropped_out",
                birth_year=clock.today().year - 14,
                birth_year_estimated=True,
            ),
            household=casework_services.HouseholdInput(
                guardian_name="Pak Hartono", guardian_relationship="father"
            ),
            consent=casework_services.ConsentInput(
                guardian_name="Pak Hartono",
                guardian_relationship="father",
                guardian_consented=True,
                child_assented=True,
                consented_on=clock.today(),
                scope_referral_sharing=True,
            ),
        )
    ngo_set_status(actor=None, ngo=ngo_b.ngo, status="suspended")
    try:
        later = _send(referrable, team_a, ngo_a, case_id=case.pk)
        with schema_context(ngo_a.ngo.schema_name):
            services.referral_withdraw(
                actor=worker, referral_uuid=earlier.uuid, reason="Family moved"
            )
        for _ in range(2):
            assert outbox_sweep() == 0
            assert _pending(ngo_a) == 2
            assert OutboxPending.objects.filter(schema_name=ngo_a.ngo.schema_name).exists()
        assert _inbox(ngo_b) == {earlier.uuid: "sent"}
        waiting = ReferralEnvelope.objects.get(referral_uuid=later.uuid)
        assert (waiting.state, waiting.delivered_at) == ("sent", None)
        assert waiting.sealed_payload is not None
    finally:
        ngo_set_status(actor=None, ngo=ngo_b.ngo, status="active")
    assert outbox_sweep() == 2
    assert _inbox(ngo_b) == {earlier.uuid: "withdrawn", later.uuid: "sent"}
    assert _pending(ngo_a) == 0
    assert not OutboxPending.objects.filter(schema_name=ngo_a.ngo.schema_name).exists()
    assert ReferralEnvelope.objects.get(referral_uuid=later.uuid).delivered_at is not None
    assert outbox_sweep() == 0
    assert _inbox(ngo_b) == {earlier.uuid: "withdrawn", later.uuid: "sent"}
    assert ReferralEnvelope.objects.filter(from_agency=referrable.network.agency_a).count() == 2


def test_the_sweep_enters_only_schemas_marked_pending(referrable, team_a, ngo_a, ngo_b):
    """A send marks its NGO for the sweep in the same transaction; a sweep that leaves nothing
    behind clears the mark, and an NGO without a mark is not entered (its stray undelivered row
    waits for the next send or the on-commit task)."""
    _send(referrable, team_a, ngo_a)
    marks = set(OutboxPending.objects.values_list("schema_name", flat=True))
    assert ngo_a.ngo.schema_name in marks
    assert outbox_sweep() == 1
    assert not OutboxPending.objects.filter(schema_name=ngo_a.ngo.schema_name).exists()
    assert _pending(ngo_a) == 0
    with schema_context(ngo_a.ngo.schema_name):
        services.referral_withdraw(
            actor=team_a["worker"].user, referral_uuid=Referral.objects.get().uuid
        )
    # The withdrawal is an outbox row too: marked again.
    assert OutboxPending.objects.filter(schema_name=ngo_a.ngo.schema_name).exists()
    OutboxPending.objects.filter(schema_name=ngo_a.ngo.schema_name).delete()
    assert outbox_sweep() == 0
    assert _pending(ngo_a) == 1
