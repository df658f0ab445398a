"""The role matrix of the NGO API: every role x every endpoint x the actor's own or another case.

Roles and capabilities come from casework/access.py. Expected cells: 2xx allowed; 403 for a role
that lacks the capability (or an account with no role in this NGO); 404 for a case, child,
consent, file or notification the actor cannot see (answered alike for missing ones); 401 with
no credentials. Every denied request answers `{"code", "message", "fields"}` only, carries no
child's name, and leaves the database exactly as it was (a digest of every table in the schema).

`ENDPOINTS` is the table: per endpoint, one status per actor (in `ACTORS` order) for the worker's
own case and for another worker's case. `test_role_matrix` runs one endpoint per test, each cell
in a savepoint rolled back afterwards so that every cell starts from the same state.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from psycopg import sql
from rest_framework.authtoken.models import Token

from casework import services
from casework.models import (
    Assessment,
    AuditEvent,
    Case,
    Child,
    Consent,
    NGOSettings,
    Notification,
    StaffProfile,
)
from core import clock
from tests.casework.conftest import assessment_payload, registration_payload
from tests.support import host_client

pytestmark = pytest.mark.django_db

ACTORS = ("admin", "supervisor", "worker", "shared", "other_worker", "me", "anonymous", "no_role")
OWN_NAME = "Siti Rahayu"
OTHER_NAME = "Budi Santoso"
NEW_NAME = "Dewi Lestari"
GUARDIAN = "Ibu Rahayu"
OWN_NIK = "3374015204137391"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXPORT_COLUMNS = [
    "reference",
    "case_type",
    "status",
    "risk_level",
    "child_labour_status",
    "sex",
    "birth_year",
    "province_code",
    "regency_code",
    "opened_on",
    "closed_on",
    "closure_reason",
    "has_overdue",
]
# Which cases each actor can see ("own" = worker's case shared with "shared").
VISIBLE = {
    "admin": ("own", "other"),
    "supervisor": ("own", "other"),
    "worker": ("own",),
    "shared": ("own",),
    "other_worker": ("other",),
    "me": ("own", "other"),
}
DENIAL_MESSAGES = {
    401: "Authentication credentials were not provided.",  # LANGUAGE_CODE is "id"
    403: "You do not have permission to do this.",
}
DENIAL_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


def _today() -> date:
    return timezone.localdate()


@dataclass
class Target:
    """One case with the ids the endpoints need."""

    case_id: int
    child_id: int
    consent_id: int
    name: str
    reference: str
    worker: object
    assessment_id: int | None = None
    followup_id: int | None = None
    goal_id: int | None = None
    attachment_uuid: str | None = None
    referral_uuid: str | None = None


@dataclass
class World:
    """NGO A with two cases, every actor's client, and helpers to set up state."""

    schema: str
    host: str
    users: dict
    clients: dict
    own: Target
    other: Target
    notification_id: int | None = None
    # The referral network (tests/network): NGO B, its staff, and what the steps created.
    ngo_b: object = None
    team_b: dict | None = None
    network: dict | None = None
    incoming_uuid: str | None = None

    def prepare(self, steps: tuple[str, ...], target: Target) -> None:
        """Bring `target` into the state an endpoint needs, through the services."""
        supervisor = self.users["supervisor"]
        worker = target.worker
        today = _today()
        with schema_context(self.schema):
            for step in steps:
                if step == "assessment":
                    target.assessment_id = _assess(worker, target.case_id).pk
                elif step == "approved_assessment":
                    target.assessment_id = _assess(worker, target.case_id).pk
                    services.assessment_review(
                        actor=supervisor,
                        case_id=target.case_id,
                        assessment_id=target.assessment_id,
                        approve=True,
                    )
                elif step == "returned_assessment":
                    target.assessment_id = _assess(worker, target.case_id).pk
                    services.assessment_review(
                        actor=supervisor,
                        case_id=target.case_id,
                        assessment_id=target.assessment_id,
                        approve=False,
                        comment="Jam kerja belum jelas",
                    )
                elif step in ("plan", "submitted_plan"):
                    plan = services.plan_save(
                        actor=worker,
                        case_id=target.case_id,
                        summary="Kembali ke sekolah",
                        goals=[_goal(worker, "Kembali ke sekolah")],
                        submit=step == "submitted_plan",
                    )
                    target.goal_id = plan.goals.get().pk
                elif step == "followup":
                    target.followup_id = services.followup_schedule(
                        actor=worker, case_id=target.case_id, due_on=today + timedelta(days=7)
                    ).pk
                elif step == "overdue_followup":
                    # Scheduled a week ago (a due date cannot be set in the past), now overdue.
                    with clock.as_of(today - timedelta(days=7)):
                        target.followup_id = services.followup_schedule(
                            actor=worker, case_id=target.case_id, due_on=today - timedelta(days=3)
                        ).pk
                elif step == "intervention":
                    services.intervention_record(
                        actor=worker,
                        case_id=target.case_id,
                        delivered_on=today,
                        type="school_return",
                        provider="SD 1",
                    )
                elif step == "verification":
                    services.verification_record(
                        actor=worker,
                        case_id=target.case_id,
                        visited_on=today,
                        left_work=True,
                        in_school_or_training=True,
                    )
                elif step == "note":
                    services.note_add(
                        actor=worker, case_id=target.case_id, body="Kunjungan pertama"
                    )
                elif step == "attachment":
                    target.attachment_uuid = str(
                        services.attachment_upload(
                            actor=worker,
                            case_id=target.case_id,
                            kind="document",
                            uploaded_file=SimpleUploadedFile("surat.pdf", PDF),
                        ).uuid
                    )
                elif step in ("closure_requested", "closed"):
                    services.case_closure_request(
                        actor=worker, case_id=target.case_id, reason="moved_away", outcome="Pindah"
                    )
                    if step == "closed":
                        services.case_closure_review(
                            actor=supervisor, case_id=target.case_id, approve=True
                        )
                elif step in NETWORK_STEPS:
                    _network_step(self, step, target)
                elif step == "notification":
                    self.notification_id = Notification.objects.create(
                        user=self.users["worker"],
                        case_id=self.own.case_id,
                        message=f"Overdue follow-up visit for case {self.own.reference}",
                    ).pk
                else:  # pragma: no cover - a typo in the table
                    raise AssertionError(step)


def _assess(worker, case_id: int) -> Assessment:
    values = assessment_payload()
    values.update(assessed_on=_today(), hours_per_week=Decimal(values["hours_per_week"]))
    return services.assessment_create(actor=worker, case_id=case_id, **values)


def _goal(worker, description: str, *, as_json: bool = False) -> dict:
    due = _today() + timedelta(days=30)
    due_value = due.isoformat() if as_json else due
    return {
        "description": description,
        "target_date": due_value,
        "services": [
            {"type": "school_return", "responsible_worker_id": worker.pk, "due_on": due_value}
        ],
    }


def _register(actor, name: str, *, nik: str = "", sex: str = "female") -> Case:
    payload = registration_payload(name, sex=sex, nik=nik)
    consent = {**payload["consent"], "consented_on": _today()}
    return services.child_register(
        actor=actor,
        child=services.ChildInput(**payload["child"]),
        household=services.HouseholdInput(**payload["household"]),
        consent=services.ConsentInput(**consent),
    )


