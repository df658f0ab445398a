"""Capacity building's services and selectors: every rule answers a field error (nothing
written), every write is one platform audit event in its transaction, an action is overdue
when open past its due date (core's clock), and the per-NGO figures are exact, in a fixed
number of queries, and an NGO's history holds its own rows only."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import clock
from core.errors import ApplicationError, InvalidTransitionError, PermissionDeniedError
from network.capacity import selectors, services
from network.capacity.models import AgreedAction, MentoringVisit, SelfAssessment, Training
from tenants.models import NGO, PlatformAuditEvent

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)
SCORES = {
    "case_management": 3,
    "information_system": 4,
    "referral_network": 2,
    "child_safeguarding": 5,
    "data_protection": 3,
}


@pytest.fixture(autouse=True)
def _today():
    """Every test runs on 15 June 2026 (the services and selectors ask core's clock)."""
    with clock.as_of(TODAY):
        yield


@pytest.fixture
def mark():
    connection.set_schema_to_public()
    return PlatformAuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _events(mark) -> list[PlatformAuditEvent]:
    return list(PlatformAuditEvent.objects.filter(id__gt=mark).order_by("id"))


def _training(
    network, *, held_on=TODAY, participants=(("yayasan-a", 3, "Bu Ani (pekerja)"),), **kw
):
    data = services.TrainingInput(
        topic=kw.get("topic", "Manajemen kasus"),
        held_on=held_on,
        trainer=kw.get("trainer", "Dr. Sari"),
        location=kw.get("location", ""),
        notes=kw.get("notes", ""),
        participants=[services.ParticipationInput(*row) for row in participants],
    )
    return services.training_create(
        actor=kw.get("actor", network.coordinator), consortium=network.consortium, data=data
    )


def _visit(network, ngo="yayasan-a", *, visited_on=TODAY, actions=(), actor=None):
    return services.mentoring_visit_create(
        actor=actor or network.coordinator,
        consortium=network.consortium,
        data=services.VisitInput(
            ngo=ngo,
            visited_on=visited_on,
            topics="Rencana kasus",
            findings="Rencana kasus belum ditinjau supervisor.",
            mentor="Pak Budi",
        ),
        actions=[services.ActionInput(description, due) for description, due in actions],
    )


def _fields(excinfo) -> dict:
    return excinfo.value.fields


@contextmanager
def queries_exactly(expected: int):
    """Exactly `expected` queries in the block, not counting django-tenants' `SET search_path`
    before each cursor (TENANT_LIMIT_SET_CALLS off, as in production)."""
    with CaptureQueriesContext(connection) as captured:
        yield
    run = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET ")]
    assert len(run) == expected, "\n\n".join(run)


# --- Trainings ---------------------------------------------------------------------------------


def test_a_training_is_recorded_with_its_participants_and_audited(network, ngo_a, ngo_b, mark):
    """One create event with the fields and the participants per NGO; NGOs nobody came from
    (count 0, no names) are left out."""
    training = _training(
        network,
        participants=[
            ("yayasan-a", 3, "Bu Ani (pekerja)\nPak Eko (supervisor)"),
            ("lembaga-b", 0, ""),
        ],
        location="Semarang",
    )
    rows = [(p.ngo.slug, p.participant_count, p.staff) for p in training.participations.all()]
    assert rows == [("yayasan-a", 3, "Bu Ani (pekerja)\nPak Eko (supervisor)")]
    [event] = _events(mark)
    assert (event.actor_id, event.action, event.object_type, event.object_id) == (
        network.coordinator.pk,
        "create",
        "training",
        str(training.pk),
    )
    assert event.changed_fields == {
        "consortium_id": [None, network.consortium.pk],
        "topic": [None, "Manajemen kasus"],
        "held_on": [None, "2026-06-15"],
        "trainer": [None, "Dr. Sari"],
        "location": [None, "Semarang"],
        "notes": [None, ""],
        "participants": [
            None,
            {"yayasan-a": {"count": 3, "staff": "Bu Ani (pekerja)\nPak Eko (supervisor)"}},
        ],
    }


def test_updating_a_training_replaces_its_participants_and_audits_the_change(network, mark):
    training = _training(network)
    services.training_update(
        actor=network.coordinator,
        training_uuid=training.uuid,
        data=services.TrainingInput(
            topic="Manajemen kasus",
            held_on=TODAY - timedelta(days=1),
            trainer="Dr. Sari",
            participants=[services.ParticipationInput("lembaga-b", 2)],
        ),
    )
    training.refresh_from_db()
    assert [(p.ngo.slug, p.participant_count) for p in training.participations.all()] == [
        ("lembaga-b", 2)
    ]
    update = _events(mark)[-1]
    assert update.action == "update"
    assert update.changed_fields == {
        "held_on": ["2026-06-15", "2026-06-14"],
        "participants": [
            {"yayasan-a": {"count": 3, "staff": "Bu Ani (pekerja)"}},
            {"lembaga-b": {"count": 2, "staff": ""}},
        ],
    }


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"topic": " ", "trainer": ""},
            {"topic": ["This field is required."], "trainer": ["This field is required."]},
        ),
        (
            {"held_on": TODAY + timedelta(days=1)},
            {"held_on": ["The date cannot be in the future."]},
        ),
        ({"held_on": date(1999, 12, 31)}, {"held_on": ["The date cannot be before 2000."]}),
        (
            {"participants": [("yayasan-a", 0, "")]},
            {"participants": ["Give the participants of at least one NGO."]},
        ),
        (
            {"participants": [("lain-ngo", 2, "")]},
            {"participants[0].ngo": ["Choose an NGO of this consortium."]},
        ),
        (
            {"participants": [("yayasan-a", 2, ""), ("yayasan-a", 1, "")]},
            {"participants[1].ngo": ["This NGO is listed twice."]},
        ),
        (
            {"participants": [("yayasan-a", 501, "")]},
            {"participants[0].participant_count": ["Between 1 and 500 participants."]},
        ),
        (
            {"participants": [("yayasan-a", 0, "Bu Ani")]},
            {"participants[0].participant_count": ["Between 1 and 500 participants."]},
        ),
        (
            {"topic": "x" * 201},
            {"topic": ["At most 200 characters (this has 201)."]},
        ),
    ],
)
def test_a_bad_training_is_refused_with_field_errors_and_nothing_written(
    network, mark, changes, expected
):
    before = Training.objects.count()
    with pytest.raises(ApplicationError) as excinfo:
        _training(network, **changes)
    assert _fields(excinfo) == expected
    assert excinfo.value.status_code == 400
    assert Training.objects.count() == before
    assert _events(mark) == []


