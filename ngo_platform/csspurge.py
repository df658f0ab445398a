"""Pico without the parts Terpadu never uses: a smaller stylesheet for slow phones.

Pico is 83 KB of CSS. On a throttled phone CPU, parsing it costs more than the round trip that
brings the page (bench/pages.py). Most of it styles things no page here has (modals, tooltips,
accordions, progress bars, a dark theme the pages never switch to). This module writes
`vendor/pico-2.1.1.terpadu.min.css`: Pico with every rule whose selector cannot match any page
left out, and every `--pico-*` variable that nothing reads left out.

How a selector is judged (the content scan PurgeCSS does): the words of every template, of the
project's Python and JavaScript, and of Django's form widgets (they write `type="date"`,
`aria-invalid` …) are collected; a selector is kept when each class, id, element, attribute and
`=` value it names is one of those words. `:not(...)` never narrows (its content may be absent);
`:is(...)`/`:where(...)`/`:has(...)` keep when one alternative can match. One page fact is built
in: every page's `<html>` carries `data-theme="light"`, so Pico's dark theme
(`:root:not([data-theme])` under `prefers-color-scheme: dark`, `[data-theme=dark]`) never applies.

The generated file is committed; a test regenerates it and fails when it differs, so a template
that starts using a Pico class tells you to run `make css`.

    python -m ngo_platform.csspurge          # rewrite the file
    python -m ngo_platform.csspurge --check  # exit 1 when it is stale
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "ngo_platform" / "static"
SOURCE = STATIC / "vendor" / "pico-2.1.1.min.css"
TARGET = STATIC / "vendor" / "pico-2.1.1.terpadu.min.css"
OWN_CSS = STATIC / "css" / "terpadu.css"
APP_DIRS = ("ngo_platform", "casework", "network", "tenants", "core", "demo")
NEVER_MATCH = (":root:not([data-theme])", ":host(:not([data-theme]))", "[data-theme=dark]")
ALWAYS = frozenset({"*", "html", "body", ":root", ":host"})
WORD = re.compile(r"[A-Za-z0-9_-]+")


_TAG = re.compile(r"<[A-Za-z!/][^>]*>")
_SCRIPT = re.compile(r"<script[^>]*>(.*?)</script>", re.DOTALL)
_STRING_TOKENS = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}


def _python_strings(text: str) -> Iterator[str]:
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING or token.type == getattr(
                tokenize, "FSTRING_MIDDLE", -1
            ):
                yield token.string
    except (tokenize.TokenError, SyntaxError):  # pragma: no cover - the project's own files
        yield text


def page_text(path: Path) -> str:
    """What of a file can end up in a page's markup: tags and scripts of templates, strings of
    Python (widget attributes, `format_html`), all of our JavaScript."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        return " ".join(_TAG.findall(text) + _SCRIPT.findall(text))
    if path.suffix == ".py":
        return " ".join(_python_strings(text))
    return text


def content_words(paths: Iterable[Path]) -> frozenset[str]:
    words: set[str] = set()
    for path in paths:
        words.update(WORD.findall(page_text(path)))
    return frozenset(words)


def content_files() -> Iterator[Path]:
    """Everything that can put a class, an element or an attribute on a page."""
    for name in APP_DIRS:
        base = ROOT / name
        if not base.is_dir():
            continue
        for pattern in ("*.html", "*.py", "*.js"):
            for path in base.rglob(pattern):
                if "migrations" not in path.parts and "vendor" not in path.parts:
                    yield path
    import django

    forms = Path(django.__file__).parent / "forms"
    yield forms / "widgets.py"
    yield forms / "boundfield.py"
    yield from forms.joinpath("templates").rglob("*.html")


# --- a minimal CSS reader: enough for minified Pico and our own file -------------------------


@dataclass
class Rule:
    prelude: str  # a selector list, or an at-rule such as "@media (...)"
    body: str = ""  # declarations, when the rule holds declarations
    children: list[Rule] = field(default_factory=list)  # nested rules (@media, @supports)

    @property
    def is_group(self) -> bool:
        return self.prelude.startswith(("@media", "@supports", "@layer", "@container"))