def _target(case: Case) -> Target:
    return Target(
        case_id=case.pk,
        child_id=case.child_id,
        consent_id=Consent.objects.get(child_id=case.child_id).pk,
        name=case.child.full_name,
        reference=case.reference,
        worker=case.assigned_worker,
    )


# --- The referral network's steps (tests/network has the behaviour; here: who may call) ---------

NETWORK_STEPS = (
    "network",
    "referral",
    "outside_referral",
    "incoming",
    "accepted_incoming",
    "in_progress_incoming",
)
INCOMING_NAME = "Rina Wulandari"
REASON = "Perlu konseling"


def _network_ready(world: World) -> dict:
    """Directory entries for A, B and an outside clinic; key pairs; an active both-ways
    agreement A-B for counselling and a one-way agreement A->clinic for health."""
    if world.network is not None:
        return world.network
    from network import services as network_services
    from network.referrals.keys import agency_key_ensure
    from tenants.models import NGO, ConsortiumMembership

    connection.set_schema_to_public()
    consortium = world.ngo_b.ngo.consortium
    coordinator = (
        ConsortiumMembership.objects.filter(role="coordinator", consortium=consortium).first().user
    )
    with schema_context("public"):
        agency_a = network_services.partner_agency_ensure(
            ngo=NGO.objects.get(schema_name=world.schema)
        )
        agency_b = network_services.partner_agency_ensure(ngo=world.ngo_b.ngo)
        agency_a.service_types = ["counselling"]
        agency_a.save()
        agency_b.service_types = ["counselling"]
        agency_b.save()
        clinic = network_services.agency_create(
            actor=coordinator,
            consortium=consortium,
            data=network_services.AgencyInput(
                kind="puskesmas", name="Puskesmas Bandarharjo", service_types=["health"]
            ),
        )
        agreements = []
        for second, direction, service in (
            (agency_b, "both_ways", "counselling"),
            (clinic, "one_way", "health"),
        ):
            agreement = network_services.agreement_create(
                actor=coordinator,
                consortium=consortium,
                first_agency_uuid=agency_a.uuid,
                second_agency_uuid=second.uuid,
                direction=direction,
                service_types=[service],
                shared_fields=["full_name", "age", "sex", "reason"],
                valid_from=_today(),
            )
            network_services.agreement_activate(
                actor=coordinator,
                agreement_uuid=agreement.uuid,
                mou=SimpleUploadedFile("mou.pdf", PDF),
            )
            agreements.append(agreement)
    for schema, agency in ((world.schema, agency_a), (world.ngo_b.ngo.schema_name, agency_b)):
        with schema_context(schema):
            agency_key_ensure(agency=agency)
    world.network = {
        "agency_b": str(agency_b.uuid),
        "clinic": str(clinic.uuid),
        "agreements": sorted(str(agreement.uuid) for agreement in agreements),
    }
    return world.network


def _drain(schema: str) -> None:
    from network.referrals.delivery import outbox_drain

    with schema_context(schema):
        outbox_drain()


def _network_step(world: World, step: str, target: Target) -> None:
    from network.models import Agency
    from network.referrals import services as referral_services

    network = _network_ready(world)
    if step == "network":
        return
    if step in ("referral", "outside_referral"):
        outside = step == "outside_referral"
        with schema_context(world.schema):
            target.referral_uuid = str(
                referral_services.referral_send(
                    actor=target.worker,
                    case_id=target.case_id,
                    to_agency_uuid=network["clinic" if outside else "agency_b"],
                    service_type="health" if outside else "counselling",
                    reason=REASON,
                ).uuid
            )
        _drain(world.schema)
        return
    # An incoming referral: NGO B refers a child of its own to A.
    if world.incoming_uuid is None:
        sender = world.team_b["worker"].user
        schema_b = world.ngo_b.ngo.schema_name
        with schema_context(schema_b):
            case = _register(sender, INCOMING_NAME)
            world.incoming_uuid = str(
                referral_services.referral_send(
                    actor=sender,
                    case_id=case.pk,
                    to_agency_uuid=Agency.objects.get(ngo__schema_name=world.schema).uuid,
                    service_type="counselling",
                    reason=REASON,
                ).uuid
            )
        _drain(schema_b)
    supervisor = world.users["supervisor"]
    with schema_context(world.schema):
        if step in ("accepted_incoming", "in_progress_incoming"):
            referral_services.referral_accept(actor=supervisor, referral_uuid=world.incoming_uuid)
        if step == "in_progress_incoming":
            referral_services.referral_progress(actor=supervisor, referral_uuid=world.incoming_uuid)


