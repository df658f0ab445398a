"""Tests for casework.regions (Kemendagri provinces and regencies shipped as CSV)."""

import csv
from importlib import resources

import pytest

from casework import regions
from casework.regions import (
    Province,
    Regency,
    normalize_regency_code,
    province,
    province_choices,
    province_code_from_nik,
    provinces,
    regencies,
    regency,
    regency_choices,
    regency_code_from_nik,
    validate_region,
)

PROVINCE_COUNT = 38
REGENCY_COUNT = 514  # 416 kabupaten + 98 kota (Kepmendagri 300.2.2-2138/2025)


def test_province_count():
    """There are exactly 38 provinces."""
    assert len(provinces()) == PROVINCE_COUNT


def test_regency_counts():
    """There are 514 regencies: 416 kabupaten and 98 kota."""
    all_regencies = regencies()
    assert len(all_regencies) == REGENCY_COUNT
    assert sum(r.kind == "kabupaten" for r in all_regencies) == 416
    assert sum(r.kind == "kota" for r in all_regencies) == 98


def test_csv_headers():
    """The shipped CSVs have the documented header rows."""
    data = resources.files("casework").joinpath("data")
    for name, header in [
        ("provinces.csv", ["code", "name"]),
        ("regencies.csv", ["code", "province_code", "name", "kind"]),
    ]:
        rows = list(csv.reader(data.joinpath(name).read_text(encoding="utf-8").splitlines()))
        assert rows[0] == header


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("11", "Aceh"),
        ("31", "DKI Jakarta"),
        ("34", "Daerah Istimewa Yogyakarta"),
        ("91", "Papua"),
        ("92", "Papua Barat"),
        ("93", "Papua Selatan"),
        ("94", "Papua Tengah"),
        ("95", "Papua Pegunungan"),
        ("96", "Papua Barat Daya"),
    ],
)
def test_known_provinces(code, name):
    """Sample provinces have their Kemendagri code and conventional name."""
    assert province(code) == Province(code, name)


@pytest.mark.parametrize(
    ("code", "province_code", "name", "kind"),
    [
        ("11.01", "11", "Kabupaten Aceh Selatan", "kabupaten"),
        ("11.71", "11", "Kota Banda Aceh", "kota"),
        ("32.04", "32", "Kabupaten Bandung", "kabupaten"),
        ("33.74", "33", "Kota Semarang", "kota"),
        ("35.78", "35", "Kota Surabaya", "kota"),
        ("31.71", "31", "Kota Administrasi Jakarta Pusat", "kota"),
        ("93.01", "93", "Kabupaten Merauke", "kabupaten"),
        ("96.71", "96", "Kota Sorong", "kota"),
    ],
)
def test_known_regencies(code, province_code, name, kind):
    """Sample regencies have their Kemendagri code, province, name and kind."""
    assert regency(code) == Regency(code, province_code, name, kind)


def test_provinces_sorted_and_unique():
    """Provinces come sorted by code, with unique two-digit codes."""
    codes = [p.code for p in provinces()]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 2 and c.isdigit() for c in codes)


def test_regencies_sorted_and_unique():
    """Regencies come sorted by code, with unique dotted codes."""
    codes = [r.code for r in regencies()]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    assert all(normalize_regency_code(c) == c for c in codes)


def test_every_regency_in_existing_province():
    """Every regency's province exists and prefixes its code."""
    province_codes = {p.code for p in provinces()}
    for r in regencies():
        assert r.province_code in province_codes
        assert r.code.startswith(r.province_code + ".")


def test_every_province_has_regencies():
    """Every province has at least one regency."""
    for p in provinces():
        assert regencies(p.code), p


def test_kind_consistent_with_name_and_code():
    """Kind matches the name prefix and the code rule (01-69 kabupaten, 71-99 kota)."""
    for r in regencies():
        number = int(r.code[3:])
        if r.kind == "kota":
            assert r.name.startswith("Kota "), r
            assert 71 <= number <= 99, r
        else:
            assert r.kind == "kabupaten", r
            assert r.name.startswith("Kabupaten "), r
            assert 1 <= number <= 69, r


def test_names_are_title_case_not_upper():
    """Names are in conventional case, not the all-caps of the decree."""
    for item in [*provinces(), *regencies()]:
        assert item.name != item.name.upper(), item
        assert item.name == item.name.strip(), item
        assert "Kab." not in item.name, item
        assert "Kep." not in item.name, item


def test_regencies_filtered_by_province():
    """regencies(province) returns only that province's regencies, in code order."""
    diy = regencies("34")
    assert [r.code for r in diy] == ["34.01", "34.02", "34.03", "34.04", "34.71"]
    assert all(r.province_code == "34" for r in diy)
    assert regencies("99") == []


def test_results_are_copies():
    """Mutating a returned list does not change later results."""
    regencies("11").clear()
    provinces().clear()
    assert len(regencies("11")) == 23
    assert len(provinces()) == PROVINCE_COUNT


