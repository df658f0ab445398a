"""Read queries inside one NGO's schema. Each returns data with its relations loaded, so views
and serializers never query in a loop; each starts from what the actor may see."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, TypedDict, TypeVar
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.postgres.fields import ArrayField
from django.db.models import (
    BooleanField,
    CharField,
    ExpressionWrapper,
    F,
    JSONField,
    Model,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, NullIf
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from casework.access import (
    Capability,
    can,
    case_for_actor,
    case_holders,
    cases_visible_to,
    require,
    role_of,
)
from casework.audit import audit_record, audit_searched
from casework.models import (
    Assessment,
    Attachment,
    AuditEvent,
    Case,
    CasePlan,
    Child,
    Consent,
    FollowUp,
    HouseholdMember,
    Intervention,
    NGOSettings,
    Note,
    Notification,
    PlanGoal,
    StaffProfile,
    Verification,
)
from casework.services import normalize_name
from core import clock
from core.audit import REDACTED, AuditAction
from core.errors import NotFoundError
from tenants.db import connection

ModelT = TypeVar("ModelT", bound=Model)

# --- Identity: one rule for every page, partial, export and API response --------------------


def identity_visible(actor: User) -> bool:
    """May `actor` see who a child is (name, NIK, photo, address)?"""
    return can(actor, Capability.VIEW_IDENTITY)


def _child_label(actor: User, case_path: str = "") -> Value | Coalesce:
    """An expression for the name a list shows for a case's child: known-as name, else full
    name; NULL for roles that may not see identity (lists then show the reference only)."""
    if not identity_visible(actor):
        return Value(None, output_field=CharField())
    return Coalesce(
        NullIf(F(f"{case_path}child__known_as"), Value("")), F(f"{case_path}child__full_name")
    )


def with_identity(actor: User, queryset: QuerySet[ModelT], case_path: str = "") -> QuerySet[ModelT]:
    """Rows of cases (or of rows with a case at `case_path`) annotated with `child_label` and
    `identity_visible`, what every list, page and serializer shows instead of the child."""
    annotated: QuerySet[ModelT] = queryset.annotate(
        child_label=_child_label(actor, case_path),
        identity_visible=Value(identity_visible(actor), output_field=BooleanField()),
    )
    return annotated


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
    queryset = with_identity(actor, queryset)
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
    """One case with everything the case page shows, for roles that see identity; viewing a
    child's full record is audited."""
    # The capability first: a role that never sees identity gets the same answer for every
    # case id, existing or not (no existence oracle).
    require(actor, Capability.VIEW_IDENTITY)
    case = _case_with_history(cases_visible_to(actor), case_id)
    # What with_identity() annotates on list rows, set on the one case.
    case.child_label = str(case.child)  # type: ignore[attr-defined]
    case.identity_visible = True  # type: ignore[attr-defined]
    if audit_view:
        audit_record(actor=actor, action=AuditAction.VIEW, instance=case.child, case_id=case.pk)
    return case


# The case's rows that its page, summary and API show: (relation, model, users and other rows
# loaded with each row). Loaded as JSON arrays in the case's own query (_case_with_history).
_HISTORY: tuple[tuple[str, type[Model], tuple[str, ...]], ...] = (
    ("assessments", Assessment, ("assessor",)),
    ("interventions", Intervention, ("recorded_by", "goal")),
    ("followups", FollowUp, ("assigned_worker",)),
    ("verifications", Verification, ("verified_by",)),
    ("notes", Note, ("author",)),
)


def _loaded_fields(model: type[Model]) -> list[Any]:
    """The columns loaded for `model`'s rows: all, but an account's password hash."""
    return [
        field
        for field in model._meta.concrete_fields
        if not (model is get_user_model() and field.attname == "password")
    ]


