"""Registering a child (with household, consent and a first case) and editing the child."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from casework import crypto, regions, validation
from casework.access import (
    Capability,
    case_for_editing,
    require,
)
from casework.audit import audit_created, audit_record
from casework.models import (
    Case,
    Child,
    Household,
)
from casework.services._common import (
    _case_worker_or_error,
    _full_clean,
    _invalid,
    record_version,
    version_check,
)
from casework.services.consents import ConsentInput, consent_record
from casework.services.states import Status, _ensure_open
from core import clock
from core.audit import AuditAction, changes, snapshot
from core.errors import ApplicationError


def normalize_name(name: str) -> str:
    """Lowercase, accents and punctuation removed, spaces collapsed: for duplicate checks."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Apostrophes join a name ("Ma'ruf" is "Maruf"); other punctuation separates words.
    joined = re.sub(r"['`\u2019\u02bc]", "", ascii_only.lower())
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", joined).split())


@dataclass
class ChildInput:
    full_name: str
    sex: str
    school_status: str
    known_as: str = ""
    date_of_birth: date | None = None
    birth_year: int | None = None
    birth_year_estimated: bool = False
    nik: str = ""
    last_grade: int | None = None


@dataclass
class HouseholdInput:
    guardian_name: str
    guardian_relationship: str
    guardian_phone: str = ""
    head_of_household: str = ""
    member_count: int = 1
    income_source: str = ""
    monthly_income_band: str = Household.IncomeBand.UNKNOWN
    province_code: str = ""
    regency_code: str = ""
    district: str = ""
    village: str = ""
    address_line: str = ""
    members: list[dict[str, Any]] = field(default_factory=list)
    # A household known by its address only (a child received on referral under an agreement
    # that shares the village but not the guardian): the guardian is named at first contact.
    guardian_unknown: bool = False


def _nik_apply(child: Child, nik: str) -> None:
    nik = (nik or "").strip()
    if not nik:
        child.nik_encrypted = child.nik_hash = child.nik_last4 = ""
        return
    validation.check(validation.CHILD, {"nik": nik})
    child.nik_encrypted = crypto.encrypt(nik)
    child.nik_hash = crypto.lookup_hash(nik)
    child.nik_last4 = nik[-4:]


def _birth_fields(data: ChildInput) -> tuple[date | None, int, bool]:
    missing = validation.birth_known(data.date_of_birth, data.birth_year)
    if missing:
        raise ApplicationError(
            _("Give the date of birth or a (possibly estimated) birth year."),
            fields={"birth_year": [missing]},
        )
    if data.date_of_birth is not None:
        validation.check(validation.CHILD, {"date_of_birth": data.date_of_birth})
        return data.date_of_birth, data.date_of_birth.year, False
    validation.check(validation.CHILD, {"birth_year": data.birth_year})
    # birth_known() above: without a date of birth there is a birth year.
    return None, data.birth_year, data.birth_year_estimated  # type: ignore[return-value]


def _household_build(data: HouseholdInput) -> Household:
    validation.check(validation.HOUSEHOLD, {"guardian_phone": data.guardian_phone})
    if data.province_code or data.regency_code:
        try:
            regions.validate_region(data.province_code or None, None)
        except ValueError as error:
            raise _invalid("province_code", str(error)) from None
        try:
            regions.validate_region(data.province_code, data.regency_code or None)
        except ValueError as error:
            raise _invalid("regency_code", str(error)) from None
    household = Household(
        guardian_name=data.guardian_name.strip(),
        guardian_relationship=data.guardian_relationship.strip(),
        guardian_phone=data.guardian_phone,
        head_of_household=data.head_of_household,
        member_count=data.member_count,
        income_source=data.income_source,
        monthly_income_band=data.monthly_income_band,
        province_code=data.province_code or "",
        regency_code=regions.normalize_regency_code(data.regency_code) if data.regency_code else "",
        district=data.district,
        village=data.village,
        address_line=data.address_line,
    )
    if data.guardian_unknown:
        if household.guardian_name or household.guardian_relationship:
            raise _invalid("guardian_name", _("An unknown guardian has no name."))
        _full_clean(household, exclude=["guardian_name", "guardian_relationship"])
    else:
        _full_clean(household)
    return household