def _skip_string(text: str, index: int) -> int:
    quote = text[index]
    index += 1
    while index < len(text) and text[index] != quote:
        index += 2 if text[index] == "\\" else 1
    return index + 1


def _block_end(text: str, index: int) -> int:
    """`index` is just after a `{`: returns the index of its matching `}`."""
    depth = 1
    while index < len(text):
        char = text[index]
        if char in "\"'":
            index = _skip_string(text, index)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise ValueError("unbalanced braces")


def parse(text: str) -> tuple[list[str], list[Rule]]:
    """Statements ending in `;` at the top (`@charset`, `@import`) and rules."""
    statements: list[str] = []
    rules: list[Rule] = []
    index = 0
    start = 0
    while index < len(text):
        char = text[index]
        if char in "\"'":
            index = _skip_string(text, index)
            continue
        if text.startswith("/*", index):
            end = text.index("*/", index + 2) + 2
            if text.startswith("/*!", index):
                statements.append(text[index:end])
            index = start = end
            continue
        if char == ";":
            statements.append(text[start : index + 1].strip())
            index = start = index + 1
            continue
        if char == "{":
            prelude = text[start:index].strip()
            end = _block_end(text, index + 1)
            inner = text[index + 1 : end]
            rule = Rule(prelude=prelude)
            if rule.is_group:
                _nested_statements, rule.children = parse(inner)
            else:
                rule.body = inner
            rules.append(rule)
            index = start = end + 1
            continue
        index += 1
    return statements, rules


def split_top(text: str, separator: str = ",") -> list[str]:
    """Splits at `separator` outside parentheses, brackets and strings."""
    parts, depth, start, index = [], 0, 0, 0
    while index < len(text):
        char = text[index]
        if char in "\"'":
            index = _skip_string(text, index)
            continue
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
        index += 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


# --- judging selectors -------------------------------------------------------------------------

_FUNCTIONAL = re.compile(r"::?([a-zA-Z-]+)\(")
_ATTRIBUTE = re.compile(
    r"\[\s*([A-Za-z0-9_-]+)\s*(?:([~|^$*]?=)\s*(\"[^\"]*\"|'[^']*'|[^\]\s]+))?\s*[is]?\s*\]"
)
_PSEUDO = re.compile(r"::?[a-zA-Z-]+")
_NAMED = re.compile(r"([.#]?)(-?[A-Za-z_][A-Za-z0-9_-]*)")


def _closing_paren(text: str, index: int) -> int:
    depth = 1
    while index < len(text):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index
        elif text[index] in "\"'":
            index = _skip_string(text, index) - 1
        index += 1
    raise ValueError("unbalanced parentheses")


def selector_can_match(selector: str, words: frozenset[str]) -> bool:
    if any(marker in selector for marker in NEVER_MATCH):
        return False
    # Functional pseudo-classes first: judge their arguments, then take them out.
    while True:
        found = _FUNCTIONAL.search(selector)
        if not found:
            break
        name = found.group(1)
        end = _closing_paren(selector, found.end())
        argument = selector[found.end() : end]
        if name in ("is", "where", "has", "matches", "host") and not any(
            selector_can_match(option, words) for option in split_top(argument)
        ):
            return False
        # :not(), :nth-child(), :lang(), :dir() … never make a selector impossible here.
        selector = selector[: found.start()] + " " + selector[end + 1 :]
    for attribute in _ATTRIBUTE.finditer(selector):
        name, operator, value = attribute.groups()
        if name not in words:
            return False
        if operator == "=" and value is not None and value.strip("\"'") not in words:
            return False
    selector = _ATTRIBUTE.sub(" ", selector)
    selector = _PSEUDO.sub(" ", selector)
    for prefix, name in _NAMED.findall(selector):
        if name in ALWAYS:
            continue
        if name not in words:
            return False
        del prefix
    return True


