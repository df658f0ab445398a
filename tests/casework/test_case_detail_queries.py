"""The case detail answers in a fixed number of queries, whatever the case holds, audit write
included; the case list's count is the same for any page size and on every NGO."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from casework import services
from casework.models import AuditEvent, Case
from tests.casework.conftest import registration_payload

pytestmark = pytest.mark.django_db


def _register(schema: str, actor, name: str) -> Case:
    payload = registration_payload(name)
    with schema_context(schema):
        return services.child_register(
            actor=actor,
            child=services.ChildInput(**payload["child"]),
            household=services.HouseholdInput(**payload["household"]),
            consent=services.ConsentInput(
                **{**payload["consent"], "consented_on": timezone.localdate()}
            ),
        )


def _fill(schema: str, case: Case, supervisor, worker, rows: int) -> None:
    """`rows` notes, follow-ups and services, a household member, a second consent and a
    share with the other worker."""
    today = timezone.localdate()
    with schema_context(schema):
        for number in range(rows):
            services.note_add(actor=supervisor, case_id=case.pk, body=f"Catatan {number}")
            services.followup_schedule(
                actor=supervisor, case_id=case.pk, due_on=today, assigned_worker_id=worker.pk
            )
            services.intervention_record(
                actor=supervisor,
                case_id=case.pk,
                delivered_on=today,
                type="counselling",
                provider="Puskesmas",
            )
        services.case_assign(
            actor=supervisor, case_id=case.pk, worker_id=supervisor.pk, shared_with_ids=[worker.pk]
        )


def _detail_queries(client, case_id: int) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/v1/cases/{case_id}/")
    assert response.status_code == 200
    return response.json(), [query["sql"] for query in captured.captured_queries]


def test_case_detail_is_at_most_8_queries_with_its_audit_write(
    ngo_a, team_a, django_assert_max_num_queries
):
    """Domain, token with account and role, the case with every list it shows, the audit event
    (and the two SET search_path): at most 8, and the view is audited."""
    schema = ngo_a.ngo.schema_name
    supervisor, worker = team_a["supervisor"].user, team_a["worker"].user
    case = _register(schema, supervisor, "Dewi Lestari")
    _fill(schema, case, supervisor, worker, rows=3)
    with schema_context(schema):
        events_before = AuditEvent.objects.filter(action="view", case_id=case.pk).count()
    client = team_a["supervisor"].client()
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/cases/{case.pk}/")
    body = response.json()
    assert len(body["notes"]) == 3
    assert len(body["followups"]) == 3
    assert len(body["interventions"]) == 3
    assert [user["id"] for user in body["shared_with"]] == [worker.pk]
    assert body["child"]["full_name"] == "Dewi Lestari"
    with schema_context(schema):
        events = AuditEvent.objects.filter(action="view", case_id=case.pk)
        assert events.count() == events_before + 1


def test_case_detail_query_count_does_not_grow_with_the_rows(ngo_a, team_a):
    """A case with nothing recorded and one with 10 notes, follow-ups and services: the same
    statements."""
    schema = ngo_a.ngo.schema_name
    supervisor, worker = team_a["supervisor"].user, team_a["worker"].user
    empty = _register(schema, supervisor, "Anak Kosong")
    full = _register(schema, supervisor, "Anak Penuh")
    _fill(schema, full, supervisor, worker, rows=10)
    client = team_a["supervisor"].client()
    empty_body, empty_sql = _detail_queries(client, empty.pk)
    full_body, full_sql = _detail_queries(client, full.pk)
    assert empty_body["notes"] == []
    assert len(full_body["notes"]) == 10
    assert len(full_body["followups"]) == 10
    assert len(full_body["interventions"]) == 10
    assert len(empty_sql) == len(full_sql) <= 8
    # The notes come newest first, as the model orders them.
    assert [note["body"] for note in full_body["notes"]][:2] == ["Catatan 9", "Catatan 8"]


def test_case_detail_of_a_hidden_case_is_404_and_not_audited(ngo_a, team_a):
    """A case worker asking for a case neither assigned nor shared: 404, no view event."""
    schema = ngo_a.ngo.schema_name
    case = _register(schema, team_a["supervisor"].user, "Anak Lain")
    with schema_context(schema):
        before = AuditEvent.objects.filter(action="view", case_id=case.pk).count()
    response = team_a["other_worker"].client().get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 404
    with schema_context(schema):
        assert AuditEvent.objects.filter(action="view", case_id=case.pk).count() == before


def test_list_and_detail_counts_are_the_same_on_every_ngo(ngo_a, ngo_b, team_a, team_b):
    """The number of NGOs (or which one answers) does not enter any query: the list and the
    detail make as many statements on NGO B as on NGO A."""
    counts = {}
    for label, ngo, team in (("a", ngo_a, team_a), ("b", ngo_b, team_b)):
        schema = ngo.ngo.schema_name
        case = _register(schema, team["supervisor"].user, f"Anak {label}")
        client = team["supervisor"].client()
        with CaptureQueriesContext(connection) as listed:
            assert client.get("/api/v1/cases/", {"page_size": 50}).status_code == 200
        _, detail_sql = _detail_queries(client, case.pk)
        counts[label] = (len(listed.captured_queries), len(detail_sql))
    assert counts["a"] == counts["b"]
    assert counts["a"][0] <= 5
    assert counts["a"][1] <= 8


def test_list_rows_from_values_are_what_the_serializer_writes(ngo_a, team_a):
    """The case list serialises `values()` rows itself: for every role, masked or not, with a
    NIK, a worker or none, the rows equal CaseListSerializer's for the same cases."""
    import json

    from casework import selectors
    from casework.api.serializers import CASE_LIST_VALUES, CaseListSerializer, case_list_rows

    schema = ngo_a.ngo.schema_name
    supervisor = team_a["supervisor"].user
    payload = registration_payload("Putri Ayu", nik="3374015204130001")
    with schema_context(schema):
        services.child_register(
            actor=supervisor,
            child=services.ChildInput(**payload["child"]),
            household=services.HouseholdInput(**payload["household"]),
            consent=services.ConsentInput(
                **{**payload["consent"], "consented_on": timezone.localdate()}
            ),
            assigned_worker=team_a["worker"].user,
        )
        _register(schema, supervisor, "Tanpa Pekerja")
        for role in ("supervisor", "worker", "me"):
            queryset = selectors.case_list(actor=team_a[role].user).order_by("-id")
            expected = CaseListSerializer(list(queryset[:20]), many=True).data
            actual = case_list_rows(queryset.values(*CASE_LIST_VALUES)[:20])
            assert json.loads(json.dumps(actual)) == json.loads(json.dumps(expected)), role
            assert actual, role
        masked = case_list_rows(
            selectors.case_list(actor=team_a["me"].user).values(*CASE_LIST_VALUES)[:1]
        )
        assert masked[0]["child"]["full_name"] is None
        shown = case_list_rows(
            selectors.case_list(actor=supervisor, search="Putri").values(*CASE_LIST_VALUES)
        )
        assert shown[0]["child"]["nik_masked"] == "••••••••••••0001"