def test_an_ngo_of_another_consortium_or_archived_cannot_be_named(network, ngo_b, mark):
    """NGO B archived: no training or visit may name it any more (its history stays)."""
    NGO.objects.filter(pk=ngo_b.ngo.pk).update(status=NGO.Status.ARCHIVED)
    with pytest.raises(ApplicationError) as excinfo:
        _training(network, participants=[("lembaga-b", 2, "")])
    assert _fields(excinfo) == {"participants[0].ngo": ["Choose an NGO of this consortium."]}
    with pytest.raises(ApplicationError) as excinfo:
        _visit(network, "lembaga-b")
    assert _fields(excinfo) == {"ngo": ["Choose an NGO of this consortium."]}
    assert _events(mark) == []


def test_only_the_consortiums_coordinators_write(network, mark):
    """A funder and another consortium's coordinator are refused, and nothing is written."""
    for actor in (network.funder, network.outsider):
        with pytest.raises(PermissionDeniedError):
            _training(network, actor=actor)
        with pytest.raises(PermissionDeniedError):
            _visit(network, actor=actor)
        with pytest.raises(PermissionDeniedError):
            services.self_assessment_create(
                actor=actor,
                consortium=network.consortium,
                ngo="yayasan-a",
                year=2026,
                scores=SCORES,
            )
    assert Training.objects.count() == MentoringVisit.objects.count() == 0
    assert SelfAssessment.objects.count() == 0
    assert _events(mark) == []


# --- Visits and agreed actions -----------------------------------------------------------------


