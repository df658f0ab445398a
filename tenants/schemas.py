"""PostgreSQL schema operations for NGO tenants: create by migrating or by cloning the template.

Cloning uses django-tenants' `clone_schema` SQL function, then repairs what it gets wrong:
it renames named unique constraints (and their indexes) to PostgreSQL's default names, which
would make a later `RemoveConstraint` migration fail on every cloned tenant. After the clone we
rename every constraint and index back to the template's name, matched by definition, so a
clone is indistinguishable from a migrated schema (tests/tenants/test_cloning.py compares them).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict

from django.conf import settings
from django.core.management import call_command
from django_tenants.clone import CLONE_SCHEMA_FUNCTION
from django_tenants.utils import schema_context, schema_exists

from tenants.db import connection

logger = logging.getLogger(__name__)
SCHEMA_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Stale statistics on PostgreSQL's own catalogs make clones slow after many schemas exist.
ANALYZE_EVERY_CLONES = 20
_CATALOGS_TO_ANALYZE = (
    "pg_catalog.pg_class",
    "pg_catalog.pg_attribute",
    "pg_catalog.pg_constraint",
    "pg_catalog.pg_index",
    "pg_catalog.pg_depend",
    "pg_catalog.pg_namespace",
    "pg_catalog.pg_type",
    "pg_catalog.pg_attrdef",
    "pg_catalog.pg_sequence",
)


def quote(schema_name: str) -> str:
    """Quote a schema name that already passed SCHEMA_NAME_RE."""
    if not SCHEMA_NAME_RE.match(schema_name):
        raise ValueError(f"Not a valid schema name: {schema_name!r}")
    return f'"{schema_name}"'


def schema_create_by_migrating(schema_name: str) -> None:
    """Create `schema_name` and replay every tenant migration into it."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote(schema_name)}")
    call_command(
        "migrate_schemas",
        tenant=True,
        schema_name=schema_name,
        interactive=False,
        verbosity=0,
    )
    connection.set_schema_to_public()


# --- Replay of the migrations' SQL -------------------------------------------------------------
# The DDL that the tenant migrations produce, collected once per process (it depends only on the
# code), keyed by the migration leaves so a code change can never replay stale SQL.
_DDL_CACHE: dict[frozenset, tuple[str, frozenset]] = {}
# Rows that migrations and post_migrate create; copied from the (current) template schema.
_TEMPLATE_DATA_TABLES = ("django_migrations", "django_content_type", "auth_permission")


def _migration_graph_state():
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return loader, frozenset(loader.graph.leaf_nodes())


def tenant_ddl(schema_name: str) -> tuple[str, frozenset]:
    """The SQL that migrating a fresh tenant schema executes, and the migrations it covers.

    Collected with Django's own `collect_sql` (what `sqlmigrate` prints) with the connection on
    a tenant schema, so the tenant router keeps exactly the tenant apps' operations.
    """
    from django.db.migrations.executor import MigrationExecutor

    loader, leaves = _migration_graph_state()
    cached = _DDL_CACHE.get(leaves)
    if cached is not None:
        return cached
    # Collecting takes seconds (Django renders every migration state): share the result between
    # processes through the cache, keyed by the code's migration leaves.
    from django.core.cache import cache

    cache_key = "tenant-ddl:" + hashlib.sha256(repr(sorted(leaves)).encode()).hexdigest()
    try:
        shared = cache.get(cache_key)
    except Exception:  # noqa: BLE001 - Redis down: compute instead, never fail provisioning
        shared = None
    if shared is not None:
        _DDL_CACHE[leaves] = shared
        return shared
    previous = connection.schema_name
    connection.set_schema(schema_name)
    try:
        executor = MigrationExecutor(connection)
        executor.loader = loader
        plan = executor.migration_plan(sorted(leaves), clean_start=True)
        statements = loader.collect_sql(plan)
    finally:
        connection.set_schema(previous)
    applied = frozenset(migration.app_label + "." + migration.name for migration, _ in plan)
    ddl = "\n".join(statements)
    _DDL_CACHE[leaves] = (ddl, applied)
    try:
        cache.set(cache_key, (ddl, applied), timeout=None)
    except Exception:  # noqa: BLE001 - the cache is an optimisation only
        logger.warning("Could not cache the tenant DDL", exc_info=True)
    return ddl, applied


