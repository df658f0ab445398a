"""The agency directory: coordinators manage it, NGO staff propose additions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction
from core.errors import ApplicationError, InvalidTransitionError, NotFoundError
from network.access import require_coordinator
from network.models import Agency, ServiceType
from network.services._common import (
    audit,
    audited,
    choices_subset,
    invalid,
    province_codes_clean,
    regency_codes_clean,
)
from tenants.models import NGO, Consortium

PHONE_RE = re.compile(r"\+?[0-9][0-9 ()\-]{4,38}")
# What the platform trail records of an agency (the attribute names).
AUDITED_FIELDS = [
    "consortium_id",
    "kind",
    "name",
    "ngo_id",
    "service_types",
    "province_codes",
    "regency_codes",
    "contact_name",
    "phone",
    "email",
    "address",
    "is_active",
    "status",
    "proposed_by_id",
    "review_comment",
]


@dataclass
class AgencyInput:
    """What a person types about an agency (outside services; partner NGOs come from tenants)."""

    kind: str
    name: str
    service_types: list[str] = field(default_factory=list)
    province_codes: list[str] = field(default_factory=list)
    regency_codes: list[str] = field(default_factory=list)
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


def _apply(agency: Agency, data: AgencyInput) -> None:
    """Validate `data` onto `agency`. A partner NGO keeps the kind and name of its tenant."""
    if not agency.is_partner:
        name = (data.name or "").strip()
        if not name:
            raise invalid("name", _("A name is required."))
        if len(name) > 200:
            raise invalid("name", _("At most 200 characters."))
        if data.kind not in Agency.Kind.values or data.kind == Agency.Kind.PARTNER_NGO:
            raise invalid(
                "kind", _("Choose the kind of agency (partner NGOs join through onboarding).")
            )
        agency.kind = data.kind
        agency.name = name
    phone = (data.phone or "").strip()
    if phone and not PHONE_RE.fullmatch(phone):
        raise invalid("phone", _("Digits, spaces, brackets and dashes only, e.g. +62 24 123456."))
    agency.service_types = choices_subset(
        data.service_types, ServiceType.values, "service_types", required=True
    )
    agency.province_codes = province_codes_clean(data.province_codes)
    agency.regency_codes = regency_codes_clean(data.regency_codes)
    agency.contact_name = (data.contact_name or "").strip()
    agency.phone = phone
    agency.email = (data.email or "").strip()
    agency.address = (data.address or "").strip()
    try:
        agency.full_clean(exclude=["consortium", "ngo", "proposed_by"])
    except Exception as error:  # ValidationError: field messages for the form / API
        message_dict = getattr(error, "message_dict", None)
        if message_dict is None:
            raise
        raise ApplicationError(_("Some fields are not valid."), fields=message_dict) from None


def _agency_for_update(agency_uuid) -> Agency:
    agency = Agency.objects.select_for_update().filter(uuid=agency_uuid).first()
    if agency is None:
        raise NotFoundError(_("Agency not found."))
    return agency


@transaction.atomic
def agency_create(*, actor, consortium: Consortium, data: AgencyInput) -> Agency:
    """A coordinator adds an outside agency to the directory (approved at once)."""
    require_coordinator(actor, consortium)
    agency = Agency(consortium=consortium, status=Agency.Status.APPROVED)
    _apply(agency, data)
    agency.save()
    audit(actor=actor, action=AuditAction.CREATE, instance=agency, fields=AUDITED_FIELDS)
    return agency


@transaction.atomic
def agency_update(
    *, actor, agency_uuid, data: AgencyInput | None = None, is_active: bool | None = None
) -> Agency:
    """A coordinator corrects an agency or (de)activates it. A partner NGO's kind, name and
    link to its tenant follow the tenant; its services, regions and contacts can change."""
    agency = _agency_for_update(agency_uuid)
    require_coordinator(actor, agency.consortium)
    before = audited(agency, AUDITED_FIELDS)
    if data is not None:
        _apply(agency, data)
    if is_active is not None:
        agency.is_active = is_active
    agency.save()
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=agency,
        fields=AUDITED_FIELDS,
        before=before,
    )
    return agency


@transaction.atomic
def agency_propose(
    *, consortium: Consortium, proposer: Agency, proposer_name: str, data: AgencyInput
) -> Agency:
    """NGO staff propose an outside agency; it stays out of referral choices until a
    coordinator approves it. `proposer` is the NGO's own agency."""
    if proposer.consortium_id != consortium.pk:
        raise NotFoundError(_("Agency not found."))
    agency = Agency(
        consortium=consortium,
        status=Agency.Status.PROPOSED,
        proposed_by=proposer,
        proposed_by_name=(proposer_name or "")[:150],
    )
    _apply(agency, data)
    agency.save()
    # The proposer is an account of the NGO's own schema, not of the public one: named only.
    audit(
        actor=(proposer_name or proposer.name)[:150],
        action=AuditAction.CREATE,
        instance=agency,
        fields=AUDITED_FIELDS,
        details={"proposed_by_agency": str(proposer.uuid)},
    )
    return agency


@transaction.atomic
def agency_review(*, actor, agency_uuid, approve: bool, comment: str = "") -> Agency:
    """A coordinator approves or rejects a proposed agency."""
    agency = _agency_for_update(agency_uuid)
    require_coordinator(actor, agency.consortium)
    if agency.status != Agency.Status.PROPOSED:
        raise InvalidTransitionError(
            current=agency.status,
            requested=Agency.Status.APPROVED if approve else Agency.Status.REJECTED,
            allowed=[],
            labels=dict(Agency.Status.choices),
        )
    if not approve and not comment.strip():
        raise invalid("comment", _("Say why the proposal is rejected."))
    before = audited(agency, ["status", "review_comment"])
    agency.status = Agency.Status.APPROVED if approve else Agency.Status.REJECTED
    agency.review_comment = comment.strip()
    agency.save(update_fields=["status", "review_comment", "updated_at"])
    audit(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=agency,
        fields=list(before),
        before=before,
        details={"comment": agency.review_comment} if agency.review_comment else None,
    )
    return agency


@transaction.atomic
def partner_agency_ensure(*, ngo: NGO) -> Agency:
    """The directory entry of a partner NGO, created or brought in line with its tenant row."""
    if ngo.consortium_id is None:
        raise invalid("consortium", _("The NGO belongs to no consortium."))
    agency, created = Agency.objects.select_for_update().get_or_create(
        ngo=ngo,
        defaults={
            "consortium_id": ngo.consortium_id,
            "kind": Agency.Kind.PARTNER_NGO,
            "name": ngo.name,
            "contact_name": ngo.contact_name,
            "phone": ngo.contact_phone,
            "email": ngo.contact_email,
            "status": Agency.Status.APPROVED,
        },
    )
    if not created and (agency.name, agency.consortium_id) != (ngo.name, ngo.consortium_id):
        agency.name, agency.consortium_id = ngo.name, ngo.consortium_id
        agency.save(update_fields=["name", "consortium", "updated_at"])
    return agency
