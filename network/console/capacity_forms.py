"""Forms of the console's capacity-building pages. They check types and shapes; the rules are
`network.capacity.services`', whose field errors go back next to their fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.forms import DateInput
from core import clock
from network.capacity import services
from network.capacity.models import SCORE_MAX, SCORE_MIN, SCORECARD

SCORE_LABELS = {
    1: _("1 · not in place"),
    2: _("2 · starting"),
    3: _("3 · partly in place"),
    4: _("4 · mostly in place"),
    5: _("5 · fully in place"),
}


def _text(label, max_length: int, *, required: bool = True, rows: int = 0) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(label=label, max_length=max_length, required=required, widget=widget)


class TrainingForm(forms.Form):
    """A training, and per member NGO how many of its staff came (and, optionally, who)."""

    topic = _text(_("Topic"), 200)
    held_on = forms.DateField(label=_("Date"), widget=DateInput)
    trainer = _text(_("Trainer"), 200)
    location = _text(_("Location"), 200, required=False)
    notes = _text(_("Notes"), 5000, required=False, rows=2)

    def __init__(self, *args, ngos=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].widget.attrs["max"] = clock.today().isoformat()
        self.ngos = list(ngos)
        for ngo in self.ngos:
            self.fields[self.count_name(ngo)] = forms.IntegerField(
                label=ngo.name,
                required=False,
                min_value=0,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
            )
            self.fields[self.staff_name(ngo)] = forms.CharField(
                label=_("Staff from %(ngo)s: names and roles, one per line") % {"ngo": ngo.name},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    @staticmethod
    def count_name(ngo) -> str:
        return f"count_{ngo.slug}"

    @staticmethod
    def staff_name(ngo) -> str:
        return f"staff_{ngo.slug}"

    def main_fields(self):
        return [self[name] for name in ("topic", "held_on", "trainer", "location", "notes")]

    def participant_rows(self):
        """(NGO, its count field, its staff field) per member NGO, for the template."""
        return [(ngo, self[self.count_name(ngo)], self[self.staff_name(ngo)]) for ngo in self.ngos]

    def training_input(self) -> services.TrainingInput:
        data = self.cleaned_data
        return services.TrainingInput(
            topic=data["topic"],
            held_on=data["held_on"],
            trainer=data["trainer"],
            location=data["location"],
            notes=data["notes"],
            participants=[
                services.ParticipationInput(
                    ngo=ngo.slug,
                    participant_count=data[self.count_name(ngo)] or 0,
                    staff=data[self.staff_name(ngo)],
                )
                for ngo in self.ngos
            ],
        )

    def apply_service_error(self, error) -> None:
        """A service's field errors on this form's fields (`participants[i].x` is row i's)."""
        for name, messages in error.fields.items():
            target = self._field_for(name)
            for message in messages:
                self.add_error(target, message)
        if not error.fields:
            self.add_error(None, error.message)

    def _field_for(self, name: str) -> str | None:
        if name in self.fields:
            return name
        if name.startswith("participants[") and "]." in name:
            index = int(name[len("participants[") : name.index("]")])
            part = name.split("].", 1)[1]
            if 0 <= index < len(self.ngos):
                ngo = self.ngos[index]
                return self.staff_name(ngo) if part == "staff" else self.count_name(ngo)
        return None


def training_initial(training) -> dict:
    initial = {
        "topic": training.topic,
        "held_on": training.held_on,
        "trainer": training.trainer,
        "location": training.location,
        "notes": training.notes,
    }
    for row in training.participations.all():
        initial[TrainingForm.count_name(row.ngo)] = row.participant_count
        initial[TrainingForm.staff_name(row.ngo)] = row.staff
    return initial


class VisitForm(forms.Form):
    """A mentoring visit to one member NGO."""

    ngo = forms.ChoiceField(label=_("NGO"))
    visited_on = forms.DateField(label=_("Date of the visit"), widget=DateInput)
    mentor = _text(_("Mentor"), 200, required=False)
    topics = _text(_("Topics"), 500)
    findings = _text(_("Findings"), 10000, rows=4)

    def __init__(self, *args, ngos=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ngo"].choices = [("", "—")] + [(ngo.slug, ngo.name) for ngo in ngos]
        self.fields["visited_on"].widget.attrs["max"] = clock.today().isoformat()

    def visit_input(self) -> services.VisitInput:
        data = self.cleaned_data
        return services.VisitInput(
            ngo=data["ngo"],
            visited_on=data["visited_on"],
            topics=data["topics"],
            findings=data["findings"],
            mentor=data["mentor"],
        )


class ActionForm(forms.Form):
    """An action agreed on a visit."""

    prefix = "action"

    description = _text(_("Agreed action"), 500)
    due_on = forms.DateField(label=_("Due date"), widget=DateInput)


class ActionDoneForm(forms.Form):
    """Marking an action done: when, and how it was followed up."""

    done_on = forms.DateField(label=_("Done on"), widget=DateInput)
    follow_up_note = _text(_("Follow-up note"), 5000, rows=2)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"done_on": clock.today()})
        super().__init__(*args, **kwargs)
        self.fields["done_on"].widget.attrs["max"] = clock.today().isoformat()


class SelfAssessmentForm(forms.Form):
    """The scorecard: one score from 1 to 5 per area, and a comment."""

    comment = _text(_("Comment"), 5000, required=False, rows=3)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for area in SCORECARD:
            self.fields[area.field] = forms.TypedChoiceField(
                label=area.label,
                help_text=area.help_text,
                choices=[(value, SCORE_LABELS[value]) for value in range(SCORE_MIN, SCORE_MAX + 1)],
                coerce=int,
                widget=forms.RadioSelect,
            )
        self.order_fields([*(area.field for area in SCORECARD), "comment"])

    def scores(self) -> dict[str, int]:
        return {area.field: self.cleaned_data[area.field] for area in SCORECARD}


def self_assessment_initial(assessment) -> dict:
    if assessment is None:
        return {}
    return {
        **{area.field: getattr(assessment, area.field) for area in SCORECARD},
        "comment": assessment.comment,
    }
