"""Bahasa Indonesia: every user-facing string is translated, and the site speaks it.

The catalog check is pure Python (no gettext binaries): strings are extracted from the
templates with Django's own template lexer and from Python with `ast`, normalised the way
`makemessages` and the `{% translate %}` / `{% blocktranslate %}` tags do, then looked up in
`ngo_platform/locale/id/LC_MESSAGES/django.po` (read by a small parser below). The compiled
`django.mo` is read with the standard library's `gettext` to prove it matches the `.po`.

When this test fails after you added or changed a string: run `make messages` (or
`manage.py makemessages -l id ...` and `compilemessages`), translate the new entries in the
`.po`, and commit both the `.po` and the `.mo`.
"""

from __future__ import annotations

import ast
import gettext as gettext_module
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.template.base import Lexer, TokenType
from django.utils import translation

from core.errors import ApplicationError, InvalidTransitionError
from tenants.services import slug_validate
from tests.support import host_client

REPO = Path(settings.BASE_DIR)
LOCALE_DIR = REPO / "ngo_platform" / "locale" / "id" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"
# The same folders `make messages` leaves out.
IGNORED_PARTS = {
    ".venv",
    "tests",
    "bench",
    "deploy",
    ".data",
    ".git",
    "__pycache__",
    "node_modules",
}
PLACEHOLDER_RE = re.compile(r"%\(\w+\)[sd]")

Key = tuple[str | None, str]  # (context, msgid)


# --- A tiny .po reader --------------------------------------------------------------------------


@dataclass
class PoEntry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def _po_unquote(text: str) -> str:
    text = text.strip()
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        raise ValueError(f"not a quoted PO string: {text!r}")
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda match: escapes.get(match[1], match[0]), text[1:-1])


def po_parse(path: Path) -> list[PoEntry]:
    """Entries of a .po file (header included, obsolete `#~` entries left out)."""
    entries: list[PoEntry] = []
    entry = PoEntry()
    target: tuple[str, int | None] | None = None
    seen_keyword = False

    def finish():
        nonlocal entry, target, seen_keyword
        if seen_keyword:
            entries.append(entry)
        entry, target, seen_keyword = PoEntry(), None, False

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if seen_keyword:
                finish()
            entry.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            if seen_keyword:
                finish()
            continue
        keyword = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        if keyword:
            name, index, value = keyword[1], keyword[2], _po_unquote(keyword[3])
            if name in ("msgctxt", "msgid") and seen_keyword and target[0] == "msgstr":
                finish()
            if not seen_keyword:
                entry.line = number
            seen_keyword = True
            if name == "msgstr":
                target = ("msgstr", int(index) if index is not None else 0)
                entry.msgstr[target[1]] = value
            else:
                target = (name, None)
                setattr(entry, name, value)
            continue
        if line.startswith('"') and target is not None:
            value = _po_unquote(line)
            if target[0] == "msgstr":
                entry.msgstr[target[1]] += value
            else:
                setattr(entry, target[0], getattr(entry, target[0]) + value)
            continue
        raise ValueError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    return entries


# --- Extraction ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    msgid: str
    plural: str | None
    context: str | None
    where: str


def _source_files(suffix: str) -> list[Path]:
    return sorted(
        path
        for path in REPO.rglob(f"*{suffix}")
        if not IGNORED_PARTS.intersection(path.relative_to(REPO).parts)
    )


def _template_files() -> list[Path]:
    return [path for path in _source_files(".html") if "templates" in path.parts]


def _unquote_literal(bit: str) -> str:
    return bit[1:-1] if len(bit) >= 2 and bit[0] == bit[-1] and bit[0] in "\"'" else bit


# `_("...")` used as a filter argument or tag argument inside a template.
TEMPLATE_UNDERSCORE_RE = re.compile(r"""\b_\(\s*(?:"([^"]*)"|'([^']*)')\s*\)""")