def purge_rules(rules: list[Rule], words: frozenset[str]) -> list[Rule]:
    kept: list[Rule] = []
    for rule in rules:
        if rule.is_group:
            children = purge_rules(rule.children, words)
            if children:
                kept.append(Rule(rule.prelude, children=children))
        elif rule.prelude.startswith("@"):
            kept.append(rule)  # @keyframes, @font-face …: small, kept whole
        else:
            selectors = [s for s in split_top(rule.prelude) if selector_can_match(s, words)]
            if selectors:
                kept.append(Rule(",".join(selectors), body=rule.body))
    return kept


# --- unused custom properties ------------------------------------------------------------------

_VAR_USE = re.compile(r"var\(\s*(--[A-Za-z0-9_-]+)")


def _declarations(body: str) -> list[tuple[str, str]]:
    pairs = []
    for declaration in split_top(body, ";"):
        name, _, value = declaration.partition(":")
        pairs.append((name.strip(), value))
    return pairs


def _walk(rules: list[Rule]) -> Iterator[Rule]:
    for rule in rules:
        if rule.is_group:
            yield from _walk(rule.children)
        else:
            yield rule


def used_properties(rules: list[Rule], extra_text: str) -> set[str]:
    """Custom properties something reads: ordinary declarations, then what those read, …"""
    definitions: dict[str, list[str]] = {}
    used: set[str] = set(_VAR_USE.findall(extra_text))
    for rule in _walk(rules):
        if rule.prelude.startswith("@"):
            used.update(_VAR_USE.findall(rule.body))
            continue
        for name, value in _declarations(rule.body):
            if name.startswith("--"):
                definitions.setdefault(name, []).append(value)
            else:
                used.update(_VAR_USE.findall(value))
    pending = list(used)
    while pending:
        for value in definitions.get(pending.pop(), ()):
            for name in _VAR_USE.findall(value):
                if name not in used:
                    used.add(name)
                    pending.append(name)
    return used


def drop_unused_properties(rules: list[Rule], used: set[str]) -> list[Rule]:
    kept: list[Rule] = []
    for rule in rules:
        if rule.is_group:
            children = drop_unused_properties(rule.children, used)
            if children:
                kept.append(Rule(rule.prelude, children=children))
            continue
        if rule.prelude.startswith("@"):
            kept.append(rule)
            continue
        body = ";".join(
            f"{name}:{value}"
            for name, value in _declarations(rule.body)
            if not name.startswith("--") or name in used
        )
        if body:
            kept.append(Rule(rule.prelude, body=body))
    return kept


def render(statements: list[str], rules: list[Rule]) -> str:
    def one(rule: Rule) -> str:
        if rule.is_group:
            return rule.prelude + "{" + "".join(one(child) for child in rule.children) + "}"
        return rule.prelude + "{" + rule.body + "}"

    return "".join(statements) + "".join(one(rule) for rule in rules) + "\n"


HEADER = (
    "/* Generated by `python -m ngo_platform.csspurge` (make css) from pico-2.1.1.min.css: "
    "rules no Terpadu page can match and variables nothing reads are left out. Do not edit. */"
)


def build(words: frozenset[str] | None = None) -> str:
    words = content_words(content_files()) if words is None else words
    statements, rules = parse(SOURCE.read_text(encoding="utf-8"))
    rules = purge_rules(rules, words)
    extra = OWN_CSS.read_text(encoding="utf-8") + "".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in content_files()
        if path.suffix in (".html", ".js")
    )
    # Twice: a rule emptied of variables can stop reading others.
    for _ in range(2):
        rules = drop_unused_properties(rules, used_properties(rules, extra))
    charset = [s for s in statements if s.startswith("@charset")]
    license_ = [s for s in statements if s.startswith("/*!")]
    return render(charset + [HEADER] + license_, rules)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    options = parser.parse_args(argv)
    fresh = build()
    if options.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != fresh:
            print(f"{TARGET.relative_to(ROOT)} is stale: run `make css`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(fresh, encoding="utf-8")
    print(f"{TARGET.relative_to(ROOT)}: {len(fresh):,} bytes (from {SOURCE.stat().st_size:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
