"""What the network adds to casework's pages through its settings hooks (CASE_PAGE_PANELS,
HOME_PAGE_PANELS, CASEWORK_NAV_ITEMS): casework calls these without importing network."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from casework.access import role_of
from casework.navigation import Link
from network import access
from network.capacity import access as capacity_access
from network.pages._common import mark_overdue
from network.referrals import selectors


def nav_items(*, user, capabilities) -> list[Link]:
    """The header menu's links (casework's CASEWORK_NAV_ITEMS hook): referrals for staff who
    refer, the directory for every other staff member; the NGO's report for those who read
    it; capacity building for the admin."""
    if role_of(user) is None:
        return []
    if access.may_refer(user):
        links = [Link(reverse("referral-inbox"), _("Referrals"), 35)]
    else:
        links = [Link(reverse("network-directory"), _("Directory"), 35)]
    if access.may_read_own_report(user):
        links.append(Link(reverse("ngo-report"), _("Reports"), 60))
    if capacity_access.may_read_history(user):
        links.append(Link(reverse("network-capacity"), _("Capacity building"), 75))
    return links


def home_panel(*, request) -> str:
    """Waiting and overdue referrals, both ways, with links to the lists."""
    if not access.may_refer(request.user):
        return ""
    counts = selectors.referral_counts(actor=request.user)
    return render_to_string("network/_home_panel.html", {"counts": counts}, request=request)


def case_panel(*, request, case) -> str:
    """The case's referrals (sent from it, or the one it was opened from) and, while the case
    is worked on, the refer button."""
    if not access.may_refer(request.user):
        return ""
    received = list(selectors.referrals_incoming(actor=request.user).filter(case=case))
    referrals = received + mark_overdue(
        selectors.referrals_outgoing(actor=request.user).filter(case=case)
    )
    return render_to_string(
        "network/_case_panel.html",
        {
            "case": case,
            "referrals": referrals,
            "may_refer": case.status not in (case.Status.IDENTIFIED, case.Status.CLOSED),
        },
        request=request,
    )
