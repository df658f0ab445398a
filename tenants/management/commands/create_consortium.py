from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from tenants.services import consortium_create


class Command(BaseCommand):
    help = "Create a consortium and its first coordinator account (public schema)."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--coordinator-email", required=True)
        parser.add_argument("--coordinator-password", default=None)

    def handle(self, *args, **options):
        try:
            consortium, password = consortium_create(
                actor=None,
                slug=options["slug"],
                name=options["name"],
                coordinator_email=options["coordinator_email"],
                coordinator_password=options["coordinator_password"],
            )
        except ApplicationError as error:
            raise CommandError(_describe(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Consortium '{consortium.slug}' created."))
        self.stdout.write(f"Coordinator login: {options['coordinator_email']} / {password}")


def _describe(error: ApplicationError) -> str:
    details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.fields.items())
    return f"{error.message}" + (f" ({details})" if details else "")