def _array_sql(
    model: type[Model], where: str, related: tuple[str, ...] = (), ordering: Sequence[str] = ()
) -> str:
    """A correlated subquery: the rows of `model` matching `where` (its table is `t`), in
    `ordering`, as an array of JSON objects keyed by column, each with the row every name in
    `related` points to (an account without its password hash)."""
    quote = connection.ops.quote_name
    joins, nested = [], []
    for number, name in enumerate(related):
        field: Any = model._meta.get_field(name)
        target = field.related_model
        alias = f"r{number}"
        joins.append(
            f"LEFT JOIN {quote(target._meta.db_table)} {alias} "
            f"ON {alias}.{quote(target._meta.pk.column)} = t.{quote(field.column)}"
        )
        unhashed = " - 'password'" if target is get_user_model() else ""
        nested.append(f"'{name}', to_jsonb({alias}){unhashed}")
    row = "to_jsonb(t)" + (f" || jsonb_build_object({', '.join(nested)})" if nested else "")
    order = ", ".join(
        f"t.{quote(model._meta.get_field(name.lstrip('-')).column)}"  # type: ignore[union-attr]
        + (" DESC" if name.startswith("-") else "")
        for name in ordering
    )
    return (
        # Table and column names from the models' metadata only: nothing from a request.
        f"ARRAY(SELECT {row} FROM {quote(model._meta.db_table)} t {' '.join(joins)} "  # noqa: S608
        f"WHERE {where} ORDER BY {order})"
    )


@cache
def _history_sql() -> dict[str, str]:
    """The case's lists as correlated subqueries on the case list's base table (the same text in
    every NGO schema: the search path picks the tables). Built once: composing them with ORM
    expressions cost more CPU per request than everything else in the case detail."""
    case = f'"{Case._meta.db_table}"'
    child = f'"{Child._meta.db_table}"'
    arrays = {
        "shared_with": _array_sql(
            Case.shared_with.through,
            f't."case_id" = {case}."id"',
            related=("user",),
            ordering=("user",),
        ),
        "members": _array_sql(
            HouseholdMember,
            f't."household_id" = (SELECT c."household_id" FROM {child} c '  # noqa: S608
            f'WHERE c."id" = {case}."child_id")',
            ordering=("id",),
        ),
        "consents": _array_sql(
            Consent, f't."child_id" = {case}."child_id"', ordering=("-consented_on", "-id")
        ),
    }
    for relation, model, related in _HISTORY:
        arrays[relation] = _array_sql(
            model,
            f't."case_id" = {case}."id"',
            related=related,
            ordering=[str(name) for name in model._meta.ordering or []],
        )
    return arrays


class _ExactNumbersDecoder(json.JSONDecoder):
    """JSON numbers with a decimal point as Decimal, digits as written: PostgreSQL writes a
    numeric with its scale (12.0), which the ORM would have loaded as Decimal("12.0")."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "parse_float": Decimal})


def _row_from_json(
    model: type[ModelT], data: dict[str, Any], related: tuple[str, ...] = ()
) -> ModelT:
    """The model instance of a JSON row from `_array_sql`, as the ORM would have loaded it
    (values converted by each field; a missing password is deferred)."""
    fields = [field for field in _loaded_fields(model) if field.column in data]
    row = model.from_db(
        "default",
        [field.attname for field in fields],
        [field.to_python(data[field.column]) for field in fields],
    )
    for name in related:
        field: Any = model._meta.get_field(name)
        target = data.get(name)
        value = _row_from_json(field.related_model, target) if target else None
        field.set_cached_value(row, value)
    return row


def _rows_prefetched(instance: Model, relation: str, rows: Sequence[Model]) -> None:
    """Make `instance.<relation>.all()` answer `rows` without a query, as prefetch_related does."""
    queryset = getattr(instance, relation).all()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    cache = getattr(instance, "_prefetched_objects_cache", None)
    if cache is None:
        cache = instance._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    cache[relation] = queryset


def _case_with_history(cases: QuerySet[Case], case_id: int) -> Case:
    """The case `case_id` among `cases` with everything its page and its summary show, in one
    query: the case, child, household and workers joined, and each list of rows (household
    members, consents, who it is shared with, assessments, services, follow-ups, verifications,
    notes) as a JSON array of its own. NotFoundError when it is not among `cases`."""
    user_model = get_user_model()
    arrays = {
        # _history_sql() is built from model metadata only (no request data, no parameters).
        f"history_{name}": RawSQL(  # noqa: S611
            sql, [], output_field=ArrayField(JSONField(decoder=_ExactNumbersDecoder))
        )
        for name, sql in _history_sql().items()
    }
    case = (
        cases.filter(pk=case_id)
        .select_related(
            "child", "child__household", "assigned_worker", "closed_by", "closure_requested_by"
        )
        .annotate(**arrays)
        .first()
    )
    if case is None:
        raise NotFoundError(_("Case not found."))
    history: Any = case
    _rows_prefetched(
        case,
        "shared_with",
        [_row_from_json(user_model, row["user"]) for row in history.history_shared_with],
    )
    child = case.child
    if child.household is not None:
        members = [_row_from_json(HouseholdMember, row) for row in history.history_members]
        for member in members:
            HouseholdMember.household.field.set_cached_value(member, child.household)
        _rows_prefetched(child.household, "members", members)
    consents = [_row_from_json(Consent, row) for row in history.history_consents]
    for consent in consents:
        Consent.child.field.set_cached_value(consent, child)
    _rows_prefetched(child, "consents", consents)
    for relation, model, related in _HISTORY:
        rows = [
            _row_from_json(model, row, related) for row in getattr(history, f"history_{relation}")
        ]
        case_field = model._meta.get_field("case")
        for row in rows:
            case_field.set_cached_value(row, case)  # type: ignore[union-attr]
        _rows_prefetched(case, relation, rows)
        delattr(case, f"history_{relation}")
    for name in ("history_shared_with", "history_members", "history_consents"):
        delattr(case, name)
    return case


def case_summary(*, actor: User, case_id: int) -> tuple[Case, bool]:
    """A case for its printable summary, and whether the summary may show who the child is:
    in full for roles that see identity (audited as a view of the record, like the case page);
    masked (reference, statuses, dates, scores; no names, notes or other free text) for the
    M&E officer, who sees every case but never a child's identity."""
    if can(actor, Capability.VIEW_IDENTITY):
        return case_detail(actor=actor, case_id=case_id), True
    require(actor, Capability.VIEW_ALL_CASES)
    case = _case_with_history(cases_visible_to(actor), case_id)
    case.child_label = None  # type: ignore[attr-defined]
    case.identity_visible = False  # type: ignore[attr-defined]
    audit_record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type="case",
        object_id=case.pk,
        case_id=case.pk,
        details={"view": "summary", "identity": False},
    )
    return case, False


