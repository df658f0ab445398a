import time
from itertools import groupby

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.seed import DEMO_PASSWORD, demo_logins, seed_demo


class Command(BaseCommand):
    help = (
        "Create the demo consortium, its NGOs, staff and cases (only when the platform is "
        "empty) and print its logins."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--force", action="store_true", help="allow seeding with DEBUG off (never in prod)"
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo runs only with DEBUG=1 (or --force).")
        started = time.perf_counter()
        created = seed_demo()
        if created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo consortium created in {time.perf_counter() - started:.1f} s."
                )
            )
        else:
            self.stdout.write("Data already present: demo seeding skipped.")
        self.stdout.write(f"\nDemo logins (every password: {DEMO_PASSWORD})")
        for group, logins in groupby(demo_logins(options["port"]), key=lambda login: login.group):
            logins = list(logins)
            urls = {login.url for login in logins}
            if len(urls) == 1:
                self.stdout.write(f"  {group}  {urls.pop()}")
                for login in logins:
                    self.stdout.write(f"    {login.where:<24} {login.username}")
            else:
                self.stdout.write(f"  {group}")
                for login in logins:
                    self.stdout.write(f"    {login.where:<24} {login.url:<36} {login.username}")
