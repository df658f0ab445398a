"""Two workers of the receiving NGO POST accept on the same referral at the same moment, over
real HTTP against a live server on committed data: one case is created, the other request is
told it was already accepted (409).

The server is pytest-django's `LiveServer`, started as tests/casework/test_concurrent_submissions.py
does (without `transactional_db`, whose flush would wipe the session NGOs); the NGOs, network
rows and accounts the test commits are removed by the `delivered` fixture."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from rest_framework.authtoken.models import Token

from tenants.services import host_for
from tests.network.test_referral_accept_concurrency import delivered  # noqa: F401 - fixture

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def live_port(delivered) -> Iterator[int]:  # noqa: F811 - the imported fixture
    """A live server (its own threads and connections) for the duration of the test."""
    from pytest_django.live_server_helper import LiveServer

    live = LiveServer("127.0.0.1:0")
    # Joined when the server stops, so no request thread is still connected afterwards.
    live.thread.httpd.daemon_threads = False
    yield live.thread.port
    live.stop()
    connection.close()


def _post(port: int, host: str, token: str, path: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(
            "POST",
            path,
            body=json.dumps({}),
            headers={
                "Host": f"{host}:{port}",
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
            },
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read().decode() or "{}")
    finally:
        conn.close()


def test_two_workers_accepting_at_once_over_http_create_one_case(
    delivered,  # noqa: F811 - the imported fixture
    live_port,
):
    """Both POST /api/v1/referrals/incoming/<uuid>/accept/ released together: one 200 with the
    new case, one 409 `already_accepted`; the receiver holds exactly one child and one case."""
    from casework.models import Case, Child
    from network.models import ReferralEnvelope
    from network.referrals.models import OutboxMessage, Referral, ReferralEvent

    receiver = delivered.receiver
    with schema_context(receiver.schema_name):
        tokens = [Token.objects.get_or_create(user=user)[0].key for user in delivered.receivers]
    connection.set_schema_to_public()
    host = host_for(receiver.slug)
    path = f"/api/v1/referrals/incoming/{delivered.referral_uuid}/accept/"
    barrier = threading.Barrier(len(tokens))
    results: list = [None] * len(tokens)

    def accept(index: int, token: str) -> None:
        barrier.wait()
        try:
            results[index] = _post(live_port, host, token, path)
        except Exception as error:  # reported by the asserts below
            results[index] = error

    threads = [threading.Thread(target=accept, args=pair) for pair in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert all(isinstance(result, tuple) for result in results), results
    by_status = {status: body for status, body in results}
    assert sorted(by_status) == [200, 409], results
    assert by_status[409] == {
        "code": "already_accepted",
        "message": "This referral was already accepted.",
        "fields": {"state": ["Already accepted."]},
    }
    accepted = by_status[200]
    with schema_context(receiver.schema_name):
        [case] = Case.objects.all()
        assert (accepted["uuid"], accepted["state"], accepted["case_id"]) == (
            str(delivered.referral_uuid),
            "accepted",
            case.pk,
        )
        assert Child.objects.count() == 1
        inbox = Referral.objects.get(uuid=delivered.referral_uuid)
        assert (inbox.state, inbox.case_id) == ("accepted", case.pk)
        assert list(
            ReferralEvent.objects.filter(referral=inbox).values_list("state", flat=True)
        ) == ["sent", "accepted"]
        assert OutboxMessage.objects.filter(kind="state").count() == 1
    connection.set_schema_to_public()
    envelope = ReferralEnvelope.objects.get(referral_uuid=delivered.referral_uuid)
    assert (envelope.state, envelope.sealed_payload) == ("accepted", None)
