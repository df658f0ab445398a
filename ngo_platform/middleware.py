"""Request guards that hold for every host and every endpoint, pages and API alike.

- A NUL character in the query string or the path is refused with 400 before any view runs:
  PostgreSQL cannot store or compare it, so a filter carrying one would fail as a 500 deep in
  a query.
- Under /api/ a body larger than the limit is refused with 413 before anything reads it, and
  every error response that did not come from DRF (Django's 404 for an unknown path, its 400
  for a suspicious request, its 500 page, in DEBUG the technical pages too) is answered in the
  API's JSON error format `{"code", "message", "fields"}` with the same status.
"""

from http import HTTPStatus

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from rest_framework.response import Response as DRFResponse

NUL = "\x00"


def is_api_request(request) -> bool:
    return request.path_info.startswith("/api/")


def api_error_response(status: int, *, code: str | None = None, message: str | None = None):
    """The JSON error body for `status` when no view produced one."""
    defaults = {
        400: ("bad_request", _("The request is malformed.")),
        404: ("not_found", _("There is no API endpoint at this address.")),
        413: ("request_too_large", _("The request body is larger than this API accepts.")),
        500: ("server_error", _("Something went wrong on our side. It has been logged.")),
    }
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = _("Error.")
    default_code, default_message = defaults.get(status, ("error", phrase))
    return JsonResponse(
        {"code": code or default_code, "message": message or default_message, "fields": {}},
        status=status,
    )


def _has_nul(request) -> bool:
    if NUL in request.path_info:
        return True
    return any(
        NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists()
    )


def _body_limit(request) -> int:
    """Multipart bodies carry an attachment; every other body is held in memory to parse."""
    if request.content_type == "multipart/form-data":
        return settings.API_MAX_UPLOAD_REQUEST_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class RequestGuardMiddleware:
    """Outermost middleware: sees every response, including those of the tenant middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = is_api_request(request)
        if _has_nul(request):
            message = _("The address contains a NUL character, which is not allowed.")
            if api:
                return api_error_response(400, code="invalid", message=message)
            html = render_to_string("400.html", {"message": message})
            return HttpResponseBadRequest(html)
        if api and _content_length(request) > _body_limit(request):
            return api_error_response(413)
        response = self.get_response(request)
        if api and response.status_code >= 400 and not _is_json_error(response):
            return api_error_response(response.status_code)
        return response


def _is_json_error(response) -> bool:
    """DRF answered (through the API exception handler) or a guard already wrote JSON."""
    if isinstance(response, DRFResponse):
        return True
    return response.get("Content-Type", "").startswith("application/json")
