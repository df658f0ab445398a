"""Writes of capacity building: trainings with their participants per NGO, mentoring visits with
the actions agreed there, and NGOs' yearly self-assessments.

Each service is the coordinator's (`network.access.require_coordinator`), checks every rule
before it writes (all the broken rules at once, each on its field), and records one event in
the platform audit trail in the same transaction. The rules live here; forms and serializers
check types and shapes only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from casework.validation import max_length
from core import clock
from core.audit import AuditAction, changes
from core.errors import ApplicationError, InvalidTransitionError, NotFoundError
from network.access import require_coordinator
from network.capacity.access import member_ngos
from network.capacity.models import (
    AREA_FIELDS,
    SCORE_MAX,
    SCORE_MIN,
    AgreedAction,
    MentoringVisit,
    SelfAssessment,
    Training,
    TrainingParticipation,
)
from network.services._common import audited
from tenants.audit import platform_audit_record
from tenants.models import NGO, Consortium

Actor = User  # a public-schema account: a coordinator or the operator

# No record of the consortium's work goes back further than this.
EARLIEST_DATE = date(2000, 1, 1)
# An agreed action is due at most this long after its visit.
LONGEST_ACTION_DAYS = 3 * 366
MAX_PARTICIPANTS = 500

TRAINING_FIELDS = ["consortium_id", "topic", "held_on", "trainer", "location", "notes"]
VISIT_FIELDS = ["consortium_id", "ngo_id", "visited_on", "mentor", "topics", "findings"]
ACTION_FIELDS = ["visit_id", "description", "due_on", "status", "done_on", "follow_up_note"]
SELF_ASSESSMENT_FIELDS = ["ngo_id", "year", *AREA_FIELDS, "comment"]


@dataclass(frozen=True)
class ParticipationInput:
    """How many staff of one NGO (by slug) attended, and optionally who (one per line)."""

    ngo: str
    participant_count: int
    staff: str = ""


@dataclass(frozen=True)
class TrainingInput:
    topic: str
    held_on: date
    trainer: str
    participants: Sequence[ParticipationInput]
    location: str = ""
    notes: str = ""


@dataclass(frozen=True)
class VisitInput:
    ngo: str  # the NGO's slug
    visited_on: date
    topics: str
    findings: str
    mentor: str = ""


@dataclass(frozen=True)
class ActionInput:
    description: str
    due_on: date


# --- Checking ---------------------------------------------------------------------------------


class _Problems:
    """The broken rules of one input, by field (the first message per field)."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, [message])

    def text(self, field: str, value: str, limit: int, *, required: bool = True) -> str:
        text = (value or "").strip()
        if required and not text:
            self.add(field, _("This field is required."))
        elif message := max_length(limit)(text):
            self.add(field, message)
        return text

    def day(self, field: str, value: date | None) -> None:
        """A day from EARLIEST_DATE to today."""
        if not isinstance(value, date):
            self.add(field, _("This field is required."))
        elif value < EARLIEST_DATE:
            self.add(field, _("The date cannot be before %(year)d.") % {"year": EARLIEST_DATE.year})
        elif value > clock.today():
            self.add(field, _("The date cannot be in the future."))

    def check(self) -> None:
        if self.fields:
            first = next(iter(self.fields.values()))[0]
            raise ApplicationError(first, fields=self.fields)


def _model_check(instance: models.Model, exclude: Sequence[str] = ()) -> None:
    """The model's own validation (lengths, choices, ranges) as field errors; the rules above
    come first, so this only catches what they do not word."""
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        fields = {name: [str(m) for m in messages] for name, messages in error.message_dict.items()}
        raise ApplicationError(next(iter(fields.values()))[0], fields=fields) from None


def unknown_ngo_message() -> str:
    return _("Choose an NGO of this consortium.")


def _member(consortium: Consortium, slug: str, field: str, problems: _Problems) -> NGO | None:
    ngo = member_ngos(consortium).filter(slug=slug).first() if slug else None
    if ngo is None:
        problems.add(field, unknown_ngo_message())
    return ngo


def _record(
    *,
    actor: Actor,
    action: AuditAction,
    instance: models.Model,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    details: dict[str, Any] | None = None,
) -> None:
    platform_audit_record(
        actor=actor,
        action=action,
        instance=instance,
        changed_fields=changes(dict(before), dict(after)),
        details=details,
    )


