"""The bulk path: load many existing cases at once (an NGO moving its register from
spreadsheets), with PostgreSQL COPY instead of one INSERT per row.

Ids are reserved from the tables' sequences first, so every row (household, child, case,
assessment, service, follow-up, audit event) is written in one COPY per table inside one
transaction: all rows or none. Rows are validated before anything is written; an invalid row
is reported with its index and field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import crypto, regions
from casework.access import Capability, require
from casework.models import (
    Assessment,
    AuditEvent,
    Case,
    Child,
    FollowUp,
    Household,
    Intervention,
)
from casework.rules import age_on, child_labour_status, suggest_risk
from casework.services import NIK_RE, ngo_settings, normalize_name
from ngo_platform.errors import ApplicationError


@dataclass
class BulkCase:
    """One case to load, with its child, household and history."""

    full_name: str
    sex: str
    birth_year: int
    school_status: str
    guardian_name: str
    guardian_relationship: str
    opened_on: date
    status: str = Case.Status.REGISTERED
    case_type: str = Case.Type.CHILD_LABOUR
    known_as: str = ""
    nik: str = ""
    province_code: str = ""
    regency_code: str = ""
    village: str = ""
    assigned_worker_id: int | None = None
    assessment: dict | None = None
    interventions: list[dict] = field(default_factory=list)
    followups: list[dict] = field(default_factory=list)


# Enum `.values` is rebuilt on every access: look them up once.
SEXES = frozenset(Child.Sex.values)
SCHOOL_STATUSES = frozenset(Child.SchoolStatus.values)
STATUSES = frozenset(Case.Status.values)
TYPES = frozenset(Case.Type.values)


def _validate(index: int, row: BulkCase) -> None:
    def fail(name: str, message: str):
        raise ApplicationError(
            _("Row %(index)s: %(message)s") % {"index": index, "message": message},
            fields={f"rows[{index}].{name}": [message]},
        )

    if not row.full_name.strip():
        fail("full_name", _("This field is required."))
    if row.sex not in SEXES:
        fail("sex", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Child.Sex.values)})
    if row.school_status not in SCHOOL_STATUSES:
        fail(
            "school_status",
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Child.SchoolStatus.values)},
        )
    if row.status not in STATUSES:
        fail(
            "status", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Case.Status.values)}
        )
    if row.case_type not in TYPES:
        fail(
            "case_type", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Case.Type.values)}
        )
    if row.nik and not NIK_RE.match(row.nik):
        fail("nik", _("A NIK has exactly 16 digits."))
    if row.province_code or row.regency_code:
        try:
            regions.validate_region(row.province_code or None, row.regency_code or None)
        except ValueError as error:
            fail("regency_code", str(error))


def _reserve_ids(model, count: int) -> list[int]:
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(model, columns: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(name) for name in columns)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


@transaction.atomic
def cases_bulk_load(*, actor, rows: list[BulkCase], reference_prefix: str = "IMP") -> int:
    """Load `rows` as cases (with children, households, assessments, services and follow-ups);
    returns how many cases were created. One audit event per case records the import."""
    require(actor, Capability.EDIT_CASES)
    for index, row in enumerate(rows):
        _validate(index, row)
    count = len(rows)
    now = timezone.now()
    standard = ngo_settings().classification_standard
    household_ids = _reserve_ids(Household, count)
    child_ids = _reserve_ids(Child, count)
    case_ids = _reserve_ids(Case, count)
    households, children, cases, audits = [], [], [], []
    assessments, interventions, followups = [], [], []
    for index, row in enumerate(rows):
        regency = regions.normalize_regency_code(row.regency_code) if row.regency_code else ""
        households.append(
            (
                household_ids[index],
                row.guardian_name,
                row.guardian_relationship,
                "",
                "",
                1,
                "",
                Household.IncomeBand.UNKNOWN,
                row.province_code,
                regency,
                "",
                row.village,
                "",
                now,
            )
        )
        nik = row.nik.strip()
        children.append(
            (
                child_ids[index],
                uuid.uuid4(),
                row.full_name.strip(),
                row.known_as,
                normalize_name(row.full_name),
                row.sex,
                None,
                row.birth_year,
                False,
                crypto.encrypt(nik) if nik else "",
                crypto.lookup_hash(nik) if nik else "",
                nik[-4:],
                household_ids[index],
                row.school_status,
                None,
                None,
                actor.pk,
                now,
                now,
            )
        )
        risk = ""
        labour_status = ""
        if row.assessment:
            data = row.assessment
            assessed_on = data.get("assessed_on", row.opened_on)
            age = age_on(assessed_on, date_of_birth=None, birth_year=row.birth_year)
            hours = data.get("hours_per_week", 0)
            hazards = data.get("hazards", [])
            worst = data.get("worst_forms", [])
            night = data.get("night_work", False)
            statuses = {
                name: child_labour_status(
                    age=age,
                    hours_per_week=hours,
                    hazardous=bool(hazards) or night,
                    worst_form=bool(worst),
                    standard=name,
                )
                for name in ("bps", "ilo")
            }
            scores = {
                key: data.get(f"score_{key}", 3)
                for key in ("education", "health", "psychosocial", "safety", "family_economy")
            }
            suggested = suggest_risk(status=statuses[standard], night_work=night, scores=scores)
            risk = data.get("risk_level", suggested)
            labour_status = statuses[standard]
            assessments.append(
                (
                    case_ids[index],
                    assessed_on,
                    actor.pk,
                    age,
                    hours > 0,
                    data.get("sector", ""),
                    "",
                    data.get("employer_type", "informal"),
                    hours,
                    night,
                    None,
                    hazards,
                    worst,
                    "",
                    "",
                    "",
                    "",
                    "",
                    scores["education"],
                    scores["health"],
                    scores["psychosocial"],
                    scores["safety"],
                    scores["family_economy"],
                    risk,
                    suggested,
                    statuses["bps"],
                    statuses["ilo"],
                    Assessment.Status.APPROVED,
                    None,
                    None,
                    "",
                    now,
                )
            )
        for item in row.interventions:
            interventions.append(
                (
                    case_ids[index],
                    item["delivered_on"],
                    item["type"],
                    item.get("provider", ""),
                    "",
                    "",
                    actor.pk,
                    now,
                )
            )
        next_due = None
        has_overdue = False
        for item in row.followups:
            due = item["due_on"]
            done = item.get("completed_on")
            overdue = done is None and due < timezone.localdate()
            followups.append(
                (
                    case_ids[index],
                    item.get("kind", FollowUp.Kind.VISIT),
                    due,
                    row.assigned_worker_id or actor.pk,
                    "",
                    done,
                    "",
                    overdue,
                    None,
                    now,
                )
            )
            if done is None and (next_due is None or due < next_due):
                next_due = due
            has_overdue = has_overdue or overdue
        closed = row.status == Case.Status.CLOSED
        cases.append(
            (
                case_ids[index],
                uuid.uuid4(),
                f"{reference_prefix}-{case_ids[index]}",
                child_ids[index],
                row.case_type,
                row.status,
                "",
                row.assigned_worker_id or actor.pk,
                risk,
                labour_status,
                row.province_code,
                regency,
                next_due,
                has_overdue,
                row.opened_on,
                Case.ClosureReason.OTHER if closed else "",
                "",
                None,
                row.opened_on if closed else None,
                actor.pk if closed else None,
                now,
                now,
            )
        )
        audits.append(
            (
                actor.pk,
                actor.username,
                AuditEvent.Action.CREATE,
                "case",
                str(case_ids[index]),
                case_ids[index],
                '{"source": "bulk_load"}',
                None,
                now,
            )
        )

    _copy(
        Household,
        [
            "id",
            "guardian_name",
            "guardian_relationship",
            "guardian_phone",
            "head_of_household",
            "member_count",
            "income_source",
            "monthly_income_band",
            "province_code",
            "regency_code",
            "district",
            "village",
            "address_line",
            "created_at",
        ],
        households,
    )
    _copy(
        Child,
        [
            "id",
            "uuid",
            "full_name",
            "known_as",
            "normalized_name",
            "sex",
            "date_of_birth",
            "birth_year",
            "birth_year_estimated",
            "nik_encrypted",
            "nik_hash",
            "nik_last4",
            "household_id",
            "school_status",
            "last_grade",
            "photo_id",
            "created_by_id",
            "created_at",
            "updated_at",
        ],
        children,
    )
    _copy(
        Case,
        [
            "id",
            "uuid",
            "reference",
            "child_id",
            "case_type",
            "status",
            "status_before_closure",
            "assigned_worker_id",
            "risk_level",
            "child_labour_status",
            "province_code",
            "regency_code",
            "next_due_on",
            "has_overdue",
            "opened_on",
            "closure_reason",
            "closure_outcome",
            "closure_requested_by_id",
            "closed_on",
            "closed_by_id",
            "created_at",
            "updated_at",
        ],
        cases,
    )
    _copy(
        Assessment,
        [
            "case_id",
            "assessed_on",
            "assessor_id",
            "age_at_assessment",
            "works",
            "sector",
            "tasks",
            "employer_type",
            "hours_per_week",
            "night_work",
            "monthly_wage",
            "hazards",
            "worst_forms",
            "schooling_notes",
            "health_notes",
            "psychosocial_notes",
            "family_economy_notes",
            "safety_notes",
            "score_education",
            "score_health",
            "score_psychosocial",
            "score_safety",
            "score_family_economy",
            "risk_level",
            "suggested_risk_level",
            "status_bps",
            "status_ilo",
            "status",
            "reviewed_by_id",
            "reviewed_at",
            "review_comment",
            "created_at",
        ],
        assessments,
    )
    _copy(
        Intervention,
        [
            "case_id",
            "delivered_on",
            "type",
            "provider",
            "notes",
            "outcome",
            "recorded_by_id",
            "created_at",
        ],
        interventions,
    )
    _copy(
        FollowUp,
        [
            "case_id",
            "kind",
            "due_on",
            "assigned_worker_id",
            "purpose",
            "completed_on",
            "notes",
            "is_overdue",
            "overdue_notified_at",
            "created_at",
        ],
        followups,
    )
    _copy(
        AuditEvent,
        [
            "actor_id",
            "actor_username",
            "action",
            "object_type",
            "object_id",
            "case_id",
            "changed_fields",
            "ip_address",
            "at",
        ],
        audits,
    )
    return count
