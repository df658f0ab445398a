"""Browser tests: Debian's chromium driven by Playwright against a live server on real PostgreSQL.

How the pieces fit:

- The live server is pytest-django's own `LiveServer` (a `LiveServerThread` that serves static
  files through `StaticFilesHandler`, i.e. from the finders, uncompressed), started here rather
  than through the `live_server` fixture: that fixture pulls in `transactional_db`, whose flush
  would wipe the committed session NGOs. The server's threads open their own connections, so
  they see only committed data: the session fixtures (`ngo_a`, `team_a`) and whatever a test
  writes through services (`casework_data`, outside any transaction) or through the UI.
- Database access stays unblocked for the whole of a browser test (`_db_unblocked`), because the
  server thread handles the browser's requests while the test runs. Cases, children and
  households a test creates are deleted afterwards (audit events are append-only and stay).
- Playwright's sync API keeps an asyncio event loop running in the main thread, which makes
  Django refuse ORM calls there ("You cannot call this from an async context"). While the browser
  runs, `DJANGO_ALLOW_ASYNC_UNSAFE` is set (nothing else runs on that idle loop), and the browser
  and server are stopped right after the last browser test, so the rest of the suite runs
  without either.
- A failing test leaves a screenshot of each of its pages in `test-results/browser/`.
  `TERPADU_BROWSER_SCREENSHOTS=1` also saves every checked page there, to look at the layout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.casework import conftest as casework_conftest

# The staff of NGO A (admin-a, supervisor-a, worker-a, worker-a2, me-a), committed once.
team_a = casework_conftest.team_a

BROWSER_DIR = Path(__file__).resolve().parent
REPO_DIR = BROWSER_DIR.parent.parent
RESULTS_DIR = REPO_DIR / "test-results" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 360, "height": 740}
DEFAULT_TIMEOUT_MS = 10_000

REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
RUNNING = pytest.StashKey[list[Callable[[], None]]]()
PAGE_WEIGHTS = pytest.StashKey[list[tuple[str, int, int]]]()
SIGNED_IN = pytest.StashKey[dict[str, dict]]()


# --- Reports, screenshots, summary ---------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item, so fixtures can tell in teardown that it failed."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


def _failed(item: pytest.Item) -> bool:
    reports = item.stash.get(REPORTS, {})
    return any(report.failed for report in reports.values())


def screenshot_name(item: pytest.Item, suffix: str = "") -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.name).strip("-")
    return RESULTS_DIR / f"{name}{suffix}.png"


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last browser test (and its fixtures' teardown), stop the browser and the server
    (see the module docstring)."""
    if nextitem is not None and Path(nextitem.path).is_relative_to(BROWSER_DIR):
        return
    for stop in reversed(item.config.stash.get(RUNNING, [])):
        stop()
    item.config.stash[RUNNING] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    weights = config.stash.get(PAGE_WEIGHTS, [])
    if not weights:
        return
    terminalreporter.section("browser page weights (first load, no cache)")
    for label, body_bytes, transfer_bytes in weights:
        terminalreporter.write_line(
            f"{label}: {body_bytes / 1000:.1f} kB of response bodies, "
            f"{transfer_bytes / 1000:.1f} kB transferred (Performance API)"
        )


@pytest.fixture
def record_page_weight(request) -> Callable[[str, int, int], None]:
    def record(label: str, body_bytes: int, transfer_bytes: int) -> None:
        request.config.stash.setdefault(PAGE_WEIGHTS, []).append(
            (label, body_bytes, transfer_bytes)
        )
        print(f"page weight {label}: {body_bytes} B bodies, {transfer_bytes} B transferred")

    return record


# --- Chromium ------------------------------------------------------------------------------------


def _loud(config: pytest.Config, message: str) -> None:
    """Say it on the terminal even with output captured, and as a warning in the summary."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_line(f"!!! {message}", red=True, bold=True)
    warnings.warn(message, pytest.PytestWarning, stacklevel=2)


def _find_chromium() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _apt_install_chromium() -> str:
    """Try `apt-get install chromium`; returns what went wrong, or '' on success."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return "not root, cannot run apt-get install"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        try:
            result = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=900, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"{' '.join(command)} failed: {error}"
        if result.returncode != 0:
            return f"{' '.join(command)} exited {result.returncode}: {result.stderr[-500:]}"
    return ""


@pytest.fixture(scope="session")
def chromium_path(request) -> str:
    """Debian's chromium (Playwright cannot download browsers here); installed if missing."""
    path = _find_chromium()
    if path is None:
        _loud(request.config, "chromium not found: trying `apt-get install -y chromium`")
        problem = _apt_install_chromium()
        path = _find_chromium()
        if path is None:
            message = (
                "BROWSER TESTS SKIPPED: no chromium at /usr/bin/chromium and installing it "
                f"failed ({problem or 'no executable after install'}). "
                "Install Debian's `chromium` package or set CHROMIUM_PATH."
            )
            _loud(request.config, message)
            pytest.skip(message)
    return path


# --- Server and browser --------------------------------------------------------------------------


@dataclass
class Site:
    """The live server as one NGO's host: `url("/cases/")`."""

    host: str
    port: int
    schema: str
    team: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path


