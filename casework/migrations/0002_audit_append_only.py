"""Audit events are append-only: the database refuses UPDATE and DELETE on them."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION casework_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events cannot be changed or deleted';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER casework_auditevent_append_only
    BEFORE UPDATE OR DELETE ON casework_auditevent
    FOR EACH ROW EXECUTE FUNCTION casework_audit_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS casework_auditevent_append_only ON casework_auditevent;
DROP FUNCTION IF EXISTS casework_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
