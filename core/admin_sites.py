"""Two admin sites: the operator's on the public host, the NGO admin's on each NGO host.

The NGO site registers only models of the NGO's own schema, so an NGO admin can never browse
the tenant table or another NGO's data through it.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.http import HttpRequest


class OperatorAdminSite(admin.AdminSite):
    site_header = "Terpadu operator console"
    site_title = "Terpadu operator"

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser


class NGOAdminSite(admin.AdminSite):
    site_header = "Terpadu NGO administration"
    site_title = "Terpadu NGO admin"


operator_site = OperatorAdminSite(name="operator")
ngo_admin_site = NGOAdminSite(name="ngo_admin")

for site in (operator_site, ngo_admin_site):
    site.register(User, UserAdmin)
    site.register(Group, GroupAdmin)
