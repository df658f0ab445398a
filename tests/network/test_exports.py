"""Exports of published tables: rows in the reader's language, an Excel workbook; a suppressed
cell is written "< 5" (a small count) or "—" (hidden to protect one) and flagged, never as its
number."""

import io

from django.utils import translation
from openpyxl import load_workbook

from network.reporting.exports import table_csv, table_rows, tables_xlsx
from network.reporting.publish import table_publish

COUNTS = {
    ("female", "5_11"): 2,
    ("female", "12_14"): 10,
    ("male", "5_11"): 8,
    ("male", "12_14"): 20,
}


def _table():
    counts = {key: value for key, value in COUNTS.items()}
    return table_publish(
        indicator="children_identified", group_by=["sex", "age_band"], counts=counts
    )


def test_rows_in_english_with_labels_and_the_suppressed_marker():
    """Dimension and value labels, "All" for margins, "< 5" and True for a suppressed cell."""
    with translation.override("en"):
        rows = table_rows(_table())
    assert rows[0] == ["Sex", "Age band", "Value", "Suppressed"]
    assert rows[1] == ["Female", "5-11 years", "< 5", True]
    assert ["Female", "All", 12, False] in rows
    assert ["All", "All", 40, False] in rows
    assert len(rows) == 1 + 3 * 6  # sex (2 + all) x age band (5 + all)


def test_rows_in_indonesian():
    """The same table for an Indonesian reader."""
    with translation.override("id"):
        rows = table_rows(_table())
    assert rows[0] == ["Jenis kelamin", "Kelompok umur", "Nilai", "Disembunyikan"]
    assert ["Semua", "Semua", 40, False] in rows


def test_csv_says_yes_and_no_in_the_readers_language():
    """Not Python's True / False: a CSV opened in a spreadsheet shows the words."""
    for language, yes, no in (("id", "ya", "tidak"), ("en", "yes", "no")):
        with translation.override(language):
            lines = table_csv(_table()).splitlines()
        assert lines[1].endswith(f",< 5,{yes}"), lines[1]
        assert any(line.endswith(f",40,{no}") for line in lines), language
        assert "True" not in "".join(lines)
        assert "False" not in "".join(lines)


def test_workbook_has_one_sheet_per_table_and_never_the_small_number():
    """One sheet per table named after its indicator; the suppressed cells read "< 5"."""
    with translation.override("en"):
        data = tables_xlsx([_table()])
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["1 Children identified"]
    values = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    assert values[1] == ["Female", "5-11 years", "< 5", True]
    hidden = {tuple(row[:2]): row[2] for row in values[1:] if row[3] is True}
    # The 2 girls aged 5-11 are the small count; the three cells hidden to protect it (8 boys
    # of that age, 10 girls aged 12-14, 20 boys) read "—", not "< 5".
    assert hidden == {
        ("Female", "5-11 years"): "< 5",
        ("Female", "12-14 years"): "—",
        ("Male", "5-11 years"): "—",
        ("Male", "12-14 years"): "—",
    }
