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


def test_replayed_schema_equals_fresh_migration(ngo_a):
    """The chosen path (replaying the migrations' SQL) gives exactly a migrated schema."""
    template = template_ensure()
    with transaction.atomic():
        schemas.schema_create_by_replaying("cmp_replayed", template=template.schema_name)
        schemas.schema_create_by_migrating("cmp_migrated2")
        replayed = schemas.schema_describe("cmp_replayed")
        migrated = schemas.schema_describe("cmp_migrated2")
        transaction.set_rollback(True)
    assert replayed["columns"]
    assert [name for _, name, _ in replayed["triggers"]] == ["casework_auditevent_append_only"]
    for part in replayed:
        assert replayed[part] == migrated[part], part


def test_replay_refuses_a_stale_template(ngo_a):
    """A template behind the code (a recorded migration missing) is refused, not cloned from."""
    template = template_ensure()
    with transaction.atomic():
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                f'DELETE FROM "{template.schema_name}".django_migrations '  # noqa: S608
                "WHERE app = 'casework' AND name = '0002_audit_append_only'"
            )
        with pytest.raises(RuntimeError, match="behind the code"):
            schemas.schema_create_by_replaying("cmp_stale", template=template.schema_name)
        transaction.set_rollback(True)


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
