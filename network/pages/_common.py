"""Helpers shared by the referral pages."""

from __future__ import annotations

from collections.abc import Iterable

from core import clock
from network.models import ReferralState


def mark_overdue(referrals: Iterable) -> list:
    """The referrals with `is_overdue` set: still unanswered after the agreement's response
    time (the selectors' overdue rule, for rows already loaded)."""
    today = clock.today()
    rows = list(referrals)
    for referral in rows:
        referral.is_overdue = (
            referral.state == ReferralState.SENT and referral.response_due_on < today
        )
    return rows
