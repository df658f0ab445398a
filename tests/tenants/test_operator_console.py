"""The operator console on the public host: NGOs, their status, and row counts only."""

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from casework import services
from tenants.models import NGO
from tenants.selectors import ngo_schema_summary
from tenants.services import ngo_set_status
from tests.support import ADMIN_PASSWORD, host_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    get_user_model().objects.create_superuser(
        username="operator@example.org", email="operator@example.org", password=ADMIN_PASSWORD
    )
    client = host_client("localhost")
    assert client.login(username="operator@example.org", password=ADMIN_PASSWORD)
    return client


def test_archived_ngo_summary_shows_counts_not_rows(operator, ngo_a):
    """An archived NGO's page shows its tables' row counts; no child name or account appears."""
    ngo = NGO.objects.get(slug="yayasan-a")
    with schema_context(ngo.schema_name):
        admin = get_user_model().objects.get(username=ngo_a.admin_username)
        services.child_register(
            actor=admin,
            child=services.ChildInput(
                full_name="Wulan Sarinah", sex="female", school_status="in_school", birth_year=2014
            ),
            household=services.HouseholdInput(
                guardian_name="Pak Harto", guardian_relationship="ayah"
            ),
        )
    ngo_set_status(actor=None, ngo=ngo, status=NGO.Status.ARCHIVED)
    counts = ngo_schema_summary(ngo)
    assert counts["auth_user"] >= 1
    assert counts["casework_ngosettings"] == 1
    response = operator.get(f"/admin/tenants/ngo/{ngo.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "casework_ngosettings: 1" in body
    assert "casework_child: " in body
    assert "Wulan" not in body
    assert "Pak Harto" not in body


def test_coordinator_is_not_the_operator(consortium):
    """A coordinator (not a superuser) cannot open the operator console."""
    client = host_client("localhost")
    assert client.login(username="coordinator@example.org", password=ADMIN_PASSWORD)
    response = client.get("/admin/tenants/ngo/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
