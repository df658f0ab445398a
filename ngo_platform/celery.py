"""The Celery app. tenant-schemas-celery stamps each task with the schema it was sent from,
so a task queued inside an NGO's request runs in that NGO's schema."""

import os

from celery.schedules import crontab
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ngo_platform.settings")

app = CeleryApp("ngo_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "platform-heartbeat": {
        "task": "ngo_platform.tasks.heartbeat",
        "schedule": 60.0,
    },
    "ngo-daily-maintenance": {
        # Fans out to every ready, active NGO; each run is keyed by date (idempotent).
        "task": "tenants.tasks.fan_out_daily",
        "schedule": crontab(hour=1, minute=0),
    },
    "referral-outbox-sweep": {
        # Delivers referral outbox rows that no on-commit task delivered (Redis or worker down).
        "task": "network.tasks.referral_outbox_sweep",
        "schedule": 60.0,
    },
    "reporting-refresh-nightly": {
        # One rollup per ready, active NGO: the consortium's dashboard reads only their rows.
        "task": "network.tasks.reporting_refresh_all",
        "schedule": crontab(hour=2, minute=0),
    },
    "referral-agreements-expire": {
        "task": "network.tasks.agreements_expire_daily",
        "schedule": crontab(hour=0, minute=10),
    },
}
