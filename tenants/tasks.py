"""Tasks that fan out from the public schema to each NGO's schema."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from tenants.selectors import ngos_active


@shared_task(bind=True, acks_late=True, ignore_result=True)
def fan_out_daily(self, run_key: str | None = None) -> int:
    """Queue each of settings.TENANT_DAILY_TASKS (task names, each taking a run key) in every
    ready, active NGO; skips unready and suspended ones. The tenancy layer names no app task."""
    run_key = run_key or timezone.localdate().isoformat()
    count = 0
    for ngo in ngos_active():
        with tenant_context(ngo):
            for task_name in settings.TENANT_DAILY_TASKS:
                self.app.send_task(task_name, kwargs={"run_key": run_key})
                count += 1
    return count
