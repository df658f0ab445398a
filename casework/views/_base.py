"""What every casework page shares: the staff gate and rendering with the actor's capabilities."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import render
from django.template.loader import render_to_string

from casework.access import Capability, can, role_of
from core.errors import NotFoundError, PermissionDeniedError

# The hidden field that carries a form's one-time token (services.submission_once).
FORM_TOKEN_FIELD = "form_token"  # noqa: S105 - a field name, not a secret


def staff_required(view):
    """Logged in with a role in this NGO; service errors become 404/403 pages."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if role_of(request.user) is None:
            return HttpResponseForbidden(
                render_to_string("casework/forbidden.html", request=request)
            )
        try:
            return view(request, *args, **kwargs)
        except NotFoundError:
            raise Http404 from None
        except PermissionDeniedError:
            return HttpResponseForbidden(
                render_to_string("casework/forbidden.html", request=request)
            )

    return wrapper


def _caps(user) -> dict[str, bool]:
    return {capability.value: can(user, capability) for capability in Capability}


def _render(request, template: str, context: dict | None = None, status: int = 200):
    context = {"caps": _caps(request.user), **(context or {})}
    return render(request, template, context, status=status)
