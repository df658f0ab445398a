"""URLs of the public consortium / operator site (`BASE_DOMAIN`)."""

from django.urls import include, path

from core.admin_sites import operator_site
from ngo_platform.urls_common import common_patterns
from ngo_platform.views import public_home
from tenants.api.ngos import ConsortiumListView, NGOListCreateView, NGOStatusView

urlpatterns = [
    path("", public_home, name="home"),
    path("admin/", operator_site.urls),
    path("console/", include("network.console.urls")),
    path("api/v1/consortia/", ConsortiumListView.as_view(), name="api-consortia"),
    path("api/v1/ngos/", NGOListCreateView.as_view(), name="api-ngos"),
    path("api/v1/ngos/<slug:slug>/status/", NGOStatusView.as_view(), name="api-ngo-status"),
    path("api/v1/", include("network.api.urls_public")),
    *common_patterns("ngo_platform.urls_public"),
]
