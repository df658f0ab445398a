"""Schemathesis against an NGO host: every response is not a server error and matches the
OpenAPI document the host serves (its status, content type and body schema).

The requests go in-process to Django's WSGI handler, in the test's transaction (rolled back
afterwards), rather than to a live server: the fuzzer writes children, cases, staff and settings,
and a live server would commit them into the session NGO (see PITFALLS about `live_server`).
The middleware, URL routing by host, authentication and views are the production ones.

Bounded: a fixed number of examples per operation and role with a fixed seed, so the run is the
same every time; the summary line printed at the end gives the count and the time.
"""

import time
from collections import Counter
from contextlib import contextmanager

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.casework import conftest as casework_conftest
from tests.casework.conftest import assessment_payload, registration_payload
from tests.support import host_client

team_a = casework_conftest.team_a

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, response_schema_conformance]


@contextmanager
def _wsgi_app():
    """Django's WSGI handler, minus the per-request connection recycling, which would close
    the test's transaction (Django's test client disconnects the same handler while it runs)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fast_hashing(settings):
    """Token login and staff creation hash passwords; the default hasher costs ~0.3 s a call."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _seed_case(worker) -> dict:
    """A case with one of each nested record, so generated ids sometimes hit real rows."""
    client = worker.client()
    case = client.post(
        "/api/v1/children/", registration_payload("Fuzz Target"), content_type="application/json"
    ).json()
    case_id = case["id"]
    assessment = client.post(
        f"/api/v1/cases/{case_id}/assessments/",
        assessment_payload(),
        content_type="application/json",
    ).json()
    followup = client.post(
        f"/api/v1/cases/{case_id}/followups/", {"purpose": "visit"}, content_type="application/json"
    ).json()
    client.post(
        f"/api/v1/cases/{case_id}/notes/", {"body": "first visit"}, content_type="application/json"
    )
    return {
        "case_id": case_id,
        "child_id": case["child"]["id"],
        "assessment_id": assessment["id"],
        "followup_id": followup["id"],
        "consent_id": case["consents"][0]["id"],
        "user_id": worker.user.pk,
    }


def _seed_network(worker, ngo_a, ngo_b, case_id: int) -> dict:
    """NGO A and B in the directory with key pairs, an active agreement between them and a
    referral sent from the seeded case, so generated uuids sometimes hit real rows."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django_tenants.utils import schema_context

    from core import clock
    from network import services as network_services
    from network.referrals.delivery import outbox_drain
    from network.referrals.keys import agency_key_ensure

    connection.set_schema_to_public()
    coordinator = get_user_model().objects.get(username="coordinator@example.org")
    agencies = []
    for ngo in (ngo_a, ngo_b):
        agency = network_services.partner_agency_ensure(ngo=ngo.ngo)
        agency.service_types = ["counselling"]
        agency.save()
        with schema_context(ngo.ngo.schema_name):
            agency_key_ensure(agency=agency)
        agencies.append(agency)
    agreement = network_services.agreement_create(
        actor=coordinator,
        consortium=ngo_a.ngo.consortium,
        first_agency_uuid=agencies[0].uuid,
        second_agency_uuid=agencies[1].uuid,
        service_types=["counselling"],
        shared_fields=["full_name", "age", "sex", "reason"],
        valid_from=clock.today(),
    )
    network_services.agreement_activate(
        actor=coordinator,
        agreement_uuid=agreement.uuid,
        mou=SimpleUploadedFile("mou.pdf", b"%PDF-1.4 signed"),
    )
    referral = worker.client().post(
        "/api/v1/referrals/outgoing/",
        {
            "case_id": case_id,
            "to_agency": str(agencies[1].uuid),
            "service_type": "counselling",
            "reason": "Konseling",
        },
        content_type="application/json",
    )
    assert referral.status_code == 201, referral.content
    with schema_context(ngo_a.ngo.schema_name):
        outbox_drain()
    connection.set_schema_to_public()
    return {
        "agency_uuid": str(agencies[1].uuid),
        "agreement_uuid": str(agreement.uuid),
        "referral_uuid": referral.json()["uuid"],
    }


def _fuzz(operation, wsgi_app, base_url, headers, known_ids, statuses, failures, in_app) -> None:
    """EXAMPLES_PER_OPERATION generated requests to one operation, checked as they come."""

    @seed(20261201)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), use_known_ids=st.booleans())
    def run(case, use_known_ids):
        if use_known_ids:
            for name in case.path_parameters or {}:
                if name in known_ids:
                    case.path_parameters[name] = known_ids[name]
        sent = time.monotonic()
        response = case.call(app=wsgi_app, base_url=base_url, headers=headers)
        in_app[0] += time.monotonic() - sent
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as failure:  # collect all, report at the end
            failures.append(f"{operation.label}: {failure}")

    run()


@pytest.mark.parametrize("role", ["admin", "worker"])
def test_api_conforms_to_its_openapi_document(
    role, team_a, ngo_a, ngo_b, fast_hashing, settings, tmp_path
):
    """No generated request (valid or not) gets a 5xx or a response the document does not
    describe, as an admin and as a case worker."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    staff = team_a[role]
    known_ids = _seed_case(team_a["worker"])
    known_ids.update(_seed_network(team_a["worker"], ngo_a, ngo_b, known_ids["case_id"]))
    raw = host_client(staff.host).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    schema = schemathesis.openapi.from_dict(raw)
    base_url = f"http://{staff.host}"
    # The in-process WSGI client does not decompress: ask for identity so the JSON is checked
    # (GZipMiddleware compresses for real clients that accept it; test_static_files covers it).
    headers = {"Authorization": f"Token {staff.token}", "Accept-Encoding": "identity"}
    statuses: Counter = Counter()
    failures: list[str] = []
    in_app = [0.0]  # seconds spent answering, the rest is generating and validating
    started = time.monotonic()

    with _wsgi_app() as wsgi_app:
        for result in schema.get_all_operations():
            _fuzz(result.ok(), wsgi_app, base_url, headers, known_ids, statuses, failures, in_app)

    elapsed = time.monotonic() - started
    total = sum(statuses.values())
    print(
        f"schemathesis as {role}: {total} cases in {elapsed:.1f} s "
        f"({in_app[0]:.1f} s answering), statuses {dict(sorted(statuses.items()))}"
    )
    assert failures == [], "\n\n".join(failures[:10])
    assert total >= 1000
