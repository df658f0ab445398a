"""The audit trail: one event per write, view and export, with actor, object, changed fields and
client IP; NIK values never recorded; rows append-only; the audit API is admins' only."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from casework import services
from casework.models import AuditEvent, Case, CasePlan, FollowUp
from core.errors import PermissionDeniedError

pytestmark = pytest.mark.django_db

NIK = "3374015203130004"


@pytest.fixture
def team(ngo_a, team_a):
    """NGO A's staff users, with NGO A's schema active for the test."""
    with schema_context(ngo_a.ngo.schema_name):
        yield {role: staff.user for role, staff in team_a.items()}


@pytest.fixture
def mark(team):
    """The last audit id before the test: events after it are the test's own."""
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _today():
    return timezone.localdate()


def _events(mark, **filters):
    return list(AuditEvent.objects.filter(id__gt=mark, **filters).order_by("id"))


def _summary(mark, **filters):
    return [(e.actor_username, e.action, e.object_type) for e in _events(mark, **filters)]


def _register(actor, name="Siti Rahayu", *, consent=True, nik="") -> Case:
    return services.child_register(
        actor=actor,
        child=services.ChildInput(
            full_name=name,
            sex="female",
            school_status="dropped_out",
            birth_year=_today().year - 13,
            birth_year_estimated=True,
            nik=nik,
        ),
        household=services.HouseholdInput(
            guardian_name="Ibu Rahayu",
            guardian_relationship="mother",
            province_code="33",
            regency_code="33.74",
        ),
        consent=services.ConsentInput(
            guardian_name="Ibu Rahayu",
            guardian_relationship="mother",
            guardian_consented=True,
            child_assented=True,
            consented_on=_today(),
        )
        if consent
        else None,
    )


def _assessment_values():
    return {
        "assessed_on": _today(),
        "works": True,
        "employer_type": "informal",
        "hours_per_week": Decimal("20"),
        "score_education": 2,
        "score_health": 3,
        "score_psychosocial": 3,
        "score_safety": 3,
        "score_family_economy": 2,
        "risk_level": "medium",
    }


def _goals(worker):
    due = _today() + timedelta(days=30)
    return [
        {
            "description": "Kembali ke sekolah",
            "target_date": due,
            "services": [
                {"type": "school_return", "responsible_worker_id": worker.pk, "due_on": due}
            ],
        }
    ]


def _to_planned(case, team):
    assessment = services.assessment_create(
        actor=team["worker"], case_id=case.pk, **_assessment_values()
    )
    services.assessment_review(
        actor=team["supervisor"], case_id=case.pk, assessment_id=assessment.pk, approve=True
    )
    services.plan_save(
        actor=team["worker"], case_id=case.pk, summary="", goals=_goals(team["worker"]), submit=True
    )
    services.plan_review(actor=team["supervisor"], case_id=case.pk, approve=True)


# --- One event per action ----------------------------------------------------------------------


def test_registration_audits_child_household_case_consent_and_transition(team, mark):
    """Registering with consent writes five events by the worker, all tied to the case."""
    case = _register(team["worker"], nik=NIK)
    consent = case.child.consents.get()
    events = _events(mark)
    assert [(e.actor_username, e.action, e.object_type, e.object_id) for e in events] == [
        ("worker-a", "create", "child", str(case.child_id)),
        ("worker-a", "create", "household", str(case.child.household_id)),
        ("worker-a", "create", "case", str(case.pk)),
        ("worker-a", "create", "consent", str(consent.pk)),
        ("worker-a", "transition", "case", str(case.pk)),
    ]
    assert [e.case_id for e in events] == [case.pk, case.pk, case.pk, None, case.pk]
    assert all(e.actor_id == team["worker"].pk for e in events)
    child, household, case_event, consent_event, transition = (e.changed_fields for e in events)
    assert child["full_name"] == [None, "Siti Rahayu"]
    assert child["nik_encrypted"] == ["<redacted>", "<redacted>"]
    assert child["nik_hash"] == ["<redacted>", "<redacted>"]
    assert child["nik_last4"] == ["<redacted>", "<redacted>"]
    assert household["guardian_name"] == [None, "Ibu Rahayu"]
    assert household["regency_code"] == [None, "33.74"]
    assert case_event["reference"] == [None, case.reference]
    assert case_event["status"] == [None, "identified"]
    assert consent_event["guardian_consented"] == [None, True]
    assert transition == {"status": ["identified", "registered"]}


