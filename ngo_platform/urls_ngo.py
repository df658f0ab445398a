"""URLs of an NGO's own space (`<slug>.BASE_DOMAIN`)."""

from django.urls import include, path

from core.admin_sites import ngo_admin_site
from ngo_platform.urls_common import common_patterns

urlpatterns = [
    path("", include("casework.urls")),
    path("", include("network.pages.urls")),
    path("admin/", ngo_admin_site.urls),
    path("api/v1/", include("casework.api.urls")),
    path("api/v1/", include("network.api.urls_ngo")),
    *common_patterns("ngo_platform.urls_ngo"),
]