# --- Trainings --------------------------------------------------------------------------------


def _participants_checked(
    consortium: Consortium, rows: Sequence[ParticipationInput], problems: _Problems
) -> list[tuple[NGO, int, str]]:
    """Each NGO at most once, from this consortium, with 1 to MAX_PARTICIPANTS participants;
    rows with no participants are left out; at least one NGO must remain."""
    chosen: list[tuple[NGO, int, str]] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        field = f"participants[{index}]"
        count = row.participant_count or 0
        if count == 0 and not (row.staff or "").strip():
            continue  # an NGO nobody came from
        ngo = _member(consortium, row.ngo, f"{field}.ngo", problems)
        if ngo is None:
            continue
        if ngo.slug in seen:
            problems.add(f"{field}.ngo", _("This NGO is listed twice."))
            continue
        seen.add(ngo.slug)
        if not isinstance(count, int) or not 1 <= count <= MAX_PARTICIPANTS:
            problems.add(
                f"{field}.participant_count",
                _("Between 1 and %(most)d participants.") % {"most": MAX_PARTICIPANTS},
            )
            continue
        staff = problems.text(f"{field}.staff", row.staff, 2000, required=False)
        chosen.append((ngo, count, staff))
    if not chosen and not any(name.startswith("participants[") for name in problems.fields):
        problems.add("participants", _("Give the participants of at least one NGO."))
    return chosen


def _training_state(training: Training) -> dict[str, Any]:
    """What the trail records of a training: its fields and who came, by NGO slug."""
    return {
        **audited(training, TRAINING_FIELDS),
        "participants": {
            row.ngo.slug: {"count": row.participant_count, "staff": row.staff}
            for row in training.participations.select_related("ngo").order_by("ngo__slug")
        },
    }


def _training_fill(
    training: Training, consortium: Consortium, data: TrainingInput
) -> list[tuple[NGO, int, str]]:
    problems = _Problems()
    training.topic = problems.text("topic", data.topic, 200)
    problems.day("held_on", data.held_on)
    training.held_on = data.held_on
    training.trainer = problems.text("trainer", data.trainer, 200)
    training.location = problems.text("location", data.location, 200, required=False)
    training.notes = problems.text("notes", data.notes, 5000, required=False)
    rows = _participants_checked(consortium, data.participants, problems)
    problems.check()
    _model_check(training, exclude=["consortium"])
    return rows


def _participants_write(training: Training, rows: list[tuple[NGO, int, str]]) -> None:
    training.participations.all().delete()
    TrainingParticipation.objects.bulk_create(
        TrainingParticipation(training=training, ngo=ngo, participant_count=count, staff=staff)
        for ngo, count, staff in rows
    )


@transaction.atomic
def training_create(*, actor: Actor, consortium: Consortium, data: TrainingInput) -> Training:
    """Record a training of the consortium and how many staff of each NGO attended."""
    require_coordinator(actor, consortium)
    training = Training(consortium=consortium)
    rows = _training_fill(training, consortium, data)
    training.save()
    _participants_write(training, rows)
    _record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=training,
        before={},
        after=_training_state(training),
    )
    return training


@transaction.atomic
def training_update(*, actor: Actor, training_uuid: Any, data: TrainingInput) -> Training:
    """Correct a training, its participants included (the list given replaces the old one)."""
    training = Training.objects.select_for_update().filter(uuid=training_uuid).first()
    if training is None:
        raise NotFoundError(_("Training not found."))
    require_coordinator(actor, training.consortium)
    before = _training_state(training)
    rows = _training_fill(training, training.consortium, data)
    training.save()
    _participants_write(training, rows)
    _record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=training,
        before=before,
        after=_training_state(training),
    )
    return training


# --- Mentoring visits and agreed actions --------------------------------------------------------


def _action_checked(
    problems: _Problems, prefix: str, data: ActionInput, visited_on: date | None
) -> str:
    description = problems.text(f"{prefix}description", data.description, 500)
    due_on = data.due_on
    if not isinstance(due_on, date):
        problems.add(f"{prefix}due_on", _("This field is required."))
    elif isinstance(visited_on, date) and due_on < visited_on:
        problems.add(f"{prefix}due_on", _("The due date cannot be before the visit."))
    elif isinstance(visited_on, date) and due_on > visited_on + timedelta(LONGEST_ACTION_DAYS):
        problems.add(f"{prefix}due_on", _("The due date is at most three years after the visit."))
    return description


