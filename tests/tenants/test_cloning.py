"""A cloned NGO schema is identical to a freshly migrated one."""

import pytest
from django.db import transaction
from django_tenants.utils import schema_exists

from tenants import schemas
from tenants.services import template_ensure

pytestmark = pytest.mark.django_db


def test_clone_equals_fresh_migration(ngo_a):
    """Tables, columns, constraint and index names and definitions, sequences, migrations match."""
    template = template_ensure()
    with transaction.atomic():
        schemas.schema_create_by_cloning("cmp_cloned", template=template.schema_name)
        schemas.schema_create_by_migrating("cmp_migrated")
        cloned = schemas.schema_describe("cmp_cloned")
        migrated = schemas.schema_describe("cmp_migrated")
        transaction.set_rollback(True)
    assert cloned["columns"], "the description must not be empty"
    assert cloned["constraints"]
    assert cloned["indexes"]
    assert cloned["sequences"]
    assert [name for _, name, _ in cloned["triggers"]] == ["casework_auditevent_append_only"]
    for part in (
        "columns",
        "constraints",
        "indexes",
        "sequences",
        "triggers",
        "functions",
        "migrations",
    ):
        assert cloned[part] == migrated[part], part
    assert not schema_exists("cmp_cloned")


def test_align_restores_renamed_unique_constraint(ngo_a):
    """clone_schema renames named unique constraints; alignment gives them their names back."""
    with transaction.atomic():
        schemas.schema_create_by_cloning("cmp_renamed", template="ngo_template")
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                'ALTER TABLE "cmp_renamed"."casework_taskrun" '
                'RENAME CONSTRAINT "taskrun_unique_key" TO "casework_taskrun_task_run_key_key"'
            )
        renamed = schemas.constraint_names_align(source="ngo_template", target="cmp_renamed")
        names = [
            name
            for table, name, _, _ in schemas.schema_describe("cmp_renamed")["constraints"]
            if table == "casework_taskrun"
        ]
        transaction.set_rollback(True)
    assert renamed == 1
    assert "taskrun_unique_key" in names
    assert "casework_taskrun_task_run_key_key" not in names
