"""Host routing: the base domain is the public consortium site, `<slug>.<base>` an NGO's space."""

from django.conf import settings
from django.db import connection
from django.http import HttpResponseNotFound, JsonResponse
from django.template.loader import render_to_string
from django.urls import set_urlconf
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_name

from tenants.models import NGO
from tenants.selectors import ngo_for_host

PUBLIC_HOSTS_EXTRA = {"127.0.0.1", "testserver"}


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found_response(request, message: str):
    if _is_api(request):
        return JsonResponse({"code": "not_found", "message": message, "fields": {}}, status=404)
    html = render_to_string("404.html", {"message": message}, request=None)
    return HttpResponseNotFound(html)


class NGOTenantMiddleware(TenantMainMiddleware):
    """Pick the schema from the Host header; unknown or unready hosts get a clean 404."""

    def process_request(self, request):
        connection.set_schema_to_public()
        hostname = self.hostname_from_request(request)
        if hostname == settings.BASE_DOMAIN or hostname in PUBLIC_HOSTS_EXTRA:
            request.tenant = connection.tenant
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            set_urlconf(request.urlconf)
            return None
        ngo = ngo_for_host(hostname)
        if ngo is None:
            return not_found_response(request, _("There is no Terpadu space at this address."))
        ngo.domain_url = hostname
        request.tenant = ngo
        connection.set_tenant(ngo)
        request.urlconf = settings.ROOT_URLCONF
        set_urlconf(request.urlconf)
        return None

    def process_exception(self, request, exception):
        return None


class TenantStatusMiddleware:
    """A suspended or archived NGO's host answers 403 to everything: pages, logins and API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if (
            isinstance(tenant, NGO)
            and tenant.schema_name != get_public_schema_name()
            and tenant.status != NGO.Status.ACTIVE
        ):
            if tenant.status == NGO.Status.SUSPENDED:
                message = _("This NGO's space is suspended. Contact your consortium coordinator.")
            else:
                message = _("This NGO's space is archived and read-only for the platform operator.")
            if _is_api(request):
                return JsonResponse(
                    {"code": "tenant_inactive", "message": message, "fields": {}}, status=403
                )
            html = render_to_string("tenant_inactive.html", {"message": message})
            from django.http import HttpResponseForbidden

            return HttpResponseForbidden(html)
        return self.get_response(request)