def _visit_fill(
    visit: MentoringVisit, consortium: Consortium, data: VisitInput, problems: _Problems
) -> None:
    ngo = _member(consortium, data.ngo, "ngo", problems)
    if ngo is not None:
        visit.ngo = ngo
    problems.day("visited_on", data.visited_on)
    visit.visited_on = data.visited_on
    visit.mentor = problems.text("mentor", data.mentor, 200, required=False)
    visit.topics = problems.text("topics", data.topics, 500)
    visit.findings = problems.text("findings", data.findings, 10000)


@transaction.atomic
def mentoring_visit_create(
    *,
    actor: Actor,
    consortium: Consortium,
    data: VisitInput,
    actions: Sequence[ActionInput] = (),
) -> MentoringVisit:
    """Record a mentoring visit to a partner NGO, with the actions agreed there (if any)."""
    require_coordinator(actor, consortium)
    problems = _Problems()
    visit = MentoringVisit(consortium=consortium)
    _visit_fill(visit, consortium, data, problems)
    descriptions = [
        _action_checked(problems, f"actions[{index}].", action, data.visited_on)
        for index, action in enumerate(actions)
    ]
    problems.check()
    _model_check(visit, exclude=["consortium"])
    visit.save()
    _record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=visit,
        before={},
        after=audited(visit, VISIT_FIELDS),
    )
    for description, action in zip(descriptions, actions, strict=True):
        _action_save(actor, visit, description, action.due_on)
    return visit


@transaction.atomic
def mentoring_visit_update(*, actor: Actor, visit_uuid: Any, data: VisitInput) -> MentoringVisit:
    """Correct a visit's NGO, date, mentor, topics or findings (its actions have their own
    services). The date cannot move after an action's due date."""
    visit = MentoringVisit.objects.select_for_update().filter(uuid=visit_uuid).first()
    if visit is None:
        raise NotFoundError(_("Mentoring visit not found."))
    require_coordinator(actor, visit.consortium)
    before = audited(visit, VISIT_FIELDS)
    problems = _Problems()
    _visit_fill(visit, visit.consortium, data, problems)
    earliest_due = (
        visit.actions.order_by("due_on").values_list("due_on", flat=True).first()
        if isinstance(data.visited_on, date)
        else None
    )
    if earliest_due is not None and data.visited_on > earliest_due:
        problems.add("visited_on", _("An agreed action is due before this date."))
    problems.check()
    _model_check(visit, exclude=["consortium"])
    visit.save()
    _record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=visit,
        before=before,
        after=audited(visit, VISIT_FIELDS),
    )
    return visit


def _action_save(
    actor: Actor, visit: MentoringVisit, description: str, due_on: date
) -> AgreedAction:
    action = AgreedAction(visit=visit, description=description, due_on=due_on)
    _model_check(action, exclude=["visit"])
    action.save()
    _record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=action,
        before={},
        after=audited(action, ACTION_FIELDS),
    )
    return action


@transaction.atomic
def agreed_action_add(*, actor: Actor, visit_uuid: Any, data: ActionInput) -> AgreedAction:
    """Add an action agreed on a visit: what, and by when (on or after the visit)."""
    visit = MentoringVisit.objects.select_related("consortium").filter(uuid=visit_uuid).first()
    if visit is None:
        raise NotFoundError(_("Mentoring visit not found."))
    require_coordinator(actor, visit.consortium)
    problems = _Problems()
    description = _action_checked(problems, "", data, visit.visited_on)
    problems.check()
    return _action_save(actor, visit, description, data.due_on)


@transaction.atomic
def agreed_action_complete(
    *, actor: Actor, action_uuid: Any, follow_up_note: str, done_on: date | None = None
) -> AgreedAction:
    """Mark an open action done: when (default today; not before the visit, not in the
    future) and how it was followed up (required)."""
    action = (
        AgreedAction.objects.select_for_update(of=("self",))
        .select_related("visit__consortium")
        .filter(uuid=action_uuid)
        .first()
    )
    if action is None:
        raise NotFoundError(_("Agreed action not found."))
    require_coordinator(actor, action.visit.consortium)
    if action.status != AgreedAction.Status.OPEN:
        raise InvalidTransitionError(
            current=action.status,
            requested=AgreedAction.Status.DONE,
            allowed=[],
            labels=dict(AgreedAction.Status.choices),
        )
    done_on = done_on or clock.today()
    problems = _Problems()
    problems.day("done_on", done_on)
    if isinstance(done_on, date) and done_on < action.visit.visited_on:
        problems.add("done_on", _("The action cannot be done before the visit."))
    note = problems.text("follow_up_note", follow_up_note, 5000)
    problems.check()
    before = audited(action, ACTION_FIELDS)
    action.status = AgreedAction.Status.DONE
    action.done_on = done_on
    action.follow_up_note = note
    action.save(update_fields=["status", "done_on", "follow_up_note", "updated_at"])
    _record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=action,
        before=before,
        after=audited(action, ACTION_FIELDS),
    )
    return action