def schema_create_by_replaying(schema_name: str, *, template: str) -> None:
    """Create `schema_name` by running the migrations' collected SQL in one round trip, then
    copy the bookkeeping rows (recorded migrations, content types, permissions) from the
    registered template, which migrate_schemas keeps current."""
    ddl, applied = tenant_ddl(schema_name)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT app || '.' || name FROM {quote(template)}.django_migrations"  # noqa: S608
        )
        recorded = {row[0] for row in cursor.fetchall()}
        if not applied <= recorded:
            missing = sorted(applied - recorded)[:5]
            raise RuntimeError(
                f"Template schema {template!r} is behind the code (missing {missing}); "
                "run migrate_schemas first."
            )
        cursor.execute(f"CREATE SCHEMA {quote(schema_name)}")
        # Like a migration run: the tenant schema first, then public (extensions live there).
        cursor.execute(f"SET search_path = {quote(schema_name)}, public")
        cursor.execute(ddl)
        # The migration recorder's own table is not created by any migration.
        cursor.execute(
            f"CREATE TABLE {quote(schema_name)}.django_migrations "
            f"(LIKE {quote(template)}.django_migrations INCLUDING ALL)"
        )
        for table in _TEMPLATE_DATA_TABLES:
            cursor.execute(
                f"INSERT INTO {quote(schema_name)}.{table} "  # noqa: S608 - fixed table names
                f"SELECT * FROM {quote(template)}.{table}"
            )
        # Sequences continue where the template's are, as after a real migration. Not through
        # the pg_sequences view: with hundreds of NGOs its plan joined every sequence of the
        # database with pg_namespace (0.46 s with 300 NGOs, bench/scale.py); this reads the
        # template's own sequences only (20 ms).
        cursor.execute(
            "SELECT c.relname, pg_sequence_last_value(c.oid) FROM pg_class c "
            "WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'S'",
            [template],
        )
        for sequence, last_value in cursor.fetchall():
            if last_value is None:  # never used
                continue
            cursor.execute(
                "SELECT setval(%s, %s)", [f'{quote(schema_name)}."{sequence}"', last_value]
            )
    # The search path of the connection is re-set by django-tenants on the next query (also
    # with TENANT_LIMIT_SET_CALLS, which would otherwise trust the path it set last).
    connection.search_path_set_schemas = None
    connection.set_schema_to_public()


def clone_function_install() -> None:
    """Install (or replace) the `clone_schema` SQL function in the public schema."""
    db_user = settings.DATABASES["default"].get("USER") or "postgres"
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(CLONE_SCHEMA_FUNCTION.format(db_user=db_user))


def _clone_function_installed() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname = 'clone_schema'"
        )
        return cursor.fetchone() is not None


def schema_create_by_cloning(schema_name: str, *, template: str) -> None:
    """Create `schema_name` as a copy of the migrated `template` schema, names repaired."""
    quote(schema_name)
    if not schema_exists(template):
        raise RuntimeError(f"Template schema {template!r} does not exist")
    connection.set_schema_to_public()
    if not _clone_function_installed():
        clone_function_install()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clone_schema(%s, %s, %s)", [template, schema_name, "DATA"])
    constraint_names_align(source=template, target=schema_name)
    sequence_types_align(source=template, target=schema_name)


def _constraints(schema_name: str) -> dict[tuple[str, str], list[str]]:
    """Constraint names per (table, definition with the schema name blanked)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_constraintdef(con.oid), con.conname
            FROM pg_constraint con
            JOIN pg_class c ON c.oid = con.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s
            ORDER BY 1, 3
            """,
            [schema_name],
        )
        found: dict[tuple[str, str], list[str]] = defaultdict(list)
        for table, definition, name in cursor.fetchall():
            normalized = definition.replace(f"{schema_name}.", "")
            found[(table, normalized)].append(name)
        return found


def _indexes(schema_name: str) -> dict[tuple[str, str], list[str]]:
    """Index names per (table, definition without its own name and schema)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT tablename, indexname, indexdef FROM pg_indexes
            WHERE schemaname = %s ORDER BY 1, 2
            """,
            [schema_name],
        )
        found: dict[tuple[str, str], list[str]] = defaultdict(list)
        for table, name, definition in cursor.fetchall():
            normalized = (
                definition.replace(f" {name} ", " <name> ", 1)
                .replace(f'"{schema_name}".', "")
                .replace(f"{schema_name}.", "")
            )
            found[(table, normalized)].append(name)
        return found


