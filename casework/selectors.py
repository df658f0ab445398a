"""Read queries inside one NGO's schema. Each returns data with its relations loaded, so views
and serializers never query in a loop; each starts from what the actor may see."""

from __future__ import annotations

import re
from datetime import date
from typing import TypedDict, TypeVar

from django.contrib.auth.models import User
from django.db.models import BooleanField, ExpressionWrapper, Model, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access import Capability, can, case_for_actor, cases_visible_to, require
from casework.audit import audit_record, audit_searched
from casework.models import (
    Assessment,
    AuditEvent,
    Case,
    CasePlan,
    Child,
    Consent,
    FollowUp,
    Intervention,
    NGOSettings,
    Note,
    Notification,
    PlanGoal,
    Verification,
)
from casework.services import normalize_name
from core.audit import REDACTED, AuditAction
from core.errors import NotFoundError

ModelT = TypeVar("ModelT", bound=Model)


def ngo_settings_get() -> NGOSettings | None:
    """The NGO's settings row (current schema)."""
    return NGOSettings.objects.first()


def name_search_condition(words: list[str]) -> RawSQL:
    """Every word is the start of a word of the child's name or known-as name ("siti rah"
    finds Siti Rahayu), answered by the GIN index child_name_search_idx (migration 0003)."""
    query = " & ".join(f"{word}:*" for word in words)
    return RawSQL(
        "to_tsvector('simple'::regconfig, normalized_name || ' ' || lower(known_as)) "
        "@@ to_tsquery('simple'::regconfig, %s)",
        [query],
        output_field=BooleanField(),
    )


REFERENCE_RE = re.compile(r"^[A-Za-z]*-?\d{2,}-?\d*$")


def case_list(
    *,
    actor: User,
    status: str | None = None,
    risk: str | None = None,
    worker_id: int | None = None,
    province_code: str | None = None,
    regency_code: str | None = None,
    overdue: bool | None = None,
    case_type: str | None = None,
    search: str | None = None,
) -> QuerySet[Case]:
    """Cases the actor may see, filtered; child and worker loaded in the same query."""
    queryset = cases_visible_to(actor).select_related("child", "assigned_worker")
    if status:
        queryset = queryset.filter(status__in=status.split(","))
    if risk:
        queryset = queryset.filter(risk_level__in=risk.split(","))
    if worker_id:
        queryset = queryset.filter(assigned_worker_id=worker_id)
    if province_code:
        queryset = queryset.filter(province_code=province_code)
    if regency_code:
        queryset = queryset.filter(regency_code=regency_code)
    if overdue is not None:
        queryset = queryset.filter(has_overdue=overdue)
    if case_type:
        queryset = queryset.filter(case_type=case_type)
    if search and search.strip():
        # Matching case ids as a UNION: the reference branch uses its unique index, where one OR
        # across the join made PostgreSQL test every case in turn. References are stored upper
        # case; a search that looks like a reference (2026-00042, IMP-17573) only looks there.
        text = search.strip()
        matches = Case.objects.filter(reference=text.upper()).values("pk")
        words = normalize_name(text).split()
        if can(actor, Capability.VIEW_IDENTITY) and words and not REFERENCE_RE.match(text):
            audit_searched(actor=actor, object_type="child", query=text)
            children = Child.objects.filter(name_search_condition(words))
            matches = Case.objects.filter(child__in=children).values("pk").union(matches)
        queryset = queryset.filter(pk__in=matches)
    return queryset


def case_detail(*, actor: User, case_id: int, audit_view: bool = True) -> Case:
    """One case with everything the case page shows; viewing a child's full record is audited."""
    case = case_for_actor(actor, case_id)
    case = (
        Case.objects.select_related(
            "child", "child__household", "assigned_worker", "closed_by", "closure_requested_by"
        )
        .prefetch_related(
            "shared_with",
            Prefetch("child__consents", queryset=Consent.objects.order_by("-consented_on", "-id")),
            Prefetch("assessments", queryset=Assessment.objects.select_related("assessor")),
            Prefetch("interventions", queryset=Intervention.objects.select_related("recorded_by")),
            Prefetch("followups", queryset=FollowUp.objects.select_related("assigned_worker")),
            Prefetch("verifications", queryset=Verification.objects.select_related("verified_by")),
            Prefetch("notes", queryset=Note.objects.select_related("author")),
        )
        .get(pk=case.pk)
    )
    if audit_view and can(actor, Capability.VIEW_IDENTITY):
        audit_record(actor=actor, action=AuditAction.VIEW, instance=case.child, case_id=case.pk)
    return case