@pytest.fixture(scope="session")
def browser_server(request, django_db_setup, django_db_blocker, ngo_a, team_a):
    """pytest-django's LiveServer on 127.0.0.1, without `transactional_db`.

    Depends on the committed session data so that it exists before the browser starts.
    """
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        server = LiveServer("127.0.0.1:0")
    # Request threads keep their database connection (CONN_MAX_AGE) until the browser drops the
    # keep-alive socket. Non-daemon threads are joined when the server stops (after the browser
    # closed), so none is still connected when the test database is dropped.
    server.thread.httpd.daemon_threads = False
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            server.stop()

    request.config.stash.setdefault(RUNNING, []).append(stop)
    yield Site(host=ngo_a.host, port=server.thread.port, schema=ngo_a.ngo.schema_name, team=team_a)
    stop()


@pytest.fixture(scope="session")
def browser(request, chromium_path, browser_server):
    """One chromium for all browser tests, stopped after the last of them."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if stopped:
            return
        stopped = True
        try:
            launched.close()
        finally:
            playwright.stop()
            if previous is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous

    try:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    request.config.stash.setdefault(RUNNING, []).append(stop)
    yield launched
    stop()


@pytest.fixture(autouse=True)
def _db_unblocked(django_db_blocker) -> Iterator[None]:
    """The live server's threads reach the database while the test runs."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def site(browser_server, browser) -> Site:
    """The NGO's live server; each test starts with no staff member's language stored (the
    database outlives tests: one that chose English must not make the next one English)."""
    from django_tenants.utils import schema_context

    from casework.models import StaffProfile

    with schema_context(browser_server.schema):
        StaffProfile.objects.exclude(language="").update(language="")
    return browser_server


def _signed_in_state(config: pytest.Config, browser, site: Site, username: str) -> dict:
    """Cookies of a session for `username`, logged in once through the login page and reused
    (each login costs a slow password hash). Tests about logging in log in themselves."""
    from tests.support import ADMIN_PASSWORD

    states = config.stash.setdefault(SIGNED_IN, {})
    if username not in states:
        context = browser.new_context(viewport=VIEWPORT, base_url=site.base_url)
        try:
            page = context.new_page()
            page.goto("/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", ADMIN_PASSWORD)
            with page.expect_navigation():
                page.locator("main form button[type=submit]").click()
            assert page.url == site.url("/"), f"{username} could not log in"
            state = context.storage_state()
            # Only the session: the login also sets the account's stored language, and each
            # test chooses its language itself (the browser's locale, or the header's switch).
            state["cookies"] = [
                cookie for cookie in state["cookies"] if cookie["name"] != "terpadu_language"
            ]
            states[username] = state
        finally:
            context.close()
    return states[username]


@pytest.fixture
def new_page(request, browser, site):
    """`new_page(locale="id-ID", user=None)`: a page in a fresh context (no cache), 360x740;
    with `user`, already logged in as that staff member.

    On failure every page the test opened is saved as test-results/browser/<test>[-n].png.
    """
    contexts = []
    pages = []

    def make(locale: str = "id-ID", storage_state=None, user: str | None = None):
        if user is not None:
            storage_state = _signed_in_state(request.config, browser, site, user)
        context = browser.new_context(
            viewport=VIEWPORT,
            locale=locale,
            storage_state=storage_state,
            base_url=site.base_url,
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield make
    if _failed(request.node):
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        for index, page in enumerate(pages):
            if page.is_closed():
                continue
            target = screenshot_name(request.node, f"-{index + 1}" if index else "")
            try:
                page.screenshot(path=str(target), full_page=True)
            except Exception as error:  # a crashed page must not hide the test's own failure
                warnings.warn(
                    f"no screenshot {target}: {error}", pytest.PytestWarning, stacklevel=1
                )
            else:
                print(f"screenshot: {target}")
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A page in Bahasa Indonesia (the browser's locale id-ID, the site's default)."""
    return new_page("id-ID")


# --- Data ----------------------------------------------------------------------------------------


@pytest.fixture
def casework_data(site) -> Iterator[Callable]:
    """`casework_data(fn)` runs `fn()` in the NGO's schema (committed: the server sees it).

    Cases, children and households created during the test (by services or through the UI)
    are deleted at the end, and the year's reference counter is put back, so later tests in the
    session see the NGO as it was.
    """
    from django.db import connection
    from django.db.models import Max
    from django_tenants.utils import schema_context

    from casework.models import Case, CaseReferenceCounter, Child, Household

    def run(fn: Callable):
        try:
            with schema_context(site.schema):
                return fn()
        finally:
            connection.set_schema_to_public()
            # Django keeps connections per context; under Playwright's event loop this is not
            # the thread's usual one, and nothing else would close it before the test database
            # is dropped.
            connection.close()

    def high_water() -> tuple[int, int, int]:
        return tuple(
            model.objects.aggregate(top=Max("pk"))["top"] or 0 for model in (Case, Child, Household)
        )

    case_top, child_top, household_top = run(high_water)
    counters = run(lambda: list(CaseReferenceCounter.objects.values_list("year", "last_number")))
    yield run

    def clean() -> None:
        Case.objects.filter(pk__gt=case_top).delete()
        Child.objects.filter(pk__gt=child_top).delete()
        Household.objects.filter(pk__gt=household_top).delete()
        # The references given out go back too, as if the deleted cases had never been opened.
        CaseReferenceCounter.objects.all().delete()
        CaseReferenceCounter.objects.bulk_create(
            CaseReferenceCounter(year=year, last_number=number) for year, number in counters
        )

    run(clean)
