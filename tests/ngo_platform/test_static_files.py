"""Static files on a slow connection: `make run` serves them as production does (hashed names,
gzip, a year's cache lifetime), and the favicon every browser asks for exists."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ngo_platform import devserver
from tests.support import host_client

REPO = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter with the make-run profile's variables: collect, then fetch.
PROBE = """
import json, django
django.setup()
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client
call_command("collectstatic", interactive=False, verbosity=0)
client = Client(HTTP_HOST="localhost")
out = {}
for name in ("vendor/pico-2.1.1.terpadu.min.css", "vendor/htmx-2.0.11.min.js", "css/terpadu.css"):
    url = static(name)
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    out[name] = {
        "url": url,
        "status": response.status_code,
        "encoding": response.get("Content-Encoding"),
        "cache": response.get("Cache-Control"),
        "bytes": len(body),
    }
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def make_run_static(tmp_path_factory):
    """What `make run`'s server sends for the vendored files (STATIC_MANIFEST=1 as the
    devserver sets it, DEBUG=1, after collectstatic into a fresh STATIC_ROOT)."""
    static_root = tmp_path_factory.mktemp("static")
    env = {
        **os.environ,
        "DEBUG": "1",
        "STATIC_MANIFEST": "1",
        "STATIC_ROOT": str(static_root),
        "DJANGO_SETTINGS_MODULE": "ngo_platform.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "name", ["vendor/pico-2.1.1.terpadu.min.css", "vendor/htmx-2.0.11.min.js", "css/terpadu.css"]
)
def test_make_run_serves_hashed_gzipped_files_cached_for_a_year(make_run_static, name):
    """Each file goes out under a hashed name, gzip-compressed, `max-age` of ten years and
    immutable (whitenoise's manifest storage), never as the 83 KB / 52 KB originals."""
    served = make_run_static[name]
    stem = Path(name).name.split(".")[0]
    assert served["url"].startswith(f"/static/{Path(name).parent}/{stem}.")
    assert served["url"] != f"/static/{name}"  # the hashed copy
    assert served["status"] == 200
    assert served["encoding"] == "gzip"
    assert served["cache"] == "max-age=315360000, public, immutable"


def test_make_run_pico_and_htmx_travel_compressed(make_run_static):
    """Pico (83,319 bytes; the pages' part of it is smaller, ngo_platform/csspurge.py) and htmx
    (52,182 bytes) are sent in less than a fifth and a third of that."""
    assert make_run_static["vendor/pico-2.1.1.terpadu.min.css"]["bytes"] < 83_319 // 5
    assert make_run_static["vendor/htmx-2.0.11.min.js"]["bytes"] < 52_182 // 3


def test_devserver_collects_static_and_leaves_serving_to_whitenoise():
    """The devserver sets STATIC_MANIFEST=1, runs collectstatic before serving and starts
    runserver with --nostatic (its own handler would send uncompressed, uncached files)."""
    tree = ast.parse(Path(devserver.__file__).read_text())
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    assert {"STATIC_MANIFEST", "collectstatic", "--nostatic", "runserver"} <= strings
    source = Path(devserver.__file__).read_text()
    assert 'env.setdefault("STATIC_MANIFEST", "1")' in source
    assert source.index('"collectstatic"') < source.index('"runserver"')


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["localhost", "ngo_a"])
def test_favicon_is_served_on_every_host(request, host):
    """/favicon.ico answers 200 with an icon on the public site and on an NGO's host."""
    if host == "ngo_a":
        host = request.getfixturevalue("ngo_a").host
    response = host_client(host).get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO header


@pytest.mark.django_db
def test_pages_link_the_svg_favicon(ngo_a):
    """The login page names its icon, so no browser guesses at /favicon.ico."""
    html = host_client(ngo_a.host).get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html


@pytest.mark.django_db
def test_first_visit_gets_the_css_inline_and_later_pages_link_the_cached_files(ngo_a, settings):
    """With hashed static files, a browser without the `terpadu_css` cookie gets the CSS in
    the page plus prefetch links and a script that sets the cookie; with the cookie (the files
    are in its cache) the page links them and holds no CSS."""
    from ngo_platform.templatetags import terpadu_static

    settings.STATIC_MANIFEST = True
    client = host_client(ngo_a.host)
    first = client.get("/accounts/login/").content.decode()
    assert first.count("<style>") == 1
    assert ".site-header" in first.split("<style>")[1].split("</style>")[0]
    assert (
        '<link rel="prefetch" href="/static/vendor/pico-2.1.1.terpadu.min.css" as="style">' in first
    )
    assert '<link rel="stylesheet"' not in first
    version = terpadu_static.version()
    assert f'document.cookie="terpadu_css={version}; max-age=31536000; path=/;' in first

    client.cookies["terpadu_css"] = version
    later = client.get("/accounts/login/").content.decode()
    assert "<style>" not in later
    assert '<link rel="stylesheet" href="/static/vendor/pico-2.1.1.terpadu.min.css">' in later
    assert '<link rel="stylesheet" href="/static/css/terpadu.css">' in later

    client.cookies["terpadu_css"] = "an-older-deploy"
    assert "<style>" in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_pages_are_gzipped_when_the_browser_accepts_it(ngo_a):
    """HTML goes out gzip-compressed to a browser that says it accepts gzip."""
    response = host_client(ngo_a.host).get("/accounts/login/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