def case_plan(*, actor: User, case_id: int) -> CasePlan:
    """The case's plan with goals and planned services."""
    case = case_for_actor(actor, case_id)
    plan = (
        CasePlan.objects.filter(case=case)
        .prefetch_related(
            Prefetch(
                "goals",
                queryset=PlanGoal.objects.prefetch_related("services__responsible_worker"),
            )
        )
        .first()
    )
    if plan is None:
        raise NotFoundError(_("This case has no plan yet."))
    return plan


def case_children_of(*, actor: User, case_id: int, model: type[ModelT]) -> QuerySet[ModelT]:
    """Assessments, interventions, follow-ups, verifications or notes of a visible case."""
    case = case_for_actor(actor, case_id)
    return model._default_manager.filter(case=case)


def child_list(*, actor: User, search: str | None = None) -> QuerySet[Child]:
    """Children with at least one case the actor may see; a name search is audited (the
    listing itself is audited where rows are shown: `casework.audit.audit_listed`)."""
    visible_cases = cases_visible_to(actor)
    queryset = Child.objects.filter(cases__in=visible_cases).distinct().select_related("household")
    if search and search.strip() and can(actor, Capability.VIEW_IDENTITY):
        audit_searched(actor=actor, object_type="child", query=search)
        queryset = queryset.filter(normalized_name__contains=normalize_name(search))
    return queryset


def children_visible_among(*, actor: User, child_ids: list[int]) -> set[int]:
    """Which of `child_ids` belong to a case the actor may see."""
    return set(child_list(actor=actor).filter(pk__in=child_ids).values_list("pk", flat=True))


def child_detail(*, actor: User, child_id: int) -> Child:
    """A child whose case the actor may see (audited as a view of the full record)."""
    require(actor, Capability.VIEW_IDENTITY)
    child = child_list(actor=actor).filter(pk=child_id).first()
    if child is None:
        raise NotFoundError(_("Child not found."))
    audit_record(actor=actor, action=AuditAction.VIEW, instance=child)
    return child


def consent_list(*, actor: User, child_id: int | None = None) -> QuerySet[Consent]:
    """Consents of children the actor may see."""
    queryset = Consent.objects.filter(child__in=child_list(actor=actor)).select_related("child")
    if child_id:
        queryset = queryset.filter(child_id=child_id)
    return queryset


