"""Replace a database connection once it has served DATABASE_CONN_MAX_REQUESTS requests.

A PostgreSQL backend keeps the catalog entries (relations, indexes, cached plans) of every
schema it has touched for as long as it lives, and never returns that memory. With one schema
per NGO, a long-lived connection whose requests rotate over many NGOs grows with their number
(bench/scale.py measures it). CONN_MAX_AGE bounds a connection's life in seconds, which under
load is an unbounded number of NGOs; this bounds it in requests.

The connection is not closed here: it is marked obsolete (`close_at`), and Django's own
`close_old_connections` closes it at the start of the thread's next request, the same path a
connection older than CONN_MAX_AGE takes (django-tenants forgets the search path it set, and
the next query on the new connection sets it again). Celery workers need nothing: Celery's
Django fixup closes the connections after every task unless CELERY_DB_REUSE_MAX is set.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import connections

# Attribute of a connection wrapper: (the driver connection counted, requests it served).
_SERVED = "_terpadu_requests_served"


def connections_count_request(**kwargs: Any) -> None:
    """Count a finished request on each open connection; mark those at the bound obsolete.

    Connected to `request_finished` (ngo_platform.apps). 0 or less turns the bound off.
    """
    limit = settings.DATABASE_CONN_MAX_REQUESTS
    if limit <= 0:
        return
    for wrapper in connections.all(initialized_only=True):
        driver_connection = wrapper.connection
        if driver_connection is None:
            continue
        counted, served = getattr(wrapper, _SERVED, (None, 0))
        if counted is not driver_connection:  # a new connection since the last count
            served = 0
        served += 1
        setattr(wrapper, _SERVED, (driver_connection, served))
        if served >= limit:
            wrapper.close_at = time.monotonic()
