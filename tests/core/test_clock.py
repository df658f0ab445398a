"""The clock: one place for "today", replayable per context (the demo's history)."""

import threading
from datetime import date, timedelta

from django.utils import timezone

from core import clock


def test_today_is_the_local_date_by_default():
    """Without an override, today() is Django's local date."""
    assert clock.today() == timezone.localdate()


def test_as_of_sets_today_for_the_block_only():
    """Inside as_of(day) today() is that day; afterwards the real date again."""
    day = date(2024, 2, 29)
    with clock.as_of(day):
        assert clock.today() == day
        with clock.as_of(day + timedelta(days=1)):
            assert clock.today() == date(2024, 3, 1)
        assert clock.today() == day
    assert clock.today() == timezone.localdate()


def test_as_of_does_not_leak_into_another_thread():
    """The override is a context variable: a request served by another thread sees real time."""
    seen: list[date] = []
    with clock.as_of(date(2020, 1, 1)):
        worker = threading.Thread(target=lambda: seen.append(clock.today()))
        worker.start()
        worker.join()
    assert seen == [timezone.localdate()]
