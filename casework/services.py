"""Write operations inside one NGO's schema."""

from django.db import transaction

from casework.models import NGOSettings, TaskRun


@transaction.atomic
def ngo_settings_initialize(*, ngo_name: str) -> NGOSettings:
    """Create the NGO's settings row if it does not exist yet (current schema)."""
    settings_row, _ = NGOSettings.objects.get_or_create(defaults={"ngo_name": ngo_name})
    return settings_row


def task_run_record(*, task: str, run_key: str) -> bool:
    """Record a run of `task` for `run_key`; False when it already ran (idempotency guard)."""
    _, created = TaskRun.objects.get_or_create(task=task, run_key=run_key)
    return created
