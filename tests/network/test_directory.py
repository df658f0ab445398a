"""The agency directory: coordinators manage it, NGO staff propose, search by service and region."""

import pytest

from core.errors import ApplicationError, InvalidTransitionError, PermissionDeniedError
from network import selectors, services
from network.models import Agency

pytestmark = pytest.mark.django_db


def _lbh(**overrides) -> services.AgencyInput:
    values = {
        "kind": Agency.Kind.LEGAL_AID,
        "name": "LBH Semarang",
        "service_types": ["advocacy_legal"],
        "regency_codes": ["3374"],
        "phone": "024 7654321",
    }
    values.update(overrides)
    return services.AgencyInput(**values)


def test_partner_ngos_are_linked_to_their_tenant(network, ngo_a):
    """A partner NGO's entry names its tenant; ensuring it again changes nothing."""
    assert network.agency_a.ngo_id == ngo_a.ngo.pk
    assert network.agency_a.kind == Agency.Kind.PARTNER_NGO
    assert services.partner_agency_ensure(ngo=ngo_a.ngo).pk == network.agency_a.pk


def test_coordinator_adds_an_outside_agency_with_clean_codes(network):
    """Regency codes are stored dotted and checked; the agency is approved at once."""
    agency = services.agency_create(
        actor=network.coordinator, consortium=network.consortium, data=_lbh()
    )
    assert (agency.status, agency.regency_codes, agency.service_types) == (
        "approved",
        ["33.74"],
        ["advocacy_legal"],
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"kind": "partner_ngo"}, "kind"),
        ({"kind": "bank"}, "kind"),
        ({"service_types": []}, "service_types"),
        ({"service_types": ["magic"]}, "service_types"),
        ({"regency_codes": ["99.99"]}, "regency_codes"),
        ({"province_codes": ["00"]}, "province_codes"),
        ({"phone": "call me"}, "phone"),
        ({"email": "not-an-address"}, "email"),
    ],
)
def test_bad_agency_input_is_a_field_error(network, overrides, field):
    with pytest.raises(ApplicationError) as caught:
        services.agency_create(
            actor=network.coordinator, consortium=network.consortium, data=_lbh(**overrides)
        )
    assert field in caught.value.fields
    assert not Agency.objects.filter(name="LBH Semarang").exists()


def test_only_the_consortiums_coordinator_manages_its_directory(network):
    """A funder and another consortium's coordinator are refused; nothing is written."""
    for actor in (network.funder, network.outsider):
        with pytest.raises(PermissionDeniedError):
            services.agency_create(actor=actor, consortium=network.consortium, data=_lbh())
        with pytest.raises(PermissionDeniedError):
            services.agency_update(actor=actor, agency_uuid=network.clinic.uuid, is_active=False)
    assert not Agency.objects.filter(name="LBH Semarang").exists()
    network.clinic.refresh_from_db()
    assert network.clinic.is_active


def test_a_partner_keeps_its_tenants_kind_and_name(network):
    """Updating a partner NGO's services and regions leaves its kind, name and tenant alone."""
    updated = services.agency_update(
        actor=network.coordinator,
        agency_uuid=network.agency_a.uuid,
        data=_lbh(name="Renamed", kind="school", service_types=["tutoring"]),
    )
    assert (updated.kind, updated.name, updated.ngo_id, updated.service_types) == (
        "partner_ngo",
        network.agency_a.name,
        network.agency_a.ngo_id,
        ["tutoring"],
    )


def test_staff_proposal_waits_for_a_coordinator(network):
    """A proposed agency is not in the directory until approved; rejection needs a reason."""
    proposed = services.agency_propose(
        consortium=network.consortium,
        proposer=network.agency_a,
        proposer_name="Rina (case worker)",
        data=_lbh(),
    )
    listed = selectors.agency_list(consortium=network.consortium)
    assert proposed not in listed
    with pytest.raises(ApplicationError) as caught:
        services.agency_review(
            actor=network.coordinator, agency_uuid=proposed.uuid, approve=False, comment=""
        )
    assert "comment" in caught.value.fields
    services.agency_review(actor=network.coordinator, agency_uuid=proposed.uuid, approve=True)
    assert proposed in selectors.agency_list(consortium=network.consortium)
    with pytest.raises(InvalidTransitionError):
        services.agency_review(actor=network.coordinator, agency_uuid=proposed.uuid, approve=True)


def test_search_by_service_type_and_region(network):
    """Regency 33.74 (Kota Semarang) is served by B (lists it), the clinic (lists province 33),
    and A (lists no region: anywhere); regency 31.71 (Jakarta) only by A."""
    consortium = network.consortium
    by_service = selectors.agency_list(consortium=consortium, service_type="counselling")
    assert set(by_service) == {network.agency_a, network.agency_b}
    in_semarang = selectors.agency_list(consortium=consortium, region="33.74")
    assert set(in_semarang) == {network.agency_a, network.agency_b, network.clinic}
    in_jakarta = selectors.agency_list(consortium=consortium, region="3171")
    assert set(in_jakarta) == {network.agency_a}
    in_central_java = selectors.agency_list(consortium=consortium, region="33")
    assert set(in_central_java) == {network.agency_a, network.agency_b, network.clinic}
    assert list(selectors.agency_list(consortium=consortium, region="nonsense")) == []


def test_inactive_agencies_leave_the_directory(network):
    services.agency_update(
        actor=network.coordinator, agency_uuid=network.clinic.uuid, is_active=False
    )
    assert network.clinic not in selectors.agency_list(consortium=network.consortium)
    assert network.clinic in selectors.agency_list(
        consortium=network.consortium, include_inactive=True
    )
