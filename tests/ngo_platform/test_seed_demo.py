"""The demo data: three NGOs with staff and ~50 synthetic children over the whole lifecycle.

Seeded once for the module, inside a transaction rolled back at the end (provisioning is
transactional DDL, so the demo schemas vanish with it), next to the session's own consortium.
Passwords are hashed with the production hasher, so the logins below test real hashes.
"""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from casework import crypto, regions
from casework.models import (
    Assessment,
    AuditEvent,
    Case,
    CasePlan,
    Child,
    Consent,
    FollowUp,
    Intervention,
    Notification,
    StaffProfile,
    Verification,
)
from demo.seed import (
    CONSORTIUM_SLUG,
    DEMO_NGOS,
    DEMO_PASSWORD,
    NGO_SLUGS,
    STAFF,
    demo_logins,
    seed_consortium,
    seed_demo,
    staff_username,
    synthetic_nik,
)
from tenants.models import NGO, Consortium
from tests.support import host_client

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, ngo_a, ngo_b):
    """The demo consortium, seeded once for this module and rolled back afterwards."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            assert seed_consortium() is True
            connection.set_schema_to_public()
            yield {
                ngo.slug: ngo
                for ngo in NGO.objects.filter(consortium__slug=CONSORTIUM_SLUG).order_by("slug")
            }
            transaction.set_rollback(True)
        connection.set_schema_to_public()


def _per_ngo(demo_ngos):
    for slug, ngo in demo_ngos.items():
        with schema_context(ngo.schema_name):
            yield slug, ngo


def test_three_ready_ngos_with_about_fifty_children_each(demo):
    assert sorted(demo) == sorted(NGO_SLUGS)
    assert all(ngo.is_ready for ngo in demo.values())
    # The session's NGOs are untouched and not part of the demo consortium.
    assert NGO.objects.filter(slug__in=["yayasan-a", "lembaga-b"]).count() == 2
    for slug, _ in _per_ngo(demo):
        children = Child.objects.count()
        assert 45 <= children <= 55, slug
        assert Case.objects.count() == children, slug


def test_every_status_both_types_and_the_interesting_cases_in_every_ngo(demo):
    for slug, _ in _per_ngo(demo):
        cases = Case.objects.all()
        assert set(cases.values_list("status", flat=True)) == set(Case.Status.values), slug
        assert set(cases.values_list("case_type", flat=True)) == set(Case.Type.values), slug
        assert Assessment.objects.filter(status=Assessment.Status.SUBMITTED).exists(), slug
        assert Assessment.objects.filter(status=Assessment.Status.APPROVED).count() >= 25, slug
        assert Assessment.objects.filter(status=Assessment.Status.RETURNED).exists(), slug
        assert CasePlan.objects.filter(status=CasePlan.Status.SUBMITTED).exists(), slug
        assert CasePlan.objects.filter(status=CasePlan.Status.REVISION_NEEDED).exists(), slug
        # Urgent and high risks, from worst forms, hazards and night work.
        assert cases.filter(risk_level=Case.Risk.URGENT).count() >= 3, slug
        assert cases.filter(risk_level=Case.Risk.HIGH).exists(), slug
        assessments = Assessment.objects.all()
        assert assessments.exclude(worst_forms=[]).count() >= 3, slug
        assert assessments.exclude(hazards=[]).exists(), slug
        assert assessments.filter(night_work=True).exists(), slug
        # Overdue follow-ups, flagged by the daily maintenance (and notified), and upcoming ones.
        overdue = cases.filter(has_overdue=True)
        assert 3 <= overdue.count() <= 12, slug
        assert FollowUp.objects.filter(is_overdue=True, completed_on__isnull=True).exists(), slug
        assert Notification.objects.filter(key__startswith="overdue:").exists(), slug
        assert cases.filter(has_overdue=False, next_due_on__gt=timezone.localdate()).exists()
        assert FollowUp.objects.filter(completed_on__isnull=False).exists(), slug
        assert Verification.objects.filter(seen_back_at_work=True).exists(), slug
        # Closed with various reasons; a reopened case.
        reasons = set(
            cases.filter(status=Case.Status.CLOSED).values_list("closure_reason", flat=True)
        )
        assert len(reasons) >= 6, (slug, reasons)
        assert AuditEvent.objects.filter(
            object_type="case", action="transition", changed_fields__status__0="closed"
        ).exists(), slug
        assert cases.filter(shared_with__isnull=False).exists(), slug


def test_dates_lie_in_the_past_and_regions_in_the_ngos_province(demo):
    today = timezone.localdate()
    for slug, _ in _per_ngo(demo):
        demo_ngo = next(item for item in DEMO_NGOS if item.slug == slug)
        opened = Case.objects.values_list("opened_on", flat=True)
        assert min(opened) >= today - timedelta(days=300), slug
        assert max(opened) <= today - timedelta(days=1), slug
        assert max(opened) - min(opened) > timedelta(days=150), slug
        assert not Consent.objects.filter(consented_on__gt=today).exists()
        assert not Assessment.objects.filter(assessed_on__gt=today).exists()
        assert not Intervention.objects.filter(delivered_on__gt=today).exists()
        assert not Case.objects.filter(closed_on__gt=today).exists()
        for case in Case.objects.select_related("child__household"):
            household = case.child.household
            assert household.province_code == demo_ngo.province_code
            regions.validate_region(household.province_code, household.regency_code)
            assert household.village
            assert household.district
            assert case.closed_on is None or case.closed_on >= case.opened_on


def test_every_row_is_written_through_the_audited_services(demo):
    for slug, _ in _per_ngo(demo):
        cases = set(Case.objects.values_list("pk", flat=True))
        created = AuditEvent.objects.filter(object_type="case", action="create")
        assert set(created.values_list("case_id", flat=True)) == cases, slug
        assert not created.filter(changed_fields__source="bulk_load").exists(), slug
        for model, name in (
            (Child, "child"),
            (Consent, "consent"),
            (Assessment, "assessment"),
            (Intervention, "intervention"),
            (Verification, "verification"),
        ):
            audited = AuditEvent.objects.filter(object_type=name, action="create").count()
            assert audited == model.objects.count(), (slug, name)
        assert AuditEvent.objects.filter(actor__isnull=True).count() == 0, slug


def test_names_are_synthetic_and_no_real_looking_nik(demo):
    for slug, _ in _per_ngo(demo):
        children = list(Child.objects.all())
        single = [child for child in children if " " not in child.full_name.strip()]
        assert len(single) >= 10, slug  # many Indonesians have one name only
        with_nik = [child for child in children if child.nik_encrypted]
        assert with_nik, slug
        for child in children:
            if not child.nik_encrypted:
                assert child.nik_hash == child.nik_last4 == ""
                continue
            nik = crypto.decrypt(child.nik_encrypted)
            assert re.fullmatch(r"\d{16}", nik)
            # Never issued: district 00 and serial 0000 mark the synthetic NIKs.
            assert nik[4:6] == "00", nik
            assert nik[-4:] == "0000", nik
            assert child.nik_last4 == "0000"


def test_synthetic_nik_has_the_nik_shape_but_cannot_be_real():
    from datetime import date

    nik = synthetic_nik("33.74", date(2012, 5, 9), "female")
    assert nik == "3374004905120000"
    assert regions.regency_code_from_nik(nik) == "33.74"


def test_staff_in_every_role_log_in_on_their_own_host_only(demo):
    user_model = get_user_model()
    for slug, _ in _per_ngo(demo):
        roles = dict(StaffProfile.objects.values_list("user__username", "role"))
        assert roles == {staff_username(local, slug): role for local, role, _ in STAFF}
        assert user_model.objects.get(username=staff_username("admin", slug)).is_superuser
    connection.set_schema_to_public()
    for slug in demo:
        client = host_client(f"{slug}.localhost")
        for local in ("admin", *(local for local, _, _ in STAFF)):
            response = client.post(
                "/api/v1/auth/token/",
                {"username": staff_username(local, slug), "password": DEMO_PASSWORD},
            )
            assert response.status_code == 200, (slug, local, response.content)
            assert response.json()["token"]
    other = host_client(f"{NGO_SLUGS[1]}.localhost")
    response = other.post(
        "/api/v1/auth/token/",
        {"username": staff_username("supervisor", NGO_SLUGS[0]), "password": DEMO_PASSWORD},
    )
    assert response.status_code == 400


def test_each_role_sees_the_demo_cases_through_the_api(demo):
    slug = NGO_SLUGS[0]
    tokens = {}
    for local in ("supervisor", "pekerja1", "monev"):
        response = host_client(f"{slug}.localhost").post(
            "/api/v1/auth/token/",
            {"username": staff_username(local, slug), "password": DEMO_PASSWORD},
        )
        tokens[local] = response.json()["token"]

    def cases(local, query=""):
        client = host_client(f"{slug}.localhost", HTTP_AUTHORIZATION=f"Token {tokens[local]}")
        response = client.get(f"/api/v1/cases/?page_size=200{query}")
        assert response.status_code == 200, response.content
        return response.json()["results"]

    with schema_context(demo[slug].schema_name):
        total = Case.objects.count()
    assert len(cases("supervisor")) == total
    own = cases("pekerja1")
    assert 0 < len(own) < total
    monitoring = cases("monev")
    assert len(monitoring) == total
    assert all(row["child"]["full_name"] is None for row in monitoring)
    assert cases("supervisor", "&overdue=true")
    assert cases("supervisor", "&risk=urgent")


def test_logins_are_listed_by_ngo_and_a_second_run_creates_nothing(demo):
    logins = demo_logins(8000)
    usernames = [login.username for login in logins]
    for slug in NGO_SLUGS:
        for local in ("admin", *(local for local, _, _ in STAFF)):
            assert staff_username(local, slug) in usernames
    groups = [login.group for login in logins]
    assert groups[:2] == ["Platform", "Platform"]
    assert len(set(groups)) == 1 + len(NGO_SLUGS)

    def counts():
        connection.set_schema_to_public()
        found = {
            "consortia": Consortium.objects.count(),
            "ngos": NGO.objects.count(),
            "public_users": get_user_model().objects.count(),
        }
        for slug, _ in _per_ngo(demo):
            found[slug] = (
                get_user_model().objects.count(),
                Case.objects.count(),
                AuditEvent.objects.count(),
            )
        return found

    before = counts()
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)  # the test runner turns DEBUG off
    assert "skipped" in out.getvalue()
    assert f"supervisor@{NGO_SLUGS[0]}.test" in out.getvalue()
    assert seed_demo() is False
    assert seed_consortium() is False
    assert counts() == before


def test_the_console_has_the_demo_ngos_counted_and_in_the_directory(demo):
    """The coordinator console shows each demo NGO's staff and cases and its directory entry."""
    from django_tenants.utils import schema_context

    from casework.models import Case
    from network.models import Agency, NGOSummary

    for ngo in NGO.objects.filter(consortium__slug=CONSORTIUM_SLUG):
        summary = NGOSummary.objects.get(ngo=ngo)
        with schema_context(ngo.schema_name):
            expected = (
                get_user_model().objects.filter(is_active=True).count(),
                Case.objects.count(),
            )
        assert (summary.staff_count, summary.case_count) == expected
        assert summary.staff_count == 5  # admin, supervisor, two case workers, M&E officer
        assert Agency.objects.get(ngo=ngo).kind == "partner_ngo"
