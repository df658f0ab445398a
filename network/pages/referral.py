"""The referral page (metadata, the shared fields, the timeline, the actions this side may take
in this state), its actions, and the printable letter."""

from __future__ import annotations

from django import forms as django_forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework import forms as casework_forms
from casework import selectors as casework_selectors
from casework import services as casework_services
from casework.access import Capability, can
from casework.views._base import FORM_TOKEN_FIELD, _render, staff_required
from core.errors import ApplicationError, PermissionDeniedError
from network.models import REFERRAL_TRANSITIONS, ReferralState
from network.pages import data, forms
from network.pages._common import mark_overdue
from network.pages.fields import shared_rows
from network.referrals import selectors as referral_selectors
from network.referrals import services
from network.referrals.models import Referral

OUTGOING = Referral.Direction.OUTGOING
INCOMING = Referral.Direction.INCOMING


def _actions(referral: Referral) -> list[str]:
    """The actions this side may take on the referral in its state."""
    state = referral.state
    if referral.direction == INCOMING:
        receiver: dict[str, list[str]] = {
            ReferralState.SENT: ["accept", "decline"],
            ReferralState.ACCEPTED: ["progress"],
            ReferralState.IN_PROGRESS: ["complete"],
        }
        return receiver.get(state, [])
    actions = ["withdraw"] if state == ReferralState.SENT else []
    if not referral.counterpart_is_partner and _answers(referral):
        actions.append("record")
    return actions


def _answers(referral: Referral) -> list[str]:
    """What an outside agency may answer next (recorded by the sender)."""
    allowed = REFERRAL_TRANSITIONS[ReferralState(referral.state)]
    return [state for state in allowed if state != ReferralState.WITHDRAWN]


def _forms(request, referral: Referral, actions: list[str], bound=None) -> dict:
    """A form per allowed action; `bound` = (action, form) of the one just sent."""
    built: dict[str, django_forms.Form] = {}
    for action in actions:
        if action == "accept":
            worker_choices = (
                casework_selectors.worker_choices(actor=request.user)
                if can(request.user, Capability.ASSIGN_CASES)
                else []
            )
            built[action] = forms.AcceptForm(worker_choices=worker_choices)
        elif action == "decline":
            built[action] = forms.ReasonForm(prefix="decline")
        elif action == "progress":
            built[action] = forms.NoteForm(prefix="progress")
        elif action == "complete":
            built[action] = forms.OutcomeForm(prefix="complete")
        elif action == "withdraw":
            built[action] = forms.WithdrawForm(prefix="withdraw")
        elif action == "record":
            built[action] = forms.RecordResponseForm(prefix="record", allowed=_answers(referral))
    if bound is not None:
        built[bound[0]] = bound[1]
    return built


def _bind(request, referral: Referral, action: str):
    empty = _forms(request, referral, [action])[action]
    kwargs = {"prefix": empty.prefix, "data": request.POST}
    if action == "accept":
        return forms.AcceptForm(
            worker_choices=empty.fields["assign_to"].choices[1:], data=request.POST
        )
    if action == "record":
        return forms.RecordResponseForm(allowed=_answers(referral), **kwargs)
    return type(empty)(**kwargs)


def _page(request, referral: Referral, *, bound=None, status: int = 200):
    mark_overdue([referral])
    actions = _actions(referral)
    opened = data.referral_fields(actor=request.user, referral=referral)
    return _render(
        request,
        "network/referral_detail.html",
        {
            "referral": referral,
            "outgoing": referral.direction == OUTGOING,
            "agency": data.counterpart(referral),
            "rows": shared_rows(list(referral.shared_fields), opened.data),
            "opened": opened.data is not None,
            "open_problem": opened.problem,
            "events": list(referral.events.all()),
            "own_agency_uuid": (
                referral.from_agency_uuid
                if referral.direction == OUTGOING
                else referral.to_agency_uuid
            ),
            "actions": actions,
            "case_visible": referral_selectors.case_visible(actor=request.user, referral=referral),
            "forms": _forms(request, referral, actions, bound),
            "form_token": casework_services.form_token_new(),
        },
        status=status,
    )


@staff_required
def referral_detail(request, referral_uuid):
    """The referral page."""
    referral = data.referral_detail(actor=request.user, referral_uuid=referral_uuid)
    return _page(request, referral)


def _perform(request, referral: Referral, action: str, values: dict) -> None:
    actor, uuid = request.user, referral.uuid
    if action == "accept":
        services.referral_accept(
            actor=actor, referral_uuid=uuid, assign_to_id=values.get("assign_to")
        )
    elif action == "decline":
        services.referral_decline(actor=actor, referral_uuid=uuid, reason=values["reason"])
    elif action == "progress":
        services.referral_progress(actor=actor, referral_uuid=uuid, note=values["note"])
    elif action == "complete":
        services.referral_complete(
            actor=actor, referral_uuid=uuid, outcome_note=values["outcome_note"]
        )
    elif action == "withdraw":
        services.referral_withdraw(actor=actor, referral_uuid=uuid, reason=values["reason"])
    elif action == "record":
        services.referral_record_response(
            actor=actor, referral_uuid=uuid, state=values["state"], note=values["note"]
        )


DONE = {
    "accept": gettext_lazy("Referral accepted."),
    "decline": gettext_lazy("Referral declined."),
    "progress": gettext_lazy("Marked as in progress."),
    "complete": gettext_lazy("Referral completed."),
    "withdraw": gettext_lazy("Referral withdrawn."),
    "record": gettext_lazy("The agency's answer is recorded."),
}


@staff_required
def referral_action(request, referral_uuid, action: str):
    """POST one action of the referral page; a form sent twice acts once."""
    if action not in DONE:
        raise Http404
    referral = data.referral_detail(actor=request.user, referral_uuid=referral_uuid)
    page_url = reverse("referral-detail", kwargs={"referral_uuid": referral.uuid})
    if request.method != "POST":
        return redirect(page_url)
    token = request.POST.get(FORM_TOKEN_FIELD)
    earlier = casework_services.submission_result(actor=request.user, token=token)
    if earlier:
        return redirect(earlier)
    if action not in _actions(referral):
        messages.error(request, _("This referral does not allow that now."))
        return _page(request, referral, status=409)
    form = _bind(request, referral, action)
    if form.is_valid():

        def perform() -> str:
            _perform(request, referral, action, form.cleaned_data)
            return page_url

        try:
            casework_services.submission_once(actor=request.user, token=token, perform=perform)
        except PermissionDeniedError as error:
            if not error.fields:
                raise
            casework_forms.apply_error(form, error)
        except ApplicationError as error:
            casework_forms.apply_error(form, error)
        else:
            messages.success(request, str(DONE[action]))
            return redirect(page_url)
    referral = data.referral_detail(actor=request.user, referral_uuid=referral_uuid)
    return _page(request, referral, bound=(action, form), status=400)


@staff_required
def referral_letter(request, referral_uuid):
    """The printable referral letter of a sent referral: the agency's contact, only the agreed
    fields, space for a signature; in the reader's language."""
    letter = data.referral_letter(actor=request.user, referral_uuid=referral_uuid)
    return _render(request, "network/referral_letter.html", {"letter": letter})
