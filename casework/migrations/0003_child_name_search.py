"""Name search by word prefix: a full-text GIN index over the child's names ('simple' config,
no stemming: names are not words of a language)."""

from django.db import migrations

FORWARD = """
CREATE INDEX child_name_search_idx ON casework_child USING gin (
    to_tsvector('simple'::regconfig, normalized_name || ' ' || lower(known_as))
);
"""


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_audit_append_only")]

    operations = [
        migrations.RunSQL(FORWARD, "DROP INDEX IF EXISTS child_name_search_idx;"),
    ]
