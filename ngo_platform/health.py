"""GET /healthz: the state of PostgreSQL, Redis and the Celery worker (no auth)."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ngo_platform.redis_urls import redis_url_for

CHECK_TIMEOUT_SECONDS = 2.0


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_redis() -> str:
    client = redis.Redis.from_url(
        redis_url_for(settings.REDIS_URL, offset=0),
        socket_timeout=CHECK_TIMEOUT_SECONDS,
        socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def check_worker() -> str:
    from ngo_platform.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1)
        replies = app.control.ping(timeout=1.0, connection=broker)
    if not replies:
        raise RuntimeError("no Celery worker answered")
    return "ok"


CHECKS = {"database": check_database, "redis": check_redis, "worker": check_worker}


@never_cache
@require_GET
def healthz(request):
    """200 when every dependency answers, 503 naming the one that does not."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name == "worker" and results.get("redis") != "ok":
            results[name] = "unknown: redis is down"
            continue
        try:
            results[name] = check()
        except Exception as error:  # noqa: BLE001 - a health check reports every failure
            results[name] = f"down: {type(error).__name__}: {error}"[:300]
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "down", "checks": results},
        status=200 if healthy else 503,
    )
