"""Two workers of the receiving NGO accept the same referral at the same moment, each on its own
database connection, against committed data: one case is created, the other gets a conflict."""

import threading
import uuid
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import override_settings
from django_tenants.utils import schema_context

from core import clock
from network import services as network_services
from network.models import Agency, ReferralAgreement, ReferralEnvelope
from tests.worker import REPO

pytestmark = pytest.mark.timeout(300)


@dataclass
class Delivered:
    sender: object  # NGO
    receiver: object
    referral_uuid: uuid.UUID
    receivers: list  # two staff of the receiver who may accept


@pytest.fixture
def delivered(committed_db, consortium):
    """A referral from a fresh NGO to another, delivered to the receiver's inbox (committed;
    the NGOs' schemas and the network rows are removed afterwards)."""
    from django.contrib.auth import get_user_model

    from casework import services as casework_services
    from casework.models import StaffProfile
    from network.referrals.delivery import outbox_drain
    from network.referrals.keys import agency_key_ensure
    from network.referrals.services import referral_send
    from tenants.services import ngo_provision

    suffix = uuid.uuid4().hex[:6]
    sender, receiver = (
        ngo_provision(
            actor=None,
            consortium=consortium,
            slug=f"{prefix}-{suffix}",
            name=name,
            admin_email=f"admin@{prefix}.example.org",
        ).ngo
        for prefix, name in (("rujuk", "Rujuk"), ("sambut", "Sambut"))
    )
    coordinator = get_user_model().objects.get(username="coordinator@example.org")
    agencies = []
    for ngo in (sender, receiver):
        agency = network_services.partner_agency_ensure(ngo=ngo)
        agency.service_types = ["counselling"]
        agency.save()
        with schema_context(ngo.schema_name):
            agency_key_ensure(agency=agency)
        agencies.append(agency)
    agreement = network_services.agreement_create(
        actor=coordinator,
        consortium=consortium,
        first_agency_uuid=agencies[0].uuid,
        second_agency_uuid=agencies[1].uuid,
        service_types=["counselling"],
        shared_fields=["full_name", "age", "sex", "reason"],
        valid_from=clock.today(),
    )
    with override_settings(MEDIA_ROOT=REPO / ".data" / "test-media"):
        network_services.agreement_activate(
            actor=coordinator,
            agreement_uuid=agreement.uuid,
            mou=SimpleUploadedFile("mou.pdf", b"%PDF-1.4 signed"),
        )
    user_model = get_user_model()
    with schema_context(sender.schema_name):
        worker = user_model.objects.create_user(username="pengirim", password="x-Kirim-1!")
        StaffProfile.objects.create(user=worker, role=StaffProfile.Role.CASE_WORKER)
        case = casework_services.child_register(
            actor=worker,
            child=casework_services.ChildInput(
                full_name="Anak Rujukan",
                sex="male",
                school_status="in_school",
                birth_year=clock.today().year - 12,
                birth_year_estimated=True,
            ),
            household=casework_services.HouseholdInput(
                guardian_name="Wali", guardian_relationship="father"
            ),
            consent=casework_services.ConsentInput(
                guardian_name="Wali",
                guardian_relationship="father",
                guardian_consented=True,
                child_assented=True,
                consented_on=clock.today(),
                scope_referral_sharing=True,
            ),
        )
        referral = referral_send(
            actor=worker,
            case_id=case.pk,
            to_agency_uuid=agencies[1].uuid,
            service_type="counselling",
            reason="Konseling",
        )
        assert outbox_drain() == 1
    with schema_context(receiver.schema_name):
        receivers = []
        for username, role in (
            ("penerima-1", StaffProfile.Role.SUPERVISOR),
            ("penerima-2", StaffProfile.Role.CASE_WORKER),
        ):
            user = user_model.objects.create_user(username=username, password="x-Terima-1!")
            StaffProfile.objects.create(user=user, role=role)
            receivers.append(user)
    connection.set_schema_to_public()
    yield Delivered(sender, receiver, referral.uuid, receivers)
    connection.set_schema_to_public()
    ids = [agency.pk for agency in agencies]
    ReferralEnvelope.objects.filter(from_agency_id__in=ids).delete()
    ReferralAgreement.objects.filter(pk=agreement.pk).delete()
    Agency.objects.filter(pk__in=ids).delete()


def test_two_accepts_at_the_same_moment_create_one_case(delivered):
    """Both workers press accept together: exactly one succeeds, the other is told it was
    already accepted (409); the receiver has one child, one case, one carried-over consent,
    one "accepted" step and one message back to the sender."""
    from casework.models import Case, Child, Consent
    from core.errors import ConflictError
    from network.referrals.models import OutboxMessage, Referral, ReferralEvent
    from network.referrals.services import referral_accept

    barrier = threading.Barrier(2)
    outcomes: list = []

    def accept(user):
        try:
            with schema_context(delivered.receiver.schema_name):
                barrier.wait()
                try:
                    referral = referral_accept(actor=user, referral_uuid=delivered.referral_uuid)
                    outcomes.append(("accepted", referral.case_id))
                except ConflictError as error:
                    outcomes.append((error.code, error.status_code))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(user,)) for user in delivered.receivers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with schema_context(delivered.receiver.schema_name):
        [case] = Case.objects.all()
        assert sorted(outcomes, key=str) == sorted(
            [("accepted", case.pk), ("already_accepted", 409)], key=str
        )
        assert Child.objects.count() == 1
        assert Consent.objects.filter(child=case.child).count() == 1
        inbox = Referral.objects.get(uuid=delivered.referral_uuid)
        assert (inbox.state, inbox.case_id) == ("accepted", case.pk)
        assert list(
            ReferralEvent.objects.filter(referral=inbox).values_list("state", flat=True)
        ) == ["sent", "accepted"]
        assert OutboxMessage.objects.filter(kind="state").count() == 1
    connection.set_schema_to_public()
    envelope = ReferralEnvelope.objects.get(referral_uuid=delivered.referral_uuid)
    assert (envelope.state, envelope.sealed_payload) == ("accepted", None)