def child_duplicates(
    *,
    actor: User,
    full_name: str,
    birth_year: int | None = None,
    guardian_name: str = "",
    village: str = "",
    nik: str = "",
    limit: int = 10,
) -> list[tuple[Child, list[str]]]:
    """Likely matches for a new registration in this NGO, with the reasons they match.

    A match shares the NIK, or the normalised name (or one name contains the other) with a
    birth year within one year; the same guardian or village strengthens it.
    """
    from casework import crypto

    require(actor, Capability.EDIT_CASES)
    name = normalize_name(full_name)
    if name or nik.strip():
        # A lookup of children by name (and NIK): recorded as a search, the NIK never.
        audit_searched(
            actor=actor,
            object_type="child",
            query=full_name,
            filters={"nik": REDACTED} if nik.strip() else None,
        )
    candidates = Child.objects.select_related("household").prefetch_related("cases")
    conditions = Q()
    if nik.strip():
        conditions |= Q(nik_hash__in=crypto.lookup_hashes(nik.strip()))
    if name:
        name_match = Q(normalized_name=name)
        first = name.split()[0]
        if len(first) >= 3:
            name_match |= Q(normalized_name__startswith=first)
        if birth_year:
            name_match &= Q(birth_year__gte=birth_year - 1, birth_year__lte=birth_year + 1)
        conditions |= name_match
    if not conditions:
        return []
    results: list[tuple[Child, list[str]]] = []
    guardian = normalize_name(guardian_name)
    village_name = normalize_name(village)
    # Strong matches first, so the cut below never drops them behind many similar first names.
    strong = Q(normalized_name=name)
    if nik.strip():
        strong |= Q(nik_hash__in=crypto.lookup_hashes(nik.strip()))
    ranked = (
        candidates.filter(conditions)
        .annotate(strong=ExpressionWrapper(strong, output_field=BooleanField()))
        .order_by("-strong", "-id")
    )
    for child in ranked[: limit * 3]:
        reasons = []
        if nik.strip() and child.nik_hash in crypto.lookup_hashes(nik.strip()):
            reasons.append("nik")
        if child.normalized_name == name:
            reasons.append("name")
        elif name and (name in child.normalized_name or child.normalized_name in name):
            reasons.append("similar_name")
        if birth_year and abs(child.birth_year - birth_year) <= 1:
            reasons.append("birth_year")
        household = child.household
        if guardian and household and normalize_name(household.guardian_name) == guardian:
            reasons.append("guardian")
        if village_name and household and normalize_name(household.village) == village_name:
            reasons.append("village")
        if "nik" in reasons or len(reasons) >= 2:
            results.append((child, reasons))
    results.sort(key=lambda item: (-("nik" in item[1]), -len(item[1])))
    return results[:limit]


def audit_events(
    *,
    actor: User,
    actor_username: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    case_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events for admins, filtered."""
    require(actor, Capability.VIEW_AUDIT)
    queryset = AuditEvent.objects.all()
    if actor_username:
        queryset = queryset.filter(actor_username=actor_username)
    if action:
        queryset = queryset.filter(action=action)
    if object_type:
        queryset = queryset.filter(object_type=object_type)
    if case_id:
        queryset = queryset.filter(case_id=case_id)
    if since:
        queryset = queryset.filter(at__date__gte=since)
    if until:
        queryset = queryset.filter(at__date__lte=until)
    return queryset


class Dashboard(TypedDict):
    cases: QuerySet[Case]
    overdue_followups: QuerySet[FollowUp]
    notifications: QuerySet[Notification]


def dashboard(*, actor: User) -> Dashboard:
    """What the worker's and supervisor's home shows: my cases, overdue items, notifications."""
    today = timezone.localdate()
    cases = cases_visible_to(actor)
    overdue_followups = (
        FollowUp.objects.filter(case__in=cases, completed_on__isnull=True, due_on__lt=today)
        .select_related("case", "case__child", "assigned_worker")
        .order_by("due_on")
    )
    if not can(actor, Capability.VIEW_ALL_CASES):
        overdue_followups = overdue_followups.filter(assigned_worker=actor)
    return {
        "cases": cases.select_related("child").order_by("-id"),
        "overdue_followups": overdue_followups,
        "notifications": Notification.objects.filter(user=actor, read_at__isnull=True),
    }


class ApprovalQueues(TypedDict):
    assessments: QuerySet[Assessment]
    plans: QuerySet[CasePlan]
    closures: QuerySet[Case]


def approval_queues(*, actor: User) -> ApprovalQueues:
    """What awaits a supervisor's decision: assessments, plans and closure requests."""
    require(actor, Capability.APPROVE)
    cases = cases_visible_to(actor)
    return {
        "assessments": Assessment.objects.filter(case__in=cases, status=Assessment.Status.SUBMITTED)
        .select_related("case", "case__child", "assessor")
        .order_by("created_at"),
        "plans": CasePlan.objects.filter(case__in=cases, status=CasePlan.Status.SUBMITTED)
        .select_related("case", "case__child")
        .order_by("updated_at"),
        "closures": cases.filter(status=Case.Status.CLOSURE_REQUESTED)
        .select_related("child", "closure_requested_by")
        .order_by("updated_at"),
    }
