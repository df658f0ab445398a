"""Shared fixtures: a consortium with two NGOs ("this NGO" and "another NGO"), provisioned once.

The NGOs are committed at session start (real schemas, real domains, real admin accounts) so
that a Celery worker or a live server in another process sees them too. Tests that write use the
`db` fixture (rolled back afterwards); tests that need real commits use `committed_db`, which
removes whatever tenants they created.
"""

from dataclasses import dataclass

import pytest
from django.db import connection

from tests.support import ADMIN_PASSWORD


def pytest_configure(config):
    """A fast password hasher for the suite: a production hash costs ~0.5 s on a CI machine and
    the suite makes hundreds (accounts, logins, provisioning). test_seed_demo keeps the
    production hasher for its logins. PBKDF2 stays accepted, so any hash verifies."""
    from django.conf import global_settings, settings

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *global_settings.PASSWORD_HASHERS,
    ]


@dataclass
class ProvisionedNGO:
    ngo: object
    host: str
    admin_username: str
    admin_password: str


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_keepdb):
    """Always create the test database, even when only session fixtures touch it.

    pytest-django creates it only for the aliases that collected tests mark; a run of only
    `committed_db` tests would otherwise write to the development database.
    """
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases={"default"},
            serialized_aliases=set(),
            keepdb=django_db_keepdb,
        )
        assert connection.settings_dict["NAME"].startswith("test_")
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(scope="session")
def consortium(django_db_setup, django_db_blocker):
    from tenants.models import Consortium
    from tenants.services import consortium_create

    with django_db_blocker.unblock():
        existing = Consortium.objects.filter(slug="pusat-test").first()
        if existing:
            return existing
        created, _ = consortium_create(
            actor=None,
            slug="pusat-test",
            name="Pusat Kajian Perlindungan Anak (test)",
            coordinator_email="coordinator@example.org",
            coordinator_password=ADMIN_PASSWORD,
        )
        return created


def _provision(consortium, slug: str, name: str) -> ProvisionedNGO:
    from tenants.models import NGO
    from tenants.services import host_for, ngo_provision

    email = f"admin@{slug}.example.org"
    ngo = NGO.objects.filter(slug=slug).first()
    if ngo is None:
        ngo = ngo_provision(
            actor=None,
            consortium=consortium,
            slug=slug,
            name=name,
            admin_email=email,
            admin_password=ADMIN_PASSWORD,
        ).ngo
    return ProvisionedNGO(ngo, host_for(slug), email, ADMIN_PASSWORD)


@pytest.fixture(scope="session")
def ngo_a(consortium, django_db_blocker) -> ProvisionedNGO:
    """This NGO."""
    with django_db_blocker.unblock():
        return _provision(consortium, "yayasan-a", "Yayasan Anak Sejahtera")


@pytest.fixture(scope="session")
def ngo_b(consortium, django_db_blocker) -> ProvisionedNGO:
    """Another NGO."""
    with django_db_blocker.unblock():
        return _provision(consortium, "lembaga-b", "Lembaga Peduli Anak")


@pytest.fixture
def committed_db(request, django_db_blocker, ngo_a, ngo_b):
    """Database access without a wrapping transaction; drops tenants the test created."""
    from tenants.models import NGO
    from tenants.schemas import schema_drop

    if request.node.get_closest_marker("django_db"):
        pytest.fail("committed_db must not be combined with the django_db mark")

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        before = set(NGO.objects.values_list("schema_name", flat=True))
        yield
        connection.set_schema_to_public()
        for ngo in NGO.objects.exclude(schema_name__in=before):
            schema_drop(ngo.schema_name)
            ngo.domains.all().delete()
            ngo.delete()


@pytest.fixture(autouse=True)
def _public_schema_after_test():
    """Each test starts on the public schema whatever the previous one left behind."""
    yield
    from django.conf import settings
    from django.utils import translation

    if settings.configured:
        connection.set_schema_to_public()
        # A request through the test client leaves its language active in this thread
        # (LocaleMiddleware activates, nothing deactivates): back to LANGUAGE_CODE.
        translation.deactivate()


@pytest.fixture(autouse=True)
def _no_cached_publication():
    """A test writes aggregate rows directly, without a rollup: a consortium publication cached
    by an earlier test (or an earlier run on a recreated database, with the same row ids) must
    not answer for it."""
    from django.core.cache import cache

    cache.clear()
