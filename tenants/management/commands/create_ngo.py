import time

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from tenants.management.commands.create_consortium import _describe
from tenants.models import Consortium
from tenants.services import ngo_provision


class Command(BaseCommand):
    help = "Provision a partner NGO: its schema, its host and its first admin account."

    def add_arguments(self, parser):
        parser.add_argument("--consortium", required=True, help="slug of the consortium")
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", default=None)
        parser.add_argument("--region", default="")
        parser.add_argument("--method", choices=["replay", "clone", "migrate"], default=None)

    def handle(self, *args, **options):
        consortium = Consortium.objects.filter(slug=options["consortium"]).first()
        if consortium is None:
            raise CommandError(f"No consortium with slug '{options['consortium']}'.")
        started = time.perf_counter()
        try:
            result = ngo_provision(
                actor=None,
                consortium=consortium,
                slug=options["slug"],
                name=options["name"],
                admin_email=options["admin_email"],
                admin_password=options["admin_password"],
                region=options["region"],
                method=options["method"],
            )
        except ApplicationError as error:
            raise CommandError(_describe(error)) from None
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"NGO '{result.ngo.slug}' ready at {result.domain} "
                f"({result.method}, {elapsed:.2f} s)."
            )
        )
        self.stdout.write(f"Admin login: {result.admin_username} / {result.admin_password}")