def case_timeline_entries(*, case_id: int) -> list[Any]:
    """Timeline entries other apps contribute to a case (e.g. each step of its referrals),
    through the providers named in settings.CASE_TIMELINE_PROVIDERS; the caller has already
    checked that the reader may see the case."""
    entries: list[Any] = []
    for path in settings.CASE_TIMELINE_PROVIDERS:
        entries.extend(import_string(path)(case_id=case_id))
    return entries


def case_for_form(*, actor: User, case_id: int) -> Case:
    """The case a form page is about: the actor must be able to edit cases (the form's header
    names the child, so identity too)."""
    case = case_detail(actor=actor, case_id=case_id, audit_view=False)
    require(actor, Capability.EDIT_CASES)
    return case


def case_plan(*, actor: User, case_id: int) -> CasePlan:
    """The case's plan with goals and planned services."""
    # The capability first: a role that never sees identity gets the same answer for every
    # case id, existing or not (no existence oracle).
    require(actor, Capability.VIEW_IDENTITY)
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
    # The capability first: a role that never sees identity gets the same answer for every
    # case id, existing or not (no existence oracle).
    require(actor, Capability.VIEW_IDENTITY)
    case = case_for_actor(actor, case_id)
    return model._default_manager.filter(case=case)


def child_list(*, actor: User, search: str | None = None) -> QuerySet[Child]:
    """Children with at least one case the actor may see (roles that see identity); a name
    search is audited (the listing itself is audited where rows are shown:
    `casework.audit.audit_listed`)."""
    require(actor, Capability.VIEW_IDENTITY)
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
    """Consents of children the actor may see (roles that see identity)."""
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
    exclude_child_id: int | None = None,
) -> list[tuple[Child | None, list[str]]]:
    """Likely matches for a new registration in this NGO, with the reasons they match; None in
    place of a child the actor may not see.

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
    if exclude_child_id is not None:  # a correction: the child is not its own duplicate
        candidates = candidates.exclude(pk=exclude_child_id)
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
    results = results[:limit]
    # A match in a case the actor cannot see shows only its reasons: that a likely duplicate
    # exists, never who or where the child is.
    visible = children_visible_among(actor=actor, child_ids=[child.pk for child, _ in results])
    return [(child if child.pk in visible else None, reasons) for child, reasons in results]


def audit_events(
    *,
    actor: User,
    actor_username: str | None = None,
    actor_search: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    case_id: int | None = None,
    case_reference: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events for admins, filtered: `actor_username` is one account exactly,
    `actor_search` any part of a username (either case); the object type ignores case;
    `case_reference` is a case's reference as people write it ("2026-00053", either case) or
    its number; one that names no case matches nothing."""
    require(actor, Capability.VIEW_AUDIT)
    queryset = AuditEvent.objects.all()
    if actor_username:
        queryset = queryset.filter(actor_username=actor_username)
    if actor_search:
        queryset = queryset.filter(actor_username__icontains=actor_search.strip())
    if action:
        queryset = queryset.filter(action=action)
    if object_type:
        queryset = queryset.filter(object_type__iexact=object_type.strip())
    if case_id:
        queryset = queryset.filter(case_id=case_id)
    if case_reference and case_reference.strip():
        wanted = case_reference.strip()
        ids = list(Case.objects.filter(reference__iexact=wanted).values_list("pk", flat=True))
        if not ids and wanted.isdigit() and len(wanted) < 19:
            ids = [int(wanted)]
        queryset = queryset.filter(case_id__in=ids)
    if since:
        queryset = queryset.filter(at__date__gte=since)
    if until:
        queryset = queryset.filter(at__date__lte=until)
    return queryset


