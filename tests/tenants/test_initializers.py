"""Provisioning runs the apps' tenant initialisers from settings, inside the new NGO's schema."""

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tenants.models import NGO
from tenants.services import ngo_provision

calls: list[tuple[str, str]] = []


def record_schema(*, tenant):
    """A test initialiser: remembers which schema it ran in."""
    calls.append((tenant.slug, connection.schema_name))


def test_initializers_listed_in_settings_run_in_the_new_schema(consortium, committed_db, settings):
    """Each initialiser runs once, in the new schema; casework's creates the settings row."""
    settings.TENANT_INITIALIZERS = [
        *settings.TENANT_INITIALIZERS,
        "tests.tenants.test_initializers.record_schema",
    ]
    calls.clear()
    ngo_provision(
        actor=None, consortium=consortium, slug="hook-ngo", name="Hook", admin_email="a@example.org"
    )
    assert calls == [("hook-ngo", "ngo_hook_ngo")]
    with schema_context("ngo_hook_ngo"):
        from casework.models import NGOSettings

        assert list(NGOSettings.objects.values_list("ngo_name", flat=True)) == ["Hook"]


def test_a_failing_initializer_leaves_nothing_behind(consortium, committed_db, settings):
    """An initialiser that raises rolls the whole provisioning back."""
    settings.TENANT_INITIALIZERS = ["tests.tenants.test_initializers.explode"]
    with pytest.raises(RuntimeError, match="initialiser failed"):
        ngo_provision(
            actor=None,
            consortium=consortium,
            slug="hook-bad",
            name="Bad",
            admin_email="a@example.org",
        )
    assert not NGO.objects.filter(slug="hook-bad").exists()


def explode(*, tenant):
    raise RuntimeError("initialiser failed")