# --- Self-assessments -------------------------------------------------------------------------


def year_problem(year: Any) -> str | None:
    """A self-assessment's year: from EARLIEST_DATE's year to this year."""
    this_year = clock.today().year
    if not isinstance(year, int) or not EARLIEST_DATE.year <= year <= this_year:
        return _("A year from %(first)d to %(last)d.") % {
            "first": EARLIEST_DATE.year,
            "last": this_year,
        }
    return None


def score_message() -> str:
    return _("A score from %(least)d to %(most)d.") % {"least": SCORE_MIN, "most": SCORE_MAX}


def score_problem(score: Any) -> str | None:
    """One score of the scorecard: a whole number from 1 to 5."""
    if isinstance(score, bool) or not isinstance(score, int) or not SCORE_MIN <= score <= SCORE_MAX:
        return score_message()
    return None


def _scores_fill(
    assessment: SelfAssessment, scores: Mapping[str, Any], comment: str, problems: _Problems
) -> None:
    for name in AREA_FIELDS:
        value = scores.get(name)
        if value is None:
            problems.add(name, _("This field is required."))
        elif message := score_problem(value):
            problems.add(name, message)
        else:
            setattr(assessment, name, value)
    assessment.comment = problems.text("comment", comment, 5000, required=False)


@transaction.atomic
def self_assessment_create(
    *,
    actor: Actor,
    consortium: Consortium,
    ngo: str,
    year: int,
    scores: Mapping[str, Any],
    comment: str = "",
) -> SelfAssessment:
    """Record an NGO's self-assessment of `year` (one per NGO and year: a second is refused,
    change the first instead)."""
    require_coordinator(actor, consortium)
    problems = _Problems()
    assessment = SelfAssessment()
    member = _member(consortium, ngo, "ngo", problems)
    if message := year_problem(year):
        problems.add("year", message)
    elif member is not None and SelfAssessment.objects.filter(ngo=member, year=year).exists():
        problems.add("year", _duplicate_message(year))
    _scores_fill(assessment, scores, comment, problems)
    problems.check()  # an NGO that is not a member is one of the problems
    assessment.ngo = cast(NGO, member)
    assessment.year = year
    _model_check(assessment)
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError:  # the same NGO and year saved by someone else just now
        raise ApplicationError(
            _duplicate_message(year), fields={"year": [_duplicate_message(year)]}
        ) from None
    _record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=assessment,
        before={},
        after=audited(assessment, SELF_ASSESSMENT_FIELDS),
    )
    return assessment


def _duplicate_message(year: int) -> str:
    return _("This NGO's self-assessment of %(year)d is already recorded: change it instead.") % {
        "year": year
    }


@transaction.atomic
def self_assessment_update(
    *, actor: Actor, assessment_uuid: Any, scores: Mapping[str, Any], comment: str = ""
) -> SelfAssessment:
    """Change the scores or the comment of a recorded self-assessment (its NGO and year stay)."""
    assessment = (
        SelfAssessment.objects.select_for_update(of=("self",))
        .select_related("ngo__consortium")
        .filter(uuid=assessment_uuid)
        .first()
    )
    if assessment is None or assessment.ngo.consortium is None:
        raise NotFoundError(_("Self-assessment not found."))
    require_coordinator(actor, assessment.ngo.consortium)
    before = audited(assessment, SELF_ASSESSMENT_FIELDS)
    problems = _Problems()
    _scores_fill(assessment, scores, comment, problems)
    problems.check()
    _model_check(assessment)
    assessment.save()
    _record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=assessment,
        before=before,
        after=audited(assessment, SELF_ASSESSMENT_FIELDS),
    )
    return assessment