def test_full_lifecycle_audit_trail(team, mark):
    """Each lifecycle write leaves exactly its events, in order, by the acting user."""
    worker, supervisor = team["worker"], team["supervisor"]
    case = _register(worker)
    _to_planned(case, team)
    services.intervention_record(
        actor=worker, case_id=case.pk, delivered_on=_today(), type="counselling", provider="LPA"
    )
    visit = services.followup_schedule(actor=worker, case_id=case.pk)
    services.followup_complete(
        actor=worker, case_id=case.pk, followup_id=visit.pk, completed_on=_today()
    )
    services.verification_record(
        actor=worker,
        case_id=case.pk,
        visited_on=_today(),
        left_work=True,
        in_school_or_training=True,
    )
    services.note_add(actor=worker, case_id=case.pk, body="Sudah sekolah lagi")
    services.case_closure_request(
        actor=worker, case_id=case.pk, reason="withdrawn_child_labour", outcome="Sekolah"
    )
    services.case_closure_review(actor=supervisor, case_id=case.pk, approve=True)
    services.case_reopen(actor=supervisor, case_id=case.pk, reason="Kembali bekerja")
    assert _summary(mark) == [
        ("worker-a", "create", "child"),
        ("worker-a", "create", "household"),
        ("worker-a", "create", "case"),
        ("worker-a", "create", "consent"),
        ("worker-a", "transition", "case"),  # identified -> registered
        ("worker-a", "create", "assessment"),
        ("supervisor-a", "update", "assessment"),
        ("supervisor-a", "transition", "case"),  # registered -> assessed
        ("worker-a", "create", "caseplan"),
        ("supervisor-a", "update", "caseplan"),
        ("supervisor-a", "transition", "case"),  # assessed -> planned
        ("worker-a", "create", "intervention"),
        ("worker-a", "transition", "case"),  # planned -> in_service
        ("worker-a", "create", "followup"),
        ("worker-a", "update", "followup"),
        ("worker-a", "create", "verification"),
        ("worker-a", "transition", "case"),  # in_service -> monitoring
        ("worker-a", "create", "note"),
        ("worker-a", "transition", "case"),  # monitoring -> closure_requested
        ("supervisor-a", "transition", "case"),  # closure_requested -> closed
        ("supervisor-a", "transition", "case"),  # closed -> in_service (reopening: supervisors)
    ]
    transitions = [e.changed_fields for e in _events(mark, action="transition")]
    assert transitions == [
        {"status": ["identified", "registered"]},
        {"status": ["registered", "assessed"]},
        {"status": ["assessed", "planned"]},
        {"status": ["planned", "in_service"]},
        {"status": ["in_service", "monitoring"]},
        {"status": ["monitoring", "closure_requested"]},
        {"status": ["closure_requested", "closed"]},
        {"status": ["closed", "in_service"]},
    ]
    reasons = [e.details for e in _events(mark, action="transition")]
    assert reasons == [{}] * 7 + [{"reason": "Kembali bekerja"}]
    assert {e.case_id for e in _events(mark, object_type__in=["note", "followup"])} == {case.pk}


def test_every_event_has_the_one_shape(team, mark):
    """Across a whole lifecycle every event's changed_fields is {field: [old, new]}: reasons,
    comments and counts are in details."""
    worker, supervisor = team["worker"], team["supervisor"]
    case = _register(worker)
    _to_planned(case, team)
    services.case_closure_request(
        actor=worker, case_id=case.pk, reason="withdrawn_child_labour", outcome="Sekolah"
    )
    services.case_closure_review(actor=supervisor, case_id=case.pk, approve=True, comment="Baik")
    services.case_reopen(actor=worker, case_id=case.pk, reason="Kembali bekerja")
    events = _events(mark)
    assert len(events) == 14
    for event in events:
        assert all(
            isinstance(pair, list) and len(pair) == 2 for pair in event.changed_fields.values()
        ), (event.action, event.object_type, event.changed_fields)
    plan_create = _events(mark, action="create", object_type="caseplan")[0]
    assert plan_create.details == {"goals": 1, "version": 1}
    assert [e.details for e in _events(mark, action="transition")][-2:] == [
        {"reason": "Baik"},
        {"reason": "Kembali bekerja"},
    ]


def test_review_events_record_the_changed_fields(team, mark):
    """Assessment and plan reviews record the status change; a note records only its length."""
    case = _register(team["worker"])
    _to_planned(case, team)
    note = services.note_add(actor=team["worker"], case_id=case.pk, body="Rahasia keluarga")
    review = _events(mark, action="update", object_type="assessment")[0].changed_fields
    assert review["status"] == ["submitted", "approved"]
    assert review["reviewed_by_id"] == [None, team["supervisor"].pk]
    plan_review = _events(mark, action="update", object_type="caseplan")[0].changed_fields
    assert plan_review == {"status": ["submitted", "approved"]}
    [note_event] = _events(mark, object_type="note")
    assert note_event.object_id == str(note.pk)
    assert note_event.changed_fields == {"body": [None, "16 characters"]}


