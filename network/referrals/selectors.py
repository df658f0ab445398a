"""Reads of an NGO's referrals (its own schema)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from casework.access import Capability, cases_visible_to, require
from core import clock
from network.models import ReferralState
from network.referrals.models import Referral


def _overdue() -> Q:
    return Q(state=ReferralState.SENT, response_due_on__lt=clock.today())


def _narrowed(
    queryset: QuerySet[Referral], *, overdue: bool, states: list[str] | None
) -> QuerySet[Referral]:
    if states:
        queryset = queryset.filter(state__in=states)
    return queryset.filter(_overdue()) if overdue else queryset


def referrals_outgoing(
    *, actor, overdue: bool = False, states: list[str] | None = None
) -> QuerySet[Referral]:
    """Referrals sent from cases `actor` may see, newest first (optionally only overdue ones
    or those in `states`)."""
    require(actor, Capability.EDIT_CASES)
    queryset = Referral.objects.filter(
        direction=Referral.Direction.OUTGOING, case__in=cases_visible_to(actor)
    ).select_related("case")
    return _narrowed(queryset, overdue=overdue, states=states)


def referrals_incoming(
    *, actor, overdue: bool = False, states: list[str] | None = None
) -> QuerySet[Referral]:
    """The NGO's inbox: every referral received (staff who work on cases read it)."""
    require(actor, Capability.EDIT_CASES)
    queryset = Referral.objects.filter(direction=Referral.Direction.INCOMING)
    return _narrowed(queryset, overdue=overdue, states=states)


def referral_counts(*, actor) -> dict[str, int]:
    """For the home page: waiting in the inbox, overdue either way."""
    incoming = referrals_incoming(actor=actor)
    outgoing = referrals_outgoing(actor=actor)
    return {
        "incoming_waiting": incoming.filter(state=ReferralState.SENT).count(),
        "incoming_overdue": incoming.filter(_overdue()).count(),
        "outgoing_overdue": outgoing.filter(_overdue()).count(),
    }
