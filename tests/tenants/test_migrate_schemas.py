"""migrate_schemas skips up-to-date tenants and does not stop at a broken one."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tenants.migration import schemas_needing_migration
from tenants.models import NGO


def _table_exists(schema: str, table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
            [schema, table],
        )
        return cursor.fetchone() is not None


@pytest.fixture
def broken_and_behind(committed_db, consortium):
    """One tenant whose migration fails (a clashing table) and one with nothing migrated yet."""
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "ngo_aaa_broken"')
        # A table in the way: the casework migration's CREATE TABLE fails here.
        cursor.execute('CREATE TABLE "ngo_aaa_broken"."casework_ngosettings" (clash int)')
        cursor.execute('CREATE SCHEMA "ngo_zzz_behind"')
    NGO.objects.create(
        schema_name="ngo_aaa_broken", slug="aaa-broken", name="AAA broken", consortium=consortium
    )
    NGO.objects.create(
        schema_name="ngo_zzz_behind", slug="zzz-behind", name="ZZZ behind", consortium=consortium
    )


@pytest.mark.parametrize("processes", [1, 2])
def test_broken_tenant_does_not_stop_the_others(broken_and_behind, settings, processes):
    """The broken tenant fails and is reported; the tenant after it is migrated all the same,
    one schema after another or in two processes."""
    settings.TENANT_MIGRATION_PROCESSES = processes
    assert schemas_needing_migration(["ngo_yayasan_a", "ngo_aaa_broken", "ngo_zzz_behind"]) == [
        "ngo_aaa_broken",
        "ngo_zzz_behind",
    ]
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("migrate_schemas", tenant=True, interactive=False, stdout=out, stderr=out)
    connection.set_schema_to_public()
    assert "1 of 2 tenant schema(s) failed to migrate" in str(caught.value)
    assert "ngo_aaa_broken" in str(caught.value)
    assert _table_exists("ngo_zzz_behind", "casework_ngosettings")
    assert _table_exists("ngo_zzz_behind", "auth_user")
    assert schemas_needing_migration(["ngo_zzz_behind", "ngo_yayasan_a"]) == []


def test_up_to_date_tenants_are_skipped(committed_db):
    """With nothing to apply, no tenant schema is migrated again."""
    ready = list(NGO.objects.values_list("schema_name", flat=True))
    assert "ngo_yayasan_a" in ready
    assert schemas_needing_migration(ready) == []


@pytest.mark.django_db
def test_schema_table_list_is_djangos_for_a_tenant_schema(ngo_a):
    """The executor's table listing (through pg_depend) names exactly the tables and views
    Django's own introspection finds with the search path on the NGO's schema."""
    from django_tenants.utils import schema_context

    from tenants.migration import SchemaTableIntrospection

    with schema_context(ngo_a.ngo.schema_name), connection.cursor() as cursor:
        django_list = sorted(connection.introspection.get_table_list(cursor))
        ours = sorted(SchemaTableIntrospection(connection).get_table_list(cursor))
    assert ours == django_list
    assert "django_migrations" in {info.name for info in ours}
    assert "casework_case" in {info.name for info in ours}
