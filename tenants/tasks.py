"""Tasks that fan out from the public schema to each NGO's schema."""

from celery import shared_task
from django.utils import timezone
from django_tenants.utils import tenant_context

from tenants.selectors import ngos_active

# Tasks run once a day in every ready, active NGO's schema. Each takes a run key.
DAILY_TENANT_TASKS = ["casework.tasks.daily_maintenance"]


@shared_task(acks_late=True, ignore_result=True)
def fan_out_daily(run_key: str | None = None) -> int:
    """Queue each daily tenant task in every ready, active NGO; skips unready/suspended ones."""
    from ngo_platform.celery import app

    run_key = run_key or timezone.localdate().isoformat()
    count = 0
    for ngo in ngos_active():
        with tenant_context(ngo):
            for task_name in DAILY_TENANT_TASKS:
                app.send_task(task_name, kwargs={"run_key": run_key})
                count += 1
    return count
