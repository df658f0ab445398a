"""Forms of the coordinator console. They check types and shapes; the rules are the services',
whose field errors are put back next to their fields (`casework.forms.apply_error`)."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from casework import regions
from casework.forms import DateInput
from network.filterforms import OneValueEach
from network.models import (
    SHARED_FIELD_EXPLANATIONS,
    Agency,
    ReferralAgreement,
    ServiceType,
    SharedField,
)

OUTSIDE_KINDS = [(value, label) for value, label in Agency.Kind.choices if value != "partner_ngo"]


def province_choices() -> list[tuple[str, str]]:
    return regions.province_choices()


def regency_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Regencies grouped by province (an <optgroup> each)."""
    return [
        (province.name, regions.regency_choices(province.code)) for province in regions.provinces()
    ]


def region_filter_choices() -> list[tuple[str, object]]:
    """For the directory search: anywhere, then each province followed by its regencies."""
    choices: list[tuple[str, object]] = [("", _("Any region"))]
    for province in regions.provinces():
        options = [
            (province.code, _("%(province)s (whole province)") % {"province": province.name})
        ]
        options += regions.regency_choices(province.code)
        choices.append((province.name, options))
    return choices


class OnboardForm(forms.Form):
    """A new partner NGO and its first admin."""

    name = forms.CharField(label=_("NGO name"), max_length=200)
    slug = forms.CharField(
        label=_("Address (slug)"),
        max_length=40,
        help_text=_("Lowercase letters, digits and hyphens: the NGO's address <slug>.%(domain)s."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "off"}),
    )
    admin_email = forms.EmailField(
        label=_("First admin's e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    admin_password = forms.CharField(
        label=_("First admin's password"),
        required=False,
        strip=False,
        help_text=_("Leave empty to generate one; it is shown once, after the NGO is created."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=200, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    region = forms.CharField(label=_("Region"), max_length=200, required=False)

    def __init__(self, *args, base_domain: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].help_text = self.fields["slug"].help_text % {"domain": base_domain}


class AgencyForm(forms.Form):
    """An outside agency (or a partner NGO's services, regions and contacts)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=OUTSIDE_KINDS)
    name = forms.CharField(label=_("Name"), max_length=200)
    service_types = forms.MultipleChoiceField(
        label=_("Services offered"),
        choices=ServiceType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    province_codes = forms.MultipleChoiceField(
        label=_("Provinces served (all their regencies)"),
        choices=province_choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    regency_codes = forms.MultipleChoiceField(
        label=_("Regencies and cities served"),
        choices=regency_choices,
        required=False,
        help_text=_("Choose no region for an agency that serves anywhere."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, partner: bool = False, with_active: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if partner:
            # A partner NGO's kind and name follow its tenant row.
            del self.fields["kind"]
            del self.fields["name"]
        if with_active:
            self.fields["is_active"] = forms.BooleanField(
                label=_("Active (offered for referrals)"), required=False
            )


class ReviewForm(forms.Form):
    """A coordinator's decision on a proposed agency."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (required to reject)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SharedFieldSelect(forms.CheckboxSelectMultiple):
    """Each shareable field with what it carries under its name."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        explanation = SHARED_FIELD_EXPLANATIONS.get(value)
        if explanation:
            option["label"] = format_html(
                '{} <small class="explain">{}</small>', label, explanation
            )
        return option


class AgreementForm(forms.Form):
    """A draft referral agreement between two agencies of the consortium."""

    first_agency = forms.ChoiceField(label=_("First agency"))
    second_agency = forms.ChoiceField(label=_("Second agency"))
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=ReferralAgreement.Direction.choices,
        initial=ReferralAgreement.Direction.BOTH_WAYS,
        widget=forms.RadioSelect,
    )
    service_types = forms.MultipleChoiceField(
        label=_("Services covered"),
        choices=ServiceType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    shared_fields = forms.MultipleChoiceField(
        label=_("Fields that may be shared"),
        choices=SharedField.choices,
        widget=SharedFieldSelect,
    )
    response_days = forms.IntegerField(
        label=_("Response time (days)"), initial=7, min_value=1, max_value=90
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput)
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=DateInput)
    mou = forms.FileField(
        label=_("Signed MoU (PDF, at most 5 MB)"),
        required=False,
        help_text=_("Needed to activate; it can also be uploaded later."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [
            (str(agency.uuid), f"{agency.name} · {agency.get_kind_display()}")
            for agency in agencies
        ]
        self.fields["first_agency"].choices = choices
        self.fields["second_agency"].choices = choices

    def clean(self):
        cleaned = super().clean()
        valid_from, valid_to = cleaned.get("valid_from"), cleaned.get("valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            self.add_error("valid_to", _("The end date cannot be before the start date."))
        return cleaned


class ActivateForm(forms.Form):
    mou = forms.FileField(
        label=_("Signed MoU (PDF, at most 5 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class DirectorySearchForm(forms.Form):
    service_type = forms.ChoiceField(
        label=_("Service"),
        required=False,
        choices=[("", _("Any service")), *ServiceType.choices],
    )
    region = forms.ChoiceField(label=_("Region"), required=False, choices=region_filter_choices)
    search = forms.CharField(label=_("Name"), required=False, max_length=100)


class ReportFilterForm(OneValueEach):
    """The dashboard's filters (GET): year, one of NGO / province / sex / age band, standard.

    One filter at a time: each is a slice of the consortium's published tables (see
    network/reporting/publication.py), which is what keeps any two pages from being combined
    to reveal a small count."""

    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    ngo = forms.ChoiceField(label=_("NGO"), required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)
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

    def __init__(self, *args, consortium, **kwargs):
        from network.reporting import publication
        from network.reporting.indicators import AGE_BANDS, DIMENSIONS
        from tenants.models import NGO

        super().__init__(*args, **kwargs)
        anything = [("", _("All"))]
        self.fields["year"].choices = [(year, str(year)) for year in reversed(publication.years())]
        self.fields["ngo"].choices = anything + list(
            NGO.objects.filter(consortium=consortium, is_template=False)
            .exclude(schema_name="public")
            .order_by("name")
            .values_list("slug", "name")
        )
        self.fields["province"].choices = anything + province_choices()
        self.fields["sex"].choices = anything + [
            (value.code, value.name) for value in DIMENSIONS["sex"].values or ()
        ]
        self.fields["age_band"].choices = anything + [(v.code, v.name) for v in AGE_BANDS]

    def clean(self):
        data = super().clean()
        chosen = [name for name in ("ngo", "province", "sex", "age_band") if data.get(name)]
        if len(chosen) > 1:
            message = _(
                "Choose one of NGO, province, sex or age band at a time: the figures are "
                "published as tables by one of them, so that no two pages together reveal a "
                "small count."
            )
            self.add_error(None, message)
            for name in chosen:
                self.add_error(name, _("One filter at a time."))
        return data

    def filters(self):
        """The dashboard's Filters for the cleaned data (the current year by default)."""
        from network.reporting import dashboard

        data = self.cleaned_data
        return dashboard.Filters(
            year=data.get("year") or dashboard.default_filters().year,
            ngo=data.get("ngo") or "",
            province=data.get("province") or "",
            sex=data.get("sex") or "",
            age_band=data.get("age_band") or "",
            standard=data.get("standard") or "ilo",
        )
