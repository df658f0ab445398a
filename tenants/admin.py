"""The operator console: consortia, NGOs and their status, public accounts, and the platform audit
trail (read-only). Every write here is in the platform audit trail."""

from django.contrib import admin, messages
from django.contrib.auth.models import Group, User

from core.admin_sites import (
    PASSWORD_REDACTED,
    AuditedGroupAdmin,
    AuditedModelAdmin,
    AuditedUserAdmin,
    operator_site,
)
from core.audit import AuditAction
from core.errors import ApplicationError
from tenants import services
from tenants.audit import platform_audit_record
from tenants.models import NGO, Consortium, ConsortiumMembership, Domain, PlatformAuditEvent


class PlatformAuditedAdmin(AuditedModelAdmin):
    """Writes go to the platform audit trail, marked as made through the operator console."""

    def audit_record(self, request, *, action, instance, changed_fields):
        platform_audit_record(
            actor=request.user,
            action=action,
            instance=instance,
            changed_fields=changed_fields,
            details={"via": "admin"},
        )


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    readonly_fields = ["domain", "is_primary"]
    can_delete = False


@admin.register(Consortium, site=operator_site)
class ConsortiumAdmin(PlatformAuditedAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(ConsortiumMembership, site=operator_site)
class ConsortiumMembershipAdmin(PlatformAuditedAdmin):
    list_display = ["consortium", "user", "role"]
    list_filter = ["role", "consortium"]


def _status_action(status: str, label: str):
    def action(modeladmin, request, queryset):
        for ngo in queryset:
            try:
                services.ngo_set_status(actor=request.user, ngo=ngo, status=status)
            except ApplicationError as error:
                modeladmin.message_user(request, f"{ngo}: {error.message}", messages.ERROR)
            else:
                modeladmin.message_user(request, f"{ngo}: {status}", messages.SUCCESS)

    action.__name__ = f"make_{status}"
    action.short_description = label  # type: ignore[attr-defined]  # read by the admin
    return action


@admin.register(NGO, site=operator_site)
class NGOAdmin(PlatformAuditedAdmin):
    list_display = ["name", "slug", "consortium", "status", "is_ready", "created_at"]
    list_filter = ["status", "is_ready", "consortium"]
    search_fields = ["name", "slug"]
    readonly_fields = [
        "schema_name",
        "slug",
        "is_ready",
        "is_template",
        "status",
        "created_at",
        "schema_summary",
    ]
    inlines = [DomainInline]
    actions = [
        _status_action(NGO.Status.SUSPENDED, "Suspend selected NGOs"),
        _status_action(NGO.Status.ACTIVE, "Reactivate selected NGOs"),
        _status_action(NGO.Status.ARCHIVED, "Archive selected NGOs"),
    ]

    @admin.display(description="Rows per table (the data stays; the operator sees counts only)")
    def schema_summary(self, ngo):
        from django.utils.html import format_html_join

        from tenants.selectors import ngo_schema_summary

        counts = ngo_schema_summary(ngo)
        return format_html_join(
            "", "<div>{}: {}</div>", ((table, count) for table, count in counts.items() if count)
        )

    def has_add_permission(self, request):
        # NGOs are created by provisioning (create_ngo or the API), never by a bare row.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(is_template=False)


@admin.register(PlatformAuditEvent, site=operator_site)
class PlatformAuditEventAdmin(admin.ModelAdmin):
    """The platform audit trail, read-only (the table refuses changes anyway)."""

    list_display = ["at", "actor_username", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "object_type", "object_id"]
    readonly_fields = [
        "at",
        "actor",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "changed_fields",
        "details",
        "ip_address",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OperatorUserAdmin(PlatformAuditedAdmin, AuditedUserAdmin):
    pass


class OperatorGroupAdmin(PlatformAuditedAdmin, AuditedGroupAdmin):
    pass


# Public-schema accounts and groups, audited (core/admin_sites.py registers no model).
operator_site.register(User, OperatorUserAdmin)
operator_site.register(Group, OperatorGroupAdmin)


def _own_password_changed(request):
    platform_audit_record(
        actor=request.user,
        action=AuditAction.PASSWORD_CHANGE,
        instance=request.user,
        changed_fields=PASSWORD_REDACTED,
        details={"via": "admin"},
    )


operator_site.password_changed = _own_password_changed