def test_a_visit_with_actions_is_audited_one_event_each(network, mark):
    visit = _visit(network, actions=[("Susun SOP rujukan", TODAY + timedelta(days=30))])
    action = visit.actions.get()
    events = _events(mark)
    assert [(e.action, e.object_type, e.object_id) for e in events] == [
        ("create", "mentoringvisit", str(visit.pk)),
        ("create", "agreedaction", str(action.pk)),
    ]
    assert events[0].changed_fields["ngo_id"] == [None, visit.ngo_id]
    assert events[1].changed_fields == {
        "visit_id": [None, visit.pk],
        "description": [None, "Susun SOP rujukan"],
        "due_on": [None, "2026-07-15"],
        "status": [None, "open"],
        "follow_up_note": [None, ""],
    }


@pytest.mark.parametrize(
    ("visited_on", "actions", "expected"),
    [
        (TODAY + timedelta(days=1), (), {"visited_on": ["The date cannot be in the future."]}),
        (
            TODAY,
            (("Susun SOP", TODAY - timedelta(days=1)),),
            {"actions[0].due_on": ["The due date cannot be before the visit."]},
        ),
        (
            TODAY,
            (("Susun SOP", TODAY + timedelta(days=3 * 366 + 1)),),
            {"actions[0].due_on": ["The due date is at most three years after the visit."]},
        ),
        (
            TODAY,
            (("", TODAY),),
            {"actions[0].description": ["This field is required."]},
        ),
    ],
)
def test_a_bad_visit_is_refused_whole(network, mark, visited_on, actions, expected):
    with pytest.raises(ApplicationError) as excinfo:
        _visit(network, visited_on=visited_on, actions=actions)
    assert _fields(excinfo) == expected
    assert MentoringVisit.objects.count() == AgreedAction.objects.count() == 0
    assert _events(mark) == []


def test_an_action_is_overdue_once_open_past_its_due_date(network):
    """Due on 20 June: not overdue on the 20th, overdue on the 21st, not once done."""
    visit = _visit(network, actions=[("Latih pekerja baru", date(2026, 6, 20))])
    action = visit.actions.get()
    for day, overdue, counted in ((date(2026, 6, 20), False, 0), (date(2026, 6, 21), True, 1)):
        with clock.as_of(day):
            assert AgreedAction.objects.get(pk=action.pk).is_overdue is overdue
            listed = selectors.visits_in(consortium=network.consortium).get()
            assert (listed.open_actions, listed.overdue_actions) == (1, counted)
            assert (
                selectors.visits_in(consortium=network.consortium, overdue=True).count() == counted
            )
    with clock.as_of(date(2026, 6, 22)):
        services.agreed_action_complete(
            actor=network.coordinator, action_uuid=action.uuid, follow_up_note="Sudah dilatih."
        )
        action.refresh_from_db()
        assert (action.status, action.done_on, action.is_overdue) == (
            "done",
            date(2026, 6, 22),
            False,
        )
        listed = selectors.visits_in(consortium=network.consortium).get()
        assert (listed.open_actions, listed.overdue_actions) == (0, 0)


def test_marking_done_is_a_transition_with_its_rules(network, mark):
    visit = _visit(network, visited_on=TODAY - timedelta(days=10))
    action = services.agreed_action_add(
        actor=network.coordinator,
        visit_uuid=visit.uuid,
        data=services.ActionInput("Perbarui formulir persetujuan", TODAY),
    )
    cases = [
        ({"follow_up_note": " "}, {"follow_up_note": ["This field is required."]}),
        (
            {"follow_up_note": "ok", "done_on": TODAY + timedelta(days=1)},
            {"done_on": ["The date cannot be in the future."]},
        ),
        (
            {"follow_up_note": "ok", "done_on": TODAY - timedelta(days=11)},
            {"done_on": ["The action cannot be done before the visit."]},
        ),
    ]
    first = _events(mark)[-1].pk
    for arguments, expected in cases:
        with pytest.raises(ApplicationError) as excinfo:
            services.agreed_action_complete(
                actor=network.coordinator, action_uuid=action.uuid, **arguments
            )
        assert _fields(excinfo) == expected
    assert _events(first) == []
    services.agreed_action_complete(
        actor=network.coordinator,
        action_uuid=action.uuid,
        follow_up_note="Formulir baru dipakai sejak Juni.",
        done_on=TODAY - timedelta(days=1),
    )
    [event] = _events(first)
    assert (event.action, event.object_type) == ("transition", "agreedaction")
    assert event.changed_fields == {
        "status": ["open", "done"],
        "done_on": [None, "2026-06-14"],
        "follow_up_note": ["", "Formulir baru dipakai sejak Juni."],
    }
    with pytest.raises(InvalidTransitionError) as excinfo:
        services.agreed_action_complete(
            actor=network.coordinator, action_uuid=action.uuid, follow_up_note="lagi"
        )
    assert excinfo.value.message == "Cannot change status from 'Done' to 'Done'. Allowed: none."
    assert _events(first) == [event]


