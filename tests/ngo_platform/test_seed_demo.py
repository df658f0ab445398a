"""The demo data: three NGOs with staff and ~50 synthetic children over the whole lifecycle.

Seeded once for the module, inside a transaction rolled back at the end (provisioning is
transactional DDL, so the demo schemas vanish with it), next to the session's own consortium.
Passwords are hashed with the production hasher, so the logins below test real hashes.
"""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import global_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
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
from network.referrals.models import Referral
from tenants.models import NGO, Consortium
from tests.support import host_client

pytestmark = pytest.mark.django_db


# Django's default list (PBKDF2 first), and the suite's fast hasher so fixtures' accounts log in.
PRODUCTION_HASHERS = [
    *global_settings.PASSWORD_HASHERS,
    "django.contrib.auth.hashers.MD5PasswordHasher",
]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, ngo_a, ngo_b):
    """The demo consortium, seeded once for this module and rolled back afterwards, with the
    production password hasher (the rest of the suite uses a fast one; older hashes still
    verify)."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS):
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
        received = set(
            Referral.objects.filter(direction="incoming", case__isnull=False).values_list(
                "case_id", flat=True
            )
        )
        for case in Case.objects.select_related("child__household"):
            household = case.child.household
            # A child accepted on referral from another demo NGO lives where its sender said.
            expected = (
                {other.province_code for other in DEMO_NGOS if other.slug != slug}
                if case.pk in received
                else {demo_ngo.province_code}
            )
            assert household.province_code in expected
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
        # Changes the other agency made to a referral arrive with that agency as the actor.
        unattributed = AuditEvent.objects.filter(actor__isnull=True)
        assert unattributed.exclude(details__via="referral_delivery").count() == 0, slug


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
    assert groups[:3] == ["Platform", "Platform", "Platform"]  # operator, coordinator, funder
    assert "donor@terpadu.test" in usernames
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


def test_the_demo_network_has_keys_outside_agencies_and_agreements_in_every_status(demo):
    """The three partner NGOs are in the directory with a published key whose private half is
    in their own schema; outside agencies of six kinds serve real regions; agreements are
    active between every pair of partners and to outside agencies, plus one draft, one revoked
    and one expired."""
    from collections import Counter

    from network.models import Agency, ReferralAgreement
    from network.referrals.models import AgencyKey

    connection.set_schema_to_public()
    agencies = Agency.objects.filter(consortium__slug=CONSORTIUM_SLUG)
    partners = {agency.ngo.slug: agency for agency in agencies.filter(kind="partner_ngo")}
    assert sorted(partners) == sorted(NGO_SLUGS)
    for slug, ngo in demo.items():
        with schema_context(ngo.schema_name):
            key = AgencyKey.objects.get(status="current")
        assert (partners[slug].key_id, partners[slug].public_key) == (key.key_id, key.public_key)
    outside = agencies.exclude(kind="partner_ngo")
    assert Counter(outside.values_list("kind", flat=True)) == {
        "puskesmas": 2,
        "social_affairs": 2,
        "legal_aid": 1,
        "pkbm": 1,
        "vocational_centre": 1,
        "police_uppa": 1,
    }
    for agency in outside:
        assert agency.service_types, agency.name
        assert agency.province_codes or agency.regency_codes, agency.name
        assert all(regions.province(code) for code in agency.province_codes), agency.name
        assert all(regions.regency(code) for code in agency.regency_codes), agency.name
    agreements = ReferralAgreement.objects.filter(consortium__slug=CONSORTIUM_SLUG)
    assert Counter(agreements.values_list("status", flat=True)) == {
        "active": 7,
        "draft": 1,
        "revoked": 1,
        "expired": 1,
    }
    pairs = {
        frozenset((agreement.first_agency_id, agreement.second_agency_id))
        for agreement in agreements.filter(status="active", direction="both_ways")
    }
    ids = [agency.pk for agency in partners.values()]
    assert pairs == {frozenset((a, b)) for a in ids for b in ids if a < b}


def test_the_demo_referrals_cover_every_state_through_the_real_services(demo):
    """Referrals between the partners end in every state (two still sent, one of them
    overdue), two more go to outside agencies; every outbox is drained, both sides agree on
    each state, accepted ones created the child's case at the receiver, and only referrals
    still waiting keep a sealed payload."""
    from collections import Counter

    from network.models import ReferralEnvelope
    from network.referrals.models import OutboxMessage, Referral
    from network.selectors import envelopes_for_coordinator

    outgoing, incoming = {}, {}
    for slug, _ in _per_ngo(demo):
        assert OutboxMessage.objects.filter(delivered_at__isnull=True).count() == 0, slug
        for referral in Referral.objects.all():
            side = outgoing if referral.direction == "outgoing" else incoming
            side[referral.uuid] = referral
        for referral in Referral.objects.filter(direction="incoming", case__isnull=False):
            assert referral.case.child.full_name, slug
            assert referral.state in ("accepted", "in_progress", "completed")
    assert Counter(
        referral.state for referral in outgoing.values() if referral.counterpart_is_partner
    ) == {
        "sent": 2,
        "accepted": 1,
        "in_progress": 1,
        "completed": 1,
        "declined": 1,
        "withdrawn": 1,
    }
    assert sorted(
        referral.state for referral in outgoing.values() if not referral.counterpart_is_partner
    ) == ["accepted", "sent"]
    assert {uuid: referral.state for uuid, referral in incoming.items()} == {
        uuid: referral.state
        for uuid, referral in outgoing.items()
        if referral.counterpart_is_partner
    }
    assert sum(1 for referral in incoming.values() if referral.case_id) == 3
    connection.set_schema_to_public()
    consortium = Consortium.objects.get(slug=CONSORTIUM_SLUG)
    envelopes = ReferralEnvelope.objects.filter(consortium=consortium)
    assert {envelope.referral_uuid: envelope.state for envelope in envelopes} == {
        uuid: referral.state for uuid, referral in incoming.items()
    }
    assert sorted(
        envelope.state for envelope in envelopes if envelope.sealed_payload is not None
    ) == ["sent", "sent"]
    assert all(envelope.delivered_at for envelope in envelopes)
    overdue = envelopes_for_coordinator(consortium=consortium, overdue=True)
    assert [(envelope.state, envelope.urgency) for envelope in overdue] == [("sent", "urgent")]


def test_a_demo_worker_can_refer_a_child_to_another_demo_ngo(demo):
    """What a person trying the demo does: a case worker of the first NGO refers a consented
    child to the second; once the outbox is drained it waits in the second NGO's inbox."""
    from network.models import Agency
    from network.referrals import services
    from network.referrals.delivery import outbox_drain
    from network.referrals.models import Referral
    from network.referrals.payload import sharing_consent

    first, second = demo[NGO_SLUGS[0]], demo[NGO_SLUGS[1]]
    connection.set_schema_to_public()
    receiver = Agency.objects.get(ngo=second)
    with schema_context(first.schema_name):
        referred = set(Referral.objects.values_list("case_id", flat=True))
        case = next(
            case
            for case in Case.objects.filter(
                assigned_worker__username=staff_username("pekerja1", first.slug)
            ).exclude(status__in=["closed", "closure_requested", "identified"])
            if case.pk not in referred and sharing_consent(case) is not None
        )
        worker = case.assigned_worker
        referral = services.referral_send(
            actor=worker,
            case_id=case.pk,
            to_agency_uuid=receiver.uuid,
            service_type="counselling",
            reason="Dicoba dari demo",
        )
        assert outbox_drain() == 1
    with schema_context(second.schema_name):
        assert Referral.objects.get(uuid=referral.uuid).state == "sent"


