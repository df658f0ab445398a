"""One JSON error format for every API endpoint: {"code", "message", "fields"}."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import ApplicationError


def _flatten(detail) -> list[str]:
    if isinstance(detail, list):
        return [str(item) for item in detail]
    if isinstance(detail, dict):
        return [f"{key}: {', '.join(_flatten(value))}" for key, value in detail.items()]
    return [str(detail)]


def api_exception_handler(exc, context):
    """Turn application, Django and DRF errors into {"code", "message", "fields"}."""
    if isinstance(exc, ApplicationError):
        return Response(
            {"code": exc.code, "message": exc.message, "fields": exc.fields},
            status=exc.status_code,
        )
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages)
        return Response(
            {"code": "invalid", "message": message, "fields": fields},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = {
                key: _flatten(value) for key, value in detail.items() if key != "non_field_errors"
            }
            non_field = _flatten(detail.get("non_field_errors", []))
            message = "; ".join(non_field) if non_field else _("Some fields are not valid.")
            if non_field:
                fields["non_field_errors"] = non_field
        else:
            fields = {}
            message = "; ".join(_flatten(detail))
        response.data = {"code": "invalid", "message": message, "fields": fields}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = {
            "code": code if isinstance(code, str) else "error",
            "message": " ".join(_flatten(detail)),
            "fields": {},
        }
    return response
