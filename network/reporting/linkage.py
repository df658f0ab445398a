"""Counting children served by two or more partner NGOs without telling anyone who they are.

Each NGO computes, for each child it serves, a keyed hash (HMAC-SHA256) of the child's
normalised name, birth year and normalised guardian name, with a key that only the application
holds: derived with HKDF from `settings.CONSORTIUM_LINKAGE_SECRET` for one consortium, never
stored in a table. The consortium sees only the hashes (and counts those that two or more NGOs
sent); without the key, a hash cannot be tested against a guessed name, and the hashes of two
consortia never match.

The normalisation makes the same child's name, as two NGOs wrote it, give the same key: case,
accents, spacing and punctuation are dropped, the old (pre-1972 Van Ophuijsen / Soewandi)
spellings still common in names are mapped to today's (oe -> u, dj -> j, tj -> c, nj -> ny,
sj -> sy, ch -> kh, and j -> y, since the old j is today's y: Tjahjo = Cahyo), and doubled
letters are single (Muhammad = Muhamad); a guardian's leading form of address (Ibu, Bapak, Pak,
Hj.) is dropped. Two different children whose names normalise alike
need the same birth year and guardian name to be counted as one.

Limits: a name written in a different order, an abbreviated first name ("M. Rizki"), an
estimated birth year that differs by one, or a guardian recorded under another name (the
mother at one NGO, the father at another) is not linked: the count is a lower bound.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from django.conf import settings

from casework.crypto import derive_key

PURPOSE = b"terpadu-child-linkage"

# Old spelling -> today's, applied in this order (dj before j, tj before j).
SPELLING_VARIANTS = (
    ("oe", "u"),
    ("dj", "j"),
    ("tj", "c"),
    ("nj", "ny"),
    ("sj", "sy"),
    ("ch", "kh"),
    ("j", "y"),
)
# Forms of address written before a guardian's name (Indonesian, and Arabic-derived ones).
TITLES = frozenset(
    {
        "ibu",
        "bu",
        "bapak",
        "pak",
        "bpk",
        "bp",
        "sdr",
        "sdri",
        "saudara",
        "saudari",
        "h",
        "hj",
        "haji",
        "hajah",
    }
)
_NOT_A_LETTER = re.compile(r"[^a-z]")
_DOUBLED = re.compile(r"([a-z])\1+")


def name_normalize(name: str, *, strip_titles: bool = False) -> str:
    """A name reduced to the letters two NGOs would agree on ("Soetjipto" -> "sucipto").

    With `strip_titles`, leading forms of address ("Ibu", "Bapak", "Pak", "Hj.") are dropped:
    one NGO writes "Ibu Sri Wahyuni", another "Sri Wahyuni" for the same guardian.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = _NOT_A_LETTER.sub(" ", letters.casefold().replace("'", "")).split()
    while strip_titles and len(words) > 1 and words[0] in TITLES:
        words.pop(0)
    text = "".join(words)
    for old, new in SPELLING_VARIANTS:
        text = text.replace(old, new)
    return _DOUBLED.sub(r"\1", text)


def linkage_key(consortium_id: int, secret: str | None = None) -> bytes:
    """The consortium's HMAC key, derived from the linkage secret (default: the setting)."""
    secret = settings.CONSORTIUM_LINKAGE_SECRET if secret is None else secret
    return derive_key(PURPOSE + b":" + str(consortium_id).encode(), secret)


def child_link_hash(
    *,
    consortium_id: int,
    full_name: str,
    birth_year: int,
    guardian_name: str,
    secret: str | None = None,
    key: bytes | None = None,
) -> str:
    """The child's keyed hash for the consortium (64 hex digits). `key`: the consortium's
    `linkage_key`, when the caller hashes many children (it is derived once)."""
    message = "|".join(
        (
            name_normalize(full_name),
            str(birth_year),
            name_normalize(guardian_name, strip_titles=True),
        )
    ).encode()
    key = linkage_key(consortium_id, secret) if key is None else key
    return hmac.new(key, message, hashlib.sha256).hexdigest()
