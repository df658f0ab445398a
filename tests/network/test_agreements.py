"""Referral agreements: created as drafts, activated with a signed MoU, revoked, expired."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import clock
from core.errors import ApplicationError, InvalidTransitionError, PermissionDeniedError
from network import selectors, services
from network.models import ReferralAgreement

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% signed MoU\n"


def _mou() -> SimpleUploadedFile:
    return SimpleUploadedFile("mou.pdf", PDF, content_type="application/pdf")


def _create(network, **overrides) -> ReferralAgreement:
    values = {
        "actor": network.coordinator,
        "consortium": network.consortium,
        "first_agency_uuid": network.agency_a.uuid,
        "second_agency_uuid": network.agency_b.uuid,
        "service_types": ["counselling"],
        "shared_fields": ["full_name", "age", "reason"],
        "valid_from": clock.today() - timedelta(days=30),
        "valid_to": clock.today() + timedelta(days=335),
    }
    values.update(overrides)
    return services.agreement_create(**values)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_an_agreement_starts_as_a_draft_and_needs_the_signed_mou(network):
    agreement = _create(network)
    assert (agreement.status, agreement.response_days) == ("draft", 7)
    assert agreement.shared_fields == ["age", "full_name", "reason"]
    with pytest.raises(ApplicationError) as caught:
        services.agreement_activate(actor=network.coordinator, agreement_uuid=agreement.uuid)
    assert "mou" in caught.value.fields
    services.agreement_activate(
        actor=network.coordinator, agreement_uuid=agreement.uuid, mou=_mou()
    )
    agreement.refresh_from_db()
    assert agreement.status == "active"
    assert agreement.mou.read() == PDF


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"service_types": []}, "service_types"),
        ({"shared_fields": ["nik"]}, "shared_fields"),
        ({"shared_fields": []}, "shared_fields"),
        ({"response_days": 0}, "response_days"),
        ({"response_days": 91}, "response_days"),
        ({"valid_to": date(2000, 1, 1)}, "valid_to"),
        ({"second_agency_uuid": None}, "second_agency"),
        ({"direction": "sideways"}, "direction"),
    ],
)
def test_bad_agreement_input_is_a_field_error(network, overrides, field):
    with pytest.raises(ApplicationError) as caught:
        _create(network, **overrides)
    assert field in caught.value.fields
    assert not ReferralAgreement.objects.exists()


def test_two_outside_agencies_cannot_agree_and_an_agency_not_with_itself(network):
    from network.models import Agency

    lbh = services.agency_create(
        actor=network.coordinator,
        consortium=network.consortium,
        data=services.AgencyInput(kind=Agency.Kind.LEGAL_AID, name="LBH", service_types=["health"]),
    )
    with pytest.raises(ApplicationError):
        _create(network, first_agency_uuid=network.clinic.uuid, second_agency_uuid=lbh.uuid)
    with pytest.raises(ApplicationError):
        _create(network, second_agency_uuid=network.agency_a.uuid)


def test_an_agency_of_another_consortium_cannot_be_a_party(network):
    from network.models import Agency

    stranger = Agency.objects.create(
        consortium=type(network.consortium).objects.get(slug="lain"),
        kind=Agency.Kind.SCHOOL,
        name="SD Lain",
        service_types=["school_return"],
    )
    with pytest.raises(ApplicationError) as caught:
        _create(network, second_agency_uuid=stranger.uuid)
    assert "second_agency" in caught.value.fields


def test_only_coordinators_create_activate_and_revoke(network):
    agreement = _create(network)
    for actor in (network.funder, network.outsider):
        with pytest.raises(PermissionDeniedError):
            _create(network, actor=actor)
        with pytest.raises(PermissionDeniedError):
            services.agreement_activate(actor=actor, agreement_uuid=agreement.uuid, mou=_mou())
        with pytest.raises(PermissionDeniedError):
            services.agreement_revoke(actor=actor, agreement_uuid=agreement.uuid, reason="x")
    agreement.refresh_from_db()
    assert agreement.status == "draft"
    assert ReferralAgreement.objects.count() == 1


def test_covering_agreement_honours_direction_service_and_dates(network):
    """Both ways: A→B and B→A; one way: only first→second; only listed services; only while
    in force (checked at use time even before the expiry task runs)."""
    both = _create(network)
    services.agreement_activate(actor=network.coordinator, agreement_uuid=both.uuid, mou=_mou())
    a, b, clinic = network.agency_a, network.agency_b, network.clinic
    assert selectors.agreement_covering(from_agency=a, to_agency=b, service_type="counselling")
    assert selectors.agreement_covering(from_agency=b, to_agency=a, service_type="counselling")
    assert not selectors.agreement_covering(from_agency=a, to_agency=b, service_type="health")
    one_way = _create(
        network,
        second_agency_uuid=clinic.uuid,
        service_types=["health"],
        direction=ReferralAgreement.Direction.ONE_WAY,
    )
    services.agreement_activate(actor=network.coordinator, agreement_uuid=one_way.uuid, mou=_mou())
    assert selectors.agreement_covering(from_agency=a, to_agency=clinic, service_type="health")
    assert not selectors.agreement_covering(from_agency=clinic, to_agency=a, service_type="health")
    later = clock.today() + timedelta(days=400)
    assert not selectors.agreement_covering(
        from_agency=a, to_agency=b, service_type="counselling", on=later
    )
    assert list(selectors.agencies_referable(from_agency=a, service_type="health")) == [clinic]
    assert (
        list(
            selectors.agencies_referable(from_agency=a, service_type="health", regency_code="31.71")
        )
        == []
    )


def test_revoked_and_expired_agreements_no_longer_cover(network):
    agreement = _create(network)
    services.agreement_activate(
        actor=network.coordinator, agreement_uuid=agreement.uuid, mou=_mou()
    )
    with pytest.raises(ApplicationError) as caught:
        services.agreement_revoke(
            actor=network.coordinator, agreement_uuid=agreement.uuid, reason=" "
        )
    assert "reason" in caught.value.fields
    services.agreement_revoke(
        actor=network.coordinator, agreement_uuid=agreement.uuid, reason="MoU ended early"
    )
    a, b = network.agency_a, network.agency_b
    assert not selectors.agreement_covering(from_agency=a, to_agency=b, service_type="counselling")
    with pytest.raises(InvalidTransitionError) as caught:
        services.agreement_activate(actor=network.coordinator, agreement_uuid=agreement.uuid)
    assert caught.value.allowed == []


def test_the_expiry_task_marks_ended_agreements(network):
    ending = _create(network, valid_to=clock.today())
    services.agreement_activate(actor=network.coordinator, agreement_uuid=ending.uuid, mou=_mou())
    assert services.agreements_expire(today=clock.today()) == 0
    assert services.agreements_expire(today=clock.today() + timedelta(days=1)) == 1
    ending.refresh_from_db()
    assert ending.status == "expired"
    assert services.agreements_expire(today=clock.today() + timedelta(days=1)) == 0
