"""TENANT_LIMIT_SET_CALLS is on: django-tenants sets the search path once per schema switch, not
before every statement. PostgreSQL reverts a `SET` made inside a transaction or savepoint that
is rolled back, so a switch made there must be issued again afterwards, or the next query would
read the previous tenant's tables (django-tenants < 4.0.1 did not). These tests switch tenants
across rolled-back savepoints against the real server and check which NGO's rows come back."""

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def _usernames() -> set[str]:
    return set(get_user_model().objects.values_list("username", flat=True))


def _search_path_on_server() -> str:
    """What PostgreSQL itself holds, asked on the raw connection (no SET issued before it)."""
    with connection.connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        return cursor.fetchone()[0]


@pytest.fixture
def staff(team_a, team_b):
    """Accounts that exist in one NGO only: supervisor-a in A, supervisor-b in B."""
    return team_a, team_b


def test_limit_set_calls_is_on(settings):
    """The setting this file guards (settings.py; env TENANT_LIMIT_SET_CALLS)."""
    assert settings.TENANT_LIMIT_SET_CALLS is True


def test_switch_inside_a_rolled_back_savepoint_reads_the_current_tenant(ngo_a, ngo_b, staff):
    """A switch to B made inside a savepoint that is rolled back (PostgreSQL reverts the SET to
    A's search path): the next query, still in B, reads B's rows, never A's."""
    a_schema, b_schema = ngo_a.ngo.schema_name, ngo_b.ngo.schema_name
    with schema_context(a_schema), transaction.atomic():
        a_rows = _usernames()
        assert "supervisor-a" in a_rows
        assert "supervisor-b" not in a_rows
        with schema_context(b_schema):

            def b_in_a_savepoint():
                with transaction.atomic():  # a savepoint
                    assert "supervisor-b" in _usernames()
                    assert _search_path_on_server().split(",")[0].strip('" ') == b_schema
                    raise Rollback

            with pytest.raises(Rollback):
                b_in_a_savepoint()
            # ROLLBACK TO SAVEPOINT took the server back to A's search path; django-tenants
            # forgot the SET it had made and issued B's again (with the RELEASE that follows).
            assert _search_path_on_server().split(",")[0].strip('" ') == b_schema
            b_rows = _usernames()
            assert "supervisor-b" in b_rows
            assert "supervisor-a" not in b_rows
        assert _usernames() == a_rows


def test_failed_statement_in_a_savepoint_then_switch_back(ngo_a, ngo_b, staff):
    """An IntegrityError rolls a savepoint back in B; switching to A and back to B afterwards
    returns each NGO's own rows."""
    a_schema, b_schema = ngo_a.ngo.schema_name, ngo_b.ngo.schema_name
    user_model = get_user_model()
    with schema_context(b_schema), transaction.atomic():
        b_rows = _usernames()

        def duplicate_in_a_savepoint():
            with transaction.atomic():
                with schema_context(a_schema):
                    assert "supervisor-a" in _usernames()
                user_model.objects.create(username="supervisor-b")  # already exists in B

        with pytest.raises(IntegrityError):
            duplicate_in_a_savepoint()
        assert _usernames() == b_rows
        with schema_context(a_schema):
            assert "supervisor-b" not in _usernames()
        assert "supervisor-a" not in _usernames()


def test_set_is_issued_once_per_switch(ngo_a, staff, django_assert_num_queries):
    """What the setting buys: three statements in one schema, one SET search_path."""
    with schema_context(ngo_a.ngo.schema_name):
        with django_assert_num_queries(4) as captured:
            for _ in range(3):
                _usernames()
    sets = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SET search_path")]
    assert len(sets) == 1
