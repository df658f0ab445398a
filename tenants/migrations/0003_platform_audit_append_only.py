"""Platform audit events are append-only: the database refuses UPDATE and DELETE on them."""

from django.db import migrations

from core.audit import append_only_sql

FORWARD, BACKWARD = append_only_sql("tenants_platformauditevent", "tenants_audit_append_only")


class Migration(migrations.Migration):
    dependencies = [("tenants", "0002_platform_audit_trail")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