def test_consent_withdrawal_and_child_update_are_audited(team, mark):
    """Withdrawing consent and correcting the child's details are 'update' events."""
    case = _register(team["worker"])
    consent = case.child.consents.get()
    services.consent_withdraw(
        actor=team["worker"], consent_id=consent.pk, withdrawn_on=_today(), reason="Pindah"
    )
    services.child_update(actor=team["worker"], case_id=case.pk, known_as="Sri")
    withdrawal, update = _events(mark, action="update")
    assert (withdrawal.object_type, withdrawal.object_id) == ("consent", str(consent.pk))
    assert withdrawal.changed_fields == {
        "withdrawn_on": [None, _today().isoformat()],
        "withdrawal_reason": ["", "Pindah"],
    }
    assert (update.object_type, update.case_id) == ("child", case.pk)
    assert update.changed_fields["known_as"] == ["", "Sri"]


def test_assignment_staff_and_settings_are_audited(team, mark, settings):
    """Assigning a case, creating and updating staff and changing settings are audited."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    case = _register(team["worker"])
    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    services.case_assign(
        actor=team["supervisor"], case_id=case.pk, worker_id=team["other_worker"].pk
    )
    profile = services.staff_create(
        actor=team["admin"], username="rina", password="Kuat-Sekali-2026!", role="case_worker"
    )
    services.staff_update(actor=team["admin"], user_id=profile.user_id, role="supervisor")
    services.ngo_settings_update(actor=team["admin"], followup_interval_days=14)
    assign, create, update, ngo_settings = _events(start)
    assert (assign.actor_username, assign.action, assign.object_type) == (
        "supervisor-a",
        "update",
        "case",
    )
    assert assign.changed_fields == {
        "assigned_worker_id": [team["worker"].pk, team["other_worker"].pk]
    }
    assert (create.actor_username, create.action, create.object_type, create.object_id) == (
        "admin-a",
        "create",
        "staff",
        str(profile.user_id),
    )
    assert create.changed_fields == {"username": [None, "rina"], "role": [None, "case_worker"]}
    assert (update.action, update.changed_fields) == (
        "update",
        {"role": ["case_worker", "supervisor"]},
    )
    assert (ngo_settings.action, ngo_settings.object_type) == ("update", "ngosettings")
    assert ngo_settings.changed_fields["followup_interval_days"] == [30, 14]
    assert set(ngo_settings.changed_fields) == {"followup_interval_days", "updated_at"}
    assert "password" not in json.dumps(create.changed_fields)


def test_denied_write_leaves_no_event(team, mark):
    """A refused write (M&E officer registering) records nothing."""
    with pytest.raises(PermissionDeniedError):
        _register(team["me"])
    assert _events(mark) == []


def _followup_completed_by_verification(case, team):
    services.followup_schedule(actor=team["worker"], case_id=case.pk, kind="verification")
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    services.verification_record(
        actor=team["worker"],
        case_id=case.pk,
        visited_on=_today(),
        left_work=True,
        in_school_or_training=True,
    )
    return _summary(mark, object_type="followup"), [("worker-a", "update", "followup")]


def _plan_flagged_by_relapse(case, team):
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    services.verification_record(
        actor=team["worker"],
        case_id=case.pk,
        visited_on=_today(),
        left_work=False,
        in_school_or_training=False,
        seen_back_at_work=True,
    )
    assert CasePlan.objects.get(case=case).status == CasePlan.Status.REVISION_NEEDED
    return _summary(mark, object_type="caseplan"), [("worker-a", "update", "caseplan")]


def _followups_dropped_by_closure(case, team):
    services.followup_schedule(actor=team["worker"], case_id=case.pk)
    services.case_closure_request(
        actor=team["worker"], case_id=case.pk, reason="moved_away", outcome="Pindah"
    )
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    services.case_closure_review(actor=team["supervisor"], case_id=case.pk, approve=True)
    assert FollowUp.objects.filter(case=case).count() == 0
    return _summary(mark, object_type="followup"), [("supervisor-a", "delete", "followup")]


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(_followup_completed_by_verification, id="verification-completes-followup"),
        pytest.param(_plan_flagged_by_relapse, id="relapse-flags-plan"),
        pytest.param(_followups_dropped_by_closure, id="closure-deletes-followups"),
    ],
)
def test_side_effect_writes_are_audited(team, scenario):
    """Rows changed or deleted as a consequence of another service get their own event."""
    case = _register(team["worker"])
    _to_planned(case, team)
    recorded, expected = scenario(case, team)
    assert recorded == expected


# --- Views and exports over HTTP -----------------------------------------------------------------


def test_case_detail_view_is_audited_with_client_ip(team_a, team, mark):
    """GET /api/v1/cases/{id}/ records a 'view' of the child's full record with the IP."""
    case = _register(team["worker"])
    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    response = team_a["worker"].client().get(f"/api/v1/cases/{case.pk}/", REMOTE_ADDR="10.20.30.40")
    assert response.status_code == 200
    [event] = _events(start)
    assert (event.actor_username, event.action, event.object_type, event.object_id) == (
        "worker-a",
        "view",
        "child",
        str(case.child_id),
    )
    assert (event.case_id, event.ip_address, event.changed_fields) == (case.pk, "10.20.30.40", {})


