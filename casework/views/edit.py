"""Corrections after registration: the child, and the household with its members and address."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casework import forms, selectors, services
from casework.views._base import _render, staff_required, typed
from core.errors import ApplicationError, NotFoundError, PermissionDeniedError

CHILD_FIELDS = (
    "full_name",
    "known_as",
    "sex",
    "date_of_birth",
    "birth_year",
    "birth_year_estimated",
    "school_status",
    "last_grade",
)


def _apply_or_raise(form, error: ApplicationError) -> None:
    if isinstance(error, PermissionDeniedError) and not error.fields:
        raise error  # the role may not do this at all: the 403 page
    forms.apply_error(form, error)


@staff_required
@require_http_methods(["GET", "POST"])
def child_edit(request, case_id: int):
    """Correct the child's details. A change of name, birth year or NIK runs the duplicate
    check again; likely duplicates are listed and saving needs a confirmation."""
    case = selectors.case_for_form(actor=request.user, case_id=case_id)
    child = case.child
    duplicates: list = []
    status = 200
    if request.method == "POST":
        form = forms.ChildEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            values: dict[str, Any] = {name: data.get(name) for name in CHILD_FIELDS}
            values["expected_version"] = data.get("version") or None
            values["known_as"] = values["known_as"] or ""
            if values["date_of_birth"] is None and values["birth_year"] is None:
                values.pop("date_of_birth")
                values.pop("birth_year")
            nik = (data.get("nik") or "").strip()
            if nik:
                values["nik"] = nik
            birth_year = values.get("birth_year") or (
                values["date_of_birth"].year if values.get("date_of_birth") else child.birth_year
            )
            identity_changed = (
                services.normalize_name(values["full_name"]) != child.normalized_name
                or birth_year != child.birth_year
                or bool(nik)
            )
            if identity_changed and not data.get("confirm_not_duplicate"):
                household = child.household
                duplicates = selectors.child_duplicates(
                    actor=request.user,
                    full_name=values["full_name"],
                    birth_year=birth_year,
                    guardian_name=household.guardian_name if household else "",
                    village=household.village if household else "",
                    nik=nik,
                    exclude_child_id=child.pk,
                )
            if not duplicates:
                try:
                    services.child_update(actor=request.user, case_id=case_id, **values)
                except ApplicationError as error:
                    _apply_or_raise(form, error)
                else:
                    messages.success(request, _("Saved."))
                    return redirect("case-detail", case_id=case_id)
            status = 200 if duplicates and not form.errors else 400
        else:
            status = 400
    else:
        form = forms.ChildEditForm(
            initial={name: getattr(child, name) for name in CHILD_FIELDS}
            | {"birth_year": None if child.date_of_birth else child.birth_year}
            | {"version": services.child_version(child)}
        )
    return _render(
        request,
        "casework/child_edit.html",
        {"case": case, "form": form, "duplicates": duplicates, "title": _("Edit the child")},
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def household_edit(request, case_id: int):
    """Correct the household: guardian, income, address and the list of members. "Add a
    member" adds a row to the form without saving or losing what was typed."""
    case = selectors.case_for_form(actor=request.user, case_id=case_id)
    household = case.child.household
    if household is None:
        raise NotFoundError(_("This child has no household record."))
    status = 200
    if request.method == "POST":
        form = forms.HouseholdForm(request.POST)
        version = forms.VersionForm(request.POST)
        members = forms.HouseholdMemberFormSet(request.POST, prefix="members")
        if "add_member" in request.POST:
            form = forms.HouseholdForm(initial=typed(form))
            members = forms.HouseholdMemberFormSet(
                prefix="members", initial=[typed(row) for row in members.forms] + [{}]
            )
        elif form.is_valid() and members.is_valid():
            rows = [
                {name: value for name, value in row.items() if name != "DELETE"}
                for row in members.cleaned_data
                if row and not row.get("DELETE")
            ]
            try:
                services.household_update(
                    actor=request.user,
                    case_id=case_id,
                    data=services.HouseholdInput(**form.cleaned_data),
                    members=rows,
                    expected_version=(
                        version.cleaned_data.get("version") if version.is_valid() else None
                    )
                    or None,
                )
            except ApplicationError as error:
                _apply_or_raise(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("case-detail", case_id=case_id)
            status = 400
        else:
            status = 400
    else:
        initial = {name: getattr(household, name) for name in services.HOUSEHOLD_FIELDS}
        form = forms.HouseholdForm(initial=initial)
        version = forms.VersionForm(initial={"version": services.household_version(household)})
        members = forms.HouseholdMemberFormSet(
            prefix="members",
            initial=[
                {
                    "name": member.name,
                    "relationship": member.relationship,
                    "birth_year": member.birth_year,
                    "occupation": member.occupation,
                }
                for member in household.members.order_by("id")
            ],
        )
    return _render(
        request,
        "casework/household_edit.html",
        {
            "case": case,
            "form": form,
            "version": version,
            "members": members,
            "title": _("Edit the household"),
        },
        status=status,
    )
