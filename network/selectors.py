"""Read queries of the consortium layer (public schema only)."""

from __future__ import annotations

from datetime import date

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from casework import regions
from core import clock
from network.models import Agency, ReferralAgreement, ReferralEnvelope, ReferralState
from tenants.models import NGO, Consortium


def agency_list(
    *,
    consortium: Consortium,
    service_type: str | None = None,
    region: str | None = None,
    search: str | None = None,
    include_inactive: bool = False,
    statuses: tuple[str, ...] = (Agency.Status.APPROVED,),
) -> QuerySet[Agency]:
    """The consortium's directory, filtered by service type, region (a province or regency code:
    an agency serves a regency it lists, every regency of a province it lists, or anywhere when
    it lists no region) and name."""
    queryset = Agency.objects.filter(consortium=consortium, status__in=statuses)
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    if service_type:
        queryset = queryset.filter(service_types__contains=[service_type])
    if region:
        queryset = queryset.filter(serves_region(region))
    if search:
        queryset = queryset.filter(name__icontains=search.strip()[:100])
    return queryset.select_related("ngo")


def serves_region(code: str) -> Q:
    """The condition "serves this province or regency" on Agency."""
    nowhere_listed = Q(province_codes=[], regency_codes=[])
    regency = regions.regency(code)
    if regency is not None:
        return (
            nowhere_listed
            | Q(regency_codes__contains=[regency.code])
            | Q(province_codes__contains=[regency.province_code])
        )
    province = regions.province(code)
    if province is not None:
        return (
            nowhere_listed
            | Q(province_codes__contains=[province.code])
            | Q(regency_codes__overlap=[r.code for r in regions.regencies(province.code)])
        )
    return Q(pk__in=[])


def agreements_of(agency: Agency) -> QuerySet[ReferralAgreement]:
    """Every agreement `agency` is a party to, newest first."""
    return ReferralAgreement.objects.filter(
        Q(first_agency=agency) | Q(second_agency=agency)
    ).select_related("first_agency", "second_agency")


def agreements_in(
    *, consortium: Consortium, statuses: list[str] | None = None
) -> QuerySet[ReferralAgreement]:
    """A consortium's agreements (for its coordinators), optionally in some statuses only."""
    queryset = ReferralAgreement.objects.filter(consortium=consortium).select_related(
        "consortium", "first_agency", "second_agency"
    )
    return queryset.filter(status__in=statuses) if statuses else queryset


def _covering(*, from_agency: Agency, service_type: str, on: date) -> Q:
    in_force = (
        Q(status=ReferralAgreement.Status.ACTIVE, valid_from__lte=on)
        & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        & Q(service_types__contains=[service_type])
    )
    forwards = Q(first_agency=from_agency)
    backwards = Q(second_agency=from_agency, direction=ReferralAgreement.Direction.BOTH_WAYS)
    return in_force & (forwards | backwards)


def agreement_covering(
    *, from_agency: Agency, to_agency: Agency, service_type: str, on: date | None = None
) -> ReferralAgreement | None:
    """The agreement in force on `on` (default today) under which `from_agency` may refer a
    child to `to_agency` for `service_type`, or None. Expiry is checked here, at use time."""
    on = on or clock.today()
    condition = _covering(from_agency=from_agency, service_type=service_type, on=on) & (
        Q(first_agency=to_agency) | Q(second_agency=to_agency)
    )
    return ReferralAgreement.objects.filter(condition).order_by("-valid_from", "-id").first()


def agencies_referable(
    *, from_agency: Agency, service_type: str, regency_code: str | None = None, on=None
) -> QuerySet[Agency]:
    """Agencies `from_agency` may refer a child to for `service_type` today, under an
    agreement in force, optionally only those serving the child's regency."""
    on = on or clock.today()
    agreements = ReferralAgreement.objects.filter(
        _covering(from_agency=from_agency, service_type=service_type, on=on)
    )
    counterpart_ids = set()
    for first_id, second_id in agreements.values_list("first_agency_id", "second_agency_id"):
        counterpart_ids.add(second_id if first_id == from_agency.pk else first_id)
    queryset = Agency.objects.filter(
        pk__in=counterpart_ids, status=Agency.Status.APPROVED, is_active=True
    )
    if regency_code:
        queryset = queryset.filter(serves_region(regency_code))
    return queryset.order_by("name")


def envelopes_for_coordinator(
    *, consortium: Consortium, overdue: bool = False, states: list[str] | None = None
):
    """Referral metadata of a consortium (never payloads): what the coordinator sees, newest
    first, each marked `is_overdue` (still unanswered after its due date)."""
    today = clock.today()
    queryset = (
        ReferralEnvelope.objects.filter(consortium=consortium)
        .select_related("from_agency", "to_agency")
        .defer("sealed_payload")
        .annotate(is_overdue=ExpressionWrapper(_overdue_on(today), output_field=BooleanField()))
    )
    if states:
        queryset = queryset.filter(state__in=states)
    if overdue:
        queryset = queryset.filter(_overdue_on(today))
    return queryset


def _overdue_on(today: date) -> Q:
    return Q(state=ReferralState.SENT, due_on__lt=today)


def console_members(*, consortium: Consortium) -> QuerySet[NGO]:
    """The consortium's partner NGOs with their summary row (counted by a task, never here)."""
    return (
        NGO.objects.filter(consortium=consortium, is_template=False)
        .select_related("summary")
        .order_by("name", "pk")
    )


def console_counts(*, consortium: Consortium) -> dict[str, int]:
    """The console home's figures, all from the public schema."""
    ngos = NGO.objects.filter(consortium=consortium, is_template=False)
    agreements = ReferralAgreement.objects.filter(consortium=consortium)
    return {
        "ngos_active": ngos.filter(status=NGO.Status.ACTIVE).count(),
        "ngos_suspended": ngos.filter(status=NGO.Status.SUSPENDED).count(),
        "agencies": Agency.objects.filter(
            consortium=consortium, status=Agency.Status.APPROVED, is_active=True
        ).count(),
        "proposals": agency_proposals(consortium=consortium).count(),
        "agreements_active": agreements.filter(status=ReferralAgreement.Status.ACTIVE).count(),
        "agreements_draft": agreements.filter(status=ReferralAgreement.Status.DRAFT).count(),
        "referrals_open": ReferralEnvelope.objects.filter(
            consortium=consortium,
            state__in=[ReferralState.SENT, ReferralState.ACCEPTED, ReferralState.IN_PROGRESS],
        ).count(),
        "referrals_overdue": ReferralEnvelope.objects.filter(
            Q(consortium=consortium) & _overdue_on(clock.today())
        ).count(),
    }


def agency_proposals(*, consortium: Consortium) -> QuerySet[Agency]:
    """Agencies NGO staff proposed that wait for a coordinator's review, oldest first."""
    return (
        Agency.objects.filter(consortium=consortium, status=Agency.Status.PROPOSED)
        .select_related("proposed_by")
        .order_by("created_at", "pk")
    )


def agreement_list(*, consortium: Consortium, status: str | None = None):
    """The consortium's agreements, newest first, with both agencies loaded."""
    queryset = ReferralAgreement.objects.filter(consortium=consortium).select_related(
        "first_agency", "second_agency"
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset
