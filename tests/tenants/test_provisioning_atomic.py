"""Provisioning failures roll back everything (real commits, no wrapping transaction)."""

import pytest
from django_tenants.utils import schema_exists

from core.errors import ConflictError
from tenants.models import NGO, Domain
from tenants.services import ngo_provision


def test_failed_provisioning_leaves_nothing_behind(consortium, committed_db):
    """A host already routed elsewhere makes provisioning fail; no row, domain or schema stays."""
    squatter = NGO.objects.get(slug="lembaga-b")
    Domain.objects.create(domain="taken-host.localhost", tenant=squatter, is_primary=False)
    try:
        with pytest.raises(ConflictError):
            ngo_provision(
                actor=None,
                consortium=consortium,
                slug="taken-host",
                name="Taken",
                admin_email="a@example.org",
            )
        assert not NGO.objects.filter(slug="taken-host").exists()
        assert not schema_exists("ngo_taken_host")
    finally:
        Domain.objects.filter(domain="taken-host.localhost").delete()


def test_failure_after_schema_creation_rolls_back_schema(consortium, committed_db, monkeypatch):
    """A failure after the schema was cloned (creating the admin) drops the schema too."""
    from tenants import services

    def broken_initialize(ngo):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_tenant_initialize", broken_initialize)
    with pytest.raises(RuntimeError, match="disk full"):
        ngo_provision(
            actor=None,
            consortium=consortium,
            slug="half-made",
            name="Half",
            admin_email="a@example.org",
        )
    assert not NGO.objects.filter(slug="half-made").exists()
    assert not Domain.objects.filter(domain="half-made.localhost").exists()
    assert not schema_exists("ngo_half_made")
