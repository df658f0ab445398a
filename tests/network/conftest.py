"""Fixtures of the consortium layer: a coordinator, a second consortium, partner agencies."""

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from network.models import Agency
from tenants.models import Consortium, ConsortiumMembership


@dataclass
class Network:
    consortium: Consortium
    coordinator: object
    funder: object
    outsider: object  # coordinator of another consortium
    agency_a: Agency
    agency_b: Agency
    clinic: Agency


@pytest.fixture
def network(db, consortium, ngo_a, ngo_b):
    """The session consortium's coordinator, a funder, another consortium's coordinator, and
    directory entries: NGO A and NGO B as partners and an outside clinic (rolled back)."""
    from network import services

    connection.set_schema_to_public()
    user_model = get_user_model()
    coordinator = user_model.objects.get(username="coordinator@example.org")
    funder = user_model.objects.create_user(username="funder@example.org", password="x-Funder-1!")
    ConsortiumMembership.objects.create(
        consortium=consortium, user=funder, role=ConsortiumMembership.Role.FUNDER
    )
    other = Consortium.objects.create(slug="lain", name="Konsorsium Lain")
    outsider = user_model.objects.create_user(username="lain@example.org", password="x-Lain-1!")
    ConsortiumMembership.objects.create(
        consortium=other, user=outsider, role=ConsortiumMembership.Role.COORDINATOR
    )
    agency_a = services.partner_agency_ensure(ngo=ngo_a.ngo)
    agency_b = services.partner_agency_ensure(ngo=ngo_b.ngo)
    agency_a.service_types = ["counselling", "school_return"]
    agency_a.save()
    agency_b.service_types = ["counselling", "vocational"]
    agency_b.regency_codes = ["33.74"]
    agency_b.save()
    clinic = services.agency_create(
        actor=coordinator,
        consortium=consortium,
        data=services.AgencyInput(
            kind=Agency.Kind.PUSKESMAS,
            name="Puskesmas Bandarharjo",
            service_types=["health"],
            province_codes=["33"],
            contact_name="dr. Wulan",
            phone="+62 24 3541234",
        ),
    )
    return Network(consortium, coordinator, funder, outsider, agency_a, agency_b, clinic)


# Staff of NGO A and NGO B in every role (session-scoped, committed).
from tests.casework.conftest import team_a, team_b  # noqa: E402, F401


@dataclass
class Referrable:
    network: Network
    agreement: object
    case: object  # a case of NGO A whose child consented to sharing for referral


@pytest.fixture
def referrable(network, ngo_a, ngo_b, team_a, settings, tmp_path):  # noqa: F811
    """NGO A and NGO B with key pairs, an active both-ways agreement for counselling sharing
    full name, age, sex and reason, and a consented child of A's worker (rolled back)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_tenants.utils import schema_context

    from casework import services as casework_services
    from core import clock
    from network import services
    from network.referrals.keys import agency_key_ensure

    settings.MEDIA_ROOT = tmp_path
    for ngo, agency in ((ngo_a, network.agency_a), (ngo_b, network.agency_b)):
        with schema_context(ngo.ngo.schema_name):
            agency_key_ensure(agency=agency)
    agreement = services.agreement_create(
        actor=network.coordinator,
        consortium=network.consortium,
        first_agency_uuid=network.agency_a.uuid,
        second_agency_uuid=network.agency_b.uuid,
        service_types=["counselling"],
        shared_fields=["full_name", "age", "sex", "reason"],
        valid_from=clock.today(),
    )
    services.agreement_activate(
        actor=network.coordinator,
        agreement_uuid=agreement.uuid,
        mou=SimpleUploadedFile("mou.pdf", b"%PDF-1.4 signed", content_type="application/pdf"),
    )
    worker = team_a["worker"].user
    with schema_context(ngo_a.ngo.schema_name):
        case = casework_services.child_register(
            actor=worker,
            child=casework_services.ChildInput(
                full_name="Dewi Lestari",
                sex="female",
                school_status="dropped_out",
                birth_year=clock.today().year - 13,
                birth_year_estimated=True,
                nik="3374015203130099",
            ),
            household=casework_services.HouseholdInput(
                guardian_name="Ibu Lestari",
                guardian_relationship="mother",
                guardian_phone="081234567890",
                province_code="33",
                regency_code="33.74",
                village="Tanjung Mas",
            ),
            consent=casework_services.ConsentInput(
                guardian_name="Ibu Lestari",
                guardian_relationship="mother",
                guardian_consented=True,
                child_assented=True,
                consented_on=clock.today(),
                scope_referral_sharing=True,
            ),
        )
    return Referrable(network, agreement, case)


def public_client(user):
    """A client of the public host (consortium site) authenticated with `user`'s token there;
    anonymous for None."""
    from rest_framework.authtoken.models import Token

    from tests.support import host_client

    if user is None:
        return host_client("localhost")
    connection.set_schema_to_public()
    token, _created = Token.objects.get_or_create(user=user)
    return host_client("localhost", HTTP_AUTHORIZATION=f"Token {token.key}")


def outbox_drain_of(ngo) -> int:
    """Deliver what `ngo`'s outbox holds (the on-commit task does not run in a rolled-back
    test transaction)."""
    from django_tenants.utils import schema_context

    from network.referrals.delivery import outbox_drain

    with schema_context(ngo.ngo.schema_name):
        return outbox_drain()


def aggregate_cell(ngo, indicator: str, month, value: int, **dimensions):
    """An AggregateCell row as a rollup writes it: every dimension of the indicator has a
    value (those not given are "unknown", or a fixed list's first value where it has no
    "unknown")."""
    from network.reporting.indicators import DIMENSIONS, INDICATORS, UNKNOWN
    from network.reporting.models import AggregateCell

    for code in INDICATORS[indicator].dimensions:
        if code in ("month", "standard") or code in dimensions:
            continue
        listed = DIMENSIONS[code].value_codes()
        dimensions[code] = UNKNOWN if listed is None or UNKNOWN in listed else listed[0]
    return AggregateCell(
        consortium_id=ngo.consortium_id,
        ngo=ngo,
        indicator=indicator,
        month=month,
        value=value,
        **dimensions,
    )
