"""Forms of the NGO's web pages. They check types and shapes; the rules are casework.validation's:
a form runs the same rules as the service (`RuleChecked`) to show their messages on their fields
early, and service errors are put back next to the fields they name (`apply_error`)."""

from __future__ import annotations

import re

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from casework import regions, validation
from casework.models import (
    Assessment,
    Attachment,
    Case,
    Child,
    FollowUp,
    Household,
    Intervention,
    NGOSettings,
    PlannedService,
    StaffProfile,
)
from casework.services import ASSESSMENT_INPUT_FIELDS, ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES
from core.errors import ApplicationError


class DateInput(forms.DateInput):
    """A native date picker: the phone shows its own calendar."""

    input_type = "date"

    def format_value(self, value):
        return value.isoformat() if hasattr(value, "isoformat") else value


def apply_error(form: forms.Form, error: ApplicationError) -> None:
    """Show a service error next to the fields it names (unknown names go on top)."""
    if not error.fields:
        form.add_error(None, error.message)
        return
    for name, messages in error.fields.items():
        target = name if name in form.fields else None
        if target is None and name.endswith("_id") and name.removesuffix("_id") in form.fields:
            target = name.removesuffix("_id")  # the service names the id, the form the choice
        for message in messages if isinstance(messages, list) else [messages]:
            form.add_error(target, message)


PLAN_ERROR_RE = re.compile(r"^goals\[(\d+)\]\.(?:services\[\d+\]\.)?(\w+)$")
PLAN_FIELDS = {"responsible_worker_id": "responsible_worker", "type": "service_type"}


def apply_plan_error(form: forms.Form, goal_forms: list, error: ApplicationError) -> None:
    """A plan error naming `goals[i]...` (e.g. `goals[0].services[0].responsible_worker_id`)
    goes on the field of the goal form that made goal i; anything else on the plan form."""
    rest = {}
    for name, messages in error.fields.items():
        match = PLAN_ERROR_RE.match(name)
        index = int(match.group(1)) if match else -1
        if match and index < len(goal_forms):
            goal_form = goal_forms[index]
            field = PLAN_FIELDS.get(match.group(2), match.group(2))
            if field in goal_form.fields:
                for message in messages if isinstance(messages, list) else [messages]:
                    goal_form.add_error(field, message)
                continue
        rest[name] = messages
    if rest or not error.fields:
        apply_error(form, ApplicationError(error.message, code=error.code, fields=rest))


class RuleChecked:
    """A form that runs casework.validation's `rules` for its input, the ones the service runs,
    and puts each message on its field. Inputs carry no `maxlength`: a browser would cut a longer
    text (a pasted name) without a word, where the rule says what is too long."""

    rules: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)

    def clean(self):
        data = super().clean()
        for name, messages in validation.errors(self.rules, data).items():
            for message in messages:
                self.add_error(name, message)
        return data


class ChildForm(RuleChecked, forms.Form):
    rules = validation.CHILD

    full_name = forms.CharField(label=_("Full name"))
    known_as = forms.CharField(label=_("Known as"), required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=Child.Sex.choices, widget=forms.RadioSelect)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput)
    birth_year = forms.IntegerField(
        label=_("Birth year (if the date is not known)"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    birth_year_estimated = forms.BooleanField(label=_("The year is an estimate"), required=False)
    nik = forms.CharField(
        label=_("NIK (optional)"),
        required=False,
        max_length=16,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "pattern": "[0-9]{16}", "autocomplete": "off"}
        ),
    )
    school_status = forms.ChoiceField(label=_("School"), choices=Child.SchoolStatus.choices)
    last_grade = forms.IntegerField(
        label=_("Last grade completed"), required=False, min_value=0, max_value=12
    )
    case_type = forms.ChoiceField(
        label=_("Type of case"), choices=Case.Type.choices, initial=Case.Type.CHILD_LABOUR
    )

    def clean(self):
        data = super().clean()
        if "date_of_birth" in data and "birth_year" in data:  # neither had an error
            missing = validation.birth_known(data["date_of_birth"], data["birth_year"])
            if missing:
                self.add_error("birth_year", missing)
        return data


