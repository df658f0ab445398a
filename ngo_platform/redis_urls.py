"""Derive one Redis URL per purpose (broker, results, cache) from REDIS_URL.

REDIS_URL names the first database number; the broker uses it, results use the next and the
cache the one after, so purposes never share keys. Works for TCP URLs (`redis://host:6379/0`)
and for the embedded server's Unix socket (`unix:///path/redis.sock?db=0`).
"""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit


def redis_url_for(url: str, *, offset: int, celery: bool = False) -> str:
    """Return `url` pointed at database number base+offset (Celery's socket scheme if asked)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if parts.scheme in {"unix", "redis+socket"}:
        base = int((query.pop("db", None) or query.pop("virtual_host", None) or ["0"])[0])
        number = base + offset
        if celery:
            query["virtual_host"] = [str(number)]
            scheme = "redis+socket"
        else:
            query["db"] = [str(number)]
            scheme = "unix"
        # urlunsplit drops the empty authority ("unix:/path"), which redis-py and kombu reject.
        return f"{scheme}://{parts.path}?{urlencode(query, doseq=True)}"
    path = parts.path.strip("/")
    base = int(path) if path.isdigit() else 0
    return urlunsplit((parts.scheme, parts.netloc, f"/{base + offset}", parts.query, ""))
