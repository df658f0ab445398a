"""Sending a referral, delivering it through the outbox, and state changes flowing back."""

import base64

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from core.errors import ApplicationError, InvalidTransitionError
from network import sealing
from network.models import ReferralEnvelope
from network.referrals import services
from network.referrals.delivery import outbox_deliver, outbox_drain
from network.referrals.models import AgencyKey, OutboxMessage, Referral, ReferralEvent

pytestmark = pytest.mark.django_db

REASON = "Needs counselling after leaving work at the harbour"


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


def test_send_copies_exactly_the_agreed_fields_and_queues_delivery(referrable, team_a, ngo_a):
    referral = _send(referrable, team_a, ngo_a)
    assert referral.shared_data == {
        "full_name": "Dewi Lestari",
        "age": 13,
        "sex": "female",
        "reason": REASON,
    }
    with schema_context(ngo_a.ngo.schema_name):
        assert list(OutboxMessage.objects.values_list("kind", "delivered_at")) == [
            ("referral", None)
        ]
    assert not ReferralEnvelope.objects.exists()


def test_delivery_seals_to_the_receiver_and_fills_its_inbox_once(referrable, team_a, ngo_a, ngo_b):
    """One envelope (ciphertext only in the public schema) and one inbox row, however many
    times delivery runs; only B's private key opens the payload."""
    referral = _send(referrable, team_a, ngo_a)
    assert _drain(ngo_a) == 1
    assert _drain(ngo_a) == 0
    with schema_context(ngo_a.ngo.schema_name):
        message = OutboxMessage.objects.get()
        assert outbox_deliver(message_uuid=message.uuid) is True
    envelope = ReferralEnvelope.objects.get()
    assert envelope.referral_uuid == referral.uuid
    assert (envelope.state, envelope.service_type) == ("sent", "counselling")
    sealed = bytes(envelope.sealed_payload)
    assert b"Dewi" not in sealed
    assert b"harbour" not in sealed
    with schema_context(ngo_b.ngo.schema_name):
        inbox = Referral.objects.get()
        assert (inbox.direction, inbox.uuid, inbox.state) == ("incoming", referral.uuid, "sent")
        assert inbox.shared_data == {}
        assert inbox.case_id is None
        key = AgencyKey.objects.get(status="current")
        assert envelope.key_id == key.key_id
        opened = sealing.open_sealed(key.private_key_wrapped, sealed)
    assert opened == referral.shared_data
    with schema_context(ngo_a.ngo.schema_name):
        other_key = AgencyKey.objects.get(status="current")
    with pytest.raises(sealing.SealingError):
        sealing.open_sealed(other_key.private_key_wrapped, sealed)


def test_no_public_schema_key_opens_a_payload(referrable, team_a, ngo_a):
    """Every key reachable from the public schema (the directory's public keys) fails to open
    the envelope: a coordinator or a dump reads ciphertext only."""
    from nacl.exceptions import CryptoError
    from nacl.public import PrivateKey, SealedBox

    from network.models import Agency

    _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    sealed = bytes(ReferralEnvelope.objects.get().sealed_payload)
    connection.set_schema_to_public()
    for agency in Agency.objects.exclude(public_key=""):
        as_private = PrivateKey(base64.b64decode(agency.public_key))
        with pytest.raises(CryptoError):
            SealedBox(as_private).decrypt(sealed)


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"service_type": "health"}, "to_agency", "no_agreement"),
        ({"reason": "  "}, "reason", "invalid"),
        ({"service_type": "magic"}, "service_type", "invalid"),
    ],
)
def test_refusals_name_their_field(referrable, team_a, ngo_a, overrides, field, code):
    with pytest.raises(ApplicationError) as caught:
        _send(referrable, team_a, ngo_a, **overrides)
    assert (field in caught.value.fields, caught.value.code) == (True, code)
    with schema_context(ngo_a.ngo.schema_name):
        assert not Referral.objects.exists()
        assert not OutboxMessage.objects.exists()


def test_no_consent_to_sharing_no_referral(referrable, team_a, ngo_a):
    from casework.models import Consent

    with schema_context(ngo_a.ngo.schema_name):
        Consent.objects.filter(child_id=referrable.case.child_id).update(
            scope_referral_sharing=False
        )
    with pytest.raises(ApplicationError) as caught:
        _send(referrable, team_a, ngo_a)
    assert caught.value.code == "consent_required"


