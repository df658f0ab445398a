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