def _account(username: str, role: str | None):
    """A staff account without a password (hashing is slow); `role=None` has no role at all."""
    user = get_user_model().objects.create_user(username=username, email="")
    if role is not None:
        StaffProfile.objects.create(user=user, role=role)
    return user, Token.objects.create(user=user).key


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files go to a temporary MEDIA_ROOT (still one folder per schema)."""
    settings.MEDIA_ROOT = str(tmp_path)
    # Re-setting this drops the storage's cached per-tenant root (django-tenants caches it).
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    return tmp_path


@pytest.fixture(autouse=True)
def _one_search_path_per_schema_switch(settings):
    """Issue `SET search_path` once per schema switch instead of before every cursor.

    The queries and their results are the same; each SET costs ~1.5 ms here and the matrix runs
    thousands of queries. test_api_isolation.py runs with the production setting.
    """
    settings.TENANT_LIMIT_SET_CALLS = True


@pytest.fixture
def world(db, ngo_a, ngo_b, team_a, team_b, media_root) -> World:
    """Case "own" (worker's, shared with "shared" by the supervisor) and case "other"
    (other_worker's), both registered with consent in NGO A."""
    schema = ngo_a.ngo.schema_name
    users = {name: staff.user for name, staff in team_a.items()}
    clients: dict[str, Client] = {name: staff.client() for name, staff in team_a.items()}
    with schema_context(schema):
        shared_user, shared_token = _account("shared-worker-a", StaffProfile.Role.CASE_WORKER)
        no_role_user, no_role_token = _account("no-role-a", None)
        own = _target(_register(users["worker"], OWN_NAME, nik=OWN_NIK))
        other = _target(_register(users["other_worker"], OTHER_NAME, sex="male"))
    users.update(shared=shared_user, no_role=no_role_user, anonymous=None)
    clients.update(
        shared=host_client(ngo_a.host, HTTP_AUTHORIZATION=f"Token {shared_token}"),
        no_role=host_client(ngo_a.host, HTTP_AUTHORIZATION=f"Token {no_role_token}"),
        anonymous=host_client(ngo_a.host),
    )
    response = clients["supervisor"].post(
        f"/api/v1/cases/{own.case_id}/assign/",
        {"worker_id": users["worker"].pk, "shared_with_ids": [shared_user.pk]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["shared_with"] == [{"id": shared_user.pk, "username": "shared-worker-a"}]
    return World(schema, ngo_a.host, users, clients, own, other, ngo_b=ngo_b, team_b=team_b)


_TABLES: dict[str, list[str]] = {}


def _state(schema: str) -> dict[str, str]:
    """A digest of every row of every table in the NGO's schema (one query), per table."""
    with connection.cursor() as cursor:
        if schema not in _TABLES:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name",
                [schema],
            )
            _TABLES[schema] = [row[0] for row in cursor.fetchall()]
        tables = _TABLES[schema]
        digest = sql.SQL(
            "(SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM {} AS r)"
        )
        query = sql.SQL("SELECT {}").format(
            sql.SQL(", ").join(digest.format(sql.Identifier(schema, table)) for table in tables)
        )
        cursor.execute(query.as_string(connection.connection))
        return dict(zip(tables, cursor.fetchone(), strict=True))


# --- The endpoints ---------------------------------------------------------------------------


@dataclass
class Call:
    """What a check sees: the world, the case the request was about, and who sent it."""

    world: World
    target: Target
    actor: str

    @property
    def username(self) -> str:
        return self.world.users[self.actor].username


@dataclass(frozen=True)
class Endpoint:
    method: str  # get, post, put, patch, or upload (multipart POST)
    path: str  # formatted with the Target's fields, plus {notification_id}, {staff_id}
    own: tuple[int, ...]  # expected status per ACTORS, for the worker's case (or no case)
    other: tuple[int, ...] | None  # per ACTORS, for other_worker's case; None: not case-bound
    check: Callable[[Call, object], None]
    setup: tuple[str, ...] = ()
    body: Callable[[Call], dict] | None = None
    not_found: str = "Case not found."


def _json(response):
    return response.json()


def _check_child(call, response):
    body = _json(response)
    assert (body["id"], body["full_name"]) == (call.target.child_id, call.target.name)
    assert body["household"]["village"] == "Tanjung Mas"


def _check_child_patched(call, response):
    assert _json(response)["known_as"] == "Nana"
    with schema_context(call.world.schema):
        assert Child.objects.get(pk=call.target.child_id).known_as == "Nana"


def _check_case(call, response):
    body = _json(response)
    assert (body["id"], body["reference"], body["status"]) == (
        call.target.case_id,
        call.target.reference,
        "registered",
    )
    assert body["child"]["full_name"] == call.target.name


def _check_assigned(call, response):
    body = _json(response)
    supervisor = call.world.users["supervisor"]
    assert body["assigned_worker"] == {"id": supervisor.pk, "username": "supervisor-a"}
    assert body["shared_with"] == []


def _check_assessments(call, response):
    assert [(row["id"], row["status"]) for row in _json(response)] == [
        (call.target.assessment_id, "submitted")
    ]


def _check_assessment_created(call, response):
    body = _json(response)
    assert (body["status"], body["status_bps"], body["risk_level"]) == (
        "submitted",
        "child_labour",
        "medium",
    )
    assert body["assessor"]["username"] == call.username


def _check_assessment_approved(call, response):
    body = _json(response)
    assert (body["id"], body["status"]) == (call.target.assessment_id, "approved")


def _check_plan(call, response):
    body = _json(response)
    assert (body["status"], body["summary"]) == ("draft", "Kembali ke sekolah")
    assert [goal["description"] for goal in body["goals"]] == ["Kembali ke sekolah"]


def _check_plan_saved(call, response):
    body = _json(response)
    assert (body["status"], body["summary"]) == ("draft", "Kejar paket")
    assert [goal["description"] for goal in body["goals"]] == ["Ikut kejar paket A"]


def _check_plan_approved(call, response):
    assert _json(response)["status"] == "approved"
    with schema_context(call.world.schema):
        assert Case.objects.get(pk=call.target.case_id).status == "planned"


def _check_interventions(call, response):
    assert [(row["type"], row["provider"]) for row in _json(response)] == [
        ("school_return", "SD 1")
    ]


def _check_intervention_created(call, response):
    body = _json(response)
    assert (body["type"], body["provider"]) == ("counselling", "Puskesmas")
    assert body["recorded_by"]["username"] == call.username


def _check_followups(call, response):
    assert [(row["id"], row["kind"], row["completed_on"]) for row in _json(response)] == [
        (call.target.followup_id, "visit", None)
    ]


def _check_followup_created(call, response):
    body = _json(response)
    assert (body["kind"], body["due_on"]) == ("visit", (_today() + timedelta(days=14)).isoformat())
    assert body["assigned_worker"]["username"] == call.target.worker.username


def _check_followup_completed(call, response):
    body = _json(response)
    assert (body["id"], body["completed_on"]) == (call.target.followup_id, _today().isoformat())


def _check_verifications(call, response):
    assert [(row["left_work"], row["in_school_or_training"]) for row in _json(response)] == [
        (True, True)
    ]


def _check_verification_created(call, response):
    body = _json(response)
    assert (body["visited_on"], body["left_work"]) == (_today().isoformat(), False)
    assert body["verified_by"]["username"] == call.username


def _check_notes(call, response):
    assert [row["body"] for row in _json(response)] == ["Kunjungan pertama"]


def _check_note_created(call, response):
    body = _json(response)
    assert (body["body"], body["author"]["username"]) == ("Kunjungan rumah", call.username)


def _check_attachments(call, response):
    assert [
        (row["uuid"], row["original_name"], row["content_type"], row["url"])
        for row in _json(response)
    ] == [
        (
            call.target.attachment_uuid,
            "surat.pdf",
            "application/pdf",
            f"/api/v1/attachments/{call.target.attachment_uuid}/",
        )
    ]


def _check_uploaded(call, response):
    body = _json(response)
    assert (body["kind"], body["original_name"], body["content_type"], body["size"]) == (
        "document",
        "surat.pdf",
        "application/pdf",
        len(PDF),
    )


def _check_download(call, response):
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="surat.pdf"'
    assert b"".join(response.streaming_content) == PDF


def _check_status(expected: str):
    def check(call, response):
        body = _json(response)
        assert (body["id"], body["status"]) == (call.target.case_id, expected)

    return check


def _check_consent_created(call, response):
    body = _json(response)
    assert (body["child"], body["guardian_name"], body["is_active"]) == (
        call.target.child_id,
        "Bapak Santoso",
        True,
    )


def _check_consent_withdrawn(call, response):
    body = _json(response)
    assert (body["id"], body["withdrawn_on"], body["is_active"]) == (
        call.target.consent_id,
        _today().isoformat(),
        False,
    )


def _visible_targets(call) -> list[Target]:
    world = call.world
    return [{"own": world.own, "other": world.other}[name] for name in VISIBLE[call.actor]]


def _check_children(call, response):
    names = sorted(row["full_name"] for row in _json(response)["results"])
    assert names == sorted(target.name for target in _visible_targets(call))


def _check_registered(call, response):
    body = _json(response)
    assert (body["status"], body["child"]["full_name"]) == ("registered", NEW_NAME)
    assert body["assigned_worker"]["username"] == call.username


def _check_duplicates(call, response):
    rows = _json(response)
    assert [row["reasons"] for row in rows] == [["name", "birth_year"]]
    if "own" in VISIBLE[call.actor]:
        assert rows[0]["child"]["id"] == call.world.own.child_id


def _check_cases(call, response):
    rows = _json(response)["results"]
    identity = call.actor != "me"
    assert sorted((row["reference"], row["child"]["full_name"]) for row in rows) == sorted(
        (target.reference, target.name if identity else None) for target in _visible_targets(call)
    )


def _check_export(call, response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == EXPORT_COLUMNS
    assert sorted(row[0] for row in rows[1:]) == sorted(
        [call.world.own.reference, call.world.other.reference]
    )


def _check_consents(call, response):
    child_ids = sorted(row["child"] for row in _json(response)["results"])
    assert child_ids == sorted(target.child_id for target in _visible_targets(call))


def _check_audit(call, response):
    own = call.world.own.case_id
    events = [
        (row["action"], row["object_type"], row["actor_username"])
        for row in _json(response)["results"]
        if row["case_id"] == own
    ]
    assert events == [
        ("update", "case", "supervisor-a"),
        ("transition", "case", "worker-a"),
        ("create", "case", "worker-a"),
        ("create", "household", "worker-a"),
        ("create", "child", "worker-a"),
    ]


def _check_staff(call, response):
    by_username = {row["username"]: row for row in _json(response)}
    assert (by_username["worker-a"]["role"], by_username["me-a"]["role"]) == (
        "case_worker",
        "me_officer",
    )
    assert (by_username["shared-worker-a"]["role"], by_username["no-role-a"]["role"]) == (
        "case_worker",
        "",
    )


def _check_staff_created(call, response):
    body = _json(response)
    assert (body["username"], body["role"], body["is_active"]) == (
        "pekerja-baru",
        "case_worker",
        True,
    )


def _check_staff_patched(call, response):
    body = _json(response)
    assert (body["username"], body["role"]) == ("shared-worker-a", "me_officer")


def _check_settings(call, response):
    body = _json(response)
    assert (
        body["ngo_name"],
        body["followup_interval_days"],
        body["verification_interval_days"],
    ) == (
        "Yayasan Anak Sejahtera",
        30,
        90,
    )


def _check_settings_patched(call, response):
    assert _json(response)["followup_interval_days"] == 14
    with schema_context(call.world.schema):
        assert NGOSettings.objects.get().followup_interval_days == 14


def _check_notifications(call, response):
    expected = {
        "worker": [f"Overdue follow-up visit for case {call.world.own.reference}"],
        # The supervisor shared the case with them: they were told (issue 9's trial).
        "shared": [f"Case {call.world.own.reference} was shared with you."],
    }.get(call.actor, [])
    assert [row["message"] for row in _json(response)] == expected


def _check_notification_read(call, response):
    body = _json(response)
    assert body["id"] == call.world.notification_id
    assert body["read_at"] is not None


def _check_directory(call, response):
    assert [row["name"] for row in _json(response)["results"]] == [
        "Lembaga Peduli Anak",
        "Puskesmas Bandarharjo",
        "Yayasan Anak Sejahtera",
    ]


def _check_proposed(call, response):
    body = _json(response)
    assert (body["name"], body["status"], body["kind"]) == ("LBH Semarang", "proposed", "legal_aid")


def _check_agency(call, response):
    body = _json(response)
    assert (body["uuid"], body["name"]) == (call.world.network["clinic"], "Puskesmas Bandarharjo")


def _check_agreements(call, response):
    rows = _json(response)["results"]
    assert sorted(row["uuid"] for row in rows) == call.world.network["agreements"]


def _check_agreement(call, response):
    assert _json(response)["uuid"] == call.world.network["agreements"][0]


def _check_outgoing(call, response):
    expected = [call.world.own.referral_uuid] if "own" in VISIBLE[call.actor] else []
    assert [row["uuid"] for row in _json(response)["results"]] == expected


def _check_referral_sent(call, response):
    body = _json(response)
    assert (body["direction"], body["case_id"], body["state"]) == (
        "outgoing",
        call.target.case_id,
        "sent",
    )
    assert body["counterpart"]["name"] == "Lembaga Peduli Anak"


def _check_options(call, response):
    body = _json(response)
    assert body["case_id"] == call.target.case_id
    assert [(row["agency"]["name"], row["service_type"]) for row in body["options"]] == [
        ("Lembaga Peduli Anak", "counselling"),
        ("Puskesmas Bandarharjo", "health"),
    ]


def _check_referral_state(state: str, direction: str = "outgoing"):
    def check(call, response):
        body = _json(response)
        uuid = call.target.referral_uuid if direction == "outgoing" else call.world.incoming_uuid
        assert (body["uuid"], body["direction"], body["state"]) == (uuid, direction, state)

    return check


def _check_letter(call, response):
    body = _json(response)
    assert body["referral_uuid"] == call.target.referral_uuid
    assert {"label": "Full name", "value": call.target.name} in body["shared_fields"]


def _check_incoming(call, response):
    assert [row["uuid"] for row in _json(response)["results"]] == [call.world.incoming_uuid]
    assert INCOMING_NAME.encode() not in response.content


def _check_opened(call, response):
    body = _json(response)
    assert (body["uuid"], body["shared_data"]["full_name"]) == (
        call.world.incoming_uuid,
        INCOMING_NAME,
    )


def _check_accepted(call, response):
    body = _json(response)
    assert (body["uuid"], body["state"]) == (call.world.incoming_uuid, "accepted")
    with schema_context(call.world.schema):
        case = Case.objects.get(pk=body["case_id"])
        holder = "worker" if call.actor in ("admin", "supervisor") else call.actor
        assert (case.child.full_name, case.assigned_worker_id) == (
            INCOMING_NAME,
            call.world.users[holder].pk,
        )


def _consent_body(call) -> dict:
    return {
        "child": call.target.child_id,
        "guardian_name": "Bapak Santoso",
        "guardian_relationship": "father",
        "guardian_consented": True,
        "child_assented": True,
        "consented_on": _today().isoformat(),
    }


CASE = "/api/v1/cases/{case_id}"
DUPLICATES = "/api/v1/children/duplicates/?full_name=Siti%20Rahayu&birth_year=2013"
#                      admin sup  worker shared other me   anon no_role
ENDPOINTS: dict[str, Endpoint] = {
    "children-detail": Endpoint(
        "get",
        "/api/v1/children/{child_id}/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_child,
        not_found="Child not found.",
    ),
    "children-patch": Endpoint(
        "patch",
        "/api/v1/children/{child_id}/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_child_patched,
        body=lambda call: {"known_as": "Nana"},
        not_found="Child not found.",
    ),
    "cases-detail": Endpoint(
        "get",
        CASE + "/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_case,
    ),
    "cases-assign": Endpoint(
        "post",
        CASE + "/assign/",
        own=(200, 200, 403, 403, 403, 403, 401, 403),
        other=(200, 200, 403, 403, 403, 403, 401, 403),
        check=_check_assigned,
        body=lambda call: {"worker_id": call.world.users["supervisor"].pk, "shared_with_ids": []},
    ),
    "assessments-list": Endpoint(
        "get",
        CASE + "/assessments/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_assessments,
        setup=("assessment",),
    ),
    "assessments-create": Endpoint(
        "post",
        CASE + "/assessments/",
        own=(201, 201, 201, 201, 404, 403, 401, 403),
        other=(201, 201, 404, 404, 201, 403, 401, 403),
        check=_check_assessment_created,
        body=lambda call: assessment_payload(assessed_on=_today().isoformat()),
    ),
    "assessments-review": Endpoint(
        "post",
        CASE + "/assessments/{assessment_id}/review/",
        own=(200, 200, 403, 403, 403, 403, 401, 403),
        other=(200, 200, 403, 403, 403, 403, 401, 403),
        check=_check_assessment_approved,
        setup=("assessment",),
        body=lambda call: {"approve": True},
    ),
    "plan-get": Endpoint(
        "get",
        CASE + "/plan/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_plan,
        setup=("approved_assessment", "plan"),
    ),
    "plan-put": Endpoint(
        "put",
        CASE + "/plan/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_plan_saved,
        setup=("approved_assessment",),
        body=lambda call: {
            "summary": "Kejar paket",
            "goals": [_goal(call.target.worker, "Ikut kejar paket A", as_json=True)],
            "submit": False,
        },
    ),
    "plan-review": Endpoint(
        "post",
        CASE + "/plan/review/",
        own=(200, 200, 403, 403, 403, 403, 401, 403),
        other=(200, 200, 403, 403, 403, 403, 401, 403),
        check=_check_plan_approved,
        setup=("approved_assessment", "submitted_plan"),
        body=lambda call: {"approve": True},
    ),
    "interventions-list": Endpoint(
        "get",
        CASE + "/interventions/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_interventions,
        setup=("intervention",),
    ),
    "interventions-create": Endpoint(
        "post",
        CASE + "/interventions/",
        own=(201, 201, 201, 201, 404, 403, 401, 403),
        other=(201, 201, 404, 404, 201, 403, 401, 403),
        check=_check_intervention_created,
        body=lambda call: {
            "delivered_on": _today().isoformat(),
            "type": "counselling",
            "provider": "Puskesmas",
        },
    ),
    "followups-list": Endpoint(
        "get",
        CASE + "/followups/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_followups,
        setup=("followup",),
    ),
    "followups-create": Endpoint(
        "post",
        CASE + "/followups/",
        own=(201, 201, 201, 201, 404, 403, 401, 403),
        other=(201, 201, 404, 404, 201, 403, 401, 403),
        check=_check_followup_created,
        body=lambda call: {
            "kind": "visit",
            "due_on": (_today() + timedelta(days=14)).isoformat(),
        },
    ),
    "followups-complete": Endpoint(
        "post",
        CASE + "/followups/{followup_id}/complete/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_followup_completed,
        setup=("followup",),
        body=lambda call: {"completed_on": _today().isoformat()},
    ),
    "verifications-list": Endpoint(
        "get",
        CASE + "/verifications/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_verifications,
        setup=("verification",),
    ),
    "verifications-create": Endpoint(
        "post",
        CASE + "/verifications/",
        own=(201, 201, 201, 201, 404, 403, 401, 403),
        other=(201, 201, 404, 404, 201, 403, 401, 403),
        check=_check_verification_created,
        body=lambda call: {
            "visited_on": _today().isoformat(),
            "left_work": False,
            "in_school_or_training": True,
        },
    ),
    "notes-list": Endpoint(
        "get",
        CASE + "/notes/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_notes,
        setup=("note",),
    ),
    "notes-create": Endpoint(
        "post",
        CASE + "/notes/",
        own=(201, 201, 201, 201, 404, 403, 401, 403),
        other=(201, 201, 404, 404, 201, 403, 401, 403),
        check=_check_note_created,
        body=lambda call: {"body": "Kunjungan rumah"},
    ),
    "attachments-list": Endpoint(
        "get",
        CASE + "/attachments/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_attachments,
        setup=("attachment",),
    ),
    "attachments-upload": Endpoint(
        "upload",
        CASE + "/attachments/",
        own=(201, 201, 201, 201, 404, 403, 401, 403),
        other=(201, 201, 404, 404, 201, 403, 401, 403),
        check=_check_uploaded,
        body=lambda call: {"kind": "document", "file": SimpleUploadedFile("surat.pdf", PDF)},
    ),
    "attachments-download": Endpoint(
        "get",
        "/api/v1/attachments/{attachment_uuid}/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_download,
        setup=("attachment",),
        not_found="File not found.",
    ),
    "close": Endpoint(
        "post",
        CASE + "/close/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_status("closure_requested"),
        body=lambda call: {"reason": "moved_away", "outcome": "Pindah ke Surabaya"},
    ),
    "close-review": Endpoint(
        "post",
        CASE + "/close/review/",
        own=(200, 200, 403, 403, 403, 403, 401, 403),
        other=(200, 200, 403, 403, 403, 403, 401, 403),
        check=_check_status("closed"),
        setup=("closure_requested",),
        body=lambda call: {"approve": True},
    ),
    # Closing needs a supervisor, so does reopening (case workers: 403).
    "reopen": Endpoint(
        "post",
        CASE + "/reopen/",
        own=(200, 200, 403, 403, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 403, 403, 401, 403),
        check=_check_status("registered"),
        setup=("closed",),
        body=lambda call: {"reason": "Terlihat bekerja lagi di pelabuhan"},
    ),
    "consents-create": Endpoint(
        "post",
        "/api/v1/consents/",
        own=(201, 201, 201, 201, 404, 403, 401, 403),
        other=(201, 201, 404, 404, 201, 403, 401, 403),
        check=_check_consent_created,
        body=_consent_body,
        not_found="Child not found.",
    ),
    "consents-withdraw": Endpoint(
        "post",
        "/api/v1/consents/{consent_id}/withdraw/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_consent_withdrawn,
        body=lambda call: {"withdrawn_on": _today().isoformat(), "reason": "Keluarga menolak"},
        not_found="Consent not found.",
    ),
    # Not bound to one case: "own" is the only column.
    "children-list": Endpoint(
        "get",
        "/api/v1/children/",
        own=(200, 200, 200, 200, 200, 403, 401, 403),
        other=None,
        check=_check_children,
    ),
    "children-create": Endpoint(
        "post",
        "/api/v1/children/",
        own=(201, 201, 201, 201, 201, 403, 401, 403),
        other=None,
        check=_check_registered,
        body=lambda call: registration_payload(NEW_NAME),
    ),
    "children-duplicates": Endpoint(
        "get",
        DUPLICATES,
        own=(200, 200, 200, 200, 200, 403, 401, 403),
        other=None,
        check=_check_duplicates,
    ),
    "cases-list": Endpoint(
        "get",
        "/api/v1/cases/",
        own=(200, 200, 200, 200, 200, 200, 401, 403),
        other=None,
        check=_check_cases,
    ),
    "cases-export": Endpoint(
        "get",
        "/api/v1/cases/export/",
        own=(200, 200, 403, 403, 403, 200, 401, 403),
        other=None,
        check=_check_export,
    ),
    "consents-list": Endpoint(
        "get",
        "/api/v1/consents/",
        own=(200, 200, 200, 200, 200, 403, 401, 403),
        other=None,
        check=_check_consents,
    ),
    "audit-list": Endpoint(
        "get",
        "/api/v1/audit/",
        own=(200, 403, 403, 403, 403, 403, 401, 403),
        other=None,
        check=_check_audit,
    ),
    "staff-list": Endpoint(
        "get",
        "/api/v1/staff/",
        own=(200, 403, 403, 403, 403, 403, 401, 403),
        other=None,
        check=_check_staff,
    ),
    "staff-create": Endpoint(
        "post",
        "/api/v1/staff/",
        own=(201, 403, 403, 403, 403, 403, 401, 403),
        other=None,
        check=_check_staff_created,
        body=lambda call: {
            "username": "pekerja-baru",
            "password": "Rahasia-Panjang-2026!",
            "role": "case_worker",
        },
    ),
    "staff-patch": Endpoint(
        "patch",
        "/api/v1/staff/{staff_id}/",
        own=(200, 403, 403, 403, 403, 403, 401, 403),
        other=None,
        check=_check_staff_patched,
        body=lambda call: {"role": "me_officer"},
    ),
    "settings-get": Endpoint(
        "get",
        "/api/v1/settings/",
        own=(200, 200, 200, 200, 200, 200, 401, 403),
        other=None,
        check=_check_settings,
    ),
    "settings-patch": Endpoint(
        "patch",
        "/api/v1/settings/",
        own=(200, 403, 403, 403, 403, 403, 401, 403),
        other=None,
        check=_check_settings_patched,
        body=lambda call: {"followup_interval_days": 14},
    ),
    "notifications-list": Endpoint(
        "get",
        "/api/v1/notifications/",
        own=(200, 200, 200, 200, 200, 200, 401, 403),
        other=None,
        check=_check_notifications,
        setup=("notification",),
    ),
    "notifications-read": Endpoint(
        "post",
        "/api/v1/notifications/{notification_id}/read/",
        own=(404, 404, 200, 404, 404, 404, 401, 403),
        other=None,
        check=_check_notification_read,
        setup=("notification",),
        not_found="Notification not found.",
    ),
    # The referral network (network/api/urls_ngo.py).
    "directory-list": Endpoint(
        "get",
        "/api/v1/directory/",
        own=(200, 200, 200, 200, 200, 200, 401, 403),
        other=None,
        check=_check_directory,
        setup=("network",),
    ),
    "directory-propose": Endpoint(
        "post",
        "/api/v1/directory/",
        own=(201, 201, 201, 201, 201, 403, 401, 403),
        other=None,
        check=_check_proposed,
        setup=("network",),
        body=lambda call: {
            "kind": "legal_aid",
            "name": "LBH Semarang",
            "service_types": ["advocacy_legal"],
        },
    ),
    "directory-detail": Endpoint(
        "get",
        "/api/v1/directory/{agency_uuid}/",
        own=(200, 200, 200, 200, 200, 200, 401, 403),
        other=None,
        check=_check_agency,
        setup=("network",),
        not_found="Agency not found.",
    ),
    "agreements-list": Endpoint(
        "get",
        "/api/v1/agreements/",
        own=(200, 200, 200, 200, 200, 200, 401, 403),
        other=None,
        check=_check_agreements,
        setup=("network",),
    ),
    "agreements-detail": Endpoint(
        "get",
        "/api/v1/agreements/{agreement_uuid}/",
        own=(200, 200, 200, 200, 200, 200, 401, 403),
        other=None,
        check=_check_agreement,
        setup=("network",),
        not_found="Agreement not found.",
    ),
    "referrals-outgoing-list": Endpoint(
        "get",
        "/api/v1/referrals/outgoing/",
        own=(200, 200, 200, 200, 200, 403, 401, 403),
        other=None,
        check=_check_outgoing,
        setup=("referral",),
    ),
    "referrals-send": Endpoint(
        "post",
        "/api/v1/referrals/outgoing/",
        own=(201, 201, 201, 201, 404, 403, 401, 403),
        other=(201, 201, 404, 404, 201, 403, 401, 403),
        check=_check_referral_sent,
        setup=("network",),
        body=lambda call: {
            "case_id": call.target.case_id,
            "to_agency": call.world.network["agency_b"],
            "service_type": "counselling",
            "reason": REASON,
        },
    ),
    "referrals-options": Endpoint(
        "get",
        "/api/v1/referrals/outgoing/options/?case_id={case_id}",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_options,
        setup=("network",),
    ),
    "referrals-outgoing-detail": Endpoint(
        "get",
        "/api/v1/referrals/outgoing/{referral_uuid}/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_referral_state("sent"),
        setup=("referral",),
        not_found="Referral not found.",
    ),
    "referrals-withdraw": Endpoint(
        "post",
        "/api/v1/referrals/outgoing/{referral_uuid}/withdraw/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_referral_state("withdrawn"),
        setup=("referral",),
        body=lambda call: {"reason": "Keluarga pindah"},
        not_found="Referral not found.",
    ),
    "referrals-letter": Endpoint(
        "get",
        "/api/v1/referrals/outgoing/{referral_uuid}/letter/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_letter,
        setup=("referral",),
        not_found="Referral not found.",
    ),
    "referrals-response": Endpoint(
        "post",
        "/api/v1/referrals/outgoing/{referral_uuid}/response/",
        own=(200, 200, 200, 200, 404, 403, 401, 403),
        other=(200, 200, 404, 404, 200, 403, 401, 403),
        check=_check_referral_state("accepted"),
        setup=("outside_referral",),
        body=lambda call: {"state": "accepted", "note": "Lewat telepon"},
        not_found="Referral not found.",
    ),
    "referrals-incoming-list": Endpoint(
        "get",
        "/api/v1/referrals/incoming/",
        own=(200, 200, 200, 200, 200, 403, 401, 403),
        other=None,
        check=_check_incoming,
        setup=("incoming",),
    ),
    "referrals-incoming-open": Endpoint(
        "get",
        "/api/v1/referrals/incoming/{incoming_uuid}/",
        own=(200, 200, 200, 200, 200, 403, 401, 403),
        other=None,
        check=_check_opened,
        setup=("incoming",),
        not_found="Referral not found.",
    ),
    "referrals-accept": Endpoint(
        "post",
        "/api/v1/referrals/incoming/{incoming_uuid}/accept/",
        own=(200, 200, 200, 200, 200, 403, 401, 403),
        other=None,
        check=_check_accepted,
        setup=("incoming",),
        # Admins and supervisors hand the new case to the worker; workers take it themselves.
        body=lambda call: (
            {"assign_to_id": call.world.users["worker"].pk}
            if call.actor in ("admin", "supervisor")
            else {}
        ),
        not_found="Referral not found.",
    ),
    "referrals-decline": Endpoint(
        "post",
        "/api/v1/referrals/incoming/{incoming_uuid}/decline/",
        own=(200, 200, 200, 200, 200, 403, 401, 403),
        other=None,
        check=_check_referral_state("declined", "incoming"),
        setup=("incoming",),
        body=lambda call: {"reason": "Penuh"},
        not_found="Referral not found.",
    ),
    "referrals-progress": Endpoint(
        "post",
        "/api/v1/referrals/incoming/{incoming_uuid}/progress/",
        own=(200, 200, 200, 200, 200, 403, 401, 403),
        other=None,
        check=_check_referral_state("in_progress", "incoming"),
        setup=("accepted_incoming",),
        body=lambda call: {"note": "Sesi pertama"},
        not_found="Referral not found.",
    ),
    "referrals-complete": Endpoint(
        "post",
        "/api/v1/referrals/incoming/{incoming_uuid}/complete/",
        own=(200, 200, 200, 200, 200, 403, 401, 403),
        other=None,
        check=_check_referral_state("completed", "incoming"),
        setup=("in_progress_incoming",),
        body=lambda call: {"outcome_note": "Enam sesi"},
        not_found="Referral not found.",
    ),
}

ROWS = list(ENDPOINTS)


def _send(world: World, endpoint: Endpoint, call: Call):
    target = call.target
    path = endpoint.path.format(
        case_id=target.case_id,
        child_id=target.child_id,
        consent_id=target.consent_id,
        assessment_id=target.assessment_id,
        followup_id=target.followup_id,
        attachment_uuid=target.attachment_uuid,
        notification_id=world.notification_id,
        staff_id=world.users["shared"].pk,
        referral_uuid=target.referral_uuid,
        incoming_uuid=world.incoming_uuid,
        agency_uuid=(world.network or {}).get("clinic"),
        agreement_uuid=(world.network or {}).get("agreements", [None])[0],
    )
    client = world.clients[call.actor]
    body = endpoint.body(call) if endpoint.body else None
    if endpoint.method == "get":
        return client.get(path)
    if endpoint.method == "upload":
        return client.post(path, body)
    return getattr(client, endpoint.method)(path, body, content_type="application/json")


def _assert_denied(response, status: int, message: str) -> None:
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": DENIAL_CODES[status], "message": message, "fields": {}}
    for secret in (OWN_NAME, OTHER_NAME, GUARDIAN, OWN_NIK, OWN_NIK[-4:]):
        assert secret.encode() not in response.content


def _denial_message(endpoint: Endpoint, actor: str, status: int) -> str:
    if status == 404:
        return endpoint.not_found
    if status == 403 and actor == "no_role":
        return "Only this NGO's staff can use this API."
    return DENIAL_MESSAGES[status]


def _cell(endpoint: Endpoint, call: Call, expected: int, baseline: dict[str, str]) -> int:
    """Send one request, check the allowed result or the denial; returns the status."""
    response = _send(call.world, endpoint, call)
    if response.status_code != expected:
        return response.status_code
    if expected < 400:
        endpoint.check(call, response)
        return expected
    _assert_denied(response, expected, _denial_message(endpoint, call.actor, expected))
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"
    assert _state(call.world.schema) == baseline
    return expected


@pytest.mark.parametrize("endpoint_name", ROWS)
def test_role_matrix(world, endpoint_name):
    """Every cell answers its table's status; a denial carries no data and changes nothing."""
    endpoint = ENDPOINTS[endpoint_name]
    columns = {"own": endpoint.own}
    if endpoint.other is not None:
        columns["other"] = endpoint.other
    targets = {"own": world.own, "other": world.other}
    for target_name in columns:
        world.prepare(endpoint.setup, targets[target_name])
    expected = {
        f"{target_name}/{actor}": status
        for target_name, column in columns.items()
        for actor, status in zip(ACTORS, column, strict=True)
    }
    baseline = _state(world.schema)
    actual, failures = {}, []
    for cell, status in expected.items():
        target_name, actor = cell.split("/")
        call = Call(world, targets[target_name], actor)
        # Each cell starts from the same state: its request runs in a savepoint rolled back after.
        with transaction.atomic():
            try:
                actual[cell] = _cell(endpoint, call, status, baseline)
            except AssertionError as error:
                actual[cell] = status
                failures.append(f"{cell}: {error}")
            transaction.set_rollback(True)
    assert actual == expected
    assert failures == []


def test_every_route_is_in_the_matrix():
    """The matrix covers every route of the NGO host's API (casework/api/urls.py and
    network/api/urls_ngo.py)."""
    from casework.api.urls import urlpatterns as casework_patterns
    from network.api.urls_ngo import urlpatterns as network_patterns

    urlpatterns = [*casework_patterns, *network_patterns]

    covered = {endpoint.path.split("?")[0] for endpoint in ENDPOINTS.values()}
    normalized = {
        path.replace("{case_id}", "<int:case_id>")
        .replace("{child_id}", "<int:child_id>")
        .replace("{assessment_id}", "<int:assessment_id>")
        .replace("{followup_id}", "<int:followup_id>")
        .replace("{consent_id}", "<int:consent_id>")
        .replace("{attachment_uuid}", "<uuid:attachment_uuid>")
        .replace("{notification_id}", "<int:notification_id>")
        .replace("{staff_id}", "<int:user_id>")
        .replace("{referral_uuid}", "<uuid:referral_uuid>")
        .replace("{incoming_uuid}", "<uuid:referral_uuid>")
        .replace("{agency_uuid}", "<uuid:agency_uuid>")
        .replace("{agreement_uuid}", "<uuid:agreement_uuid>")
        .removeprefix("/api/v1/")
        for path in covered
    }
    assert normalized == {str(pattern.pattern) for pattern in urlpatterns}


# --- Missing and hidden look the same --------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/{id}/",
        "/api/v1/cases/{id}/notes/",
        "/api/v1/cases/{id}/plan/",
        "/api/v1/cases/{id}/attachments/",
    ],
)
def test_hidden_case_answers_like_a_missing_one(world, path):
    """A case worker gets the same 404 body for another worker's case as for a missing id."""
    client = world.clients["worker"]
    with schema_context(world.schema):
        missing = Case.objects.order_by("-id").values_list("id", flat=True).first() + 1000
    hidden = client.get(path.format(id=world.other.case_id))
    absent = client.get(path.format(id=missing))
    assert (hidden.status_code, absent.status_code) == (404, 404)
    assert (
        hidden.json()
        == absent.json()
        == {
            "code": "not_found",
            "message": "Case not found.",
            "fields": {},
        }
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/{id}/",
        "/api/v1/cases/{id}/notes/",
        "/api/v1/cases/{id}/plan/",
        "/cases/{id}/",
        "/cases/{id}/child/",
    ],
)
def test_a_role_without_the_capability_gets_one_answer_for_any_case_id(world, path):
    """The M&E officer may not open a case record: the answer for an existing case is the
    answer for a missing id (the capability is checked before the look-up), so it tells
    nothing about which ids exist."""
    client = world.clients["me"]
    if not path.startswith("/api/"):  # the pages: the officer's browser session
        client = host_client(world.host)
        client.force_login(world.users["me"])
    with schema_context(world.schema):
        missing = Case.objects.order_by("-id").values_list("id", flat=True).first() + 1000
    existing = client.get(path.format(id=world.own.case_id))
    absent = client.get(path.format(id=missing))
    assert existing.status_code == absent.status_code == 403

    def page(response, case_id) -> bytes:
        """Without what differs by request: the logout form's fresh CSRF token and the
        requested path (the language switch returns to it)."""
        content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)
        return content.replace(f"/cases/{case_id}/".encode(), b"/cases/ID/")

    assert page(existing, world.own.case_id) == page(absent, missing)


