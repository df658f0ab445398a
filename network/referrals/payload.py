"""What a referral shares: exactly the agreement's fields, copied from the sender's case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models
from django.utils import formats
from django.utils.translation import gettext as _

from casework import regions
from casework.models import Assessment, Case, Child, Consent, Household
from casework.rules import age_on
from casework.services import ChildInput, HouseholdInput
from core import clock
from core.errors import ApplicationError
from network.models import SharedField


def _latest_assessment(case: Case) -> Assessment | None:
    return (
        Assessment.objects.filter(case=case, status=Assessment.Status.APPROVED)
        .order_by("-assessed_on", "-id")
        .first()
    )


def shared_payload(case: Case, fields: list[str], *, reason: str) -> dict[str, Any]:
    """{field: value} for each of `fields` (SharedField values) and nothing else."""
    # The child and household in one query unless the case already carries its child.
    child = (
        case.child
        if Case.child.is_cached(case)
        else Child.objects.select_related("household").get(pk=case.child_id)
    )
    # A child received on referral may have no household (nothing of it was shared).
    household = child.household or Household()
    values: dict[str, Any] = {}
    for name in fields:
        if name == SharedField.FULL_NAME:
            values[name] = child.full_name
        elif name == SharedField.KNOWN_AS:
            values[name] = child.known_as
        elif name == SharedField.SEX:
            values[name] = child.sex
        elif name == SharedField.AGE:
            values[name] = age_on(
                clock.today(), date_of_birth=child.date_of_birth, birth_year=child.birth_year
            )
        elif name == SharedField.DATE_OF_BIRTH:
            values[name] = {
                "date_of_birth": child.date_of_birth.isoformat() if child.date_of_birth else None,
                "birth_year": child.birth_year,
                "estimated": child.birth_year_estimated,
            }
        elif name == SharedField.VILLAGE:
            values[name] = {
                "province_code": household.province_code,
                "regency_code": household.regency_code,
                "district": household.district,
                "village": household.village,
            }
        elif name == SharedField.GUARDIAN:
            values[name] = {
                "name": household.guardian_name,
                "relationship": household.guardian_relationship,
                "phone": household.guardian_phone,
            }
        elif name == SharedField.SCHOOL_STATUS:
            values[name] = {"status": child.school_status, "last_grade": child.last_grade}
        elif name == SharedField.ASSESSMENT:
            latest = _latest_assessment(case)
            values[name] = (
                {
                    "assessed_on": latest.assessed_on.isoformat(),
                    "status_ilo": latest.status_ilo,
                    "status_bps": latest.status_bps,
                    "scores": latest.scores(),
                }
                if latest
                else None
            )
        elif name == SharedField.HEALTH_NOTES:
            latest = _latest_assessment(case)
            values[name] = latest.health_notes if latest else ""
        elif name == SharedField.RISK_LEVEL:
            values[name] = case.risk_level
        elif name == SharedField.REASON:
            values[name] = reason
        else:  # a field added to SharedField without a rule here must not pass silently
            raise ValueError(f"No sharing rule for field {name!r}")
    return values


def sharing_consent(case: Case) -> Consent | None:
    """The child's active consent that covers sharing for referral, if any."""
    for consent in Consent.objects.filter(child_id=case.child_id, withdrawn_on__isnull=True):
        if consent.is_active and consent.scope_referral_sharing:
            return consent
    return None


def consent_scope_of(consent: Consent) -> list[str]:
    """The names of a consent's scopes that are granted (carried to the receiver)."""
    return [name for name in CONSENT_SCOPES if getattr(consent, f"scope_{name}")]


CONSENT_SCOPES = ("record_keeping", "referral_sharing", "photos")
# The child's name when the agreement shares neither name: "NN", as Indonesian records write
# an unknown name; the worker corrects it at first contact.
UNKNOWN_NAME = "NN"


@dataclass
class Intake:
    """What the receiver's new case is made of: exactly the shared fields, each in its place."""

    child: ChildInput
    household: HouseholdInput | None
    risk_level: str
    # Shared fields that have no column of their own (reason, latest assessment, health
    # notes), as one case note; "" when none of them is shared.
    note: str


def _not_enough(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, code="not_enough_shared", fields={field: [message]})


def _birth_of(values: dict[str, Any]) -> tuple[date | None, int | None, bool]:
    born = values.get(SharedField.DATE_OF_BIRTH)
    if isinstance(born, dict) and (born.get("date_of_birth") or born.get("birth_year")):
        day = date.fromisoformat(born["date_of_birth"]) if born.get("date_of_birth") else None
        return day, born.get("birth_year"), bool(born.get("estimated"))
    age = values.get(SharedField.AGE)
    if isinstance(age, int) and not isinstance(age, bool):
        return None, clock.today().year - age, True
    return None, None, False


NOTE_FIELDS = (SharedField.REASON, SharedField.ASSESSMENT, SharedField.HEALTH_NOTES)


