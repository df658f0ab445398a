from django.contrib import admin, messages

from core.admin_sites import operator_site
from core.errors import ApplicationError
from tenants import services
from tenants.models import NGO, Consortium, ConsortiumMembership, Domain


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    readonly_fields = ["domain", "is_primary"]
    can_delete = False


@admin.register(Consortium, site=operator_site)
class ConsortiumAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(ConsortiumMembership, site=operator_site)
class ConsortiumMembershipAdmin(admin.ModelAdmin):
    list_display = ["consortium", "user", "role"]
    list_filter = ["role", "consortium"]


def _status_action(status: str, label: str):
    def action(modeladmin, request, queryset):
        for ngo in queryset:
            try:
                services.ngo_set_status(ngo=ngo, status=status)
            except ApplicationError as error:
                modeladmin.message_user(request, f"{ngo}: {error.message}", messages.ERROR)
            else:
                modeladmin.message_user(request, f"{ngo}: {status}", messages.SUCCESS)

    action.__name__ = f"make_{status}"
    action.short_description = label  # type: ignore[attr-defined]  # read by the admin
    return action


@admin.register(NGO, site=operator_site)
class NGOAdmin(admin.ModelAdmin):
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
