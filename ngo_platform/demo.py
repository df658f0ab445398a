"""The demo consortium: a university coordinating centre with three partner NGOs.

All names are synthetic (Faker id_ID, fixed seed); nothing real about any child.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from faker import Faker

from tenants.models import NGO, Consortium
from tenants.services import consortium_create, host_for, ngo_provision

DEMO_PASSWORD = "terpadu-demo-2026"  # noqa: S105 - printed demo login, DEBUG only
CONSORTIUM_SLUG = "pusat-kajian"
OPERATOR_USERNAME = "operator@terpadu.test"
COORDINATOR_USERNAME = "koordinator@terpadu.test"
NGO_SLUGS = ["yayasan-harapan", "lembaga-pelita", "sanggar-anak"]
NGO_PREFIXES = ["Yayasan Harapan", "Lembaga Pelita", "Sanggar Anak"]


@dataclass(frozen=True)
class DemoLogin:
    where: str
    url: str
    username: str
    password: str


def _url(host: str, port: int) -> str:
    return f"http://{host}:{port}/"


def demo_logins(port: int = 8000) -> list[DemoLogin]:
    """The demo accounts, for printing."""
    logins = [
        DemoLogin(
            "operator console",
            _url(settings.BASE_DOMAIN, port) + "admin/",
            OPERATOR_USERNAME,
            DEMO_PASSWORD,
        ),
        DemoLogin(
            "consortium coordinator",
            _url(settings.BASE_DOMAIN, port),
            COORDINATOR_USERNAME,
            DEMO_PASSWORD,
        ),
    ]
    for ngo in NGO.objects.filter(slug__in=NGO_SLUGS).order_by("slug"):
        logins.append(
            DemoLogin(
                f"{ngo.name} (NGO admin)",
                _url(host_for(ngo.slug), port),
                f"admin@{ngo.slug}.test",
                DEMO_PASSWORD,
            )
        )
    return logins


def seed_demo() -> bool:
    """Create the demo consortium when the platform is empty; False when data already exists."""
    connection.set_schema_to_public()
    if Consortium.objects.exists():
        return False
    faker = Faker("id_ID")
    faker.seed_instance(2026)
    with transaction.atomic():
        consortium, _ = consortium_create(
            slug=CONSORTIUM_SLUG,
            name=f"Pusat Kajian Perlindungan Anak, Universitas {faker.city()}",
            coordinator_email=COORDINATOR_USERNAME,
            coordinator_password=DEMO_PASSWORD,
        )
        user_model = get_user_model()
        if not user_model.objects.filter(username=OPERATOR_USERNAME).exists():
            user_model.objects.create_superuser(
                username=OPERATOR_USERNAME, email=OPERATOR_USERNAME, password=DEMO_PASSWORD
            )
    for slug, prefix in zip(NGO_SLUGS, NGO_PREFIXES, strict=True):
        ngo_provision(
            consortium=consortium,
            slug=slug,
            name=f"{prefix} {faker.city()}",
            admin_email=f"admin@{slug}.test",
            admin_password=DEMO_PASSWORD,
            contact_name=faker.name(),
            contact_phone=faker.phone_number(),
            region=faker.state(),
        )
    return True
