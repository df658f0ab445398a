"""The bulk path: load many existing cases at once (an NGO moving its register from
spreadsheets), with PostgreSQL COPY instead of one INSERT per row.

Ids are reserved from the tables' sequences first, so every row (household, child, case,
assessment, service, follow-up, audit event) is written in one COPY per table inside one
transaction: all rows or none. Rows are validated before anything is written; an invalid row
is reported with its index and field.
"""

from __future__ import annotations

import json
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
from casework.rules import age_on, assessment_statuses, suggest_risk
from casework.services import NIK_RE, ngo_settings, normalize_name
from core.errors import ApplicationError


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


def _copy(model, rows: list[dict]) -> None:
    """COPY `rows` (dicts keyed by column, all with the same keys) into `model`'s table."""
    if not rows:
        return
    columns = list(rows[0])
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(name) for name in columns)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])


SCORE_DOMAINS = ("education", "health", "psychosocial", "safety", "family_economy")


def _assessment_row(row: BulkCase, case_id: int, actor, standard: str, now) -> dict:
    """An approved assessment with its derived statuses and suggested risk, as a table row."""
    data: dict = row.assessment  # type: ignore[assignment]  # called only when it is set
    assessed_on = data.get("assessed_on", row.opened_on)
    age = age_on(assessed_on, date_of_birth=None, birth_year=row.birth_year)
    hours = data.get("hours_per_week", 0)
    hazards = data.get("hazards", [])
    worst = data.get("worst_forms", [])
    night = data.get("night_work", False)
    statuses = assessment_statuses(
        age=age,
        works=hours > 0,
        hours_per_week=hours,
        hazards=hazards,
        night_work=night,
        worst_forms=worst,
    )
    scores = {f"score_{key}": data.get(f"score_{key}", 3) for key in SCORE_DOMAINS}
    suggested = suggest_risk(
        status=statuses[standard],
        night_work=night,
        scores={key: scores[f"score_{key}"] for key in SCORE_DOMAINS},
    )
    return {
        "case_id": case_id,
        "assessed_on": assessed_on,
        "assessor_id": actor.pk,
        "age_at_assessment": age,
        "works": hours > 0,
        "sector": data.get("sector", ""),
        "tasks": "",
        "employer_type": data.get("employer_type", "informal"),
        "hours_per_week": hours,
        "night_work": night,
        "monthly_wage": None,
        "hazards": hazards,
        "worst_forms": worst,
        **dict.fromkeys(
            (
                "schooling_notes",
                "health_notes",
                "psychosocial_notes",
                "family_economy_notes",
                "safety_notes",
            ),
            "",
        ),
        **scores,
        "risk_level": data.get("risk_level", suggested),
        "suggested_risk_level": suggested,
        "status_bps": statuses["bps"],
        "status_ilo": statuses["ilo"],
        "status": Assessment.Status.APPROVED,
        "reviewed_by_id": None,
        "reviewed_at": None,
        "review_comment": "",
        "created_at": now,
    }


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
    assessments: list[dict] = []
    interventions: list[dict] = []
    followups: list[dict] = []
    for index, row in enumerate(rows):
        case_id = case_ids[index]
        worker_id = row.assigned_worker_id or actor.pk
        regency = regions.normalize_regency_code(row.regency_code) if row.regency_code else ""
        households.append(
            {
                "id": household_ids[index],
                "guardian_name": row.guardian_name,
                "guardian_relationship": row.guardian_relationship,
                "guardian_phone": "",
                "head_of_household": "",
                "member_count": 1,
                "income_source": "",
                "monthly_income_band": Household.IncomeBand.UNKNOWN,
                "province_code": row.province_code,
                "regency_code": regency,
                "district": "",
                "village": row.village,
                "address_line": "",
                "created_at": now,
            }
        )
        nik = row.nik.strip()
        children.append(
            {
                "id": child_ids[index],
                "uuid": uuid.uuid4(),
                "full_name": row.full_name.strip(),
                "known_as": row.known_as,
                "normalized_name": normalize_name(row.full_name),
                "sex": row.sex,
                "date_of_birth": None,
                "birth_year": row.birth_year,
                "birth_year_estimated": False,
                "nik_encrypted": crypto.encrypt(nik) if nik else "",
                "nik_hash": crypto.lookup_hash(nik) if nik else "",
                "nik_last4": nik[-4:],
                "household_id": household_ids[index],
                "school_status": row.school_status,
                "last_grade": None,
                "photo_id": None,
                "created_by_id": actor.pk,
                "created_at": now,
                "updated_at": now,
            }
        )
        risk = ""
        labour_status = ""
        if row.assessment:
            assessment = _assessment_row(row, case_id, actor, standard, now)
            assessments.append(assessment)
            risk = assessment["risk_level"]
            labour_status = assessment[f"status_{standard}"]
        interventions.extend(
            {
                "case_id": case_id,
                "delivered_on": item["delivered_on"],
                "type": item["type"],
                "provider": item.get("provider", ""),
                "notes": "",
                "outcome": "",
                "recorded_by_id": actor.pk,
                "created_at": now,
            }
            for item in row.interventions
        )
        today = timezone.localdate()
        open_due = [item["due_on"] for item in row.followups if not item.get("completed_on")]
        followups.extend(
            {
                "case_id": case_id,
                "kind": item.get("kind", FollowUp.Kind.VISIT),
                "due_on": item["due_on"],
                "assigned_worker_id": worker_id,
                "purpose": "",
                "completed_on": item.get("completed_on"),
                "notes": "",
                "is_overdue": not item.get("completed_on") and item["due_on"] < today,
                "overdue_notified_at": None,
                "created_at": now,
            }
            for item in row.followups
        )
        closed = row.status == Case.Status.CLOSED
        cases.append(
            {
                "id": case_id,
                "uuid": uuid.uuid4(),
                "reference": f"{reference_prefix}-{case_id}",
                "child_id": child_ids[index],
                "case_type": row.case_type,
                "status": row.status,
                "status_before_closure": "",
                "assigned_worker_id": worker_id,
                "risk_level": risk,
                "child_labour_status": labour_status,
                "province_code": row.province_code,
                "regency_code": regency,
                "next_due_on": min(open_due) if open_due else None,
                "has_overdue": bool(open_due) and min(open_due) < today,
                "opened_on": row.opened_on,
                "closure_reason": Case.ClosureReason.OTHER if closed else "",
                "closure_outcome": "",
                "closure_requested_by_id": None,
                "closed_on": row.opened_on if closed else None,
                "closed_by_id": actor.pk if closed else None,
                "created_at": now,
                "updated_at": now,
            }
        )
        audits.append(
            {
                "actor_id": actor.pk,
                "actor_username": actor.username,
                "action": AuditEvent.Action.CREATE,
                "object_type": "case",
                "object_id": str(case_id),
                "case_id": case_id,
                # The one shape (core/audit.py): the import is a fact, not a field change.
                "changed_fields": json.dumps(
                    {
                        "reference": [None, f"{reference_prefix}-{case_id}"],
                        "status": [None, row.status],
                    }
                ),
                "details": '{"via": "bulk_load"}',
                "ip_address": None,
                "at": now,
            }
        )

    for model, model_rows in (
        (Household, households),
        (Child, children),
        (Case, cases),
        (Assessment, assessments),
        (Intervention, interventions),
        (FollowUp, followups),
        (AuditEvent, audits),
    ):
        _copy(model, model_rows)
    return count
