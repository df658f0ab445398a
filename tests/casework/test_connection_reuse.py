"""Persistent connections (DATABASE_CONN_MAX_AGE, 60 s by default): the requests a gunicorn
thread serves one after another share one PostgreSQL session instead of connecting each time
(a connection costs a backend process fork and authentication, several ms on this machine).
Requests go through Django's real WSGI handler, whose request_started / request_finished
signals are where Django closes connections (the test client disconnects them)."""

from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test.client import RequestFactory


def _get(handler: WSGIHandler, staff, path: str = "/api/v1/cases/") -> str:
    environ = RequestFactory()._base_environ(
        PATH_INFO=path,
        REQUEST_METHOD="GET",
        HTTP_HOST=staff.host,
        HTTP_AUTHORIZATION=f"Token {staff.token}",
    )
    statuses = []
    body = handler(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(body)
    body.close()  # what the server does at the end of a response: request_finished
    return statuses[0]


def test_requests_of_one_thread_reuse_one_connection(committed_db, team_a, settings):
    """Three requests in a row: the connection stays open between them, the same backend."""
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 60
    connection.close()  # start with a fresh connection, whose age starts now
    handler = WSGIHandler()
    backends = []
    for _ in range(3):
        assert _get(handler, team_a["supervisor"]) == "200 OK"
        assert connection.connection is not None  # not closed at the end of the request
        backends.append(connection.connection.info.backend_pid)
    assert len(set(backends)) == 1


def test_without_max_age_each_request_connects_again(committed_db, team_a):
    """The guard above can fail: with CONN_MAX_AGE 0, each request closes its connection."""
    saved = connection.settings_dict["CONN_MAX_AGE"]
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = 0
    try:
        handler = WSGIHandler()
        for _ in range(2):
            assert _get(handler, team_a["supervisor"]) == "200 OK"
            assert connection.connection is None
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = saved
        connection.close()
