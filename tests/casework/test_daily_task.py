"""The NGO's daily run: overdue follow-ups are flagged, their workers notified once in the app
(and by e-mail when configured), and a redelivered run does nothing twice."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from casework import selectors, services
from casework.models import Case, FollowUp, Notification, TaskRun
from casework.tasks import daily_maintenance
from core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(ngo_a, team_a):
    """NGO A's staff users, with NGO A's schema active for the test."""
    with schema_context(ngo_a.ngo.schema_name):
        yield {role: staff.user for role, staff in team_a.items()}


@pytest.fixture
def no_email(settings):
    """E-mail not configured."""
    settings.EMAIL_URL = None


@pytest.fixture
def email(settings, mailoutbox):
    """E-mail configured (delivered to memory)."""
    settings.EMAIL_URL = "smtp://x"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return mailoutbox


def _today():
    return timezone.localdate()


def _case(actor, name="Siti Rahayu") -> Case:
    return services.child_register(
        actor=actor,
        child=services.ChildInput(
            full_name=name, sex="female", school_status="dropped_out", birth_year=2013
        ),
        household=services.HouseholdInput(
            guardian_name="Ibu Rahayu", guardian_relationship="mother"
        ),
    )


def _followup(actor, case, days: int, **kwargs) -> FollowUp:
    """A follow-up scheduled for today + `days` (negative: scheduled earlier, now past due)."""
    followup = services.followup_schedule(
        actor=actor, case_id=case.pk, due_on=_today() + timedelta(days=30), **kwargs
    )
    # Scheduled in the past and now due: move the date, as time would have.
    FollowUp.objects.filter(pk=followup.pk).update(due_on=_today() + timedelta(days=days))
    followup.refresh_from_db()
    return followup


def _flags(*followups):
    return [FollowUp.objects.get(pk=f.pk).is_overdue for f in followups]


def _overdue_cases():
    return sorted(Case.objects.filter(has_overdue=True).values_list("reference", flat=True))


# --- followups_mark_overdue ----------------------------------------------------------------------


def test_flags_only_open_past_due_followups(team, no_email):
    """Open follow-ups due before today are flagged; due today, later or completed are not."""
    worker = team["worker"]
    case = _case(worker)
    late = _followup(worker, case, -3)
    yesterday = _followup(worker, case, -1)
    due_today = _followup(worker, case, 0)
    later = _followup(worker, case, 5)
    done = _followup(worker, case, -10)
    services.followup_complete(
        actor=worker, case_id=case.pk, followup_id=done.pk, completed_on=_today()
    )
    assert services.followups_mark_overdue() == 2
    assert _flags(late, yesterday, due_today, later, done) == [True, True, False, False, False]
    done.refresh_from_db()
    assert done.overdue_notified_at is None
    late.refresh_from_db()
    assert late.overdue_notified_at is not None


def test_one_notification_per_followup_for_its_worker(team, no_email):
    """Each newly overdue follow-up notifies its own assigned worker, once."""
    worker, other = team["worker"], team["other_worker"]
    case = _case(worker)
    visit = _followup(worker, case, -2)
    # Giving a visit to another worker is a supervisor's assignment.
    check = _followup(
        team["supervisor"], case, -1, kind="verification", assigned_worker_id=other.pk
    )
    services.followups_mark_overdue()
    rows = list(
        Notification.objects.order_by("id").values_list(
            "user_id", "case_id", "key", "code", "params", "message"
        )
    )
    # Stored as a code with parameters (rendered in the reader's language), no text.
    assert rows == [
        (
            worker.pk,
            case.pk,
            f"overdue:{visit.pk}",
            "followup_overdue",
            {"kind": "visit", "reference": case.reference, "due_on": visit.due_on.isoformat()},
            "",
        ),
        (
            other.pk,
            case.pk,
            f"overdue:{check.pk}",
            "followup_overdue",
            {
                "kind": "verification",
                "reference": case.reference,
                "due_on": check.due_on.isoformat(),
            },
            "",
        ),
    ]
    assert [row.text for row in Notification.objects.order_by("id")] == [
        f"Overdue follow-up visit for case {case.reference} (due {visit.due_on:%d/%m/%Y})",
        f"Overdue verification visit for case {case.reference} (due {check.due_on:%d/%m/%Y})",
    ]


def test_second_run_notifies_nobody_again(team, no_email):
    """Running again (the same day or later) creates no second notification."""
    worker = team["worker"]
    case = _case(worker)
    _followup(worker, case, -2)
    assert services.followups_mark_overdue() == 1
    assert services.followups_mark_overdue() == 0
    assert services.followups_mark_overdue(today=_today() + timedelta(days=7)) == 0
    assert Notification.objects.count() == 1


def test_sets_has_overdue_on_the_cases_concerned(team, no_email):
    """Cases with a newly overdue follow-up get has_overdue; the others do not."""
    worker = team["worker"]
    late_case = _case(worker)
    fine_case = _case(worker, "Budi")
    _followup(worker, late_case, -1)
    _followup(worker, fine_case, 3)
    assert _overdue_cases() == []
    services.followups_mark_overdue()
    assert _overdue_cases() == [late_case.reference]
    assert Case.objects.get(pk=fine_case.pk).next_due_on == _today() + timedelta(days=30)


def test_explicit_day_flags_what_will_be_overdue(team, no_email):
    """`today=` decides what counts as past due."""
    worker = team["worker"]
    case = _case(worker)
    soon = _followup(worker, case, 2)
    assert services.followups_mark_overdue(today=_today() + timedelta(days=2)) == 0
    assert services.followups_mark_overdue(today=_today() + timedelta(days=3)) == 1
    assert _flags(soon) == [True]


def test_completing_clears_the_overdue_state(team, no_email):
    """Completing the overdue follow-up clears its flag and the case's."""
    worker = team["worker"]
    case = _case(worker)
    late = _followup(worker, case, -1)
    services.followups_mark_overdue()
    services.followup_complete(
        actor=worker, case_id=case.pk, followup_id=late.pk, completed_on=_today()
    )
    assert _flags(late) == [False]
    assert _overdue_cases() == []


