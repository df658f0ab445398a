"""Small pages of the platform shell: the public landing page and the NGO home."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from casework.selectors import ngo_settings_get


def public_home(request):
    """The consortium's landing page with coordinator login and a pointer for NGO staff."""
    return render(
        request,
        "ngo_platform/public_home.html",
        {"base_domain": settings.BASE_DOMAIN, "port": request.get_port()},
    )


@login_required
def ngo_home(request):
    """The NGO's home page (the case worker's dashboard arrives with the casework pages)."""
    return render(request, "ngo_platform/ngo_home.html", {"ngo_settings": ngo_settings_get()})
