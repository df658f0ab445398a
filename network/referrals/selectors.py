"""Reads of an NGO's referrals (its own schema)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from casework.access import Capability, cases_visible_to, require
from core import clock
from network.models import ReferralState
from network.referrals.models import Referral


def _overdue() -> Q:
    return Q(state=ReferralState.SENT, response_due_on__lt=clock.today())


def referrals_outgoing(*, actor, overdue: bool = False) -> QuerySet[Referral]:
    """Referrals sent from cases `actor` may see, newest first."""
    require(actor, Capability.EDIT_CASES)
    queryset = Referral.objects.filter(
        direction=Referral.Direction.OUTGOING, case__in=cases_visible_to(actor)
    ).select_related("case")
    return queryset.filter(_overdue()) if overdue else queryset


def referrals_incoming(*, actor, overdue: bool = False) -> QuerySet[Referral]:
    """The NGO's inbox: every referral received (staff who work on cases read it)."""
    require(actor, Capability.EDIT_CASES)
    queryset = Referral.objects.filter(direction=Referral.Direction.INCOMING)
    return queryset.filter(_overdue()) if overdue else queryset


def referral_counts(*, actor) -> dict[str, int]:
    """For the home page: waiting in the inbox, overdue either way."""
    incoming = referrals_incoming(actor=actor)
    outgoing = referrals_outgoing(actor=actor)
    return {
        "incoming_waiting": incoming.filter(state=ReferralState.SENT).count(),
        "incoming_overdue": incoming.filter(_overdue()).count(),
        "outgoing_overdue": outgoing.filter(_overdue()).count(),
    }