def test_revoked_agreement_refuses_new_referrals_and_keeps_history(referrable, team_a, ngo_a):
    from network import services as network_services

    first = _send(referrable, team_a, ngo_a)
    network_services.agreement_revoke(
        actor=referrable.network.coordinator,
        agreement_uuid=referrable.agreement.uuid,
        reason="ended",
    )
    with pytest.raises(ApplicationError) as caught:
        _send(referrable, team_a, ngo_a, reason="again")
    assert caught.value.code == "no_agreement"
    with schema_context(ngo_a.ngo.schema_name):
        assert list(Referral.objects.values_list("uuid", "state")) == [(first.uuid, "sent")]


def test_a_second_open_referral_for_the_same_service_is_refused(referrable, team_a, ngo_a):
    _send(referrable, team_a, ngo_a)
    with pytest.raises(ApplicationError) as caught:
        _send(referrable, team_a, ngo_a)
    assert caught.value.code == "already_referred"


def test_decline_flows_back_and_the_child_can_be_referred_again(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    referral = _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    with schema_context(ngo_b.ngo.schema_name):
        services.referral_decline(
            actor=team_b["supervisor"].user, referral_uuid=referral.uuid, reason="No places left"
        )
    envelope = ReferralEnvelope.objects.get()
    assert (envelope.state, envelope.sealed_payload, envelope.purged_at is not None) == (
        "declined",
        None,
        True,
    )
    assert _drain(ngo_b) == 1
    with schema_context(ngo_a.ngo.schema_name):
        mine = Referral.objects.get(uuid=referral.uuid)
        assert (mine.state, mine.decline_reason) == ("declined", "No places left")
        assert list(
            ReferralEvent.objects.filter(referral=mine).values_list("state", flat=True)
        ) == [
            "sent",
            "declined",
        ]
    again = _send(referrable, team_a, ngo_a, reason="Another try")
    assert again.uuid != referral.uuid


def test_illegal_transitions_name_the_allowed_states(referrable, team_a, team_b, ngo_a, ngo_b):
    referral = _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    with schema_context(ngo_b.ngo.schema_name):
        with pytest.raises(InvalidTransitionError) as caught:
            services.referral_complete(
                actor=team_b["supervisor"].user, referral_uuid=referral.uuid, outcome_note="done"
            )
    assert caught.value.allowed == ["accepted", "declined", "withdrawn"]


def test_withdrawal_before_delivery_reaches_nobody(referrable, team_a, ngo_a, ngo_b):
    referral = _send(referrable, team_a, ngo_a)
    with schema_context(ngo_a.ngo.schema_name):
        services.referral_withdraw(actor=team_a["worker"].user, referral_uuid=referral.uuid)
    assert _drain(ngo_a) == 0
    assert not ReferralEnvelope.objects.exists()
    with schema_context(ngo_b.ngo.schema_name):
        assert not Referral.objects.exists()


def test_withdrawal_after_delivery_purges_and_reaches_the_receiver(
    referrable, team_a, ngo_a, ngo_b
):
    referral = _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    with schema_context(ngo_a.ngo.schema_name):
        services.referral_withdraw(
            actor=team_a["worker"].user, referral_uuid=referral.uuid, reason="Family moved"
        )
    assert ReferralEnvelope.objects.get().sealed_payload is None
    assert _drain(ngo_a) == 1
    with schema_context(ngo_b.ngo.schema_name):
        assert Referral.objects.get(uuid=referral.uuid).state == "withdrawn"


def test_a_suspended_receiver_gets_nothing_until_reactivated(referrable, team_a, ngo_a, ngo_b):
    from tenants.services import ngo_set_status

    referral = _send(referrable, team_a, ngo_a)
    ngo_set_status(actor=None, ngo=ngo_b.ngo, status="suspended")
    try:
        assert _drain(ngo_a) == 0
        assert ReferralEnvelope.objects.get().delivered_at is None
        with schema_context(ngo_b.ngo.schema_name):
            assert not Referral.objects.exists()
    finally:
        ngo_set_status(actor=None, ngo=ngo_b.ngo, status="active")
    assert _drain(ngo_a) == 1
    with schema_context(ngo_b.ngo.schema_name):
        assert Referral.objects.get().uuid == referral.uuid


def test_rotation_keeps_older_envelopes_openable(referrable, team_a, ngo_a, ngo_b):
    from network.referrals.keys import agency_key_for, agency_key_rotate

    _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    envelope = ReferralEnvelope.objects.get()
    with schema_context(ngo_b.ngo.schema_name):
        new_key = agency_key_rotate(agency=referrable.network.agency_b)
        old_key = agency_key_for(envelope.key_id)
        assert old_key.status == "retired"
        assert new_key.key_id != envelope.key_id
        assert sealing.open_sealed(old_key.private_key_wrapped, bytes(envelope.sealed_payload))
    referrable.network.agency_b.refresh_from_db()
    assert referrable.network.agency_b.key_id == new_key.key_id


def test_only_the_bridge_enters_tenant_schemas():
    """No module of network/ but bridge.py switches schemas."""
    import pathlib

    import network

    root = pathlib.Path(network.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "bridge.py" or "migrations" in path.parts:
            continue
        text = path.read_text()
        for needle in ("schema_context", "tenant_context", "set_schema(", "set_tenant("):
            if needle in text:
                offenders.append(f"{path.relative_to(root)}: {needle}")
    assert offenders == []


def test_withdrawing_consent_withdraws_pending_referrals_and_purges(
    referrable, team_a, ngo_a, ngo_b
):
    """The guardian withdraws consent: the referral still waiting is withdrawn on both sides
    and its payload purged; nothing is left to open."""
    from casework import services as casework_services
    from casework.models import Consent
    from core import clock

    referral = _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    with schema_context(ngo_a.ngo.schema_name):
        consent = Consent.objects.get(child_id=referrable.case.child_id)
        casework_services.consent_withdraw(
            actor=team_a["worker"].user,
            consent_id=consent.pk,
            withdrawn_on=clock.today(),
            reason="Guardian changed their mind",
        )
        assert Referral.objects.get(uuid=referral.uuid).state == "withdrawn"
    envelope = ReferralEnvelope.objects.get()
    assert (envelope.state, envelope.sealed_payload) == ("withdrawn", None)
    _drain(ngo_a)
    with schema_context(ngo_b.ngo.schema_name):
        assert Referral.objects.get(uuid=referral.uuid).state == "withdrawn"


def test_the_sender_records_an_outside_agencys_answer(referrable, team_a, ngo_a):
    """A referral to a clinic (not a tenant) is tracked by the sender: no outbox, no envelope,
    the answer is recorded by hand and must follow the states."""
    from core import clock
    from network import services as network_services

    network = referrable.network
    agreement = network_services.agreement_create(
        actor=network.coordinator,
        consortium=network.consortium,
        first_agency_uuid=network.agency_a.uuid,
        second_agency_uuid=network.clinic.uuid,
        service_types=["health"],
        shared_fields=["full_name", "reason"],
        valid_from=clock.today(),
        direction="one_way",
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    network_services.agreement_activate(
        actor=network.coordinator,
        agreement_uuid=agreement.uuid,
        mou=SimpleUploadedFile("mou.pdf", b"%PDF-1.4"),
    )
    referral = _send(
        referrable, team_a, ngo_a, to_agency_uuid=network.clinic.uuid, service_type="health"
    )
    worker = team_a["worker"].user
    with schema_context(ngo_a.ngo.schema_name):
        assert not OutboxMessage.objects.filter(referral_uuid=referral.uuid).exists()
        with pytest.raises(InvalidTransitionError):
            services.referral_record_response(
                actor=worker, referral_uuid=referral.uuid, state="completed"
            )
        services.referral_record_response(
            actor=worker, referral_uuid=referral.uuid, state="accepted", note="By phone"
        )
        done = services.referral_record_response(
            actor=worker, referral_uuid=referral.uuid, state="in_progress"
        )
        assert done.state == "in_progress"
    assert not ReferralEnvelope.objects.exists()


def test_overdue_referrals_show_on_both_sides_and_for_the_coordinator(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """Unanswered past the agreement's response time: overdue for sender, receiver and
    coordinator alike; the coordinator's list carries no payload."""
    from datetime import timedelta

    from core import clock
    from network import selectors as network_selectors
    from network.referrals import selectors

    _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    later = clock.today() + timedelta(days=8)  # default response time: 7 days
    consortium = referrable.network.consortium
    with clock.as_of(later):
        with schema_context(ngo_a.ngo.schema_name):
            assert selectors.referral_counts(actor=team_a["worker"].user)["outgoing_overdue"] == 1
        with schema_context(ngo_b.ngo.schema_name):
            counts = selectors.referral_counts(actor=team_b["supervisor"].user)
            assert (counts["incoming_waiting"], counts["incoming_overdue"]) == (1, 1)
        overdue = network_selectors.envelopes_for_coordinator(consortium=consortium, overdue=True)
        assert overdue.count() == 1
        assert "sealed_payload" in overdue.query.deferred_loading[0]
    with schema_context(ngo_a.ngo.schema_name):
        assert selectors.referral_counts(actor=team_a["worker"].user)["outgoing_overdue"] == 0