def test_the_reports_are_counted_on_first_start(demo):
    """seed_demo rolls every demo NGO up: the coordinator's report API and the funder's
    dashboard have figures at once, suppressed, without a tenant schema."""
    from network.reporting.audit import audit_table
    from network.reporting.models import AggregateCell, Rollup
    from tests.network.conftest import public_client

    connection.set_schema_to_public()
    demo_ngos = NGO.objects.filter(slug__in=NGO_SLUGS)
    assert Rollup.objects.filter(ngo__in=demo_ngos, status=Rollup.Status.OK).count() == len(
        NGO_SLUGS
    )
    assert AggregateCell.objects.filter(ngo__in=demo_ngos).exists()
    user_model = get_user_model()
    client = public_client(user_model.objects.get(username="koordinator@terpadu.test"))
    response = client.get(
        "/api/v1/aggregates/",
        {"indicator": "active_cases", "group_by": "sex", "consortium": "pusat-kajian"},
    )
    assert response.status_code == 200, response.content
    table = response.json()
    total = next(cell for cell in table["cells"] if cell["sex"] is None)
    assert total["value"] is not None
    assert total["value"] >= 5
    assert audit_table(table).ok
    funder = host_client("localhost")
    funder.force_login(user_model.objects.get(username="donor@terpadu.test"))
    consortium = Consortium.objects.get(slug="pusat-kajian")
    page = funder.get(f"/console/{consortium.pk}/reports/")
    assert page.status_code == 200
    assert f"<dd>{total['value']}</dd>" in page.content.decode()  # active cases, year end


