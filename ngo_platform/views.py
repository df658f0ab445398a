"""The public consortium site's landing page."""

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from network.access import coordinated_consortia, funded_consortia


def public_home(request):
    """The consortium's landing page with coordinator login and a pointer for NGO staff; an
    account with a role in a consortium (or the operator) goes on to the console."""
    user = request.user
    if coordinated_consortia(user).exists() or funded_consortia(user).exists():
        return redirect("console:index")
    return render(
        request,
        "ngo_platform/public_home.html",
        {"ngo_address": _ngo_address(request)},
    )


def _ngo_address(request) -> str:
    """How an NGO's address looks from here: this page's scheme, and its port unless it is the
    scheme's default (http://<your-ngo>.localhost:8000/ in development)."""
    port = request.get_port()
    default = "443" if request.is_secure() else "80"
    suffix = "" if port in (default, "", None) else f":{port}"
    placeholder = _("your-ngo")  # a slug-like word in the reader's language
    return f"{request.scheme}://<{placeholder}>.{settings.BASE_DOMAIN}{suffix}/"
