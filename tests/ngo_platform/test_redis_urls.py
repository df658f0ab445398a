"""One Redis database number per purpose, for TCP and Unix-socket URLs."""

import redis

from ngo_platform.redis_urls import redis_url_for


def test_tcp_url_offsets_database_number():
    """The broker keeps REDIS_URL's number; results and cache take the next ones."""
    assert redis_url_for("redis://127.0.0.1:6379/3", offset=0) == "redis://127.0.0.1:6379/3"
    assert redis_url_for("redis://127.0.0.1:6379/3", offset=2) == "redis://127.0.0.1:6379/5"
    assert redis_url_for("redis://redis:6379", offset=1) == "redis://redis:6379/1"


def test_socket_url_for_redis_py_and_celery():
    """A Unix socket URL keeps its '//' and uses db= for redis-py, virtual_host= for Celery."""
    url = "unix:///data/redis/redis.sock"
    assert redis_url_for(url, offset=2) == "unix:///data/redis/redis.sock?db=2"
    assert (
        redis_url_for(url, offset=1, celery=True)
        == "redis+socket:///data/redis/redis.sock?virtual_host=1"
    )
    pool = redis.ConnectionPool.from_url(redis_url_for(url, offset=2))
    assert pool.connection_kwargs["path"] == "/data/redis/redis.sock"
    assert pool.connection_kwargs["db"] == 2
