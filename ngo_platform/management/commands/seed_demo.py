from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ngo_platform.demo import demo_logins, seed_demo


class Command(BaseCommand):
    help = "Create the demo consortium (only when the platform is empty) and print its logins."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--force", action="store_true", help="allow seeding with DEBUG off (never in prod)"
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo runs only with DEBUG=1 (or --force).")
        created = seed_demo()
        if created:
            self.stdout.write(self.style.SUCCESS("Demo consortium created."))
        else:
            self.stdout.write("Data already present: demo seeding skipped.")
        for login in demo_logins(options["port"]):
            self.stdout.write(
                f"  {login.where:<42} {login.url:<40} {login.username} / {login.password}"
            )
