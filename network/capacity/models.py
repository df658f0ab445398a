"""The capacity-building tables (public schema). Staff names on a training are the NGO's own
workers, never a child's data; nothing here refers into a tenant schema."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import clock
from tenants.models import NGO, Consortium

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SCORE_MIN, SCORE_MAX = 1, 5


class Training(models.Model):
    """A training the coordinating centre ran (or arranged) for staff of its partner NGOs."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    topic = models.CharField(_("topic"), max_length=200)
    held_on = models.DateField(_("date"))
    trainer = models.CharField(_("trainer"), max_length=200)
    location = models.CharField(_("location"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["consortium", "held_on"], name="training_consortium_idx")]

    def __str__(self):
        return f"{self.topic} ({self.held_on})"

    @property
    def total_participants(self) -> int:
        """Everyone who came, from every NGO (reads the prefetched participations)."""
        return sum(row.participant_count for row in self.participations.all())


class TrainingParticipation(models.Model):
    """How many of one NGO's staff attended a training, optionally who (names and roles)."""

    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="participations")
    ngo = models.ForeignKey(NGO, on_delete=models.PROTECT, related_name="training_participations")
    participant_count = models.PositiveSmallIntegerField(_("participants"))
    staff = models.TextField(_("staff who attended (names and roles)"), blank=True)

    class Meta:
        verbose_name = _("training participation")
        ordering = ["ngo__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["training", "ngo"], name="training_ngo_once"),
            models.CheckConstraint(
                condition=Q(participant_count__gte=1), name="training_participants_positive"
            ),
        ]

    def __str__(self):
        return f"{self.ngo}: {self.participant_count}"


class MentoringVisit(models.Model):
    """A coordinator's mentoring visit to one partner NGO: what was looked at and found."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    ngo = models.ForeignKey(NGO, on_delete=models.PROTECT, related_name="mentoring_visits")
    visited_on = models.DateField(_("date of the visit"))
    mentor = models.CharField(_("mentor"), max_length=200, blank=True)
    topics = models.CharField(_("topics"), max_length=500)
    findings = models.TextField(_("findings"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mentoring visit")
        verbose_name_plural = _("mentoring visits")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["ngo", "visited_on"], name="visit_ngo_idx")]

    def __str__(self):
        return f"{self.ngo} {self.visited_on}"


def overdue_condition(today: date, prefix: str = "") -> Q:
    """The condition "open past its due date" on AgreedAction (`prefix` for a related lookup);
    the same rule as `AgreedAction.is_overdue`."""
    return Q(**{f"{prefix}status": AgreedAction.Status.OPEN, f"{prefix}due_on__lt": today})


class AgreedAction(models.Model):
    """What the NGO and the mentor agreed on a visit, by when, and how it was followed up."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    visit = models.ForeignKey(MentoringVisit, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("action"), max_length=500)
    due_on = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    follow_up_note = models.TextField(_("follow-up note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("agreed action")
        verbose_name_plural = _("agreed actions")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", done_on__isnull=True)
                | Q(status="done", done_on__isnull=False),
                name="action_done_has_date",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="action_open_due_idx")]

    def __str__(self):
        return self.description

    @property
    def is_overdue(self) -> bool:
        """Open past its due date (today from `core.clock`)."""
        return self.status == self.Status.OPEN and self.due_on < clock.today()


@dataclass(frozen=True)
class Area:
    """One line of the self-assessment scorecard."""

    field: str
    label: StrOrPromise
    help_text: StrOrPromise


# The scorecard, fixed so that years and NGOs compare: the field of each score, its name and
# what the area covers.
SCORECARD = (
    Area(
        "case_management",
        _("Case management practice"),
        _("Identification, assessment, case plans, follow-up and closure done and recorded."),
    ),
    Area(
        "information_system",
        _("Information system use"),
        _("Cases kept up to date in Terpadu, and its figures used."),
    ),
    Area(
        "referral_network",
        _("Referral network"),
        _("Agreements with local services; children referred and the referrals followed up."),
    ),
    Area(
        "child_safeguarding",
        _("Child safeguarding"),
        _("A safeguarding policy and code of conduct staff know, and a way to report concerns."),
    ),
    Area(
        "data_protection",
        _("Data protection"),
        _("Consent recorded, access by role, devices and passwords looked after."),
    ),
)
AREA_FIELDS = tuple(area.field for area in SCORECARD)


def _score(label: StrOrPromise) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)]
    )


class SelfAssessment(models.Model):
    """An NGO's yearly self-assessment of its capacity: one score from 1 to 5 per area of the
    scorecard, at most one per NGO and year."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ngo = models.ForeignKey(NGO, on_delete=models.PROTECT, related_name="self_assessments")
    year = models.PositiveSmallIntegerField(_("year"))
    case_management = _score(_("case management practice"))
    information_system = _score(_("information system use"))
    referral_network = _score(_("referral network"))
    child_safeguarding = _score(_("child safeguarding"))
    data_protection = _score(_("data protection"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        ordering = ["-year", "ngo__name"]
        constraints = [
            models.UniqueConstraint(fields=["ngo", "year"], name="self_assessment_one_per_year"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": SCORE_MIN, f"{name}__lte": SCORE_MAX}),
                    name=f"self_assessment_{name}_range",
                )
                for name in AREA_FIELDS
            ),
        ]

    def __str__(self):
        return f"{self.ngo} {self.year}"

    @property
    def scores(self) -> list[tuple[Area, int]]:
        """Each area of the scorecard with its score, in the scorecard's order."""
        return [(area, getattr(self, area.field)) for area in SCORECARD]

    @property
    def mean_score(self) -> float:
        """The mean of the five scores, to one decimal (exact: a multiple of 0.2)."""
        return round(sum(getattr(self, name) for name in AREA_FIELDS) / len(AREA_FIELDS), 1)
