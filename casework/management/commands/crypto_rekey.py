from django.core.management.base import BaseCommand
from django_tenants.utils import get_tenant_model, tenant_context

from casework.services.crypto import children_rekey


class Command(BaseCommand):
    help = (
        "Rewrite every NGO's encrypted NIKs and lookup hashes with the current (HKDF) keys. "
        "Safe to run again: rows already current are skipped."
    )

    def handle(self, *args, **options):
        total = 0
        for tenant in get_tenant_model().objects.exclude(schema_name="public").order_by("pk"):
            with tenant_context(tenant):
                count = children_rekey()
            total += count
            self.stdout.write(f"{tenant.schema_name}: {count} rewritten")
        self.stdout.write(self.style.SUCCESS(f"{total} children rewritten with the current keys."))
