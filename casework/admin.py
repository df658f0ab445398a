"""Minimal NGO admin: read-only views of case data (writes go through the audited services and
the API), staff roles and settings editable."""

from django.contrib import admin

from casework.models import AuditEvent, Case, Child, NGOSettings, StaffProfile
from core.admin_sites import ngo_admin_site


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case, site=ngo_admin_site)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["reference", "status", "risk_level", "assigned_worker", "opened_on"]
    list_filter = ["status", "risk_level", "case_type"]
    search_fields = ["reference"]
    list_select_related = ["assigned_worker"]


@admin.register(Child, site=ngo_admin_site)
class ChildAdmin(ReadOnlyAdmin):
    list_display = ["full_name", "known_as", "sex", "birth_year", "school_status"]
    search_fields = ["normalized_name", "known_as"]
    exclude = ["nik_encrypted", "nik_hash"]


@admin.register(AuditEvent, site=ngo_admin_site)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_username", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "object_id"]


@admin.register(StaffProfile, site=ngo_admin_site)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "phone"]
    list_filter = ["role"]


@admin.register(NGOSettings, site=ngo_admin_site)
class NGOSettingsAdmin(admin.ModelAdmin):
    list_display = ["ngo_name", "classification_standard", "followup_interval_days"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
