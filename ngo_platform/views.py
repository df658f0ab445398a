"""The public consortium site's landing page."""

from django.conf import settings
from django.shortcuts import redirect, render

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
        {"base_domain": settings.BASE_DOMAIN, "port": request.get_port()},
    )