def test_a_visit_date_cannot_move_after_an_actions_due_date(network):
    visit = _visit(
        network,
        visited_on=TODAY - timedelta(days=10),
        actions=[("Rapat staf", TODAY - timedelta(days=5))],
    )
    with pytest.raises(ApplicationError) as excinfo:
        services.mentoring_visit_update(
            actor=network.coordinator,
            visit_uuid=visit.uuid,
            data=services.VisitInput("yayasan-a", TODAY, "Rencana kasus", "Temuan"),
        )
    assert _fields(excinfo) == {"visited_on": ["An agreed action is due before this date."]}


# --- Self-assessments --------------------------------------------------------------------------


def test_a_self_assessment_is_one_per_ngo_and_year(network, mark):
    assessment = services.self_assessment_create(
        actor=network.coordinator,
        consortium=network.consortium,
        ngo="yayasan-a",
        year=2026,
        scores=SCORES,
        comment="Dinilai bersama tim.",
    )
    assert assessment.mean_score == 3.4
    [event] = _events(mark)
    assert (event.action, event.object_type, event.changed_fields["year"]) == (
        "create",
        "selfassessment",
        [None, 2026],
    )
    with pytest.raises(ApplicationError) as excinfo:
        services.self_assessment_create(
            actor=network.coordinator,
            consortium=network.consortium,
            ngo="yayasan-a",
            year=2026,
            scores=SCORES,
        )
    assert _fields(excinfo) == {
        "year": ["This NGO's self-assessment of 2026 is already recorded: change it instead."]
    }
    services.self_assessment_update(
        actor=network.coordinator,
        assessment_uuid=assessment.uuid,
        scores={**SCORES, "referral_network": 4},
        comment="Dinilai bersama tim.",
    )
    assessment.refresh_from_db()
    assert (assessment.referral_network, assessment.mean_score) == (4, 3.8)
    assert _events(mark)[-1].changed_fields == {"referral_network": [2, 4]}


@pytest.mark.parametrize(
    ("year", "scores", "expected"),
    [
        (2026, {**SCORES, "data_protection": 6}, {"data_protection": ["A score from 1 to 5."]}),
        (2026, {**SCORES, "case_management": 0}, {"case_management": ["A score from 1 to 5."]}),
        (2026, {**SCORES, "case_management": True}, {"case_management": ["A score from 1 to 5."]}),
        (
            2026,
            {key: value for key, value in SCORES.items() if key != "child_safeguarding"},
            {"child_safeguarding": ["This field is required."]},
        ),
        (2027, SCORES, {"year": ["A year from 2000 to 2026."]}),
        (1999, SCORES, {"year": ["A year from 2000 to 2026."]}),
    ],
)
def test_bad_scores_and_years_are_field_errors(network, mark, year, scores, expected):
    with pytest.raises(ApplicationError) as excinfo:
        services.self_assessment_create(
            actor=network.coordinator,
            consortium=network.consortium,
            ngo="yayasan-a",
            year=year,
            scores=scores,
        )
    assert _fields(excinfo) == expected
    assert SelfAssessment.objects.count() == 0
    assert _events(mark) == []


# --- Selectors ---------------------------------------------------------------------------------


def _assess(network, ngo: str, year: int, **scores):
    return services.self_assessment_create(
        actor=network.coordinator,
        consortium=network.consortium,
        ngo=ngo,
        year=year,
        scores={**SCORES, **scores},
    )


