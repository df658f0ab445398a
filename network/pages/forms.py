"""Forms of the referral pages. They check types and shapes; the rules are the services', whose
errors go back next to their fields (casework.forms.apply_error)."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from casework import regions
from network.filterforms import OneValueEach
from network.models import Agency, ReferralState, ServiceType, Urgency

REASON_WIDGET = forms.Textarea(attrs={"rows": 3})


def _service_choices():
    return [("", _("Any service")), *ServiceType.choices]


class DirectorySearchForm(forms.Form):
    """Search the directory by service type, region and name (GET)."""

    service_type = forms.ChoiceField(label=_("Service"), required=False)
    province_code = forms.ChoiceField(label=_("Province"), required=False)
    regency_code = forms.ChoiceField(label=_("Regency / city"), required=False)
    search = forms.CharField(label=_("Name"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_type"].choices = _service_choices()
        self.fields["province_code"].choices = [("", _("Anywhere")), *regions.province_choices()]
        province = self.data.get("province_code") or None
        self.fields["regency_code"].choices = [("", "—"), *regions.regency_choices(province)]
        # Choosing a province loads its regencies (casework's htmx endpoint).
        self.fields["province_code"].widget.attrs.update(
            {
                "hx-get": reverse("regency-options"),
                "hx-target": "#id_regency_code",
                "hx-trigger": "change",
            }
        )

    def region(self) -> str | None:
        """The regency chosen, else the province (valid forms only)."""
        data = self.cleaned_data
        return data.get("regency_code") or data.get("province_code") or None


class AgencyProposalForm(forms.Form):
    """An outside agency NGO staff propose for the directory."""

    kind = forms.ChoiceField(label=_("Kind of agency"))
    name = forms.CharField(label=_("Name"))
    service_types = forms.MultipleChoiceField(
        label=_("Services offered"),
        choices=ServiceType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    province_codes = forms.MultipleChoiceField(
        label=_("Provinces served"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    contact_name = forms.CharField(label=_("Contact person"), required=False)
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (value, label) for value, label in Agency.Kind.choices if value != "partner_ngo"
        ]
        self.fields["province_codes"].choices = regions.province_choices()


class ListFilterForm(forms.Form):
    """The inbox's and sent list's filter: a state, or only the overdue ones."""

    state = forms.ChoiceField(label=_("State"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("All")), *ReferralState.choices]


class ReferForm(forms.Form):
    """Refer the case's child: a service, then one of the agencies offered for it."""

    service_type = forms.ChoiceField(label=_("Service needed"))
    to_agency = forms.UUIDField(label=_("Agency"), widget=forms.HiddenInput, required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    reason = forms.CharField(label=_("Reason for referral"), widget=REASON_WIDGET, max_length=2000)

    def __init__(self, *args, options_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        service = self.fields["service_type"]
        service.choices = [("", "—"), *ServiceType.choices]  # type: ignore[attr-defined]
        # Choosing a service loads the agencies that may receive it (htmx); without
        # JavaScript the "Show agencies" button does the same.
        self.fields["service_type"].widget.attrs.update(
            {
                "hx-get": options_url,
                "hx-target": "#refer-options",
                "hx-trigger": "change",
                "hx-include": "this",
            }
        )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=REASON_WIDGET, max_length=2000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=REASON_WIDGET, max_length=2000)


class OutcomeForm(forms.Form):
    outcome_note = forms.CharField(
        label=_("Outcome for the referring NGO"), widget=REASON_WIDGET, max_length=2000
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is withdrawn"), required=False, widget=REASON_WIDGET, max_length=2000
    )


class RecordResponseForm(forms.Form):
    """The sender writes down an outside agency's answer (by phone or letter)."""

    state = forms.ChoiceField(label=_("The agency's answer"))
    note = forms.CharField(label=_("Note"), required=False, widget=REASON_WIDGET, max_length=2000)

    def __init__(self, *args, allowed: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(ReferralState.choices)
        self.fields["state"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
            (state, labels[state]) for state in allowed if state != ReferralState.WITHDRAWN
        ]


class AcceptForm(forms.Form):
    """The receiver accepts; a supervisor may hand the new case to a worker."""

    assign_to = forms.TypedChoiceField(
        label=_("Worker for the new case"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, worker_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assign_to"].choices = [("", _("Me")), *worker_choices]


class OwnReportFilterForm(OneValueEach):
    """The NGO report's filters (GET): period, sex, age band, child-labour rules."""

    period_from = forms.CharField(
        label=_("From (month)"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-01"}),
    )
    period_to = forms.CharField(
        label=_("To (month)"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-12"}),
    )
    sex = forms.ChoiceField(label=_("Sex"), required=False)
    age_band = forms.ChoiceField(label=_("Age band"), required=False)
    standard = forms.ChoiceField(
        label=_("Child-labour rules"),
        required=False,
        choices=[
            ("ilo", _("ILO (international statistics)")),
            ("bps", _("BPS (Statistics Indonesia)")),
        ],
    )

    def __init__(self, *args, **kwargs):
        from network.reporting.indicators import AGE_BANDS, DIMENSIONS

        super().__init__(*args, **kwargs)
        anything = [("", _("All"))]
        self.fields["sex"].choices = anything + [
            (value.code, value.name) for value in DIMENSIONS["sex"].values or ()
        ]
        self.fields["age_band"].choices = anything + [(v.code, v.name) for v in AGE_BANDS]

    def filters(self):
        """The report's Filters (valid forms only); None, with field errors, for a month that is
        not YYYY-MM, a period that ends before it starts or one longer than REPORTING_MONTHS."""
        from django.conf import settings

        from core.errors import ApplicationError
        from network.reporting import ngo_report, selectors
        from network.reporting.rollup import months_back

        data = self.cleaned_data
        default = ngo_report.default_filters()
        try:
            last = (
                selectors.month_parse(data["period_to"], field_name="period_to")
                if data.get("period_to")
                else default.last
            )
            first = (
                selectors.month_parse(data["period_from"], field_name="period_from")
                if data.get("period_from")
                else months_back(last, ngo_report.DEFAULT_MONTHS)[0]
            )
        except ApplicationError as error:
            for name, messages in (error.fields or {}).items():
                for message in messages:
                    self.add_error(name, message)
            return None
        if first > last:
            self.add_error("period_to", _("The period ends before it starts."))
            return None
        if selectors.months_between(first, last) > settings.REPORTING_MONTHS:
            self.add_error(
                "period_from",
                _("A period is at most %(count)d months.") % {"count": settings.REPORTING_MONTHS},
            )
            return None
        return ngo_report.Filters(
            first=first,
            last=last,
            sex=data.get("sex") or "",
            age_band=data.get("age_band") or "",
            standard=data.get("standard") or "ilo",
        )