def _display(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


@dataclass
class _Block:
    """An open {% blocktranslate %}: its text so far, as BlockTranslateNode builds it."""

    context: str | None
    trimmed: bool
    where: str
    singular: list[str] = field(default_factory=list)
    plural: list[str] = field(default_factory=list)
    in_plural: bool = False

    def add(self, token) -> None:
        parts = self.plural if self.in_plural else self.singular
        if token.token_type == TokenType.TEXT:
            parts.append(token.contents.replace("%", "%%"))
        elif token.token_type == TokenType.VAR:
            parts.append(f"%({token.contents})s")

    def _text(self, parts: list[str]) -> str:
        text = "".join(parts)
        return translation.trim_whitespace(text) if self.trimmed else text

    def message(self) -> Message:
        plural = self._text(self.plural) if self.in_plural else None
        return Message(self._text(self.singular), plural, self.context, self.where)


def template_messages(path: Path) -> list[Message]:
    """The msgids the template asks for at render time, as Django's i18n tags build them."""
    where = _display(path)
    found: list[Message] = []
    block: _Block | None = None
    for token in Lexer(path.read_text(encoding="utf-8")).tokenize():
        location = f"{where}:{token.lineno}"
        is_tag = token.token_type == TokenType.BLOCK
        if block is not None:
            if is_tag and token.contents in ("endblocktranslate", "endblocktrans"):
                found.append(block.message())
                block = None
            elif is_tag and token.contents == "plural":
                block.in_plural = True
            else:
                block.add(token)
            continue
        if token.token_type in (TokenType.VAR, TokenType.BLOCK):
            for double, single in TEMPLATE_UNDERSCORE_RE.findall(token.contents):
                found.append(Message((double or single).replace("%", "%%"), None, None, location))
        if not is_tag:
            continue
        bits = token.split_contents()
        context = None
        if "context" in bits[1:-1]:
            context = _unquote_literal(bits[bits.index("context") + 1])
        if bits[0] in ("translate", "trans") and bits[1][:1] in "\"'":
            msgid = _unquote_literal(bits[1]).replace("%", "%%")
            found.append(Message(msgid, None, context, location))
        elif bits[0] in ("blocktranslate", "blocktrans"):
            block = _Block(context, "trimmed" in bits[1:], location)
    assert block is None, f"{where}: unclosed blocktranslate"
    return found


GETTEXT_FUNCTIONS = {
    # name: (index of context or None, index of msgid, index of plural or None)
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


def _string_argument(call: ast.Call, index: int | None) -> str | None:
    if index is None or index >= len(call.args):
        return None
    argument = call.args[index]
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return argument.value
    return None


def python_messages(path: Path) -> list[Message]:
    """Literal msgids passed to gettext and friends (under whatever name they were imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in GETTEXT_FUNCTIONS:
                    names[alias.asname or alias.name] = alias.name
    found: list[Message] = []
    where = _display(path)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in names:
            function = names[node.func.id]
        elif isinstance(node.func, ast.Attribute) and node.func.attr in GETTEXT_FUNCTIONS:
            base = node.func.value
            if not (isinstance(base, ast.Name) and base.id in ("translation", "trans_real")):
                continue
            function = node.func.attr
        else:
            continue
        context_at, msgid_at, plural_at = GETTEXT_FUNCTIONS[function]
        msgid = _string_argument(node, msgid_at)
        if msgid is None:
            continue
        plural, context = _string_argument(node, plural_at), _string_argument(node, context_at)
        found.append(Message(msgid, plural, context, f"{where}:{node.lineno}"))
    return found


def all_messages() -> list[Message]:
    messages = [m for path in _template_files() for m in template_messages(path)]
    messages += [m for path in _source_files(".py") for m in python_messages(path)]
    return messages


# --- The catalog --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog() -> dict[Key, PoEntry]:
    entries = po_parse(PO_PATH)
    return {(entry.msgctxt, entry.msgid): entry for entry in entries}


def test_po_parser_reads_plurals_flags_and_continuations(tmp_path):
    """The little parser understands what makemessages writes."""
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: id\\n"\n\n'
        '#: a.py:1\n#, fuzzy, python-format\nmsgid "Hi %(n)s"\nmsgstr "Hai %(n)s"\n\n'
        'msgctxt "menu"\nmsgid ""\n"Long "\n"text \\"quoted\\""\nmsgstr "Teks"\n\n'
        'msgid "%(c)s case"\nmsgid_plural "%(c)s cases"\nmsgstr[0] "%(c)s kasus"\n\n'
        '#~ msgid "Old"\n#~ msgstr "Lama"\n',
        encoding="utf-8",
    )
    header, fuzzy, long_text, plural = po_parse(po)
    assert header.msgid == ""
    assert header.msgstr[0] == "Language: id\n"
    assert (fuzzy.msgid, fuzzy.msgstr, fuzzy.flags) == (
        "Hi %(n)s",
        {0: "Hai %(n)s"},
        {"fuzzy", "python-format"},
    )
    assert (long_text.msgctxt, long_text.msgid) == ("menu", 'Long text "quoted"')
    assert (plural.msgid_plural, plural.msgstr) == ("%(c)s cases", {0: "%(c)s kasus"})


def test_extraction_normalises_like_makemessages(tmp_path):
    """blocktranslate variables become %(name)s, plural blocks give a plural msgid."""
    templates = tmp_path / "templates"
    templates.mkdir()
    page = templates / "page.html"
    page.write_text(
        "{% load i18n %}{% translate 'Save' %}{% trans \"50% off\" %}"
        "{% blocktranslate with name=user.username %}Hello, {{ name }}{% endblocktranslate %}"
        "{% blocktranslate count counter=n %}{{ counter }} case{% plural %}"
        "{{ counter }} cases{% endblocktranslate %}"
        "{% blocktranslate trimmed %}\n  Two\n  lines\n{% endblocktranslate %}"
        '{{ x|default:_("Nothing") }}',
        encoding="utf-8",
    )
    assert [(m.msgid, m.plural) for m in template_messages(page)] == [
        ("Save", None),
        ("50%% off", None),
        ("Hello, %(name)s", None),
        ("%(counter)s case", "%(counter)s cases"),
        ("Two lines", None),
        ("Nothing", None),
    ]


def test_every_string_is_translated_to_indonesian(catalog):
    """Every string the templates and the code ask for has a non-fuzzy Indonesian translation
    whose placeholders match the English."""
    problems = []
    messages = all_messages()
    assert len(messages) > 300, "the extraction found suspiciously few strings"
    for message in messages:
        entry = catalog.get((message.context, message.msgid))
        label = f"{message.where}: {message.msgid!r}"
        if entry is None:
            problems.append(f"missing   {label}")
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy     {label}")
        if message.plural is not None and entry.msgid_plural != message.plural:
            problems.append(f"plural    {label}: catalog has {entry.msgid_plural!r}")
        translations = list(entry.msgstr.values())
        if not translations or not all(text.strip() for text in translations):
            problems.append(f"empty     {label}")
            continue
        wanted = sorted(PLACEHOLDER_RE.findall(message.msgid))
        for text in translations:
            if sorted(PLACEHOLDER_RE.findall(text)) != wanted:
                problems.append(f"placeholders differ  {label} -> {text!r}")
    assert not problems, "Untranslated or broken Indonesian strings:\n" + "\n".join(
        sorted(set(problems))
    )


def test_catalog_has_no_fuzzy_or_empty_entries_and_is_indonesian(catalog):
    header = catalog[(None, "")]
    assert "Language: id\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header.msgstr[0]
    bad = [
        f"line {entry.line}: {entry.msgid!r}"
        for key, entry in catalog.items()
        if key != (None, "")
        and ("fuzzy" in entry.flags or not all(text.strip() for text in entry.msgstr.values()))
    ]
    assert not bad, "Fuzzy or empty entries:\n" + "\n".join(bad)
    plural_entries = [entry for entry in catalog.values() if entry.msgid_plural is not None]
    assert plural_entries
    assert all(set(entry.msgstr) == {0} for entry in plural_entries)  # nplurals=1


def test_compiled_mo_matches_po(catalog):
    """The committed django.mo holds exactly the .po's translations (compilemessages was run)."""
    with MO_PATH.open("rb") as handle:
        compiled = gettext_module.GNUTranslations(handle)
    stale = []
    for (context, msgid), entry in catalog.items():
        if msgid == "":
            continue
        key = msgid if context is None else f"{context}\x04{msgid}"
        if entry.msgid_plural is None:
            got = compiled._catalog.get(key)
            if got != entry.msgstr[0]:
                stale.append(f"{msgid!r}: .mo has {got!r}")
        else:
            for index, text in entry.msgstr.items():
                got = compiled._catalog.get((key, index))
                if got != text:
                    stale.append(f"{msgid!r}[{index}]: .mo has {got!r}")
    assert not stale, "django.mo is out of date; run compilemessages:\n" + "\n".join(stale)


# --- The site in Bahasa Indonesia ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """LocaleMiddleware leaves the request's language active in the thread: reset it."""
    yield
    translation.deactivate()


@pytest.mark.django_db
def test_public_pages_in_indonesian(ngo_a):
    client = host_client(settings.BASE_DOMAIN, HTTP_ACCEPT_LANGUAGE="id")
    landing = client.get("/").content.decode()
    assert '<html lang="id"' in landing
    assert "Konsorsium Terpadu" in landing
    assert "Masuk sebagai koordinator" in landing
    assert "Terpadu consortium" not in landing
    assert "Coordinator login" not in landing

    login = client.get("/accounts/login/").content.decode()
    assert "Nama pengguna atau email" in login
    assert "Kata sandi" in login
    assert "Username or email" not in login
    assert "Password<" not in login


@pytest.mark.django_db
def test_public_pages_in_english_when_asked(ngo_a):
    landing = host_client(settings.BASE_DOMAIN, HTTP_ACCEPT_LANGUAGE="en").get("/")
    text = landing.content.decode()
    assert '<html lang="en"' in text
    assert "Terpadu consortium" in text
    assert "Konsorsium Terpadu" not in text


@pytest.mark.django_db
def test_ngo_home_in_indonesian_after_login(ngo_a):
    client = host_client(ngo_a.host, HTTP_ACCEPT_LANGUAGE="id")
    page = client.get("/accounts/login/").content.decode()
    assert "Nama pengguna atau email" in page
    login = client.post(
        "/accounts/login/", {"username": ngo_a.admin_username, "password": ngo_a.admin_password}
    )
    assert (login.status_code, login["Location"]) == (302, "/")
    home = client.get("/")
    assert home.status_code == 200
    text = home.content.decode()
    assert "Halo, " in text
    assert "Notifikasi" in text
    assert "Kunjungan dan verifikasi yang terlambat" in text
    assert ">Daftarkan anak<" in text
    assert "Notifications" not in text
    assert "Overdue visits and verifications" not in text
    assert "Register a child" not in text


@pytest.mark.django_db
def test_wrong_password_message_in_indonesian(ngo_a):
    """The wrong-password message is ours, in Indonesian (Django's read "nama pengguna nama
    pengguna": its template and our field label both said it)."""
    client = host_client(ngo_a.host, HTTP_ACCEPT_LANGUAGE="id")
    response = client.post(
        "/accounts/login/", {"username": ngo_a.admin_username, "password": "salah-sekali"}
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "Please enter a correct" not in text
    assert "Nama pengguna atau sandi tidak benar" in text
    assert "nama pengguna nama pengguna" not in text.lower()


def test_service_error_in_indonesian():
    with translation.override("id"), pytest.raises(ApplicationError) as caught:
        slug_validate("Bad Slug")
    assert caught.value.message == (
        "Slug harus 1-40 karakter berupa huruf kecil, angka dan tanda hubung, diawali dan "
        "diakhiri dengan huruf atau angka."
    )
    assert caught.value.fields == {
        "slug": [
            "Gunakan hanya huruf kecil, angka dan tanda hubung (tanpa spasi atau huruf besar), "
            "1-40 karakter."
        ]
    }
    with translation.override("id"), pytest.raises(ApplicationError) as reserved:
        slug_validate("admin")
    assert reserved.value.message == "Slug 'admin' sudah dicadangkan."


def test_service_error_in_english_keeps_the_english_text():
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        slug_validate("Bad Slug")
    assert caught.value.message.startswith("The slug must be 1-40 characters")
    with translation.override("en"):
        error = InvalidTransitionError(current="closed", requested="assessed", allowed=["reopen"])
    assert error.fields == {"status": ["Allowed next states: reopen."]}
    with translation.override("id"):
        error = InvalidTransitionError(current="closed", requested="assessed", allowed=[])
    assert error.fields == {"status": ["Status berikutnya yang diizinkan: tidak ada."]}


def test_a_refused_state_change_names_the_states_in_the_readers_language():
    """The message shows each state as the pages name it, never its code (`sent`)."""
    from network.models import ReferralState

    with translation.override("id"):
        error = InvalidTransitionError(
            current="sent",
            requested="completed",
            allowed=["accepted", "declined", "withdrawn"],
            labels=dict(ReferralState.choices),
        )
    assert error.message == (
        "Status tidak dapat diubah dari 'Terkirim' menjadi 'Selesai'. "
        "Yang diizinkan: Diterima, Ditolak, Ditarik."
    )
    assert error.allowed == ["accepted", "declined", "withdrawn"]  # the codes, for callers


@pytest.mark.django_db
def test_language_switch_sets_cookie_and_shows_english(ngo_a):
    """The header's button posts to /i18n/setlang/; the cookie beats Accept-Language."""
    client = host_client(settings.BASE_DOMAIN, HTTP_ACCEPT_LANGUAGE="id")
    assert "Konsorsium Terpadu" in client.get("/").content.decode()
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert (switched.status_code, switched["Location"]) == (302, "/")
    cookie = switched.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert settings.LANGUAGE_COOKIE_NAME == "terpadu_language"
    assert cookie.value == "en"
    page = client.get("/").content.decode()
    assert '<html lang="en"' in page
    assert "Terpadu consortium" in page
    assert "Konsorsium Terpadu" not in page
    assert 'name="language" value="id"' in page  # the button back to Indonesian

    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "id"
    assert "Konsorsium Terpadu" in client.get("/").content.decode()


def test_dates_are_day_month_year_in_indonesian():
    template = Template(
        '{{ day|date:"SHORT_DATE_FORMAT" }}|{{ day|date:"DATE_FORMAT" }}|{{ day|date }}'
    )
    day = date(2026, 11, 29)
    with translation.override("id"):
        assert template.render(Context({"day": day})) == "29/11/2026|29/11/2026|29/11/2026"
    with translation.override("en"):
        assert template.render(Context({"day": day})) == "29/11/2026|29 Nov 2026|29 Nov 2026"


def test_model_choices_and_labels_follow_the_language():
    from casework.forms import ChildForm
    from casework.models import Case, FollowUp

    with translation.override("id"):
        assert str(Case.Status.CLOSURE_REQUESTED.label) == "Penutupan diajukan"
        assert str(FollowUp.Kind.VISIT.label) == "Kunjungan tindak lanjut"
        assert str(ChildForm().fields["full_name"].label) == "Nama lengkap"
    with translation.override("en"):
        assert str(Case.Status.CLOSURE_REQUESTED.label) == "Closure requested"


@pytest.mark.django_db
def test_the_public_home_gives_the_ngo_address_as_it_is_reached(consortium):
    """In development the NGO's address has this page's scheme and port, with the
    placeholder in the reader's language."""
    page = host_client("localhost", HTTP_ACCEPT_LANGUAGE="id").get("/", SERVER_PORT="8000")
    text = page.content.decode()
    assert "http://&lt;lembaga-anda&gt;.localhost:8000/" in text
    assert "https://" not in text.split("<main", 1)[1]
