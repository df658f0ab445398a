"""Bad input and errors answer 4xx/5xx in the API's JSON error format, never an HTML 500, on
the NGO host and on the public host alike (ngo_platform/middleware.py, ngo_platform/api/)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.casework import conftest as casework_conftest
from tests.casework.conftest import registration_payload
from tests.support import host_client

team_a = casework_conftest.team_a

pytestmark = pytest.mark.django_db

PUBLIC_HOST = "localhost"  # BASE_DOMAIN in the test settings


def _assert_json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert isinstance(body["message"], str)
    assert body["message"]
    if code is not None:
        assert body["code"] == code
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/?status=a%00b",
        "/api/v1/cases/?search=a%00b",
        "/api/v1/cases/export/?search=a%00b",
        "/api/v1/children/?search=a%00b",
        "/api/v1/children/duplicates/?full_name=a%00b",
        "/api/v1/audit/?actor=a%00b",
        "/api/v1/cases/?a%00b=1",
    ],
)
def test_nul_in_api_parameters_is_a_400(team_a, path):
    """A NUL character in any filter or search parameter is a 400 in the JSON format."""
    response = team_a["admin"].client().get(path)
    body = _assert_json_error(response, 400, "invalid")
    assert "NUL" in body["message"]


def test_nul_in_public_host_api_parameters_is_a_400(ngo_a):
    """The public host guards its API the same way."""
    _assert_json_error(host_client(PUBLIC_HOST).get("/api/v1/ngos/?status=a%00b"), 400, "invalid")


@pytest.mark.parametrize(
    ("host_name", "path"),
    [
        ("ngo", "/cases/?q=a%00b"),
        ("ngo", "/cases/?search=a%00b"),
        ("ngo", "/cases/export/?search=a%00b"),
        ("public", "/?q=a%00b"),
    ],
)
def test_nul_in_page_parameters_is_a_400_page(team_a, ngo_a, host_name, path):
    """Pages answer a NUL character with an HTML 400 page."""
    host = ngo_a.host if host_name == "ngo" else PUBLIC_HOST
    response = host_client(host).get(path)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "<h1>Bad request</h1>" in response.content.decode()


@pytest.mark.parametrize("host_name", ["ngo", "public"])
def test_deeply_nested_json_is_a_400(ngo_a, host_name):
    """JSON nested 5,000 deep (beyond Python's recursion limit) is malformed input, not a 500."""
    host = ngo_a.host if host_name == "ngo" else PUBLIC_HOST
    body = "[" * 5000 + "]" * 5000
    response = host_client(host).post("/api/v1/auth/token/", body, content_type="application/json")
    body = _assert_json_error(response, 400, "parse_error")
    assert "nested too deeply" in body["message"]


def test_deeply_nested_json_on_an_authenticated_endpoint_is_a_400(team_a):
    """The same parser serves every API endpoint."""
    response = (
        team_a["worker"]
        .client()
        .post(
            "/api/v1/children/", "{" + '"a":{' * 5000 + "}" * 5001, content_type="application/json"
        )
    )
    _assert_json_error(response, 400, "parse_error")


def test_form_encoded_body_on_a_json_endpoint_is_a_415(team_a):
    """Endpoints document and parse JSON only: a form-encoded body is refused, in JSON."""
    response = team_a["worker"].client().post("/api/v1/children/", {"case_type": "prevention"})
    _assert_json_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("host_name", ["ngo", "public"])
@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/nothing/", "/api/v1/cases/0/x/"])
def test_unknown_api_path_is_a_json_404(ngo_a, host_name, path):
    """An /api/ path that does not exist answers 404 in the JSON format (pages keep HTML)."""
    host = ngo_a.host if host_name == "ngo" else PUBLIC_HOST
    _assert_json_error(host_client(host).post(path, {}), 404, "not_found")
    _assert_json_error(host_client(host).get(path + "x/"), 404, "not_found")
    page = host_client(host).get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("host_name", ["ngo", "public"])
def test_body_over_the_limit_is_a_json_413(ngo_a, settings, host_name):
    """A JSON body larger than DATA_UPLOAD_MAX_MEMORY_SIZE is refused with 413 before parsing."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    host = ngo_a.host if host_name == "ngo" else PUBLIC_HOST
    body = json.dumps({"username": "x" * 2000, "password": "y"})
    response = host_client(host).post("/api/v1/auth/token/", body, content_type="application/json")
    _assert_json_error(response, 413, "request_too_large")
    small = host_client(host).post(
        "/api/v1/auth/token/", {"username": "x", "password": "y"}, content_type="application/json"
    )
    _assert_json_error(small, 400, "invalid")


def test_upload_over_the_request_limit_is_a_json_413(team_a, settings):
    """A multipart upload larger than API_MAX_UPLOAD_REQUEST_BYTES is a 413; the limit leaves
    room for the largest attachment the service accepts."""
    from casework.services import MAX_ATTACHMENT_BYTES

    assert settings.API_MAX_UPLOAD_REQUEST_BYTES > MAX_ATTACHMENT_BYTES
    worker = team_a["worker"].client()
    case = worker.post(
        "/api/v1/children/", registration_payload("Upload Limit"), content_type="application/json"
    ).json()
    settings.API_MAX_UPLOAD_REQUEST_BYTES = 4000
    photo = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * 5000, "image/png")
    response = worker.post(
        f"/api/v1/cases/{case['id']}/attachments/", {"kind": "photo", "file": photo}
    )
    _assert_json_error(response, 413, "request_too_large")


def test_form_fields_over_the_memory_limit_are_a_json_413(team_a, settings):
    """Within the upload limit, form fields over DATA_UPLOAD_MAX_MEMORY_SIZE are found while
    parsing (Django's RequestDataTooBig): also a 413 in the JSON format."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = (
        team_a["worker"]
        .client()
        .post("/api/v1/cases/1/attachments/", {"kind": "photo" + "x" * 3000})
    )
    _assert_json_error(response, 413, "request_too_large")


def test_server_error_under_api_is_a_json_500(team_a, monkeypatch):
    """An unexpected exception in an API view answers 500 in the JSON format, without details."""
    from casework import selectors

    def broken():
        raise RuntimeError("secret detail")

    monkeypatch.setattr(selectors, "ngo_settings_get", broken)
    client = Client(
        HTTP_HOST=team_a["admin"].host,
        HTTP_AUTHORIZATION=f"Token {team_a['admin'].token}",
        raise_request_exception=False,
    )
    response = client.get("/api/v1/settings/")
    body = _assert_json_error(response, 500, "server_error")
    assert "secret" not in response.content.decode()
    assert body["fields"] == {}