def _note_of(values: dict[str, Any], *, sender_name: str) -> str:
    lines = [
        f"{label}: {text}"
        for label, text in shared_fields_display(
            values, [name for name in NOTE_FIELDS if values.get(name)]
        )
    ]
    if not lines:
        return ""
    heading = _("Shared by %(agency)s with the referral:") % {"agency": sender_name}
    return "\n".join([heading, *lines])


def intake_from_payload(
    values: dict[str, Any], *, shared_fields: list[str], sender_name: str
) -> Intake:
    """Map an opened payload onto the receiver's registration inputs. Only fields both in the
    payload and in the referral's agreed list are used; anything else in the payload is
    ignored. A case needs the child's sex and age (or birth date): without them, an
    ApplicationError (`not_enough_shared`) says what is missing."""
    values = {name: value for name, value in values.items() if name in shared_fields}
    sex = values.get(SharedField.SEX)
    if sex not in Child.Sex.values:
        raise _not_enough("sex", _("The agreement does not share the child's sex."))
    date_of_birth, birth_year, estimated = _birth_of(values)
    if birth_year is None:
        raise _not_enough("age", _("The agreement shares neither the child's age nor birth date."))
    known_as = values.get(SharedField.KNOWN_AS) or ""
    school = values.get(SharedField.SCHOOL_STATUS) or {}
    child = ChildInput(
        full_name=values.get(SharedField.FULL_NAME) or known_as or UNKNOWN_NAME,
        known_as=known_as,
        sex=sex,
        school_status=school.get("status") or Child.SchoolStatus.UNKNOWN,
        last_grade=school.get("last_grade"),
        date_of_birth=date_of_birth,
        birth_year=birth_year,
        birth_year_estimated=estimated,
    )
    village = values.get(SharedField.VILLAGE)
    guardian = values.get(SharedField.GUARDIAN)
    household = None
    if village or guardian:
        village, guardian = village or {}, guardian or {}
        named = bool(guardian.get("name") and guardian.get("relationship"))
        household = HouseholdInput(
            guardian_name=guardian["name"] if named else "",
            guardian_relationship=guardian["relationship"] if named else "",
            guardian_phone=guardian.get("phone") or "",
            guardian_unknown=not named,
            province_code=village.get("province_code") or "",
            regency_code=village.get("regency_code") or "",
            district=village.get("district") or "",
            village=village.get("village") or "",
        )
    return Intake(
        child=child,
        household=household,
        risk_level=values.get(SharedField.RISK_LEVEL) or "",
        note=_note_of(values, sender_name=sender_name),
    )


def _choice_label(choices: type[models.TextChoices], value: Any) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "")


def shared_field_text(name: str, value: Any) -> str:
    """One shared field's value as text in the active language (for the letter and pages)."""
    if value is None or value == "" or value == {}:
        return "—"
    if name == SharedField.SEX:
        return _choice_label(Child.Sex, value)
    if name == SharedField.AGE:
        return _("%(years)s years") % {"years": value}
    if name == SharedField.DATE_OF_BIRTH:
        if value.get("date_of_birth"):
            return formats.date_format(
                date.fromisoformat(value["date_of_birth"]), "SHORT_DATE_FORMAT"
            )
        if value.get("estimated"):
            return _("%(year)s (estimated)") % {"year": value.get("birth_year")}
        return str(value.get("birth_year") or "—")
    if name == SharedField.VILLAGE:
        regency = regions.regency(value.get("regency_code") or "")
        province = regions.province(value.get("province_code") or "")
        parts = [
            value.get("village"),
            value.get("district"),
            regency.name if regency else "",
            province.name if province else "",
        ]
        return ", ".join(part for part in parts if part) or "—"
    if name == SharedField.GUARDIAN:
        text = value.get("name") or "—"
        if value.get("relationship"):
            text += f" ({value['relationship']})"
        if value.get("phone"):
            text += f", {value['phone']}"
        return text
    if name == SharedField.SCHOOL_STATUS:
        text = _choice_label(Child.SchoolStatus, value.get("status"))
        if value.get("last_grade") is not None:
            text += ", " + _("last grade %(grade)s") % {"grade": value["last_grade"]}
        return text
    if name == SharedField.ASSESSMENT:
        scores = ", ".join(f"{key} {score}" for key, score in value.get("scores", {}).items())
        return _("%(date)s: ILO %(ilo)s, BPS %(bps)s; scores: %(scores)s") % {
            "date": value.get("assessed_on", ""),
            "ilo": value.get("status_ilo", ""),
            "bps": value.get("status_bps", ""),
            "scores": scores,
        }
    if name == SharedField.RISK_LEVEL:
        return _choice_label(Case.Risk, value)
    return str(value)


def in_field_order(codes: list[str]) -> list[str]:
    """Field codes in the order SharedField lists them (the order a form or letter shows)."""
    order = {code: position for position, code in enumerate(SharedField.values)}
    return sorted(codes, key=lambda code: order.get(code, len(order)))


def shared_fields_display(values: dict[str, Any], fields: list[str]) -> list[tuple[str, str]]:
    """(label, value as text) for each of `fields` in order, in the active language."""
    return [
        (str(_choice_label(SharedField, name)), shared_field_text(name, values.get(name)))
        for name in fields
    ]
