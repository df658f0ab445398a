"""The public consortium site's landing page."""

from django.conf import settings
from django.shortcuts import render


def public_home(request):
    """The consortium's landing page with coordinator login and a pointer for NGO staff."""
    return render(
        request,
        "ngo_platform/public_home.html",
        {"base_domain": settings.BASE_DOMAIN, "port": request.get_port()},
    )