def test_capacity_status_counts_each_ngo_exactly(network, ngo_a, ngo_b):
    """A: two trainings in the last 12 months (one 13 months ago does not count), two open
    actions of which one overdue, assessed 2025 then 2026; B: nothing but one done action."""
    _training(network, held_on=TODAY - timedelta(days=10))
    _training(network, held_on=date(2025, 6, 16), participants=[("yayasan-a", 1, "")])
    _training(network, held_on=date(2025, 6, 15), participants=[("yayasan-a", 4, "")])
    _visit(
        network,
        visited_on=TODAY - timedelta(days=40),
        actions=[
            ("Overdue", TODAY - timedelta(days=1)),
            ("Due today", TODAY),
        ],
    )
    other = _visit(network, "lembaga-b", actions=[("Selesai", TODAY)])
    services.agreed_action_complete(
        actor=network.coordinator,
        action_uuid=other.actions.get().uuid,
        follow_up_note="Selesai.",
    )
    _assess(network, "yayasan-a", 2025, data_protection=1)
    _assess(network, "yayasan-a", 2026)
    with queries_exactly(4):
        rows = selectors.capacity_status(network.consortium)
    assert [
        (
            row.ngo.slug,
            row.trainings_last_12_months,
            row.open_actions,
            row.overdue_actions,
            row.latest_assessment_year,
            row.latest_assessment_mean,
        )
        for row in rows
    ] == [
        ("lembaga-b", 0, 0, 0, None, None),
        ("yayasan-a", 2, 2, 1, 2026, 3.4),
    ]


def test_the_overview_takes_the_same_queries_for_many_ngos(network, ngo_a, ngo_b):
    """Six queries for the overview, whatever the number of NGOs and records."""
    _training(network, participants=[("yayasan-a", 2, ""), ("lembaga-b", 3, "")])
    _visit(network, actions=[("Satu", TODAY)])
    _visit(network, "lembaga-b", actions=[("Dua", TODAY)])
    _assess(network, "lembaga-b", 2026)
    with queries_exactly(6):
        rows = selectors.capacity_overview(consortium=network.consortium)
        summary = [
            (
                row.ngo.slug,
                row.last_training.topic if row.last_training else None,
                row.last_visit.visited_on if row.last_visit else None,
                row.latest_assessment.year if row.latest_assessment else None,
            )
            for row in rows
        ]
    assert summary == [
        ("lembaga-b", "Manajemen kasus", TODAY, 2026),
        ("yayasan-a", "Manajemen kasus", TODAY, None),
    ]


def test_an_ngos_history_holds_only_its_own_rows(network, ngo_a, ngo_b):
    """B's history: the training B attended with B's participation only (not A's), B's visit,
    B's assessment; none of A's."""
    shared = _training(
        network,
        topic="Perlindungan anak",
        participants=[("yayasan-a", 2, "Bu Ani"), ("lembaga-b", 1, "Pak Joko")],
    )
    _training(network, topic="Hanya A", participants=[("yayasan-a", 5, "")])
    _visit(network, "yayasan-a", actions=[("Rahasia A", TODAY)])
    visit_b = _visit(network, "lembaga-b", actions=[("Tugas B", TODAY - timedelta(days=0))])
    _assess(network, "yayasan-a", 2026)
    _assess(network, "lembaga-b", 2025, case_management=1)
    with queries_exactly(4):
        history = selectors.ngo_history(ngo=ngo_b.ngo)
        participations = [
            (row.training.topic, row.ngo_id, row.participant_count, row.staff)
            for row in history.participations
        ]
        visits = [(v.pk, [a.description for a in v.actions.all()]) for v in history.visits]
    assert participations == [("Perlindungan anak", ngo_b.ngo.pk, 1, "Pak Joko")]
    assert shared.participations.count() == 2
    assert visits == [(visit_b.pk, ["Tugas B"])]
    assert [(a.ngo_id, a.year) for a in history.self_assessments] == [(ngo_b.ngo.pk, 2025)]
    assert history.score_rows[0][1] == [1]
    assert (history.open_actions, history.overdue_actions) == (1, 0)