_ALLOCATE_REFERENCE_NUMBER = """
    INSERT INTO casework_casereferencecounter AS counter (year, last_number)
    SELECT %(year)s, COALESCE(MAX(CAST(SUBSTRING(reference FROM 6) AS integer)), 0) + 1
    FROM casework_case WHERE reference ~ %(pattern)s
    ON CONFLICT (year) DO UPDATE SET last_number = counter.last_number + 1
    RETURNING last_number
"""


def _next_reference() -> str:
    """The next `YYYY-NNNNN` of the current year, safe under concurrent registrations.

    The year's counter row is incremented in the caller's transaction, so concurrent
    registrations queue on its row lock (and two first-of-the-year registrations on its key)
    and each gets its own number. A new year's counter starts after the highest reference of
    that year already present (cases registered before the counter existed).
    """
    year = clock.today().year
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                _ALLOCATE_REFERENCE_NUMBER,
                {"year": year, "pattern": f"^{year}-[0-9]{{1,9}}$"},
            )
            reference = f"{year}-{cursor.fetchone()[0]:05d}"
            # A reference written by other means (an import) is skipped, never reused.
            if not Case.objects.filter(reference=reference).exists():
                return reference


@transaction.atomic
def child_register(
    *,
    actor: User,
    child: ChildInput,
    household: HouseholdInput | None,
    consent: ConsentInput | None = None,
    case_type: str = Case.Type.CHILD_LABOUR,
    assigned_worker: User | None = None,
    assigned_worker_id: int | None = None,
) -> Case:
    """Register a child with household (and consent, if given) and open a case.

    Without an active consent the case stays 'identified'; with one it is 'registered'. A child
    received on referral may come without a household (`household=None`) when the agreement
    shares neither guardian nor village.
    """
    require(actor, Capability.EDIT_CASES)
    if assigned_worker is not None:
        assigned_worker_id = assigned_worker.pk
    assigned_worker = None
    if assigned_worker_id is not None and assigned_worker_id != actor.pk:
        # Opening a case for someone else is an assignment: supervisors and admins only, and
        # only to someone who can hold cases.
        require(actor, Capability.ASSIGN_CASES)
        assigned_worker = _case_worker_or_error(assigned_worker_id, "assigned_worker_id")
    if case_type not in Case.Type.values:
        raise _invalid(
            "case_type", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Case.Type.values)}
        )
    validation.check(
        validation.CHILD,
        {"full_name": child.full_name.strip(), "known_as": child.known_as.strip()},
    )
    date_of_birth, birth_year, estimated = _birth_fields(child)
    household_row = _household_build(household) if household is not None else None
    if household_row is not None and household is not None:
        household_row.save()
        from casework.models import HouseholdMember

        for index, member in enumerate(household.members):
            found = validation.errors(validation.HOUSEHOLD_MEMBER, member)
            if found:
                raise ApplicationError(
                    _("Some household members are not valid."),
                    fields={f"members[{index}].{k}": v for k, v in found.items()},
                )
            member_row = HouseholdMember(household=household_row, **member)
            _full_clean(member_row, exclude=["household"])
            member_row.save()
    child_row = Child(
        full_name=child.full_name.strip(),
        known_as=child.known_as.strip(),
        normalized_name=normalize_name(child.full_name),
        sex=child.sex,
        date_of_birth=date_of_birth,
        birth_year=birth_year,
        birth_year_estimated=estimated,
        household=household_row,
        school_status=child.school_status,
        last_grade=child.last_grade,
        created_by=actor,
    )
    _nik_apply(child_row, child.nik)
    _full_clean(child_row, exclude=["created_by", "household", "photo"])
    child_row.save()
    worker = assigned_worker or actor
    case = Case(
        reference=_next_reference(),
        child=child_row,
        case_type=case_type,
        status=Status.IDENTIFIED,
        assigned_worker=worker,
        province_code=household_row.province_code if household_row else "",
        regency_code=household_row.regency_code if household_row else "",
        opened_on=clock.today(),
    )
    case.save()
    audit_created(actor=actor, instance=child_row, case_id=case.pk)
    if household_row is not None:
        audit_created(actor=actor, instance=household_row, case_id=case.pk)
    audit_created(actor=actor, instance=case, case_id=case.pk)
    if consent is not None:
        consent_record(actor=actor, child_id=child_row.pk, data=consent)
        case.refresh_from_db()
    return case


def child_version(child: Child) -> str:
    """The child record's version, as `child_update(expected_version=...)` checks it."""
    return record_version(snapshot(child))


