"""Page load on a slow phone connection: the NGO pages in Chromium with Fast 3G and a 4x slower
CPU, against a running `make run` server (its static files as production serves them).

What it does, `--runs` times each (fresh browser contexts, 360x740, Bahasa Indonesia):

1. **First login page**: a context with an empty cache opens `/accounts/login/` (its CSS comes
   inside the page on a first visit, see ngo_platform/templatetags/terpadu_static.py). Time = the
   navigation's `loadEventEnd` (Navigation Timing, from the start of the navigation), bytes =
   every response's `encodedDataLength` (CDP `Network.loadingFinished`: headers and compressed
   body as they crossed the wire), the favicon included when the browser asked for it.
2. **Login**: the worker signs in (not timed: the password hash is the server's work).
3. **Cached pages**: in the same context, the home page right after login, the case list's first
   visit (it also fetches htmx), then the home page, the case list and a case page again with
   every static file cached; the same two figures for each.
4. **First home page**: a new context with only the session cookie (nothing cached, no CSS
   cookie) opens `/`.

Throttling through the Chrome DevTools Protocol, as DevTools' "Fast 3G" preset:
`Network.emulateNetworkConditions` latency 562.5 ms, download 1.44 Mbit/s (180,000 B/s), upload
675 kbit/s; `Emulation.setCPUThrottlingRate` rate 4. Targets (issue 9): first login page
<= 1.2 s, a cached page <= 0.8 s, first-load transfer <= 40 KB. Figures only, no asserts.

Repeat: start `make run` (or `python -m ngo_platform.devserver --port 8000`), then

    .venv/bin/python bench/pages.py --base-url http://yayasan-harapan.localhost:8000

Options: `--username`, `--password` (a demo case worker by default), `--runs N` (default 5),
`--cpu-slowdown N` (default 4), `--chromium PATH`. Figures from a run are in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
VIEWPORT = {"width": 360, "height": 740}
FAST_3G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 1.44 * 1000 * 1000 / 8,
    "uploadThroughput": 675 * 1000 / 8,
}
CPU_SLOWDOWN = 4
KNOBS = {"cpu_slowdown": CPU_SLOWDOWN}  # --cpu-slowdown sets it for the whole run
TARGETS = {"first_login_s": 1.2, "cached_page_s": 0.8, "first_load_kb": 40.0}


@dataclass
class Load:
    seconds: float
    bytes: int
    requests: int


@dataclass
class Figures:
    loads: dict[str, list[Load]] = field(default_factory=dict)

    def add(self, label: str, load: Load) -> None:
        self.loads.setdefault(label, []).append(load)


def _throttled_page(context):
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    cdp.send("Network.emulateNetworkConditions", FAST_3G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": KNOBS["cpu_slowdown"]})
    sizes: dict[str, int] = {}
    cdp.on(
        "Network.loadingFinished",
        lambda event: sizes.__setitem__(event["requestId"], int(event["encodedDataLength"])),
    )
    return page, sizes


def _load(page, sizes: dict[str, int], url: str) -> Load:
    sizes.clear()
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")  # the favicon, asked for after load
    seconds = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return (n.loadEventEnd - n.startTime) / 1000; }"
    )
    return Load(seconds=seconds, bytes=sum(sizes.values()), requests=len(sizes))


def run_once(browser, base_url: str, username: str, password: str, figures: Figures) -> None:
    context = browser.new_context(viewport=VIEWPORT, locale="id-ID", base_url=base_url)
    try:
        page, sizes = _throttled_page(context)
        figures.add("first login page (empty cache)", _load(page, sizes, "/accounts/login/"))
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        if page.url.rstrip("/") != base_url.rstrip("/"):
            raise SystemExit(f"login failed for {username}: ended on {page.url}")
        figures.add("home after login (CSS cached)", _load(page, sizes, "/"))
        # The case list's first visit also fetches htmx (the only page script).
        figures.add("case list, first visit (htmx)", _load(page, sizes, "/cases/"))
        case_link = page.locator("#results a[href^='/cases/']").first
        case_url = case_link.get_attribute("href") if case_link.count() else None
        for path in ("/", "/cases/", case_url):
            if path:
                label = {"/": "home page", "/cases/": "case list"}.get(path, "case page")
                figures.add(f"{label} (cached static)", _load(page, sizes, path))
        state = context.storage_state()
    finally:
        context.close()
    # A new browser with the session only: neither the cache nor the CSS cookie.
    state["cookies"] = [cookie for cookie in state["cookies"] if cookie["name"] != "terpadu_css"]
    cold = browser.new_context(
        viewport=VIEWPORT, locale="id-ID", base_url=base_url, storage_state=state
    )
    try:
        page, sizes = _throttled_page(cold)
        figures.add("first home page (empty cache)", _load(page, sizes, "/"))
    finally:
        cold.close()


def _git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - the developer's git
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return "?"


def report(figures: Figures, runs: int) -> None:
    print(f"\nFast 3G (562.5 ms, 1.44 Mbit/s), CPU x{KNOBS['cpu_slowdown']}, 360x740, {runs} runs")
    print(f"{'page':<34} {'load median':>11} {'max':>7} {'transfer':>9} {'requests':>8}")
    for label, loads in figures.loads.items():
        seconds = [load.seconds for load in loads]
        kilobytes = statistics.median(load.bytes for load in loads) / 1000
        requests = statistics.median(load.requests for load in loads)
        print(
            f"{label:<34} {statistics.median(seconds):>10.3f}s {max(seconds):>6.3f}s"
            f" {kilobytes:>7.1f}KB {requests:>8.0f}"
        )
    first = [load.seconds for load in figures.loads["first login page (empty cache)"]]
    cached = [
        load.seconds
        for label, loads in figures.loads.items()
        if "cached static" in label
        for load in loads
    ]
    first_kb = [
        load.bytes / 1000
        for label, loads in figures.loads.items()
        if "empty cache" in label
        for load in loads
    ]
    checks = {
        "first_login_s": statistics.median(first),
        "cached_page_s": max(statistics.median(loads) for loads in _by_label(figures, "cached")),
        "first_load_kb": max(first_kb),
    }
    print()
    for key, value in checks.items():
        verdict = "MET" if value <= TARGETS[key] else "MISSED"
        print(f"{key}={value:.3f} target<={TARGETS[key]} {verdict}")
    print(f"cached_page_s_max_single={max(cached):.3f}")
    print(f"commit={_git_commit()} python={platform.python_version()} cpus={os.cpu_count()}")


def _by_label(figures: Figures, word: str) -> list[list[float]]:
    return [
        [load.seconds for load in loads] for label, loads in figures.loads.items() if word in label
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://yayasan-harapan.localhost:8000")
    parser.add_argument("--username", default="pekerja1@yayasan-harapan.test")
    parser.add_argument("--password", default="terpadu-demo-2026")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cpu-slowdown", type=int, default=CPU_SLOWDOWN)
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    options = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    KNOBS["cpu_slowdown"] = options.cpu_slowdown

    figures = Figures()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=options.chromium, args=CHROMIUM_ARGS)
        try:
            for number in range(options.runs):
                run_once(browser, options.base_url, options.username, options.password, figures)
                print(f"run {number + 1}/{options.runs} done", flush=True)
        finally:
            browser.close()
    report(figures, options.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
