"""Every coordinator action of the consortium layer writes one platform audit event in the same
transaction (`tenants.PlatformAuditEvent`); a refused or invalid action writes none."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from core import clock
from core.errors import ApplicationError, PermissionDeniedError
from network import services
from network.models import Agency
from tenants.models import PlatformAuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def mark():
    connection.set_schema_to_public()
    return PlatformAuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _events(mark):
    return list(PlatformAuditEvent.objects.filter(id__gt=mark).order_by("id"))


def _lbh() -> services.AgencyInput:
    return services.AgencyInput(
        kind=Agency.Kind.LEGAL_AID, name="LBH Semarang", service_types=["advocacy_legal"]
    )


def test_agency_create_update_and_review_are_audited(network, mark):
    agency = services.agency_create(
        actor=network.coordinator, consortium=network.consortium, data=_lbh()
    )
    services.agency_update(actor=network.coordinator, agency_uuid=agency.uuid, is_active=False)
    proposal = services.agency_propose(
        consortium=network.consortium,
        proposer=network.agency_a,
        proposer_name="supervisor-a",
        data=services.AgencyInput(kind="school", name="SD Negeri 3", service_types=["tutoring"]),
    )
    services.agency_review(actor=network.coordinator, agency_uuid=proposal.uuid, approve=True)
    events = _events(mark)
    assert [(e.actor_username, e.action, e.object_type, e.object_id) for e in events] == [
        ("coordinator@example.org", "create", "agency", str(agency.pk)),
        ("coordinator@example.org", "update", "agency", str(agency.pk)),
        ("supervisor-a", "create", "agency", str(proposal.pk)),
        ("coordinator@example.org", "transition", "agency", str(proposal.pk)),
    ]
    assert events[0].actor_id == network.coordinator.pk
    assert events[1].changed_fields == {"is_active": [True, False]}
    assert events[2].actor_id is None
    assert events[2].details == {"proposed_by_agency": str(network.agency_a.uuid)}
    assert events[3].changed_fields == {"status": ["proposed", "approved"]}


def test_agreement_create_activate_revoke_are_audited(network, mark, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    agreement = services.agreement_create(
        actor=network.coordinator,
        consortium=network.consortium,
        first_agency_uuid=network.agency_a.uuid,
        second_agency_uuid=network.agency_b.uuid,
        service_types=["counselling"],
        shared_fields=["age"],
        valid_from=clock.today(),
    )
    mou = SimpleUploadedFile("mou.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    services.agreement_activate(actor=network.coordinator, agreement_uuid=agreement.uuid, mou=mou)
    agreement.refresh_from_db()
    services.agreement_revoke(
        actor=network.coordinator, agreement_uuid=agreement.uuid, reason="Selesai"
    )
    events = _events(mark)
    assert [(e.action, e.object_type, e.object_id) for e in events] == [
        ("create", "referralagreement", str(agreement.pk)),
        ("transition", "referralagreement", str(agreement.pk)),
        ("transition", "referralagreement", str(agreement.pk)),
    ]
    assert events[0].changed_fields["service_types"] == [None, ["counselling"]]
    assert events[0].changed_fields["mou"] == [None, ""]
    assert events[1].changed_fields == {
        "mou": ["", agreement.mou.name],
        "status": ["draft", "active"],
    }
    assert events[2].details == {"reason": "Selesai"}


def test_refused_and_invalid_actions_write_no_event(network, mark):
    with pytest.raises(PermissionDeniedError):
        services.agency_create(actor=network.funder, consortium=network.consortium, data=_lbh())
    with pytest.raises(ApplicationError):
        services.agency_create(
            actor=network.coordinator,
            consortium=network.consortium,
            data=services.AgencyInput(kind="bank", name="X", service_types=["health"]),
        )
    with pytest.raises(ApplicationError):
        services.agency_review(
            actor=network.coordinator, agency_uuid=network.clinic.uuid, approve=True
        )
    assert _events(mark) == []


def test_onboarding_is_refused_to_a_funder_and_audited_for_a_coordinator(network, mark):
    from tenants.models import NGO

    with pytest.raises(PermissionDeniedError):
        services.ngo_onboard(
            actor=network.funder,
            consortium=network.consortium,
            slug="yayasan-dana",
            name="Yayasan Dana",
            admin_email="a@dana.example.org",
        )
    assert not NGO.objects.filter(slug="yayasan-dana").exists()
    assert _events(mark) == []
    result = services.ngo_onboard(
        actor=network.coordinator,
        consortium=network.consortium,
        slug="yayasan-dana",
        name="Yayasan Dana",
        admin_email="a@dana.example.org",
    )
    [event] = _events(mark)
    assert (event.actor_id, event.action, event.object_type, event.object_id) == (
        network.coordinator.pk,
        "create",
        "ngo",
        str(result.ngo.pk),
    )