def dashboard(*, actor: User) -> dict[str, Any]:
    """What the home page shows: my open cases, overdue follow-ups, notifications, and the
    approval queues for those who approve. Children appear as `child_label` only."""
    today = clock.today()
    cases = cases_visible_to(actor)
    overdue_followups = with_identity(
        actor,
        FollowUp.objects.filter(case__in=cases, completed_on__isnull=True, due_on__lt=today)
        .select_related("case", "assigned_worker")
        .order_by("due_on"),
        "case__",
    )
    if not can(actor, Capability.VIEW_ALL_CASES):
        overdue_followups = overdue_followups.filter(assigned_worker=actor)
    return {
        "cases": with_identity(actor, cases).order_by("-id"),
        "my_open_cases": with_identity(
            actor, cases.exclude(status=Case.Status.CLOSED).filter(assigned_worker=actor)
        ).order_by("-id"),
        "overdue_followups": overdue_followups,
        "notifications": Notification.objects.filter(user=actor, read_at__isnull=True),
        "queues": approval_queues(actor=actor) if can(actor, Capability.APPROVE) else None,
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
        "assessments": with_identity(
            actor,
            Assessment.objects.filter(case__in=cases, status=Assessment.Status.SUBMITTED)
            .select_related("case", "assessor")
            .order_by("created_at"),
            "case__",
        ),
        "plans": with_identity(
            actor,
            CasePlan.objects.filter(case__in=cases, status=CasePlan.Status.SUBMITTED)
            .select_related("case")
            .order_by("updated_at"),
            "case__",
        ),
        "closures": with_identity(
            actor,
            cases.filter(status=Case.Status.CLOSURE_REQUESTED)
            .select_related("closure_requested_by")
            .order_by("updated_at"),
        ),
    }


def case_export(*, actor: User, filters: dict[str, Any]) -> QuerySet[Case]:
    """The cases an export may contain (export capability), oldest first; the export itself is
    audited by the caller once it knows the row count (`case_export_record`)."""
    require(actor, Capability.EXPORT)
    return case_list(actor=actor, **filters).order_by("id")


def case_export_record(*, actor: User, rows: int, filters: dict[str, Any]) -> None:
    """Record an export with its row count and filters (exports are reads of many records)."""
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="case",
        object_id="*",
        details={"rows": rows, "filters": filters},
    )


def worker_choices(
    *, actor: User, case: Case | None = None, assigning: bool = True
) -> list[tuple[int, str]]:
    """The workers a picker offers: staff who can hold cases (`access.case_holders`, the list
    the services check assignments against). When `assigning` and the actor may not give work
    to others, only the actor and the case's own worker."""
    holders = case_holders()
    if assigning and not can(actor, Capability.ASSIGN_CASES):
        own = Q(pk=actor.pk)
        if case is not None and case.assigned_worker_id:
            own |= Q(pk=case.assigned_worker_id)
        holders = holders.filter(own)
    return [(user.pk, user.get_full_name() or user.username) for user in holders]


def staff_list(*, actor: User) -> list[tuple[User, str]]:
    """Every account of the NGO with its role ("" for none), for admins."""
    require(actor, Capability.MANAGE_STAFF)
    users = get_user_model().objects.select_related("staff_profile").order_by("username")
    return [(user, role_of(user) or "") for user in users]


