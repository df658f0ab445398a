"""Requests at the same moment, over real HTTP against a live server on real PostgreSQL.

Registrations saved together each get their own case and reference (none fails), and a form
sent twice (a double tap on "Save" on a slow connection) writes once and sends both requests to
the same result. The server is pytest-django's `LiveServer`, started as tests/browser/conftest.py
does (without `transactional_db`, whose flush would wipe the session NGOs); what the tests
commit is removed afterwards.
"""

from __future__ import annotations

import http.client
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.db.models import Max
from django_tenants.utils import schema_context

from casework import services
from casework.models import (
    Case,
    CaseReferenceCounter,
    Child,
    FollowUp,
    FormSubmission,
    Household,
    Note,
)
from core import clock

REFERENCE = re.compile(r"^\d{4}-\d{5}$")
SIMULTANEOUS = 6


@dataclass
class HttpSession:
    """One signed-in browser: its own cookies, talking to 127.0.0.1 with the NGO's Host."""

    port: int
    host: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, data: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {
            "Host": f"{self.host}:{self.port}",
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
        }
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
        finally:
            conn.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location", ""), text

    def get_form(self, path: str) -> dict[str, str]:
        """GET a page; the hidden fields of its main form (CSRF and form token)."""
        status, _location, text = self.request("GET", path)
        assert status == 200, (path, status)
        hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', text))
        assert "csrfmiddlewaretoken" in hidden, path
        return hidden

    def post(self, path: str, data: dict):
        return self.request("POST", path, data)


def _signed_in(schema: str, user) -> str:
    """A session key for `user` in the NGO's schema (no password hash per session)."""
    with schema_context(schema):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key


@dataclass
class Server:
    port: int
    host: str
    schema: str

    def session(self, user) -> HttpSession:
        return HttpSession(self.port, self.host, {"sessionid": _signed_in(self.schema, user)})

    def run(self, fn: Callable):
        """`fn()` in the NGO's schema, committed (the server's threads see it)."""
        try:
            with schema_context(self.schema):
                return fn()
        finally:
            connection.set_schema_to_public()


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, ngo_a, team_a) -> Iterator[Server]:
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        live = LiveServer("127.0.0.1:0")
    # Joined when the server stops, so no request thread is still connected afterwards.
    live.thread.httpd.daemon_threads = False
    yield Server(live.thread.port, ngo_a.host, ngo_a.ngo.schema_name)
    live.stop()


@pytest.fixture
def site(server, django_db_blocker) -> Iterator[Server]:
    """The server, with database access open while the test runs (its threads need it); the
    cases, children, households and year counters the test wrote are put back afterwards."""
    with django_db_blocker.unblock():

        def high_water() -> tuple:
            tops = tuple(
                model.objects.aggregate(top=Max("pk"))["top"] or 0
                for model in (Case, Child, Household)
            )
            return tops, list(CaseReferenceCounter.objects.values_list("year", "last_number"))

        (case_top, child_top, household_top), counters = server.run(high_water)
        yield server

        def clean() -> None:
            Case.objects.filter(pk__gt=case_top).delete()
            Child.objects.filter(pk__gt=child_top).delete()
            Household.objects.filter(pk__gt=household_top).delete()
            CaseReferenceCounter.objects.all().delete()
            CaseReferenceCounter.objects.bulk_create(
                CaseReferenceCounter(year=year, last_number=number) for year, number in counters
            )

        server.run(clean)
        connection.close()


def _simultaneously(calls: list[Callable]) -> list:
    """Run the calls in threads released together; their results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call: Callable) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # reported by the test's asserts
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _wizard_to_review(browser: HttpSession, full_name: str) -> dict[str, str]:
    """Fill the registration wizard up to its review page; the review form's hidden fields."""
    hidden = browser.get_form("/register/?new=1")
    child = {
        "full_name": full_name,
        "sex": "female",
        "birth_year": str(clock.today().year - 12),
        "birth_year_estimated": "on",
        "school_status": "dropped_out",
        "case_type": "child_labour",
    }
    status, location, _text = browser.post("/register/", {**child, **hidden})
    assert (status, location) == (302, "/register/household/")
    hidden = browser.get_form("/register/household/")
    household = {
        "guardian_name": "Ibu " + full_name.split()[-1],
        "guardian_relationship": "mother",
        "member_count": "4",
        "monthly_income_band": "lt_1m",
    }
    status, location, _text = browser.post("/register/household/", {**household, **hidden})
    assert (status, location) == (302, "/register/consent/")
    hidden = browser.get_form("/register/consent/")
    status, location, _text = browser.post("/register/consent/", {"skip": "1", **hidden})
    assert (status, location) == (302, "/register/review/")
    return browser.get_form("/register/review/")


def _case_id(location: str) -> int:
    match = re.fullmatch(r"/cases/(\d+)/", location)
    assert match, location
    return int(match.group(1))


