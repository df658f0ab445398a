"""A case worker writes the work sector in their own words ("perkebunan sawit", "mengamen",
"fishing"); the indicators count it by the registry's sector codes. The first group whose
keyword starts a word of the text wins, in the order below (a jermal is fishing even though
it is also forced labour; "industri rumahan" is manufacturing, not domestic work)."""

from __future__ import annotations

import re
from functools import lru_cache

from network.reporting.indicators import UNKNOWN

# (code, keywords): a keyword matches the start of a word, in Indonesian or English.
SECTOR_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fishing", ("perikanan", "ikan", "nelayan", "jermal", "fish", "tambak udang", "laut")),
    ("mining", ("tambang", "penambang", "galian", "batu kapur", "pasir", "mining", "quarry")),
    (
        "agriculture",
        (
            "pertanian",
            "perkebunan",
            "kebun",
            "sawah",
            "sawit",
            "tembakau",
            "karet",
            "kopi",
            "kakao",
            "ternak",
            "peternakan",
            "tambak garam",
            "garam",
            "tani",
            "petani",
            "agricult",
            "plantation",
            "farm",
            "livestock",
        ),
    ),
    (
        "domestic_work",
        ("pekerja rumah tangga", "prt", "pembantu", "asisten rumah tangga", "domestic"),
    ),
    (
        "street_work",
        (
            "jalan",
            "mengamen",
            "pengamen",
            "ngamen",
            "pemulung",
            "memulung",
            "asongan",
            "pengemis",
            "parkir",
            "semir",
            "street",
            "scaveng",
            "busk",
        ),
    ),
    (
        "construction",
        ("bangunan", "konstruksi", "kuli bangunan", "batu bata", "bata", "construction", "brick"),
    ),
    (
        "manufacturing",
        (
            "industri",
            "pabrik",
            "konveksi",
            "garmen",
            "kerajinan",
            "rumahan",
            "bengkel",
            "manufact",
            "factory",
            "workshop",
            "home industry",
        ),
    ),
    (
        "trade_services",
        (
            "dagang",
            "berdagang",
            "pedagang",
            "jualan",
            "berjualan",
            "warung",
            "toko",
            "pasar",
            "rumah makan",
            "jasa",
            "cuci",
            "trade",
            "shop",
            "market",
            "restaurant",
            "food stall",
            "service",
        ),
    ),
)
_WORD = re.compile(r"[^a-z]+")


@lru_cache(maxsize=4096)
def sector_code(text: str) -> str:
    """The registry's sector code of a sector as written: "" -> not_working (an assessment
    without a sector records a child who does not work), unrecognised -> other, no
    assessment -> unknown (the caller passes None)."""
    if text is None:
        return UNKNOWN
    words = " " + _WORD.sub(" ", text.casefold()).strip() + " "
    if not words.strip():
        return "not_working"
    for code, keywords in SECTOR_KEYWORDS:
        if any(f" {keyword}" in words for keyword in keywords):
            return code
    return "other"