def test_the_demo_has_trainings_visits_with_one_overdue_action_and_self_assessments(demo):
    """Three trainings (Yayasan Harapan at all three), a visit to each NGO,
    exactly one overdue action (Yayasan Harapan's), some done with their follow-up, and the
    self-assessments of this year and last; all written through the audited services."""
    from core import clock
    from network.capacity.models import AgreedAction, MentoringVisit, SelfAssessment, Training
    from network.capacity.selectors import capacity_status
    from tenants.models import PlatformAuditEvent

    connection.set_schema_to_public()
    consortium = Consortium.objects.get(slug=CONSORTIUM_SLUG)
    trainings = Training.objects.filter(consortium=consortium)
    visits = MentoringVisit.objects.filter(consortium=consortium)
    actions = AgreedAction.objects.filter(visit__consortium=consortium)
    assert (trainings.count(), visits.count(), actions.count()) == (3, 3, 5)
    assert sorted(visits.values_list("ngo__slug", flat=True)) == sorted(NGO_SLUGS)
    overdue = [action for action in actions if action.is_overdue]
    assert [(action.visit.ngo.slug, action.status) for action in overdue] == [
        ("yayasan-harapan", "open")
    ]
    done = actions.filter(status="done")
    assert done.count() == 2
    assert all(action.follow_up_note and action.done_on <= clock.today() for action in done)
    this_year = clock.today().year
    assert sorted(
        SelfAssessment.objects.filter(ngo__consortium=consortium).values_list("ngo__slug", "year")
    ) == [
        ("lembaga-pelita", this_year - 1),
        ("lembaga-pelita", this_year),
        ("sanggar-anak", this_year),
        ("yayasan-harapan", this_year - 1),
        ("yayasan-harapan", this_year),
    ]
    status = {row.ngo.slug: row for row in capacity_status(consortium)}
    assert {
        slug: (
            row.trainings_last_12_months,
            row.open_actions,
            row.overdue_actions,
            row.latest_assessment_year,
        )
        for slug, row in status.items()
    } == {
        "lembaga-pelita": (2, 1, 0, this_year),
        "sanggar-anak": (2, 1, 0, this_year),
        "yayasan-harapan": (3, 1, 1, this_year),
    }
    audited = PlatformAuditEvent.objects.filter(
        object_type__in=["training", "mentoringvisit", "agreedaction", "selfassessment"],
        actor__username="koordinator@terpadu.test",
    )
    # 3 trainings, 3 visits, 5 actions created and 2 marked done, 5 self-assessments.
    assert audited.count() == 3 + 3 + 5 + 2 + 5