# --- M&E officers never see identity ---------------------------------------------------------


def test_me_case_list_has_no_identity(world):
    """The M&E officer's case list has no child names, known-as names, NIK, photo or address."""
    response = world.clients["me"].get("/api/v1/cases/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {frozenset(row) for row in rows} == {
        frozenset(
            {
                "id",
                "uuid",
                "reference",
                "case_type",
                "status",
                "risk_level",
                "child_labour_status",
                "province_code",
                "regency_code",
                "next_due_on",
                "has_overdue",
                "opened_on",
                "closed_on",
                "assigned_worker",
                "child",
            }
        )
    }
    children = [row["child"] for row in rows]
    assert {frozenset(child) for child in children} == {
        frozenset({"id", "full_name", "known_as", "sex", "birth_year", "nik_masked"})
    }
    assert sorted(child["id"] for child in children) == sorted(
        [world.own.child_id, world.other.child_id]
    )
    assert {(child["full_name"], child["known_as"], child["nik_masked"]) for child in children} == {
        (None, None, None)
    }
    for secret in (OWN_NAME, "Siti", OTHER_NAME, "Budi", GUARDIAN, "Tanjung Mas", OWN_NIK[-4:]):
        assert secret.encode() not in response.content


def test_me_export_has_no_identity_columns(world):
    """The M&E export has exactly the anonymous columns and no child's name in its rows."""
    response = world.clients["me"].get("/api/v1/cases/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="cases.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == EXPORT_COLUMNS
    assert [(row[0], row[5], row[6]) for row in rows[1:]] == [
        (world.own.reference, "female", "2013"),
        (world.other.reference, "male", "2013"),
    ]
    for secret in (OWN_NAME, "Siti", OTHER_NAME, "Budi", GUARDIAN, "Tanjung Mas", OWN_NIK[-4:]):
        assert secret.encode() not in response.content


def test_me_cannot_search_cases_by_name(world):
    """For the M&E officer, search matches case references only, never a child's name."""
    client = world.clients["me"]
    by_name = client.get("/api/v1/cases/", {"search": "Siti"})
    by_reference = client.get("/api/v1/cases/", {"search": world.own.reference})
    assert by_name.json()["results"] == []
    assert [row["id"] for row in by_reference.json()["results"]] == [world.own.case_id]


def test_me_export_is_audited(world):
    """An export by the M&E officer is recorded with the number of rows."""
    response = world.clients["me"].get("/api/v1/cases/export/", {"status": "registered"})
    assert response.status_code == 200
    with schema_context(world.schema):
        event = AuditEvent.objects.filter(action="export").latest("id")
    assert (event.actor_username, event.object_type, event.changed_fields, event.details) == (
        "me-a",
        "case",
        {},
        {"rows": 2, "filters": {"status": ["registered"]}},
    )


# --- Registration must not bypass assignment rules ----------------------------------------------


def test_case_worker_cannot_assign_at_registration(world):
    """A case worker registering a child cannot hand the case to another worker (403)."""
    before = _state(world.schema)
    payload = {
        **registration_payload(NEW_NAME),
        "assigned_worker_id": world.users["other_worker"].pk,
    }
    response = world.clients["worker"].post(
        "/api/v1/children/", payload, content_type="application/json"
    )
    assert response.status_code == 403, response.content
    _assert_denied(response, 403, "You do not have permission to do this.")
    assert _state(world.schema) == before


def test_registration_rejects_an_account_without_a_role(world):
    """A supervisor cannot assign a new case to an account that has no role in the NGO."""
    before = _state(world.schema)
    payload = {**registration_payload(NEW_NAME), "assigned_worker_id": world.users["no_role"].pk}
    response = world.clients["supervisor"].post(
        "/api/v1/children/", payload, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert response.json() == {
        "code": "invalid",
        "message": "Unknown worker.",
        "fields": {"assigned_worker_id": ["Choose an active staff member."]},
    }
    assert _state(world.schema) == before


# --- The duplicate check must not reveal children of cases the worker cannot see ----------------


def test_duplicate_check_hides_identity_of_hidden_cases(world):
    """A case worker learns that a likely duplicate exists, not who or where the child is."""
    response = world.clients["other_worker"].get(
        "/api/v1/children/duplicates/", {"full_name": "Sit", "birth_year": 2013}
    )
    assert response.status_code == 200
    assert [row["reasons"] for row in response.json()] == [["similar_name", "birth_year"]]
    for secret in (OWN_NAME, "Siti", GUARDIAN, "Tanjung Mas", OWN_NIK[-4:]):
        assert secret.encode() not in response.content


# --- Role changes, deactivation and ids of another case ---------------------------------------


def test_role_change_applies_to_the_next_request(world):
    """A case worker changed to M&E officer gets 403 on case detail and no names at once."""
    response = world.clients["admin"].patch(
        f"/api/v1/staff/{world.users['worker'].pk}/",
        {"role": "me_officer"},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["role"]) == (200, "me_officer")
    client = world.clients["worker"]
    detail = client.get(f"/api/v1/cases/{world.own.case_id}/")
    assert (detail.status_code, detail.json()["code"]) == (403, "permission_denied")
    rows = client.get("/api/v1/cases/").json()["results"]
    assert sorted((row["id"], row["child"]["full_name"]) for row in rows) == sorted(
        [(world.own.case_id, None), (world.other.case_id, None)]
    )


def test_deactivated_account_token_is_rejected(world):
    """Once an admin deactivates an account, its token answers 401 and writes nothing."""
    response = world.clients["admin"].patch(
        f"/api/v1/staff/{world.users['shared'].pk}/",
        {"is_active": False},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["is_active"]) == (200, False)
    before = _state(world.schema)
    denied = world.clients["shared"].post(
        f"/api/v1/cases/{world.own.case_id}/notes/",
        {"body": "Masih bisa?"},
        content_type="application/json",
    )
    assert (denied.status_code, denied.json()) == (
        401,
        {
            "code": "authentication_failed",
            "message": "User inactive or deleted.",  # DRF's Indonesian, sic
            "fields": {},
        },
    )
    assert _state(world.schema) == before


def test_followup_of_another_case_is_not_found_through_own_case(world):
    """Completing another case's follow-up through one's own case id is a 404; it stays open."""
    world.prepare(("followup",), world.other)
    before = _state(world.schema)
    response = world.clients["worker"].post(
        f"/api/v1/cases/{world.own.case_id}/followups/{world.other.followup_id}/complete/",
        {"completed_on": _today().isoformat()},
        content_type="application/json",
    )
    assert (response.status_code, response.json()) == (
        404,
        {"code": "not_found", "message": "Follow-up not found.", "fields": {}},
    )
    assert _state(world.schema) == before


def test_assessment_of_another_case_is_not_found_through_this_case(world):
    """A supervisor cannot approve an assessment through a case it does not belong to."""
    world.prepare(("assessment",), world.other)
    before = _state(world.schema)
    response = world.clients["supervisor"].post(
        f"/api/v1/cases/{world.own.case_id}/assessments/{world.other.assessment_id}/review/",
        {"approve": True},
        content_type="application/json",
    )
    assert (response.status_code, response.json()) == (
        404,
        {"code": "not_found", "message": "Assessment not found.", "fields": {}},
    )
    assert _state(world.schema) == before