def household_version(household: Household) -> str:
    """The household's version, its members included (`household_update` checks it)."""
    members = [
        {name: getattr(member, name) for name in MEMBER_FIELDS}
        for member in household.members.order_by("id")
    ]
    return record_version(snapshot(household), members)


@transaction.atomic
def child_update(
    *, actor: User, case_id: int, expected_version: str | None = None, **values: Any
) -> Child:
    """Correct a child's identifying details (through a case the actor may edit). With
    `expected_version` (what the form was opened on), a change saved in between is a
    ConflictError instead of being overwritten."""
    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    child = Child.objects.select_for_update().get(pk=case.child_id)
    version_check(expected_version, child_version(child))
    before = snapshot(child)
    for name in ("full_name", "known_as", "sex", "school_status", "last_grade"):
        if name in values:
            setattr(child, name, values[name])
    if "full_name" in values:
        child.full_name = (values["full_name"] or "").strip()
    if "known_as" in values:
        child.known_as = (values["known_as"] or "").strip()
    validation.check(validation.CHILD, {"full_name": child.full_name, "known_as": child.known_as})
    if {"date_of_birth", "birth_year", "birth_year_estimated"} & set(values):
        birth = ChildInput(
            full_name=child.full_name,
            sex=child.sex,
            school_status=child.school_status,
            date_of_birth=values.get("date_of_birth", child.date_of_birth),
            birth_year=values.get("birth_year", child.birth_year),
            birth_year_estimated=values.get("birth_year_estimated", child.birth_year_estimated),
        )
        child.date_of_birth, child.birth_year, child.birth_year_estimated = _birth_fields(birth)
    if "full_name" in values:
        child.normalized_name = normalize_name(child.full_name)
    if "nik" in values:
        _nik_apply(child, values["nik"])
    _full_clean(child, exclude=["created_by", "household", "photo"])
    child.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=child,
        case_id=case.pk,
        changed_fields=changes(before, snapshot(child)),
    )
    return child


HOUSEHOLD_FIELDS = (
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
)
MEMBER_FIELDS = ("name", "relationship", "birth_year", "occupation")


@transaction.atomic
def household_update(
    *,
    actor: User,
    case_id: int,
    data: HouseholdInput,
    members: list[dict[str, Any]] | None = None,
    expected_version: str | None = None,
) -> Household:
    """Correct the household of a case's child: guardian, income, address and (when given)
    the list of members, which replaces the previous one. The child's open cases take the new
    province and regency (lists and reports filter on them). `expected_version`: as for
    `child_update`."""
    from casework.models import HouseholdMember

    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    household_id = case.child.household_id
    household = (
        Household.objects.select_for_update().filter(pk=household_id).first()
        if household_id is not None
        else None
    )
    if household is None:
        raise _invalid("guardian_name", _("This child has no household record."))
    version_check(expected_version, household_version(household))
    before = snapshot(household)
    built = _household_build(data)
    for name in HOUSEHOLD_FIELDS:
        setattr(household, name, getattr(built, name))
    household.save()
    diff = changes(before, snapshot(household))
    if members is not None:
        old_members = [
            {name: getattr(member, name) for name in MEMBER_FIELDS}
            for member in household.members.order_by("id")
        ]
        rows = []
        for index, member in enumerate(members):
            unknown = set(member) - set(MEMBER_FIELDS)
            if unknown:
                raise _invalid(f"members[{index}]", _("Unknown field."))
            found = validation.errors(validation.HOUSEHOLD_MEMBER, member)
            if found:
                raise ApplicationError(
                    _("Some household members are not valid."),
                    fields={f"members[{index}].{k}": v for k, v in found.items()},
                )
            row = HouseholdMember(household=household, **member)
            try:
                row.full_clean(exclude=["household"])
            except ValidationError as error:
                raise ApplicationError(
                    _("Some household members are not valid."),
                    fields={f"members[{index}].{k}": v for k, v in error.message_dict.items()},
                ) from None
            rows.append(row)
        household.members.all().delete()
        HouseholdMember.objects.bulk_create(rows)
        new_members = [{name: getattr(row, name) for name in MEMBER_FIELDS} for row in rows]
        if new_members != old_members:
            diff["members"] = [len(old_members), len(new_members)]
    Case.objects.filter(child__household=household).exclude(status=Status.CLOSED).update(
        province_code=household.province_code, regency_code=household.regency_code
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=household,
        case_id=case.pk,
        changed_fields=diff,
    )
    return household