@pytest.mark.parametrize("code", ["3374", "33.74", " 33.74 ", "3374\n"])
def test_regency_accepts_both_formats(code):
    """regency() accepts the dotted and the undotted code."""
    found = regency(code)
    assert found is not None
    assert found.code == "33.74"
    assert found.name == "Kota Semarang"


@pytest.mark.parametrize("code", ["", "33", "337", "33.7", "33744", "33-74", "3a74", None, 3374])
def test_regency_malformed_is_none(code):
    """regency() returns None for a malformed code instead of raising."""
    assert regency(code) is None


def test_unknown_codes_are_none():
    """Lookups of well-formed but unknown codes return None."""
    assert province("10") is None
    assert province("1") is None
    assert province("") is None
    assert regency("11.99") is None
    assert regency("0000") is None


@pytest.mark.parametrize(
    ("code", "expected"), [("1101", "11.01"), ("11.01", "11.01"), (" 9671 ", "96.71")]
)
def test_normalize_regency_code(code, expected):
    """normalize_regency_code returns the dotted form."""
    assert normalize_regency_code(code) == expected


@pytest.mark.parametrize(
    "code", ["", "11", "11.1", "11.011", "110", "11010", "11 01", "11..01", "١١٠١", "ab.cd", None]
)
def test_normalize_regency_code_malformed(code):
    """normalize_regency_code raises ValueError for a malformed code."""
    with pytest.raises(ValueError, match="Malformed regency code"):
        normalize_regency_code(code)


@pytest.mark.parametrize(
    ("province_code", "regency_code"),
    [
        ("33", "33.74"),
        ("33", "3374"),
        ("33", None),
        ("33", ""),
        ("33", "  "),
        (" 31 ", "31.71"),
    ],
)
def test_validate_region_ok(province_code, regency_code):
    """validate_region accepts a matching pair, either code format, and a blank regency."""
    assert validate_region(province_code, regency_code) is None


@pytest.mark.parametrize(
    ("province_code", "regency_code", "message"),
    [
        (None, None, "Province code is required"),
        ("", "33.74", "Province code is required"),
        ("99", None, "Unknown province code '99'"),
        ("3374", None, "Unknown province code '3374'"),
        ("33", "33.99", "Unknown regency code '33.99'"),
        ("33", "33/74", "Malformed regency code '33/74'"),
        (
            "32",
            "33.74",
            r"Regency 33\.74 \(Kota Semarang\) is in province 33 \(Jawa Tengah\), "
            r"not in 32 \(Jawa Barat\)",
        ),
        ("91", "9301", r"Regency 93\.01 \(Kabupaten Merauke\) is in province 93"),
    ],
)
def test_validate_region_errors(province_code, regency_code, message):
    """validate_region raises ValueError with a clear message for each kind of mismatch."""
    with pytest.raises(ValueError, match=message):
        validate_region(province_code, regency_code)


def test_province_choices():
    """province_choices lists (code, name) for all provinces in code order."""
    choices = province_choices()
    assert len(choices) == PROVINCE_COUNT
    assert choices[0] == ("11", "Aceh")
    assert ("31", "DKI Jakarta") in choices
    assert choices[-1] == ("96", "Papua Barat Daya")


def test_regency_choices():
    """regency_choices lists (dotted code, name) for one province, [] when blank or unknown."""
    assert regency_choices("34")[-1] == ("34.71", "Kota Yogyakarta")
    assert ("32.04", "Kabupaten Bandung") in regency_choices("32")
    assert len(regency_choices("31")) == 6
    assert regency_choices(None) == []
    assert regency_choices("") == []
    assert regency_choices("99") == []


@pytest.mark.parametrize(
    ("nik", "expected"),
    [
        ("3374081205900001", "33.74"),
        ("3578014107100002", "35.78"),
        (" 3204015506120003 ", "32.04"),
        ("9301010101100004", "93.01"),
    ],
)
def test_nik_regency_known(nik, expected):
    """The NIK helper returns the dotted regency code of a NIK's first four digits."""
    assert province_code_from_nik(nik) == expected
    assert regency_code_from_nik(nik) == expected


@pytest.mark.parametrize(
    "nik",
    [
        "9101010101100001",  # 91.01 moved to Papua Selatan (93.01) in 2022
        "1199010101100001",  # no regency 11.99
        "0001010101100001",
        "337408120590000",  # 15 digits
        "33740812059000011",  # 17 digits
        "3374-0812-0590-0001",
        "33.74.08.120590.0001",
        "",
        None,
        3374081205900001,
    ],
)
def test_nik_regency_unknown_or_malformed(nik):
    """The NIK helper returns None for a malformed NIK or a regency not in the data."""
    assert province_code_from_nik(nik) is None


def test_data_loaded_once():
    """The CSVs are parsed once and cached."""
    assert regions._data() is regions._data()
