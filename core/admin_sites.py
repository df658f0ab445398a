"""Two admin sites: the operator's on the public host, the NGO admin's on each NGO host.

The NGO site registers only models of the NGO's own schema, so an NGO admin can never browse
the tenant table or another NGO's data through it. Every write through either site is audited:
the apps that own the trails register their models (users and groups included) with subclasses
of `AuditedModelAdmin` that say where the events go (casework/admin.py, tenants/admin.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.db import models, transaction
from django.http import HttpRequest

from core.audit import REDACTED, AuditAction, changes, snapshot


def admin_snapshot(instance: models.Model) -> dict[str, Any]:
    """A row's concrete fields and many-to-many ids (sorted), for admin change diffs."""
    values = snapshot(instance)
    if instance.pk is not None:
        for field in instance._meta.many_to_many:
            values[field.attname] = sorted(
                getattr(instance, field.attname).values_list("pk", flat=True)
            )
    return values


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose every add, change and delete is recorded in an audit trail.

    The admin wraps each change form in a transaction, so the event commits with the change.
    Subclasses say where events go by implementing `audit_record`.
    """

    def audit_record(self, request, *, action: AuditAction, instance, changed_fields) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        before = {}
        if change:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = admin_snapshot(stored) if stored is not None else {}
        request._audit_before = before
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # After the many-to-many fields are saved: one event with every field that changed.
        instance = form.instance
        diff = changes(getattr(request, "_audit_before", {}), admin_snapshot(instance))
        if diff or not change:
            self.audit_record(
                request,
                action=AuditAction.UPDATE if change else AuditAction.CREATE,
                instance=instance,
                changed_fields=diff,
            )

    def delete_model(self, request, obj):
        self.audit_record(
            request,
            action=AuditAction.DELETE,
            instance=obj,
            changed_fields=changes(admin_snapshot(obj), {}),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.audit_record(
                request,
                action=AuditAction.DELETE,
                instance=obj,
                changed_fields=changes(admin_snapshot(obj), {}),
            )
        super().delete_queryset(request, queryset)


PASSWORD_REDACTED = {"password": [REDACTED, REDACTED]}


class AuditedUserAdmin(AuditedModelAdmin, UserAdmin):
    """UserAdmin whose writes, password changes included, are recorded in an audit trail."""

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, unquote(id))
                self.audit_record(
                    request,
                    action=AuditAction.PASSWORD_CHANGE,
                    instance=user,
                    changed_fields=PASSWORD_REDACTED,
                )
        return response


class AuditedGroupAdmin(AuditedModelAdmin, GroupAdmin):
    """GroupAdmin whose writes are recorded in an audit trail."""


class AuditedSiteMixin:
    """An admin site that reports a user's change of their own password to `password_changed`,
    a callable(request) the app that owns the site's audit trail sets."""

    # Set by the app that owns the site's audit trail.
    password_changed: Callable[[HttpRequest], None] | None = None

    def password_change(self, request, extra_context=None):
        with transaction.atomic():
            response = super().password_change(request, extra_context)
            if request.method == "POST" and response.status_code == 302:
                if self.password_changed is not None:
                    self.password_changed(request)
        return response


class OperatorAdminSite(AuditedSiteMixin, admin.AdminSite):
    site_header = "Terpadu operator console"
    site_title = "Terpadu operator"

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser


class NGOAdminSite(AuditedSiteMixin, admin.AdminSite):
    site_header = "Terpadu NGO administration"
    site_title = "Terpadu NGO admin"


operator_site = OperatorAdminSite(name="operator")
ngo_admin_site = NGOAdminSite(name="ngo_admin")
