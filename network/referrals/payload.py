"""What a referral shares: exactly the agreement's fields, copied from the sender's case."""

from __future__ import annotations

from typing import Any

from casework.models import Assessment, Case, Child, Consent, Household
from casework.rules import age_on
from core import clock
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
    household: Household = child.household  # type: ignore[assignment]  # registered with one
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
