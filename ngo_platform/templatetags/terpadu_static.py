"""`{% stylesheets %}`: the site's CSS, inlined on a browser's first visit.

On a slow phone connection every round trip costs over half a second: a first visit that has
to fetch the HTML, then the stylesheets, takes two. So a browser without the `terpadu_css`
cookie gets the CSS inside the page (gzip makes it ~14 KB) and, once the page has loaded,
fetches the hashed files into its cache (`rel=prefetch`) and sets the cookie; every later page
links the cached files and costs one round trip. Only with hashed, immutable static files
(STATIC_MANIFEST): without them a cached copy could be stale.
"""

from __future__ import annotations

import hashlib
from functools import cache

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

STYLESHEETS = ("vendor/pico-2.1.1.terpadu.min.css", "css/terpadu.css")
COOKIE_NAME = "terpadu_css"
COOKIE_MAX_AGE = 60 * 60 * 24 * 365


def _urls() -> list[str]:
    return [static(name) for name in STYLESHEETS]


def version() -> str:
    """Names the current stylesheets (their hashed URLs): a new deploy inlines again."""
    return hashlib.sha256("|".join(_urls()).encode()).hexdigest()[:12]


@cache
def _inline_css(key: str) -> str:
    parts = []
    for name in STYLESHEETS:
        path = finders.find(name)
        if path is None:  # pragma: no cover - the files are in the repository
            raise FileNotFoundError(name)
        with open(path, encoding="utf-8") as handle:
            parts.append(handle.read())
    return "\n".join(parts)


def _links() -> SafeString:
    return format_html_join("\n", '<link rel="stylesheet" href="{}">', ((url,) for url in _urls()))


@register.simple_tag(takes_context=True)
def stylesheets(context) -> SafeString:
    request = context.get("request")
    current = version()
    if (
        not getattr(settings, "STATIC_MANIFEST", False)
        or request is None
        or request.COOKIES.get(COOKIE_NAME) == current
    ):
        return _links()
    cookie = f"{COOKIE_NAME}={current}; max-age={COOKIE_MAX_AGE}; path=/; samesite=lax"
    prefetch = format_html_join(
        "\n", '<link rel="prefetch" href="{}" as="style">', ((url,) for url in _urls())
    )
    # The CSS is the project's own files: nothing a user typed.
    style = mark_safe(f"<style>{_inline_css(current)}</style>")  # noqa: S308
    script = format_html(
        '<script>addEventListener("load",function(){{document.cookie="{}"}})</script>', cookie
    )
    return style + prefetch + script
