"""The one place that says what day and time it is.

Services ask `today()` instead of calling `timezone.localdate()` themselves, so the demo (and a
test) can replay history by running code as of another day with `as_of(day)`; the override is a
context variable, so it never leaks into another thread or request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from django.utils import timezone

_as_of: ContextVar[date | None] = ContextVar("terpadu_clock_as_of", default=None)


def today() -> date:
    """The local date, or the day set by an enclosing `as_of()`."""
    return _as_of.get() or timezone.localdate()


def now() -> datetime:
    """The current aware datetime."""
    return timezone.now()


@contextmanager
def as_of(day: date) -> Iterator[None]:
    """Run the block as if today were `day` (demo history, tests)."""
    token = _as_of.set(day)
    try:
        yield
    finally:
        _as_of.reset(token)
