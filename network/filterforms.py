"""What the report pages' filter forms (GET) share: a form is bound only when the query names
one of its fields (a stray parameter changes nothing, and no "Clear" appears for it), and a
filter given twice is an error beside its field instead of the last value silently winning."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


def bound_data(query: Mapping[str, Any], form_class: type[forms.Form]) -> Mapping[str, Any] | None:
    """The data to bind a filter form to: the query if it names one of the form's fields,
    else None (the page's defaults)."""
    return query if any(name in query for name in form_class.base_fields) else None


class OneValueEach(forms.Form):
    """A filter form whose every field takes one value (`?year=2025&year=2026` is refused)."""

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        getlist = getattr(self.data, "getlist", None)
        if getlist is not None:
            for name in self.fields:
                if len(getlist(name)) > 1:
                    self.add_error(name, _("Give one value."))
        return data
