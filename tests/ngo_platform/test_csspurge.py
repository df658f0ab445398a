"""The pages' part of Pico (ngo_platform/csspurge.py): the committed file is current, the
parser reads Pico back exactly, and a selector is dropped only when no page can match it."""

from __future__ import annotations

import pytest

from ngo_platform import csspurge

WORDS = frozenset({"a", "button", "input", "secondary", "type", "submit", "role", "aria-invalid"})


def test_committed_stylesheet_is_what_the_templates_need():
    """Regenerating gives the committed file byte for byte: a template that starts using a
    Pico class (or stops) makes this fail until `make css` is run."""
    assert csspurge.TARGET.read_text(encoding="utf-8") == csspurge.build()


def test_parser_reads_pico_back_exactly():
    source = csspurge.SOURCE.read_text(encoding="utf-8")
    statements, rules = csspurge.parse(source)
    assert csspurge.render(statements, rules) == source.rstrip("\n") + "\n"
    assert len(list(csspurge._walk(rules))) > 300


@pytest.mark.parametrize(
    ("selector", "kept"),
    [
        ("button.secondary", True),
        ("a:hover", True),
        ("[type=submit]", True),
        ('[type="submit"]:focus-visible', True),
        ("input:not([type=range])", True),  # :not() of something absent still matches
        ("[aria-invalid=true]", False),  # "true" is not a word of the pages here
        ("dialog", False),
        ("[type=range]::-webkit-slider-thumb", False),
        ("button.contrast", False),
        (":where(dialog,button)", True),
        (":is(dialog,progress) > a", False),
        ("article > header", False),
        (":root:not([data-theme])", False),  # every page has data-theme="light"
        ("[data-theme=dark] a", False),
        (":root", True),
        ("*,::after,::before", True),
    ],
)
def test_selector_judging(selector, kept):
    assert all(csspurge.selector_can_match(s, WORDS) for s in csspurge.split_top(selector)) is kept


def test_rules_keep_only_matching_selectors_and_read_variables():
    css = (
        ":root{--pico-a:1px;--pico-b:var(--pico-c);--pico-c:2px;--pico-unused:3px}"
        "dialog{border:var(--pico-unused)}"
        "button,dialog{margin:var(--pico-b)}"
        "@media (min-width:576px){dialog{padding:0}a{padding:var(--pico-a)}}"
    )
    statements, rules = csspurge.parse(css)
    rules = csspurge.purge_rules(rules, WORDS)
    rules = csspurge.drop_unused_properties(rules, csspurge.used_properties(rules, ""))
    assert csspurge.render(statements, rules) == (
        ":root{--pico-a:1px;--pico-b:var(--pico-c);--pico-c:2px}"
        "button{margin:var(--pico-b)}"
        "@media (min-width:576px){a{padding:var(--pico-a)}}\n"
    )


def test_pages_keep_what_they_use_and_lose_what_they_do_not():
    """Spot checks on the real file: the styles of buttons, invalid fields, `details` menus and
    secondary buttons are there; modals, range sliders, tooltips and the dark theme are not."""
    purged = csspurge.TARGET.read_text(encoding="utf-8")
    _statements, rules = csspurge.parse(purged)
    selectors = {s for rule in csspurge._walk(rules) for s in csspurge.split_top(rule.prelude)}
    assert {"button", "details summary", "textarea"} <= selectors
    assert any(".secondary" in s for s in selectors)
    assert any("[aria-invalid=true]" in s for s in selectors)
    assert not any(s.startswith(("dialog", "[data-tooltip]", "[type=range]")) for s in selectors)
    assert "prefers-color-scheme:dark" not in purged
    assert "Copyright 2019-2025" in purged  # Pico's licence comment stays
    assert len(purged) < 0.7 * csspurge.SOURCE.stat().st_size