def staff_profiles(*, actor: User) -> list[StaffProfile]:
    """Every account as a staff profile (an unsaved one for accounts without), for admins."""
    profiles = []
    for user, role in staff_list(actor=actor):
        profile = getattr(user, "staff_profile", None) or StaffProfile(
            user=user, role=role, phone=""
        )
        profiles.append(profile)
    return profiles


def ngo_settings_for_editing(*, actor: User) -> NGOSettings | None:
    """The settings row, for those who may change it."""
    require(actor, Capability.MANAGE_SETTINGS)
    return ngo_settings_get()


def registration_open(*, actor: User) -> None:
    """Raise unless `actor` may register children (the wizard's steps before anything is read
    or written)."""
    require(actor, Capability.EDIT_CASES)


def attachment_list(*, actor: User, case_id: int) -> QuerySet[Attachment]:
    """Files of a visible case's child (roles that see identity)."""
    # The capability first: a role that never sees identity gets the same answer for every
    # case id, existing or not (no existence oracle).
    require(actor, Capability.VIEW_IDENTITY)
    case = case_for_actor(actor, case_id)
    return Attachment.objects.filter(child_id=case.child_id)


def attachment_for_download(*, actor: User, attachment_uuid: UUID | str) -> Attachment:
    """A file of a child the actor may see (audited as a view); NotFoundError otherwise."""
    require(actor, Capability.VIEW_IDENTITY)
    attachment = Attachment.objects.filter(uuid=attachment_uuid).first()
    if attachment is None or not child_list(actor=actor).filter(pk=attachment.child_id).exists():
        raise NotFoundError(_("File not found."))
    audit_record(
        actor=actor, action=AuditAction.VIEW, instance=attachment, case_id=attachment.case_id
    )
    return attachment


# --- Assessments, plans and a worker's tasks -------------------------------------------------


def assessment_detail(*, actor: User, case_id: int, assessment_id: int) -> Assessment:
    """One assessment of a visible case with its assessor and reviewer (roles that see
    identity); reading it is audited like the case's record."""
    # The capability first: a role that never sees identity gets the same answer for every
    # case id, existing or not (no existence oracle).
    require(actor, Capability.VIEW_IDENTITY)
    case = case_for_actor(actor, case_id)
    assessment = (
        Assessment.objects.select_related("case", "case__child", "assessor", "reviewed_by")
        .filter(pk=assessment_id, case=case)
        .first()
    )
    if assessment is None:
        raise NotFoundError(_("Assessment not found."))
    audit_record(actor=actor, action=AuditAction.VIEW, instance=assessment, case_id=case.pk)
    return assessment


class RiskSuggestion(TypedDict):
    age: int
    status_bps: str
    status_ilo: str
    standard: str
    suggested: str
    reasons: list[str]


def assessment_suggestion(*, actor: User, case_id: int, values: dict[str, Any]) -> RiskSuggestion:
    """What the assessment form shows next to the risk field while it is filled in: the
    child's age on the assessment day, the child-labour status under both standards and the
    suggested risk with the answers that decided it (the rules the service applies on save)."""
    from casework.rules import age_on, assessment_statuses, suggest_risk_explained

    require(actor, Capability.EDIT_CASES)  # first: the same answer for any case id
    case = case_for_actor(actor, case_id)
    child = case.child
    day = values.get("assessed_on") or clock.today()
    age = age_on(day, date_of_birth=child.date_of_birth, birth_year=child.birth_year)
    works = bool(values.get("works"))
    statuses = assessment_statuses(
        age=age,
        works=works,
        hours_per_week=values.get("hours_per_week") or 0,
        hazards=values.get("hazards") or [],
        night_work=bool(values.get("night_work")),
        worst_forms=values.get("worst_forms") or [],
    )
    settings_row = ngo_settings_get()
    standard = settings_row.classification_standard if settings_row else "bps"
    scores = {
        name.removeprefix("score_"): int(values.get(name) or 3) for name in Assessment.SCORE_FIELDS
    }
    suggested, reasons = suggest_risk_explained(
        status=statuses[standard], night_work=bool(values.get("night_work")), scores=scores
    )
    return {
        "age": age,
        "status_bps": statuses["bps"],
        "status_ilo": statuses["ilo"],
        "standard": standard,
        "suggested": suggested,
        "reasons": reasons,
    }


