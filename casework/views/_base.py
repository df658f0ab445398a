"""What every casework page shares: the staff gate and rendering with the actor's capabilities."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string

from casework.access import capabilities_of, role_of
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


def extension_panels(setting: str, **kwargs) -> list[str]:
    """The HTML that other apps add to a casework page: `setting` lists callables (dotted
    paths) taking `request=` and the page's objects, each returning HTML or "" (casework imports
    none of them; ARCHITECTURE: casework knows nothing of the network)."""
    panels = [import_string(path)(**kwargs) for path in getattr(settings, setting, ())]
    return [panel for panel in panels if panel]


def _render(request, template: str, context: dict | None = None, status: int = 200):
    context = {
        "caps": capabilities_of(request.user),
        **(context or {}),
    }
    return render(request, template, context, status=status)


def safe_next(request, fallback: str) -> str:
    """The `next` the form carries if it points into this site, else `fallback` (an address on
    another host, `//evil.example/x` included, is never followed)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def typed(form) -> dict:
    """What was typed into a bound form, field by field, unvalidated: the initial values of the
    same form shown again (with one more row) without error messages."""
    return {name: form[name].value() for name in form.fields}
