"""Minimal NGO admin: read-only views of case data (writes go through the audited services and
the API), staff roles, accounts and settings editable. Every write here, every password change,
every view of a child's record and every list of children is in the NGO's audit trail."""

from django.contrib import admin
from django.contrib.auth.models import Group, User

from casework.audit import audit_listed, audit_password_changed, audit_record
from casework.models import AuditEvent, Case, Child, NGOSettings, StaffProfile
from core.admin_sites import (
    AuditedGroupAdmin,
    AuditedModelAdmin,
    AuditedUserAdmin,
    ngo_admin_site,
)
from core.audit import AuditAction

VIA_ADMIN = {"via": "admin"}


class NGOAuditedAdmin(AuditedModelAdmin):
    """Writes go to this NGO's audit trail, marked as made through the admin."""

    def audit_record(self, request, *, action, instance, changed_fields):
        object_type = "staff" if isinstance(instance, (User, StaffProfile)) else None
        object_id = instance.user_id if isinstance(instance, StaffProfile) else None
        audit_record(
            actor=request.user,
            action=action,
            instance=instance,
            object_type=object_type,
            object_id=object_id,
            changed_fields=changed_fields,
            details=VIA_ADMIN,
        )


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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        case = self.get_object(request, object_id)
        if case is not None and response.status_code == 200:
            # The case page names the child: a view of the child's record, as on the case page.
            audit_record(
                actor=request.user,
                action=AuditAction.VIEW,
                object_type="child",
                object_id=case.child_id,
                case_id=case.pk,
                details=VIA_ADMIN,
            )
        return response


@admin.register(Child, site=ngo_admin_site)
class ChildAdmin(ReadOnlyAdmin):
    list_display = ["full_name", "known_as", "sex", "birth_year", "school_status"]
    search_fields = ["normalized_name", "known_as"]
    exclude = ["nik_encrypted", "nik_hash"]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            audit_listed(
                actor=request.user,
                object_type="child",
                rows=changelist.result_list,
                query=changelist.query or None,
                via="admin",
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        child = self.get_object(request, object_id)
        if child is not None and response.status_code == 200:
            audit_record(
                actor=request.user, action=AuditAction.VIEW, instance=child, details=VIA_ADMIN
            )
        return response


@admin.register(AuditEvent, site=ngo_admin_site)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_username", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "object_id"]


@admin.register(StaffProfile, site=ngo_admin_site)
class StaffProfileAdmin(NGOAuditedAdmin):
    list_display = ["user", "role", "phone"]
    list_filter = ["role"]


@admin.register(NGOSettings, site=ngo_admin_site)
class NGOSettingsAdmin(NGOAuditedAdmin):
    list_display = ["ngo_name", "classification_standard", "followup_interval_days"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NGOUserAdmin(NGOAuditedAdmin, AuditedUserAdmin):
    pass


class NGOGroupAdmin(NGOAuditedAdmin, AuditedGroupAdmin):
    pass


# Staff accounts and groups of this NGO, audited (core/admin_sites.py registers no model).
ngo_admin_site.register(User, NGOUserAdmin)
ngo_admin_site.register(Group, NGOGroupAdmin)


def _own_password_changed(request):
    audit_password_changed(actor=request.user, user=request.user, via="admin")


ngo_admin_site.password_changed = _own_password_changed