def child_age(*, actor: User, case_id: int) -> int:
    """The case's child's age today (completed years; from the birth year when the date of
    birth is not known)."""
    from casework.rules import age_on

    # The capability first: a role that never sees identity gets the same answer for every
    # case id, existing or not (no existence oracle).
    require(actor, Capability.VIEW_IDENTITY)
    case = case_for_actor(actor, case_id)
    child = case.child
    return age_on(clock.today(), date_of_birth=child.date_of_birth, birth_year=child.birth_year)


def plan_with_progress(*, actor: User, case_id: int) -> CasePlan | None:
    """The case's plan (None without one), each goal with its planned services and the
    services delivered towards it, for the progress the case page shows."""
    # The capability first: a role that never sees identity gets the same answer for every
    # case id, existing or not (no existence oracle).
    require(actor, Capability.VIEW_IDENTITY)
    case = case_for_actor(actor, case_id)
    return (
        CasePlan.objects.filter(case=case)
        .prefetch_related(
            Prefetch(
                "goals",
                queryset=PlanGoal.objects.prefetch_related(
                    "services__responsible_worker",
                    Prefetch(
                        "interventions",
                        queryset=Intervention.objects.order_by("delivered_on", "id"),
                    ),
                ),
            )
        )
        .first()
    )


def plan_goal_choices(*, actor: User, case_id: int) -> list[tuple[int, str]]:
    """The goals a delivered service may be linked to: the case's plan's goals."""
    # The capability first: a role that never sees identity gets the same answer for every
    # case id, existing or not (no existence oracle).
    require(actor, Capability.VIEW_IDENTITY)
    case = case_for_actor(actor, case_id)
    return [
        (goal.pk, goal.description[:80])
        for goal in PlanGoal.objects.filter(plan__case=case).order_by("target_date", "id")
    ]


class WorkerTasks(TypedDict):
    week_end: date
    due_this_week: list[FollowUp]
    overdue: list[FollowUp]
    returned_assessments: list[Assessment]
    returned_plans: list[CasePlan]


def worker_tasks(*, actor: User) -> WorkerTasks:
    """A worker's list for the days ahead, across all the cases they may see: their visits and
    verifications due in the next seven days, the ones overdue, and the assessments and plans a
    supervisor returned to them. Children appear as `child_label` only."""
    from datetime import timedelta

    require(actor, Capability.EDIT_CASES)
    today = clock.today()
    week_end = today + timedelta(days=6)
    cases = cases_visible_to(actor).exclude(status=Case.Status.CLOSED)
    followups = with_identity(
        actor,
        FollowUp.objects.filter(case__in=cases, assigned_worker=actor, completed_on__isnull=True)
        .select_related("case")
        .order_by("due_on", "id"),
        "case__",
    )
    returned_assessments = with_identity(
        actor,
        Assessment.objects.filter(case__in=cases, status=Assessment.Status.RETURNED)
        .filter(Q(assessor=actor) | Q(case__assigned_worker=actor))
        .select_related("case", "reviewed_by")
        .order_by("reviewed_at", "id"),
        "case__",
    )
    returned_plans = with_identity(
        actor,
        CasePlan.objects.filter(
            case__in=cases, case__assigned_worker=actor, status=CasePlan.Status.REVISION_NEEDED
        )
        .select_related("case")
        .order_by("updated_at", "id"),
        "case__",
    )
    return {
        "week_end": week_end,
        "due_this_week": list(followups.filter(due_on__gte=today, due_on__lte=week_end)),
        "overdue": list(followups.filter(due_on__lt=today)),
        "returned_assessments": list(returned_assessments),
        "returned_plans": list(returned_plans),
    }


def case_for_assigning(*, actor: User, case_id: int) -> Case:
    """The case an assignment page is about (assigning capability), with who it is shared
    with loaded."""
    case = case_for_form(actor=actor, case_id=case_id)
    require(actor, Capability.ASSIGN_CASES)
    return case


def consent_of_case(*, actor: User, case_id: int, consent_id: int) -> Consent:
    """A consent of the case's child (roles that may edit the case)."""
    case = case_for_form(actor=actor, case_id=case_id)
    consent = Consent.objects.filter(pk=consent_id, child_id=case.child_id).first()
    if consent is None:
        raise NotFoundError(_("Consent not found."))
    return consent
