"""The NGO URL conf plus `/bench/floor/`: a bare Django view that returns the bytes of a real
case-list response (written by bench/load.py, path in BENCH_FLOOR_BODY) through the same
middleware stack, with no DRF, no authentication query and no ORM. The yardstick of what the
framework itself costs per request."""

import os
from functools import cache

from django.http import HttpResponse
from django.urls import path

from ngo_platform.urls_ngo import urlpatterns as ngo_urlpatterns


@cache
def _body() -> bytes:
    with open(os.environ["BENCH_FLOOR_BODY"], "rb") as file:
        return file.read()


def floor(request):
    return HttpResponse(_body(), content_type="application/json")


urlpatterns = [path("bench/floor/", floor), *ngo_urlpatterns]
