"""What the pages offer to go to: the header's menu and a case's actions (its next step first).

Both are lists that other apps extend without casework importing them: settings name callables
(`CASEWORK_NAV_ITEMS`, `CASE_PAGE_ACTIONS`) resolved with `import_string`, each returning a
list of `Link`s. Templates loop over what comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from casework.access import capabilities_of
from casework.models import Case


@dataclass(frozen=True)
class Link:
    """A labelled address; `order` sorts a hook's items among the built-in ones."""

    url: str
    label: str
    order: int = 100


def _hooks(setting: str) -> list[Callable[..., list[Link]]]:
    return [import_string(path) for path in getattr(settings, setting, [])]


def nav_items(user: Any) -> list[Link]:
    """The header menu's links for `user`, by capability, then those of the settings' hooks
    (`CASEWORK_NAV_ITEMS`, each called with `user=` and `capabilities=`)."""
    caps = capabilities_of(user)
    items = [Link(reverse("home"), _("Home"), 10), Link(reverse("case-list"), _("Cases"), 20)]
    if caps["edit_cases"]:
        items.append(Link(reverse("register") + "?new=1", _("Register a child"), 30))
    if caps["approve"]:
        items.append(Link(reverse("approvals"), _("Approvals"), 40))
    if caps["manage_staff"]:
        items.append(Link(reverse("staff"), _("Staff"), 70))
    if caps["manage_settings"]:
        items.append(Link(reverse("ngo-settings"), _("Settings"), 80))
    if caps["view_audit"]:
        items.append(Link(reverse("audit"), _("Audit"), 90))
    items.append(Link(reverse("account"), _("My account"), 95))
    for hook in _hooks("CASEWORK_NAV_ITEMS"):
        items.extend(hook(user=user, capabilities=caps))
    return sorted(items, key=lambda item: item.order)


@dataclass(frozen=True)
class CaseActions:
    """The case page's buttons: the next step (at most one) and the rest, for a menu."""

    primary: Link | None
    more: list[Link]


def _next_step(status: str) -> str | None:
    """The key of the step a case in `status` asks for next."""
    if status == Case.Status.REGISTERED:
        return "assessment"
    if status in (Case.Status.ASSESSED, Case.Status.RELAPSED):
        return "plan"
    if status == Case.Status.PLANNED:
        return "service"
    if status == Case.Status.IN_SERVICE:
        return "followup"
    if status == Case.Status.MONITORING:
        return "verification"
    return None


def case_actions(*, user: Any, case: Case, allowed_next: list[str]) -> CaseActions:
    """What `user` may do on `case` now: the next step first, the other steps in the menu, then
    the hooks' links (`CASE_PAGE_ACTIONS`, each called with `user=`, `case=`, `capabilities=`)."""
    caps = capabilities_of(user)
    if not caps["edit_cases"]:
        return CaseActions(None, [])
    pk = case.pk
    if case.status == Case.Status.CLOSED:
        reopen = Link(reverse("reopen", args=[pk]), _("Reopen")) if caps["approve"] else None
        return CaseActions(reopen, [])
    if case.status == Case.Status.IDENTIFIED:
        return CaseActions(Link(reverse("consent-new", args=[pk]), _("Record consent")), [])
    if case.status == Case.Status.CLOSURE_REQUESTED:
        return CaseActions(None, [Link(reverse("note-new", args=[pk]), _("Note"))])
    links = {
        "assessment": Link(reverse("assessment-new", args=[pk]), _("Assessment")),
        "plan": Link(reverse("plan-edit", args=[pk]), _("Plan")),
        "service": Link(reverse("intervention-new", args=[pk]), _("Service delivered")),
        "followup": Link(reverse("followup-new", args=[pk]), _("Schedule a visit")),
        "verification": Link(reverse("verification-new", args=[pk]), _("Verification")),
        "note": Link(reverse("note-new", args=[pk]), _("Note")),
        "document": Link(reverse("attachment-new", args=[pk]), _("Document")),
        "consent": Link(reverse("consent-new", args=[pk]), _("Guardian's consent")),
    }
    if Case.Status.CLOSURE_REQUESTED in allowed_next:
        links["closure"] = Link(reverse("closure-request", args=[pk]), _("Request closure"))
    primary_key = _next_step(case.status)
    primary = links.pop(primary_key) if primary_key else None
    more = list(links.values())
    for hook in _hooks("CASE_PAGE_ACTIONS"):
        more.extend(hook(user=user, case=case, capabilities=caps))
    return CaseActions(primary, more)
