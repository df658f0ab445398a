"""Indonesian administrative regions: provinces (provinsi) and regencies/cities (kabupaten/kota).

Pure Python, stdlib only (Django just translates error messages), no Django model: the
data ships as two CSV files in ``casework/data/`` (see ``casework/data/README.md`` for
source and licence) and is loaded once, on first use.

Codes
-----
Kemendagri codes (Kepmendagri No 300.2.2-2138 Tahun 2025), the same codes that
the first digits of a NIK carry:

* province: two digits, ``"11"`` (Aceh) ... ``"96"`` (Papua Barat Daya);
* regency: the dotted form ``"PP.RR"``, e.g. ``"11.01"`` (Kabupaten Aceh Selatan).
  ``RR`` 01-69 is a kabupaten, 71-99 a kota.

The dotted form is the canonical one: everything returned uses it, and it is what
callers should store. Lookups also accept the undotted form (``"1101"``);
:func:`normalize_regency_code` converts.
"""

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from django.utils.translation import gettext as _

__all__ = [
    "Province",
    "Regency",
    "normalize_regency_code",
    "province",
    "province_choices",
    "province_code_from_nik",
    "provinces",
    "regencies",
    "regency",
    "regency_choices",
    "regency_code_from_nik",
    "validate_region",
]

RegencyKind = Literal["kabupaten", "kota"]

_REGENCY_RE = re.compile(r"([0-9]{2})\.?([0-9]{2})")
_NIK_RE = re.compile(r"[0-9]{16}")


@dataclass(frozen=True, slots=True)
class Province:
    """A province (provinsi): ``code`` is two digits, e.g. ``"11"``."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Regency:
    """A regency or city (kabupaten/kota): ``code`` is dotted, e.g. ``"11.01"``."""

    code: str
    province_code: str
    name: str
    kind: RegencyKind


@dataclass(frozen=True, slots=True)
class _Data:
    provinces: tuple[Province, ...]
    regencies: tuple[Regency, ...]
    province_by_code: dict[str, Province]
    regency_by_code: dict[str, Regency]
    regencies_by_province: dict[str, tuple[Regency, ...]]


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("casework").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def _data() -> _Data:
    provs = tuple(
        sorted(
            (Province(r["code"], r["name"]) for r in _read_csv("provinces.csv")),
            key=lambda p: p.code,
        )
    )
    regs = tuple(
        sorted(
            (
                # regencies.csv holds only the two kinds.
                Regency(r["code"], r["province_code"], r["name"], r["kind"])  # type: ignore[arg-type]
                for r in _read_csv("regencies.csv")
            ),
            key=lambda r: r.code,
        )
    )
    by_province: dict[str, list[Regency]] = {p.code: [] for p in provs}
    for r in regs:
        by_province.setdefault(r.province_code, []).append(r)
    return _Data(
        provinces=provs,
        regencies=regs,
        province_by_code={p.code: p for p in provs},
        regency_by_code={r.code: r for r in regs},
        regencies_by_province={k: tuple(v) for k, v in by_province.items()},
    )


def _clean(code: object) -> str:
    return code.strip() if isinstance(code, str) else ""


def _is_blank(code: object) -> bool:
    return code is None or (isinstance(code, str) and not code.strip())


def normalize_regency_code(code: str) -> str:
    """Return the dotted regency code for ``"1101"`` or ``"11.01"`` (surrounding blanks ignored).

    Raises ``ValueError`` for anything else (it does not check that the regency exists).
    """
    match = _REGENCY_RE.fullmatch(_clean(code))
    if match is None:
        raise ValueError(
            _("Malformed regency code %(code)s: expected 4 digits as '11.01' or '1101'.")
            % {"code": repr(code)}
        )
    return f"{match[1]}.{match[2]}"


def provinces() -> list[Province]:
    """All 38 provinces, sorted by code."""
    return list(_data().provinces)


def regencies(province_code: str | None = None) -> list[Regency]:
    """All regencies/cities sorted by code, or only those of ``province_code`` ([] if unknown)."""
    data = _data()
    if province_code is None:
        return list(data.regencies)
    return list(data.regencies_by_province.get(_clean(province_code), ()))


def province(code: str) -> Province | None:
    """The province with this two-digit code, or ``None``."""
    return _data().province_by_code.get(_clean(code))


def regency(code: str) -> Regency | None:
    """The regency/city with this code (``"11.01"`` or ``"1101"``), or ``None``."""
    try:
        dotted = normalize_regency_code(code)
    except ValueError:
        return None
    return _data().regency_by_code.get(dotted)


def validate_region(province_code: str | None, regency_code: str | None) -> None:
    """Check an address's province and (optional) regency; raise ``ValueError`` if inconsistent.

    The province is required. A blank or ``None`` regency is allowed; otherwise it must be
    a well-formed, known regency code (either format) lying in that province.
    """
    if _is_blank(province_code):
        raise ValueError(_("Province code is required."))
    prov = province(province_code)  # type: ignore[arg-type]  # not blank: checked above
    if prov is None:
        raise ValueError(_("Unknown province code %(code)s.") % {"code": repr(province_code)})
    if _is_blank(regency_code):
        return
    dotted = normalize_regency_code(regency_code)  # type: ignore[arg-type]  # not blank
    reg = _data().regency_by_code.get(dotted)
    if reg is None:
        raise ValueError(_("Unknown regency code %(code)s.") % {"code": repr(regency_code)})
    if reg.province_code != prov.code:
        owner = _data().province_by_code[reg.province_code]
        raise ValueError(
            _(
                "Regency %(regency_code)s (%(regency)s) is in province %(owner_code)s (%(owner)s), "
                "not in %(province_code)s (%(province)s)."
            )
            % {
                "regency_code": reg.code,
                "regency": reg.name,
                "owner_code": owner.code,
                "owner": owner.name,
                "province_code": prov.code,
                "province": prov.name,
            }
        )


def province_choices() -> list[tuple[str, str]]:
    """``(code, name)`` pairs of all provinces, for a form's choices."""
    return [(p.code, p.name) for p in _data().provinces]


def regency_choices(province_code: str | None) -> list[tuple[str, str]]:
    """``(dotted code, name)`` pairs of the province's regencies ([] if blank or unknown)."""
    if province_code is None:
        return []
    return [(r.code, r.name) for r in regencies(province_code)]


def regency_code_from_nik(nik: str) -> str | None:
    """The dotted regency code encoded in a 16-digit NIK (digits 1-2 province, 3-4 regency).

    Returns ``None`` when ``nik`` is not 16 digits or when that regency is not in the current
    data. ``None`` does not make a NIK invalid: a NIK keeps the code of the region that issued
    it, which may since have been split or recoded (e.g. Papua ``91.xx`` before 2022).
    """
    value = _clean(nik)
    if _NIK_RE.fullmatch(value) is None:
        return None
    reg = _data().regency_by_code.get(f"{value[:2]}.{value[2:4]}")
    return reg.code if reg is not None else None


# The name the address forms asked for; it returns the regency code, whose first two
# digits are the province code (``code[:2]``).
province_code_from_nik = regency_code_from_nik