def test_denied_case_view_is_not_audited(team_a, team, mark):
    """The other worker gets 404 for a case not theirs, and no view is recorded."""
    case = _register(team["worker"])
    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    response = team_a["other_worker"].client().get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 404
    assert _events(start) == []


def test_client_ip_behind_trusted_proxy(team_a, team, mark, settings):
    """Behind one trusted proxy the audited IP is the one the proxy put in X-Forwarded-For."""
    settings.TRUSTED_PROXY_COUNT = 1
    case = _register(team["worker"])
    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    team_a["worker"].client().get(
        f"/api/v1/cases/{case.pk}/",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7",
    )
    [event] = _events(start)
    assert event.ip_address == "203.0.113.7"


def test_csv_export_is_audited(team_a, team, mark):
    """The CSV export records an 'export' event with row count, filters and IP."""
    _register(team["worker"], nik=NIK)
    _register(team["worker"], "Budi", consent=False)
    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    response = (
        team_a["supervisor"]
        .client()
        .get("/api/v1/cases/export/", {"status": "registered"}, REMOTE_ADDR="10.0.0.9")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.splitlines()[0].startswith("reference,case_type,status,")
    assert len(body.splitlines()) == 2
    assert "Siti" not in body
    assert NIK not in body
    [event] = _events(start)
    assert (event.actor_username, event.action, event.object_type, event.object_id) == (
        "supervisor-a",
        "export",
        "case",
        "*",
    )
    assert event.changed_fields == {}
    assert event.details == {"rows": 1, "filters": {"status": ["registered"]}}
    assert event.ip_address == "10.0.0.9"


def test_export_denied_to_worker_is_not_audited(team_a, team, mark):
    """Case workers may not export: 403 and no event."""
    response = team_a["worker"].client().get("/api/v1/cases/export/")
    assert response.status_code == 403
    assert _events(mark) == []


def test_nik_never_in_audit_trail(team_a, team, mark):
    """No audit row ever holds the NIK, its ciphertext, its hash or its last digits."""
    case = _register(team["worker"], nik=NIK)
    services.child_update(actor=team["worker"], case_id=case.pk, nik="3374015203130099")
    client = team_a["supervisor"].client()
    client.get(f"/api/v1/cases/{case.pk}/")
    client.get("/api/v1/cases/export/")
    client.patch(
        f"/api/v1/children/{case.child_id}/",
        {"nik": "3374015203130077"},
        content_type="application/json",
    )
    child = case.child
    child.refresh_from_db()
    dumped = json.dumps([e.changed_fields for e in _events(mark)])
    assert len(_events(mark)) == 9
    for secret in (NIK, "3374015203130099", "3374015203130077"):
        assert secret not in dumped
    assert child.nik_encrypted not in dumped
    assert child.nik_hash not in dumped
    update = _events(mark, action="update", object_type="child")[0].changed_fields
    assert update == {
        "nik_encrypted": ["<redacted>", "<redacted>"],
        "nik_hash": ["<redacted>", "<redacted>"],
        "nik_last4": ["<redacted>", "<redacted>"],
        "updated_at": update["updated_at"],
    }


# --- Append-only -------------------------------------------------------------------------------


def _one_event(team) -> AuditEvent:
    services.note_add(actor=team["worker"], case_id=_register(team["worker"]).pk, body="catatan")
    return AuditEvent.objects.filter(object_type="note").get()


REFUSED = "audit events cannot be changed or deleted"


def _orm_update(event):
    AuditEvent.objects.filter(pk=event.pk).update(actor_username="someone-else")


def _instance_save(event):
    event.action = "delete"
    event.save()


def _raw_update(event):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE casework_auditevent SET changed_fields = '{}' WHERE id = %s", [event.pk]
        )


