"""Referral agreements: coordinators create, activate and revoke them; expiry is enforced at use
time (`selectors.agreement_covering`) and by a daily beat task (`agreements_expire`)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from core.audit import AuditAction
from core.errors import InvalidTransitionError, NotFoundError
from network.access import require_coordinator
from network.models import Agency, ReferralAgreement, ServiceType, SharedField
from network.services._common import audit, audited, choices_subset, invalid
from tenants.models import Consortium

Status = ReferralAgreement.Status
MAX_RESPONSE_DAYS = 90
MOU_MAX_BYTES = 5 * 1024 * 1024
# What the platform trail records of an agreement (the MoU as its stored file name).
AUDITED_FIELDS = [
    "consortium_id",
    "first_agency_id",
    "second_agency_id",
    "direction",
    "service_types",
    "shared_fields",
    "response_days",
    "valid_from",
    "valid_to",
    "mou",
    "status",
    "status_reason",
]
TRANSITIONS = {
    Status.DRAFT: [Status.ACTIVE, Status.REVOKED],
    Status.ACTIVE: [Status.EXPIRED, Status.REVOKED],
    Status.EXPIRED: [],
    Status.REVOKED: [],
}


def _agency_in(consortium: Consortium, agency_uuid, field: str) -> Agency:
    agency = (
        Agency.objects.filter(
            uuid=agency_uuid,
            consortium=consortium,
            status=Agency.Status.APPROVED,
            is_active=True,
        ).first()
        if agency_uuid
        else None
    )
    if agency is None:
        raise invalid(field, _("Choose an active agency of this consortium."))
    return agency


def _mou_check(mou) -> None:
    if mou is None:
        return
    if mou.size > MOU_MAX_BYTES:
        raise invalid("mou", _("The file is larger than 5 MB."))
    head = mou.read(5)
    mou.seek(0)
    if head != b"%PDF-":
        raise invalid("mou", _("Upload the signed MoU as a PDF."))


@transaction.atomic
def agreement_create(
    *,
    actor,
    consortium: Consortium,
    first_agency_uuid,
    second_agency_uuid,
    service_types: list[str],
    shared_fields: list[str],
    valid_from: date,
    valid_to: date | None = None,
    direction: str = ReferralAgreement.Direction.BOTH_WAYS,
    response_days: int = 7,
    mou=None,
) -> ReferralAgreement:
    """A draft agreement between two agencies of the consortium, at least one a partner NGO."""
    require_coordinator(actor, consortium)
    first = _agency_in(consortium, first_agency_uuid, "first_agency")
    second = _agency_in(consortium, second_agency_uuid, "second_agency")
    if first.pk == second.pk:
        raise invalid("second_agency", _("Choose two different agencies."))
    if not (first.is_partner or second.is_partner):
        raise invalid(
            "first_agency", _("At least one side must be a partner NGO of the consortium.")
        )
    if direction not in ReferralAgreement.Direction.values:
        raise invalid("direction", _("Choose a direction."))
    if direction == ReferralAgreement.Direction.ONE_WAY and not first.is_partner:
        raise invalid("first_agency", _("Only a partner NGO can send referrals."))
    if not 1 <= int(response_days) <= MAX_RESPONSE_DAYS:
        raise invalid(
            "response_days",
            _("Between 1 and %(max)s days.") % {"max": MAX_RESPONSE_DAYS},
        )
    if valid_to is not None and valid_to < valid_from:
        raise invalid("valid_to", _("The end date cannot be before the start date."))
    _mou_check(mou)
    agreement = ReferralAgreement(
        consortium=consortium,
        first_agency=first,
        second_agency=second,
        direction=direction,
        service_types=choices_subset(
            service_types, ServiceType.values, "service_types", required=True
        ),
        shared_fields=choices_subset(
            shared_fields, SharedField.values, "shared_fields", required=True
        ),
        response_days=int(response_days),
        valid_from=valid_from,
        valid_to=valid_to,
        status=Status.DRAFT,
    )
    if mou is not None:
        agreement.mou = mou
    agreement.save()
    audit(actor=actor, action=AuditAction.CREATE, instance=agreement, fields=AUDITED_FIELDS)
    return agreement


def _for_change(agreement_uuid) -> ReferralAgreement:
    agreement = (
        ReferralAgreement.objects.select_for_update().filter(uuid=agreement_uuid).first()
        if agreement_uuid
        else None
    )
    if agreement is None:
        raise NotFoundError(_("Agreement not found."))
    return agreement


def _move(
    agreement: ReferralAgreement,
    to_status: str,
    *,
    actor,
    reason: str = "",
    before: dict | None = None,
) -> ReferralAgreement:
    allowed = TRANSITIONS[Status(agreement.status)]
    if to_status not in allowed:
        raise InvalidTransitionError(
            current=agreement.status,
            requested=to_status,
            allowed=list(allowed),
            labels=dict(Status.choices),
        )
    before = before or audited(agreement, ["mou", "status", "status_reason"])
    agreement.status = to_status
    agreement.status_reason = reason
    agreement.save(update_fields=["status", "status_reason", "updated_at"])
    audit(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=agreement,
        fields=list(before),
        before=before,
        details={"reason": reason} if reason else None,
    )
    return agreement


@transaction.atomic
def agreement_activate(*, actor, agreement_uuid, mou=None) -> ReferralAgreement:
    """Put a signed draft into force: it needs the signed MoU and an end date not yet past."""
    agreement = _for_change(agreement_uuid)
    require_coordinator(actor, agreement.consortium)
    before = audited(agreement, ["mou", "status", "status_reason"])
    if mou is not None:
        _mou_check(mou)
        agreement.mou = mou
        agreement.save(update_fields=["mou", "updated_at"])
    if not agreement.mou:
        raise invalid("mou", _("Upload the signed MoU before activating the agreement."))
    if agreement.valid_to is not None and agreement.valid_to < clock.today():
        raise invalid("valid_to", _("This agreement has already ended."))
    return _move(agreement, Status.ACTIVE, actor=actor, before=before)


@transaction.atomic
def agreement_revoke(*, actor, agreement_uuid, reason: str) -> ReferralAgreement:
    """End an agreement early; referrals already made keep their history."""
    agreement = _for_change(agreement_uuid)
    require_coordinator(actor, agreement.consortium)
    if not (reason or "").strip():
        raise invalid("reason", _("Say why the agreement is revoked."))
    return _move(agreement, Status.REVOKED, actor=actor, reason=reason.strip())


@transaction.atomic
def agreements_expire(*, today: date | None = None) -> int:
    """Mark active agreements whose end date has passed as expired; returns how many."""
    today = today or clock.today()
    return ReferralAgreement.objects.filter(status=Status.ACTIVE, valid_to__lt=today).update(
        status=Status.EXPIRED, status_reason="valid_to passed"
    )