def constraint_names_align(*, source: str, target: str) -> int:
    """Rename constraints and indexes in `target` to the names they have in `source`.

    Matches by table and definition; returns how many objects were renamed.
    """
    renamed = 0
    with connection.cursor() as cursor:
        source_constraints = _constraints(source)
        for key, target_names in _constraints(target).items():
            wanted = source_constraints.get(key, [])
            for current, name in zip(sorted(target_names), sorted(wanted), strict=False):
                if current != name:
                    cursor.execute(
                        f'ALTER TABLE {quote(target)}."{key[0]}" '
                        f'RENAME CONSTRAINT "{current}" TO "{name}"'
                    )
                    renamed += 1
        # Renaming a constraint renames its index; align the remaining stand-alone indexes.
        source_indexes = _indexes(source)
        for key, target_names in _indexes(target).items():
            wanted = source_indexes.get(key, [])
            for current, name in zip(sorted(target_names), sorted(wanted), strict=False):
                if current != name:
                    cursor.execute(f'ALTER INDEX {quote(target)}."{current}" RENAME TO "{name}"')
                    renamed += 1
    return renamed


def sequence_types_align(*, source: str, target: str) -> int:
    """Give `target`'s sequences the data types they have in `source`.

    clone_schema recreates identity sequences of integer columns as bigint; returns how many
    sequences were changed.
    """
    changed = 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.sequencename, s.data_type::text
            FROM pg_sequences t
            JOIN pg_sequences s ON s.sequencename = t.sequencename AND s.schemaname = %s
            WHERE t.schemaname = %s AND s.data_type <> t.data_type
            """,
            [source, target],
        )
        for sequence, data_type in cursor.fetchall():
            if data_type not in {"smallint", "integer", "bigint"}:
                raise ValueError(f"Unexpected sequence type {data_type!r}")
            cursor.execute(f'ALTER SEQUENCE {quote(target)}."{sequence}" AS {data_type}')
            changed += 1
    return changed


def catalogs_analyze() -> None:
    """Refresh planner statistics of the system catalogs that cloning queries."""
    with connection.cursor() as cursor:
        for table in _CATALOGS_TO_ANALYZE:
            cursor.execute(f"ANALYZE {table}")


def schema_drop(schema_name: str) -> None:
    """Drop a schema and everything in it (used only by operator tooling and tests)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote(schema_name)} CASCADE")


def schema_describe(schema_name: str) -> dict:
    """A comparable description of a schema: tables, columns, constraints, indexes, sequences."""
    with schema_context("public"), connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name, data_type, is_nullable,
                   regexp_replace(coalesce(column_default, ''), %s, '', 'g'),
                   character_maximum_length, numeric_precision, is_identity
            FROM information_schema.columns WHERE table_schema = %s
            ORDER BY table_name, ordinal_position
            """,
            [f"{schema_name}\\.", schema_name],
        )
        columns = cursor.fetchall()
        cursor.execute(
            """
            SELECT c.relname, con.conname, con.contype,
                   replace(pg_get_constraintdef(con.oid), %s, '')
            FROM pg_constraint con
            JOIN pg_class c ON c.oid = con.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s ORDER BY 1, 2
            """,
            [f"{schema_name}.", schema_name],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT tablename, indexname, replace(indexdef, %s, '')
            FROM pg_indexes WHERE schemaname = %s ORDER BY 1, 2
            """,
            [f"{schema_name}.", schema_name],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            """
            SELECT sequencename, data_type, start_value, increment_by, max_value, cycle
            FROM pg_sequences WHERE schemaname = %s ORDER BY 1
            """,
            [schema_name],
        )
        sequences = cursor.fetchall()
        cursor.execute(
            """
            SELECT c.relname, t.tgname, replace(pg_get_triggerdef(t.oid), %s, '')
            FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND NOT t.tgisinternal ORDER BY 1, 2
            """,
            [f"{schema_name}.", schema_name],
        )
        triggers = cursor.fetchall()
        cursor.execute(
            """
            SELECT p.proname, pg_get_function_identity_arguments(p.oid), p.prosrc
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = %s ORDER BY 1, 2
            """,
            [schema_name],
        )
        functions = cursor.fetchall()
        cursor.execute(
            f"SELECT app, name FROM {quote(schema_name)}.django_migrations ORDER BY 1, 2"  # noqa: S608 - quoted, validated name
        )
        migrations = cursor.fetchall()
    return {
        "columns": columns,
        "constraints": constraints,
        "indexes": indexes,
        "sequences": sequences,
        "triggers": triggers,
        "functions": functions,
        "migrations": migrations,
    }