def test_followup_scheduled_in_the_past_is_notified(team, no_email):
    """A follow-up scheduled earlier whose due date has passed since notifies its worker on the
    next run (a due date cannot be set in the past, so it was scheduled as of two days ago)."""
    worker = team["worker"]
    case = _case(worker)
    with clock.as_of(_today() - timedelta(days=2)):
        services.followup_schedule(
            actor=team["supervisor"],  # giving a visit to another worker is an assignment
            case_id=case.pk,
            due_on=_today() - timedelta(days=1),
            assigned_worker_id=team["other_worker"].pk,
        )
    services.followups_mark_overdue()
    assert list(Notification.objects.values_list("user_id", flat=True)) == [team["other_worker"].pk]


def test_other_ngo_untouched(ngo_b, team_b, team, no_email):
    """A run in NGO A never flags or notifies NGO B's follow-ups."""
    with schema_context(ngo_b.ngo.schema_name):
        worker_b = team_b["worker"].user
        followup_b = _followup(worker_b, _case(worker_b), -1)
    _followup(team["worker"], _case(team["worker"]), -1)
    assert services.followups_mark_overdue() == 1
    with schema_context(ngo_b.ngo.schema_name):
        assert _flags(followup_b) == [False]
        assert Notification.objects.count() == 0


def test_dashboard_shows_overdue_items_and_notifications(team, no_email):
    """The worker's dashboard lists their overdue follow-up and its unread notification."""
    worker, other = team["worker"], team["other_worker"]
    case = _case(worker)
    late = _followup(worker, case, -1)
    services.followups_mark_overdue()
    mine = selectors.dashboard(actor=worker)
    assert [f.pk for f in mine["overdue_followups"]] == [late.pk]
    assert [n.key for n in mine["notifications"]] == [f"overdue:{late.pk}"]
    theirs = selectors.dashboard(actor=other)
    assert list(theirs["overdue_followups"]) == []
    assert list(theirs["notifications"]) == []
    services.notification_mark_read(actor=worker, notification_id=mine["notifications"][0].pk)
    assert list(selectors.dashboard(actor=worker)["notifications"]) == []


# --- E-mail ------------------------------------------------------------------------------------


def test_email_sent_on_commit_when_configured(team, email, django_capture_on_commit_callbacks):
    """With EMAIL_URL set each notified worker gets one e-mail, after commit."""
    worker = team["worker"]
    case = _case(worker)
    late = _followup(worker, case, -2)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.followups_mark_overdue()
        assert email == []
    assert len(callbacks) == 1
    [message] = email
    assert message.to == ["worker-a@example.org"]
    assert message.subject == "Terpadu: overdue follow-up"
    assert message.body == (
        f"Overdue follow-up visit for case {case.reference} (due {late.due_on:%d/%m/%Y})"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.followups_mark_overdue()
    assert len(email) == 1


def test_no_email_without_email_url(team, no_email, mailoutbox, django_capture_on_commit_callbacks):
    """Without EMAIL_URL only the in-app notification is created."""
    worker = team["worker"]
    _followup(worker, _case(worker), -2)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.followups_mark_overdue()
    assert callbacks == []
    assert mailoutbox == []
    assert Notification.objects.count() == 1


def test_no_email_for_worker_without_address(
    team, email, settings, django_capture_on_commit_callbacks
):
    """A worker without an e-mail address is notified in the app only."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    worker = team["worker"]
    nomail = services.staff_create(
        actor=team["admin"],
        username="tanpa-email",
        password="Kuat-Sekali-2026!",
        role="case_worker",
    ).user
    _followup(team["supervisor"], _case(worker), -2, assigned_worker_id=nomail.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.followups_mark_overdue()
    assert email == []
    assert list(Notification.objects.values_list("user_id", flat=True)) == [nomail.pk]


# --- The Celery task ---------------------------------------------------------------------------


def test_daily_maintenance_runs_once_per_key(team, no_email):
    """The same run key twice: the work happens once (True, then False)."""
    worker = team["worker"]
    case = _case(worker)
    today_key, tomorrow_key = f"test-{uuid.uuid4().hex}", f"test-{uuid.uuid4().hex}"
    first = _followup(worker, case, -1)
    assert daily_maintenance.run(run_key=today_key) is True
    second = _followup(worker, case, -1)
    assert daily_maintenance.run(run_key=today_key) is False
    assert _flags(first, second) == [True, False]
    assert Notification.objects.filter(case=case).count() == 1
    assert TaskRun.objects.filter(task="daily_maintenance", run_key=today_key).count() == 1
    assert daily_maintenance.run(run_key=tomorrow_key) is True
    assert _flags(second) == [True]
    assert Notification.objects.filter(case=case).count() == 2
