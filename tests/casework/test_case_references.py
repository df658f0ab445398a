"""Case references `YYYY-NNNNN` from the year's counter row (simultaneous registrations are in
tests/casework/test_concurrent_submissions.py)."""

from datetime import date, timedelta

import pytest
from django_tenants.utils import schema_context

from casework import services
from casework.models import Case, CaseReferenceCounter
from core import clock
from core.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(ngo_a, team_a):
    with schema_context(ngo_a.ngo.schema_name):
        yield team_a["worker"].user


def _register(worker, *, consented_on: date | None = None) -> Case:
    consent = None
    if consented_on is not None:
        consent = services.ConsentInput(
            guardian_name="Ibu Ani",
            guardian_relationship="ibu",
            guardian_consented=True,
            child_assented=True,
            consented_on=consented_on,
        )
    return services.child_register(
        actor=worker,
        child=services.ChildInput(
            full_name="Ani Lestari",
            sex="female",
            school_status="in_school",
            birth_year=clock.today().year - 12,
        ),
        household=services.HouseholdInput(guardian_name="Ibu Ani", guardian_relationship="ibu"),
        consent=consent,
    )


def _number(case: Case) -> int:
    year, number = case.reference.split("-")
    assert year == str(clock.today().year)
    return int(number)


def test_references_follow_each_other(worker):
    """Each registration takes the next number of the year's counter."""
    first = _register(worker)
    second = _register(worker)
    assert _number(second) == _number(first) + 1
    year = clock.today().year
    assert CaseReferenceCounter.objects.get(year=year).last_number == _number(second)


def test_a_new_years_counter_starts_after_the_references_already_there(worker):
    """Cases opened before the counter existed: the counter continues after the highest."""
    case = _register(worker)
    year = clock.today().year
    Case.objects.filter(pk=case.pk).update(reference=f"{year}-00041")
    CaseReferenceCounter.objects.filter(year=year).delete()
    assert _register(worker).reference == f"{year}-00042"


def test_a_reference_taken_by_other_means_is_skipped(worker):
    """A number already used (written by an import) is passed over, never given twice."""
    first = _register(worker)
    year = clock.today().year
    taken = _register(worker)
    Case.objects.filter(pk=taken.pk).update(reference=f"{year}-{_number(first) + 2:05d}")
    assert _number(_register(worker)) == _number(first) + 3


def test_a_refused_registration_gives_its_number_back(worker):
    """The counter moves in the registering transaction: a refused registration leaves no gap."""
    first = _register(worker)
    with pytest.raises(ApplicationError):
        _register(worker, consented_on=clock.today() + timedelta(days=1))
    assert _number(_register(worker)) == _number(first) + 1


def test_each_year_has_its_own_counter(worker):
    """A case opened (as of) another year takes that year's numbers."""
    with clock.as_of(date(2019, 3, 1)):
        old = _register(worker)
    assert old.reference.startswith("2019-")
    assert CaseReferenceCounter.objects.filter(year=2019).exists()
