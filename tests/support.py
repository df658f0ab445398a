"""Helpers shared by tests (fixtures live in conftest.py)."""

from django.test import Client

ADMIN_PASSWORD = "Kuat-Sekali-2026!"


def host_client(host: str, **kwargs) -> Client:
    """A test client whose every request carries `Host: host` (routing is by host)."""
    return Client(HTTP_HOST=host, **kwargs)