class ChildEditForm(ChildForm):
    """Corrections to a registered child. The NIK field left empty keeps the NIK on record."""

    confirm_not_duplicate = forms.BooleanField(
        label=_("I checked: this is not the same child as the ones listed"), required=False
    )
    # The record's version when the form was opened (services.child_version).
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["case_type"]
        self.fields["nik"].label = _("New NIK (empty: keep the one on record)")


class VersionForm(forms.Form):
    """The household's version when its edit page was opened (services.household_version)."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)


class HouseholdForm(RuleChecked, forms.Form):
    rules = validation.HOUSEHOLD

    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=200)
    guardian_relationship = forms.CharField(label=_("Relationship to the child"), max_length=60)
    guardian_phone = forms.CharField(
        label=_("Guardian's phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    head_of_household = forms.CharField(
        label=_("Head of household"), max_length=200, required=False
    )
    member_count = forms.IntegerField(
        label=_("Number of household members"), min_value=1, max_value=50
    )
    income_source = forms.CharField(label=_("Main income source"), max_length=200, required=False)
    # No band chosen ahead: a skipped answer would otherwise record the first band.
    monthly_income_band = forms.ChoiceField(
        label=_("Monthly income"), choices=[("", "---------"), *Household.IncomeBand.choices]
    )
    province_code = forms.ChoiceField(label=_("Province"), required=False)
    regency_code = forms.ChoiceField(label=_("Regency / city"), required=False)
    district = forms.CharField(label=_("District (kecamatan)"), max_length=120, required=False)
    village = forms.CharField(label=_("Village (desa / kelurahan)"), max_length=120, required=False)
    address_line = forms.CharField(label=_("Address"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province_code"].choices = [("", "—"), *regions.province_choices()]
        province = self.data.get(self.add_prefix("province_code")) or self.initial.get(
            "province_code"
        )
        self.fields["regency_code"].choices = [("", "—"), *regions.regency_choices(province)]
        # Choosing a province loads its regencies (htmx); without JavaScript the list fills
        # when the form comes back.
        self.fields["province_code"].widget.attrs.update(
            {
                "hx-get": reverse("regency-options"),
                "hx-target": "#id_regency_code",
                "hx-trigger": "change",
            }
        )


class HouseholdMemberForm(RuleChecked, forms.Form):
    rules = validation.HOUSEHOLD_MEMBER

    name = forms.CharField(label=_("Name"), max_length=200)
    relationship = forms.CharField(label=_("Relationship"), max_length=60)
    birth_year = forms.IntegerField(
        label=_("Birth year"),
        required=False,
        min_value=1900,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    occupation = forms.CharField(label=_("Occupation"), max_length=120, required=False)


HouseholdMemberFormSet = forms.formset_factory(HouseholdMemberForm, extra=0, can_delete=True)


class ConsentForm(RuleChecked, forms.Form):
    rules = validation.CONSENT

    guardian_name = forms.CharField(label=_("Guardian who consented"), max_length=200)
    guardian_relationship = forms.CharField(label=_("Relationship"), max_length=60)
    guardian_consented = forms.BooleanField(label=_("The guardian consents"), required=False)
    child_assented = forms.BooleanField(label=_("The child agrees (assent)"), required=False)
    consented_on = forms.DateField(label=_("Date"), widget=DateInput)
    scope_record_keeping = forms.BooleanField(
        label=_("Keeping records"),
        required=False,
        initial=True,
        help_text=_(
            "We write down what we learn about the child and the family and what we do to "
            "help, and keep it safe. Without this we cannot work on the case."
        ),
    )
    scope_referral_sharing = forms.BooleanField(
        label=_("Sharing for referral"),
        required=False,
        help_text=_(
            "When another service (a school, a clinic, legal aid) can help, we may send them "
            "the details they need, only under a signed agreement."
        ),
    )
    scope_photos = forms.BooleanField(
        label=_("Photos"),
        required=False,
        help_text=_("We may take and keep a photo of the child, only for the case file."),
    )


class AssessmentForm(RuleChecked, forms.ModelForm):
    rules = validation.ASSESSMENT

    hazards = forms.MultipleChoiceField(
        label=_("Hazards"),
        choices=Assessment.Hazard.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    worst_forms = forms.MultipleChoiceField(
        label=_("Worst forms"),
        choices=Assessment.WorstForm.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Assessment
        fields = list(ASSESSMENT_INPUT_FIELDS)
        widgets = {
            "assessed_on": DateInput,
            "tasks": forms.Textarea(attrs={"rows": 2}),
            "schooling_notes": forms.Textarea(attrs={"rows": 2}),
            "health_notes": forms.Textarea(attrs={"rows": 2}),
            "psychosocial_notes": forms.Textarea(attrs={"rows": 2}),
            "family_economy_notes": forms.Textarea(attrs={"rows": 2}),
            "safety_notes": forms.Textarea(attrs={"rows": 2}),
            "hours_per_week": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.5"}),
            "monthly_wage": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }
        labels = {
            "score_education": _("Education (1 worst - 5 best)"),
            "score_health": _("Health (1-5)"),
            "score_psychosocial": _("Psychosocial (1-5)"),
            "score_safety": _("Safety (1-5)"),
            "score_family_economy": _("Family economy (1-5)"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in Assessment.SCORE_FIELDS:
            self.fields[name].widget = forms.Select(choices=[(i, str(i)) for i in range(1, 6)])


class PlanGoalForm(RuleChecked, forms.Form):
    # Its target date's rule depends on the plan's earlier targets: plan_save decides, and the
    # plan page puts the message on this form's field.

    goal_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    description = forms.CharField(label=_("Goal"), widget=forms.Textarea(attrs={"rows": 2}))
    target_date = forms.DateField(label=_("Target date"), widget=DateInput)
    service_type = forms.ChoiceField(
        label=_("Planned service"),
        choices=[("", "—"), *Intervention.Type.choices],  # "—": a goal without a service
        required=False,
    )
    provider_kind = forms.ChoiceField(
        label=_("Provider"), choices=PlannedService.ProviderKind.choices, required=False
    )
    provider_name = forms.CharField(label=_("Provider name"), max_length=200, required=False)
    responsible_worker = forms.TypedChoiceField(
        label=_("Responsible worker"), coerce=int, required=False
    )
    due_on = forms.DateField(label=_("Service due date"), required=False, widget=DateInput)

    def __init__(self, *args, worker_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_worker"].choices = [("", "—"), *worker_choices]


PlanGoalFormSet = forms.formset_factory(PlanGoalForm, extra=0, min_num=1, validate_min=True)


class PlanForm(forms.Form):
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    submit = forms.BooleanField(label=_("Send to the supervisor for approval"), required=False)


class InterventionForm(RuleChecked, forms.ModelForm):
    rules = validation.INTERVENTION

    goal_id = forms.TypedChoiceField(
        label=_("Towards the plan goal"), coerce=int, required=False, empty_value=None
    )

    class Meta:
        model = Intervention
        fields = ["delivered_on", "type", "provider", "notes", "outcome"]
        widgets = {
            "delivered_on": DateInput,
            "notes": forms.Textarea(attrs={"rows": 2}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, goal_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal_id"].choices = [("", "—"), *goal_choices]
        if not goal_choices:
            del self.fields["goal_id"]


class GoalAchievedForm(RuleChecked, forms.Form):
    rules = validation.GOAL_ACHIEVED

    achieved_on = forms.DateField(label=_("Achieved on"), widget=DateInput)


class FollowUpForm(RuleChecked, forms.Form):
    rules = validation.FOLLOWUP

    kind = forms.ChoiceField(label=_("Kind"), choices=FollowUp.Kind.choices)
    due_on = forms.DateField(
        label=_("Due date (empty: the NGO's usual interval)"), required=False, widget=DateInput
    )
    assigned_worker = forms.TypedChoiceField(label=_("Worker"), coerce=int, required=False)
    purpose = forms.CharField(label=_("Purpose"), max_length=255, required=False)

    def __init__(self, *args, worker_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Empty: the case's own worker.
        self.fields["assigned_worker"].choices = [("", "—"), *worker_choices]


class FollowUpCompleteForm(RuleChecked, forms.Form):
    rules = validation.FOLLOWUP_COMPLETION

    completed_on = forms.DateField(label=_("Done on"), widget=DateInput)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class VerificationForm(RuleChecked, forms.Form):
    rules = validation.VERIFICATION

    visited_on = forms.DateField(label=_("Visit date"), widget=DateInput)
    left_work = forms.BooleanField(label=_("Has left the work (or the hazard)"), required=False)
    in_school_or_training = forms.BooleanField(label=_("In school or training"), required=False)
    seen_back_at_work = forms.BooleanField(label=_("Seen back at work"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class ConsentWithdrawForm(RuleChecked, forms.Form):
    rules = validation.CONSENT_WITHDRAWAL

    withdrawn_on = forms.DateField(label=_("Withdrawn on"), widget=DateInput)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ConsentReconfirmForm(forms.Form):
    """A consent carried over on referral, reconfirmed with the guardian at first contact."""

    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=200)
    guardian_relationship = forms.CharField(label=_("Relationship to the child"), max_length=50)
    child_assented = forms.BooleanField(label=_("The child assents"), required=False)
    reconfirmed_on = forms.DateField(label=_("Reconfirmed on"), widget=DateInput)


class AssignForm(forms.Form):
    worker = forms.TypedChoiceField(label=_("Case worker"), coerce=int)
    shared_with = forms.TypedMultipleChoiceField(
        label=_("Shared with (they see and work on the case too)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, worker_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].choices = list(worker_choices)
        self.fields["shared_with"].choices = list(worker_choices)


class ClosureForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Case.ClosureReason.choices)
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Attachment.Kind.choices)
    # `accept` narrows the phone's picker; the page refuses a file over the limit before
    # sending it (on a slow connection a 6 MB upload takes minutes only to be refused).
    file = forms.FileField(
        label=_("File (PDF, JPEG, PNG or WebP, 5 MB max)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ",".join(
                    [
                        *ATTACHMENT_TYPES,
                        *(ext for exts, _m in ATTACHMENT_TYPES.values() for ext in exts),
                    ]
                ),
                "data-max-bytes": str(MAX_ATTACHMENT_BYTES),
            }
        ),
    )


class StaffForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(
        label=_("Phone"), max_length=40, required=False, widget=forms.TextInput({"type": "tel"})
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=StaffProfile.Role.choices, initial=StaffProfile.Role.CASE_WORKER
    )
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


class SettingsForm(RuleChecked, forms.ModelForm):
    rules = validation.NGO_SETTINGS

    class Meta:
        model = NGOSettings
        fields = ["classification_standard", "followup_interval_days", "verification_interval_days"]
        help_texts = {
            "classification_standard": _(
                "BPS: the rule of Statistics Indonesia (Badan Pusat Statistik), after Law "
                "13/2003. ILO: the International Labour Organization's statistical standard "
                "(ICLS 2008). Both are computed for every assessment; the one chosen here sets the "
                "case's child-labour status and the suggested risk."
            )
        }


class CaseFilterForm(forms.Form):
    search = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Case.Status.choices]
    )
    risk = forms.ChoiceField(
        label=_("Risk"), required=False, choices=[("", _("All")), *Case.Risk.choices]
    )
    worker = forms.TypedChoiceField(label=_("Worker"), coerce=int, required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)
    overdue = forms.BooleanField(label=_("Only overdue"), required=False)

    def __init__(self, *args, worker_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].choices = [("", _("All")), *worker_choices]
        self.fields["province"].choices = [("", _("All")), *regions.province_choices()]