def _instance_delete(event):
    event.delete()


def _queryset_delete(event):
    AuditEvent.objects.all().delete()


def _raw_delete(event):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM casework_auditevent WHERE id = %s", [event.pk])


@pytest.mark.parametrize(
    "change",
    [_orm_update, _instance_save, _raw_update, _instance_delete, _queryset_delete, _raw_delete],
    ids=lambda change: change.__name__.strip("_"),
)
def test_audit_rows_cannot_be_changed_or_deleted(team, change):
    """The database trigger refuses UPDATE and DELETE on audit events, however issued."""
    event = _one_event(team)
    count = AuditEvent.objects.count()
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        change(event)
    assert AuditEvent.objects.count() == count
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_username, stored.action) == ("worker-a", "create")
    assert stored.changed_fields == {"body": [None, "7 characters"]}


# --- Audit API ---------------------------------------------------------------------------------


@pytest.fixture
def trail(team):
    """Two cases by two workers, one reviewed by the supervisor."""
    first = _register(team["worker"])
    second = _register(team["other_worker"], "Budi", consent=False)
    assessment = services.assessment_create(
        actor=team["worker"], case_id=first.pk, **_assessment_values()
    )
    services.assessment_review(
        actor=team["supervisor"], case_id=first.pk, assessment_id=assessment.pk, approve=True
    )
    return first, second


def _audit(team_a, role="admin", **params):
    response = team_a[role].client().get("/api/v1/audit/", {"page_size": 200, **params})
    return response


def _rows(response):
    assert response.status_code == 200, response.content
    return [
        (r["actor_username"], r["action"], r["object_type"]) for r in response.json()["results"]
    ]


def test_audit_api_filters_by_actor(team_a, trail):
    """?actor= lists only that user's events, newest first."""
    rows = _rows(_audit(team_a, actor="supervisor-a"))
    assert rows[:2] == [
        ("supervisor-a", "transition", "case"),
        ("supervisor-a", "update", "assessment"),
    ]
    assert {row[0] for row in rows} == {"supervisor-a"}


def test_audit_api_filters_by_case(team_a, trail):
    """?case= lists the case's events only."""
    first, second = trail
    assert _rows(_audit(team_a, case=second.pk)) == [
        ("worker-a2", "create", "case"),
        ("worker-a2", "create", "household"),
        ("worker-a2", "create", "child"),
    ]
    assert len(_rows(_audit(team_a, case=first.pk))) == 7


def test_audit_api_filters_by_action_and_object_type(team_a, trail):
    """?action= and ?object_type= combine with the other filters."""
    first, _ = trail
    transitions = _rows(_audit(team_a, action="transition", case=first.pk))
    assert transitions == [
        ("supervisor-a", "transition", "case"),
        ("worker-a", "transition", "case"),
    ]
    assessments = _audit(team_a, object_type="assessment", case=first.pk).json()["results"]
    assert [(r["action"], r["object_type"]) for r in assessments] == [
        ("update", "assessment"),
        ("create", "assessment"),
    ]
    assert _rows(_audit(team_a, actor="worker-a2", action="transition")) == []


@pytest.mark.parametrize("role", ["supervisor", "worker", "other_worker", "me"])
def test_audit_api_is_admin_only(team_a, trail, role):
    """Everyone but the NGO admin gets 403."""
    response = _audit(team_a, role)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_audit_api_never_shows_another_ngos_events(ngo_b, team_b, team_a, trail):
    """Events written in NGO B are not listed by NGO A's audit API."""
    with schema_context(ngo_b.ngo.schema_name):
        _register(team_b["worker"].user, "Siti Rahayu")
        assert AuditEvent.objects.filter(actor_username="worker-b").count() == 5
    assert _rows(_audit(team_a, actor="worker-b")) == []


def test_audit_api_shows_details_and_refuses_an_unknown_action(team_a, trail):
    """Rows carry `details` next to `changed_fields`; ?action= outside the enum is a 400."""
    first, _ = trail
    rows = _audit(team_a, action="transition", case=first.pk).json()["results"]
    assert [(r["changed_fields"], r["details"]) for r in rows][-1] == (
        {"status": ["identified", "registered"]},
        {},
    )
    response = _audit(team_a, action="frobnicate")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "fields"}
    assert "action" in response.json()["fields"]