def test_simultaneous_registrations_each_get_a_case_and_a_reference(site, team_a):
    """Six registrations saved at the same moment: six cases, six distinct references in the
    YYYY-NNNNN format, no error."""
    worker = team_a["worker"].user
    browsers = [site.session(worker) for _ in range(SIMULTANEOUS)]
    names = [f"Serentak {uuid.uuid4().hex[:6]} Anak{i}" for i in range(SIMULTANEOUS)]
    forms = [_wizard_to_review(b, name) for b, name in zip(browsers, names, strict=True)]

    results = _simultaneously(
        [
            (lambda b=b, f=f: b.post("/register/review/", f))
            for b, f in zip(browsers, forms, strict=True)
        ]
    )

    assert [r if isinstance(r, Exception) else r[0] for r in results] == [302] * SIMULTANEOUS
    case_ids = [_case_id(location) for _status, location, _text in results]
    rows = site.run(
        lambda: list(
            Case.objects.filter(child__full_name__in=names).values_list(
                "pk", "reference", "child__full_name"
            )
        )
    )
    assert sorted(pk for pk, _ref, _name in rows) == sorted(case_ids)
    assert sorted(name for _pk, _ref, name in rows) == sorted(names)
    references = [reference for _pk, reference, _name in rows]
    assert len(set(references)) == SIMULTANEOUS
    year = str(clock.today().year)
    assert all(REFERENCE.match(r) and r.startswith(year + "-") for r in references), references


def test_registration_sent_twice_at_once_opens_one_case(site, team_a):
    """A double tap on "Save the registration": both requests land on the same new case."""
    browser = site.session(team_a["worker"].user)
    name = f"Ganda {uuid.uuid4().hex[:6]} Rahayu"
    form = _wizard_to_review(browser, name)
    assert uuid.UUID(form["form_token"])

    results = _simultaneously([lambda: browser.post("/register/review/", form)] * 2)

    assert [r if isinstance(r, Exception) else r[0] for r in results] == [302, 302]
    assert results[0][1] == results[1][1]
    cases = site.run(lambda: list(Case.objects.filter(child__full_name=name).values_list("pk")))
    assert cases == [(_case_id(results[0][1]),)]


def test_registration_sent_again_after_saving_goes_to_the_same_case(site, team_a):
    """The same registration form sent again later (a retry) shows the case already opened."""
    browser = site.session(team_a["worker"].user)
    name = f"Ulang {uuid.uuid4().hex[:6]} Rahayu"
    form = _wizard_to_review(browser, name)

    first = browser.post("/register/review/", form)
    again = browser.post("/register/review/", form)

    assert first[:2] == again[:2]
    assert first[0] == 302
    count = site.run(lambda: Case.objects.filter(child__full_name=name).count())
    assert count == 1


def test_case_form_sent_twice_at_once_writes_once(site, team_a):
    """A note sent twice at the same moment with the same form token is written once; both
    requests go back to the case."""
    worker = team_a["worker"].user

    def register() -> Case:
        household = services.HouseholdInput(guardian_name="Ibu Sari", guardian_relationship="ibu")
        child = services.ChildInput(
            full_name=f"Catatan {uuid.uuid4().hex[:6]}",
            sex="male",
            school_status="in_school",
            birth_year=clock.today().year - 11,
        )
        return services.child_register(actor=worker, child=child, household=household)

    case = site.run(register)
    browser = site.session(worker)
    path = f"/cases/{case.pk}/note/"
    form = browser.get_form(path)
    assert uuid.UUID(form["form_token"])
    data = {**form, "body": "Bertemu ibu di rumah."}

    results = _simultaneously([lambda: browser.post(path, data)] * 2)
    later = browser.post(path, data)

    expected = (302, f"/cases/{case.pk}/")
    assert [r if isinstance(r, Exception) else r[:2] for r in results] == [expected] * 2
    assert later[:2] == expected
    assert site.run(lambda: Note.objects.filter(case_id=case.pk).count()) == 1
    assert site.run(lambda: FormSubmission.objects.filter(token=form["form_token"]).count()) == 1


def test_a_refused_form_can_be_corrected_and_sent_with_the_same_token(site, team_a):
    """A submission the service refuses does not use up its token: the corrected form, sent
    with the same token, is saved once."""
    worker, supervisor = team_a["worker"].user, team_a["supervisor"].user

    def register() -> Case:
        household = services.HouseholdInput(guardian_name="Ibu Wati", guardian_relationship="ibu")
        child = services.ChildInput(
            full_name=f"Koreksi {uuid.uuid4().hex[:6]}",
            sex="female",
            school_status="in_school",
            birth_year=clock.today().year - 10,
        )
        case = services.child_register(actor=worker, child=child, household=household)
        # A case whose worker has left: a visit needs a worker chosen (the service says so).
        Case.objects.filter(pk=case.pk).update(assigned_worker=None)
        return case

    case = site.run(register)
    browser = site.session(supervisor)
    path = f"/cases/{case.pk}/followup/"
    form = {**browser.get_form(path), "kind": "visit", "purpose": "Kunjungan rumah"}

    # No worker chosen and none on the case: the service refuses, after the token was claimed.
    # (The M&E officer, who cannot hold visits, is no longer offered by the picker at all.)
    refused = browser.post(path, {**form, "assigned_worker": ""})
    saved = browser.post(path, {**form, "assigned_worker": str(worker.pk)})
    again = browser.post(path, {**form, "assigned_worker": str(worker.pk)})

    assert refused[0] == 400
    assert "The case has no worker; choose one." in refused[2]
    assert saved[:2] == again[:2] == (302, f"/cases/{case.pk}/")
    followups = site.run(
        lambda: list(FollowUp.objects.filter(case_id=case.pk).values_list("assigned_worker_id"))
    )
    assert followups == [(worker.pk,)]