def test_detail_rows_are_what_the_orm_loads(ngo_a, team_a):
    """Every row the detail loads in its one query (consents, shares, assessments, services,
    follow-ups, notes and the accounts on them) has each field's value and type as the ORM
    loads it: dates, aware datetimes, decimals with their scale, lists, UUIDs."""
    from decimal import Decimal

    from casework import selectors
    from casework.models import Assessment, Consent, FollowUp, Intervention, Note
    from tests.casework.conftest import assessment_payload

    schema = ngo_a.ngo.schema_name
    supervisor, worker = team_a["supervisor"].user, team_a["worker"].user
    case = _register(schema, supervisor, "Rani Wijaya")
    _fill(schema, case, supervisor, worker, rows=2)
    values = {**assessment_payload(hours_per_week=Decimal("12.5"), hazards=["heavy_loads"])}
    values["assessed_on"] = timezone.localdate()
    with schema_context(schema):
        services.assessment_create(actor=supervisor, case_id=case.pk, **values)
        loaded = selectors.case_detail(actor=supervisor, case_id=case.pk, audit_view=False)
        lists = {
            Assessment: list(loaded.assessments.all()),
            Intervention: list(loaded.interventions.all()),
            FollowUp: list(loaded.followups.all()),
            Note: list(loaded.notes.all()),
            Consent: list(loaded.child.consents.all()),
        }
        for model, rows in lists.items():
            expected = list(model._default_manager.filter(pk__in=[r.pk for r in rows]))
            expected.sort(key=lambda row: [r.pk for r in rows].index(row.pk))
            assert [r.pk for r in rows] == [r.pk for r in expected] != [], model
            for row, orm in zip(rows, expected, strict=True):
                for field in model._meta.concrete_fields:
                    mine, theirs = getattr(row, field.attname), getattr(orm, field.attname)
                    assert (mine, type(mine)) == (theirs, type(theirs)), (model, field.name)
        assert str(lists[Assessment][0].hours_per_week) == "12.5"
        assert lists[Assessment][0].assessor.username == supervisor.username
        assert [user.username for user in loaded.shared_with.all()] == [worker.username]
        assert lists[FollowUp][0].assigned_worker == worker
