"""Consent (guardian) and assent (child): recording and withdrawing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from casework import validation
from casework.access import (
    Capability,
    cases_visible_to,
    require,
)
from casework.audit import audit_created, audit_record
from casework.models import (
    Case,
    Child,
    Consent,
)
from casework.services._common import _full_clean, _invalid
from casework.services.states import CONSENTED_STATUSES, Status, _ensure_open, _transition
from core import clock
from core.audit import AuditAction, changes, snapshot
from core.errors import ApplicationError, NotFoundError


@dataclass
class ConsentInput:
    guardian_name: str
    guardian_relationship: str
    guardian_consented: bool
    child_assented: bool
    consented_on: date
    scope_record_keeping: bool = True
    scope_referral_sharing: bool = False
    scope_photos: bool = False


@transaction.atomic
def consent_record(*, actor: User, child_id: int, data: ConsentInput) -> Consent:
    """Record consent and assent; identified cases of the child become registered."""
    require(actor, Capability.EDIT_CASES)
    child = Child.objects.filter(pk=child_id, cases__in=cases_visible_to(actor)).first()
    if child is None:
        raise NotFoundError(_("Child not found."))
    validation.check(validation.CONSENT, {"consented_on": data.consented_on})
    consent = Consent(
        child=child,
        guardian_name=data.guardian_name.strip(),
        guardian_relationship=data.guardian_relationship.strip(),
        guardian_consented=data.guardian_consented,
        child_assented=data.child_assented,
        consented_on=data.consented_on,
        scope_record_keeping=data.scope_record_keeping,
        scope_referral_sharing=data.scope_referral_sharing,
        scope_photos=data.scope_photos,
        recorded_by=actor,
    )
    _full_clean(consent, exclude=["child", "recorded_by"])
    consent.save()
    audit_created(actor=actor, instance=consent)
    if consent.is_active:
        for case in Case.objects.select_for_update().filter(child=child, status=Status.IDENTIFIED):
            _transition(case, Status.REGISTERED, actor=actor)
    return consent


@dataclass
class CarriedConsentInput:
    """A consent carried over from the agency that referred the child: who recorded it (the
    agency's name and directory UUID), when the guardian gave it there, and its scope."""

    source_agency_name: str
    source_agency_uuid: UUID
    consented_on: date
    scope_record_keeping: bool = True
    scope_referral_sharing: bool = False
    scope_photos: bool = False


@transaction.atomic
def consent_carry_over(*, actor: User, child_id: int, data: CarriedConsentInput) -> Consent:
    """Record the referring agency's consent as carried over. It does not count as this NGO's
    consent (the case stays 'identified') until a worker reconfirms it at first contact with
    `consent_reconfirm` (or records a new consent)."""
    require(actor, Capability.EDIT_CASES)
    child = Child.objects.filter(pk=child_id, cases__in=cases_visible_to(actor)).first()
    if child is None:
        raise NotFoundError(_("Child not found."))
    validation.check(validation.CONSENT, {"consented_on": data.consented_on})
    if not data.source_agency_name.strip():
        raise _invalid("source_agency_name", _("This field is required."))
    consent = Consent(
        child=child,
        # The guardian is named at reconfirmation: the referral shares only the agreed fields.
        guardian_name="",
        guardian_relationship="",
        guardian_consented=True,
        child_assented=True,
        consented_on=data.consented_on,
        scope_record_keeping=data.scope_record_keeping,
        scope_referral_sharing=data.scope_referral_sharing,
        scope_photos=data.scope_photos,
        carried_over_from_name=data.source_agency_name.strip()[:200],
        carried_over_from_uuid=data.source_agency_uuid,
        recorded_by=actor,
    )
    _full_clean(consent, exclude=["child", "recorded_by", "guardian_name", "guardian_relationship"])
    consent.save()
    audit_created(actor=actor, instance=consent)
    return consent


@transaction.atomic
def consent_reconfirm(
    *,
    actor: User,
    consent_id: int,
    guardian_name: str,
    guardian_relationship: str,
    child_assented: bool,
    reconfirmed_on: date,
) -> Consent:
    """At first contact, the guardian (named now) reconfirms a consent carried over on
    referral, and the child assents: the consent counts from now on and identified cases of
    the child become registered."""
    require(actor, Capability.EDIT_CASES)
    visible_children = Child.objects.filter(cases__in=cases_visible_to(actor))
    consent = (
        Consent.objects.select_for_update()
        .filter(pk=consent_id, child__in=visible_children)
        .first()
    )
    if consent is None:
        raise NotFoundError(_("Consent not found."))
    if not consent.awaiting_reconfirmation:
        raise ApplicationError(
            _("This consent is not waiting for reconfirmation."),
            code="not_awaiting_reconfirmation",
            fields={"consent": [_("This consent is not waiting for reconfirmation.")]},
        )
    guardian_name, guardian_relationship = guardian_name.strip(), guardian_relationship.strip()
    if not guardian_name:
        raise _invalid("guardian_name", _("This field is required."))
    if not guardian_relationship:
        raise _invalid("guardian_relationship", _("This field is required."))
    if not child_assented:
        raise _invalid("child_assented", _("The child's assent is needed to reconfirm."))
    if reconfirmed_on < consent.consented_on or reconfirmed_on > clock.today():
        raise _invalid(
            "reconfirmed_on", _("The date must be between the original consent and today.")
        )
    before = snapshot(consent)
    consent.guardian_name = guardian_name
    consent.guardian_relationship = guardian_relationship
    consent.child_assented = True
    consent.reconfirmed_on = reconfirmed_on
    consent.reconfirmed_by = actor
    _full_clean(consent, exclude=["child", "recorded_by"])
    consent.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=consent,
        changed_fields=changes(before, snapshot(consent)),
    )
    if consent.is_active:
        for case in Case.objects.select_for_update().filter(
            child_id=consent.child_id, status=Status.IDENTIFIED
        ):
            _transition(case, Status.REGISTERED, actor=actor)
    return consent


