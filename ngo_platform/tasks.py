"""Platform-level periodic tasks (public schema)."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "platform:worker-heartbeat"


@shared_task(acks_late=True, ignore_result=True)
def heartbeat() -> str:
    """Record that a worker and beat are alive (read by /healthz as extra detail)."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=600)
    return now
