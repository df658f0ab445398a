"""Referral notifications are stored by the bridge as codes with parameters and read in each
reader's language (network registers its codes with casework's catalog through settings)."""

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from casework.models import Notification
from network.referrals import services
from network.referrals.delivery import outbox_drain

pytestmark = pytest.mark.django_db


def _drain(ngo) -> int:
    with schema_context(ngo.ngo.schema_name):
        return outbox_drain()


def test_received_and_declined_notifications_are_codes_read_in_both_languages(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """B's supervisors learn of the referral and A's sender of the decline: each row holds a
    code and parameters, no text, and reads in Indonesian and in English."""
    with schema_context(ngo_a.ngo.schema_name):
        referral = services.referral_send(
            actor=team_a["worker"].user,
            case_id=referrable.case.pk,
            to_agency_uuid=referrable.network.agency_b.uuid,
            service_type="counselling",
            reason="Needs counselling",
        )
    _drain(ngo_a)
    with schema_context(ngo_b.ngo.schema_name):
        received = Notification.objects.get(
            user=team_b["supervisor"].user, key=f"referral-in:{referral.uuid}"
        )
        sender_name = received.params["agency"]
        assert (received.code, received.message) == ("referral_received", "")
        with translation.override("id"):
            assert received.text == f"Rujukan diterima dari {sender_name}"
        with translation.override("en"):
            assert received.text == f"Referral received from {sender_name}"
        services.referral_decline(
            actor=team_b["supervisor"].user, referral_uuid=referral.uuid, reason="Penuh"
        )
    _drain(ngo_b)
    with schema_context(ngo_a.ngo.schema_name):
        answer = Notification.objects.get(user=team_a["worker"].user, key__startswith="referral:")
        assert answer.code == "referral_state"
        assert answer.params == {"agency": referral.counterpart_name, "state": "declined"}
        assert answer.case_id == referrable.case.pk
        with translation.override("id"):
            assert answer.text == f"Rujukan ke {referral.counterpart_name}: ditolak"
        with translation.override("en"):
            assert answer.text == f"Referral to {referral.counterpart_name}: declined"