@transaction.atomic
def consent_withdraw(*, actor: User, consent_id: int, withdrawn_on: date, reason: str) -> Consent:
    """Withdraw a consent. Open cases keep their history but no new work can be recorded
    unless another active consent exists."""
    require(actor, Capability.EDIT_CASES)
    visible_children = Child.objects.filter(cases__in=cases_visible_to(actor))
    consent = (
        Consent.objects.select_for_update()
        .filter(pk=consent_id, child__in=visible_children)
        .first()
    )
    if consent is None:
        raise NotFoundError(_("Consent not found."))
    if consent.withdrawn_on is not None:
        raise _invalid("withdrawn_on", _("This consent was already withdrawn."))
    if not reason or not reason.strip():
        raise _invalid("reason", _("Give the reason for the withdrawal."))
    if withdrawn_on < consent.consented_on or withdrawn_on > clock.today():
        raise _invalid("withdrawn_on", _("The withdrawal date must be between consent and today."))
    before = snapshot(consent)
    consent.withdrawn_on = withdrawn_on
    consent.withdrawal_reason = reason.strip()
    consent.save(update_fields=["withdrawn_on", "withdrawal_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=consent,
        changed_fields=changes(before, snapshot(consent)),
    )
    # Apps above casework act on a withdrawal (e.g. pending referrals are withdrawn and their
    # payloads purged) through handlers named in settings, in this transaction.
    for path in settings.CONSENT_WITHDRAWN_HANDLERS:
        import_string(path)(actor=actor, child_id=consent.child_id)
    return consent


def child_has_active_consent(child_id: int) -> bool:
    return any(consent.is_active for consent in Consent.objects.filter(child_id=child_id))


def _ensure_consented(case: Case) -> None:
    _ensure_open(case)
    if case.status not in CONSENTED_STATUSES or not child_has_active_consent(case.child_id):
        raise ApplicationError(
            _("No active consent for this child: record consent and assent first."),
            code="consent_required",
            fields={"consent": [_("No active consent for this child.")]},
        )
