"""`manage.py audit_suppression`: audits published tables from a file or standard input and
fails when a suppressed cell leaks."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from network.reporting.suppression import suppress, suppress_linked

NAIVE = {
    "indicator": "new_cases",
    "group_by": ["sex"],
    "threshold": 5,
    "cells": [
        {"sex": "female", "value": None, "suppressed": True},
        {"sex": "male", "value": 10, "suppressed": False},
        {"sex": None, "value": 12, "suppressed": False},
    ],
}


def _run(*args, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    kwargs = {"stdout": out, "stderr": err}
    if stdin is not None:
        kwargs["stdin"] = io.StringIO(stdin)
    try:
        call_command("audit_suppression", *args, **kwargs)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), str(error)
    return out.getvalue(), err.getvalue(), None


def test_suppressed_tables_pass(tmp_path):
    """Tables from `suppress`, as {"tables": [...]}: each reported, and the command succeeds."""
    tables = [
        suppress(
            {("f", "a"): 2, ("f", "b"): 10, ("m", "a"): 8, ("m", "b"): 20},
            indicator="children_identified",
            group_by=["sex", "age_band"],
        ),
        suppress({("f",): 12, ("m",): 30}, indicator="new_cases", group_by=["sex"]),
    ]
    path = tmp_path / "tables.json"
    path.write_text(json.dumps({"tables": tables}))
    out, err, error = _run("--file", str(path))
    assert error is None
    assert out.splitlines() == [
        f"{path}#0 children_identified by sex, age_band: 4 suppressed,"
        " every interval at least 5 wide",
        f"{path}#1 new_cases by sex: 0 suppressed, every interval at least 5 wide",
        "2 audit(s): no leak.",
    ]
    assert err == ""


def test_a_leak_fails_the_command_and_names_the_cell():
    """Primary-only suppression read from stdin: the cell and its interval, and exit status 1."""
    out, _, error = _run(stdin=json.dumps(NAIVE))
    assert error == "the audit failed"
    assert out.splitlines() == [
        "stdin#0 new_cases by sex: 1 suppressed, 1 leak(s)",
        "  sex=female: between 2 and 2",
    ]


def test_json_output():
    """--json: one document with every table's result, leaks with their bounds."""
    out, _, error = _run("--json", stdin=json.dumps([NAIVE]))
    assert error == "the audit failed"
    assert json.loads(out) == {
        "ok": False,
        "results": [
            {
                "table": "stdin#0 new_cases",
                "indicator": "new_cases",
                "group_by": ["sex"],
                "threshold": 5,
                "suppressed": 1,
                "ok": False,
                "leaks": [{"cell": {"sex": "female"}, "lower": 2.0, "upper": 2.0}],
            }
        ],
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "stdin: not JSON"),
        ("42", "stdin: expected a table"),
    ],
)
def test_unreadable_input_is_refused(text, message):
    """Input that is not JSON, or not tables: a clear error, nothing audited."""
    out, _, error = _run(stdin=text)
    assert error.startswith(message)
    assert out == ""


def test_a_malformed_table_is_reported_and_fails(tmp_path):
    """A table missing cells is named on stderr; the others are still audited."""
    broken = {**NAIVE, "cells": NAIVE["cells"][:2]}
    good = suppress({("f",): 12, ("m",): 30}, indicator="new_cases", group_by=["sex"])
    out, err, error = _run("--file", "-", stdin=json.dumps([broken, good]))
    assert error == "the audit failed"
    assert err.strip() == "stdin#0 new_cases: 1 cells missing, e.g. (None,)"
    assert out.splitlines() == [
        "stdin#1 new_cases by sex: 0 suppressed, every interval at least 5 wide"
    ]


def test_a_missing_file_is_refused(tmp_path):
    """A file that does not exist: CommandError naming it."""
    _, _, error = _run("--file", str(tmp_path / "nope.json"))
    assert error == f"{tmp_path / 'nope.json'}: No such file or directory"


CUBE = {("f", "a"): 0, ("f", "b"): 20, ("m", "a"): 3, ("m", "b"): 0}


def test_tables_of_one_indicator_are_also_audited_together():
    """Two tables of one indicator, each safe alone, leak together (the grand total hidden in
    one is shown in the other): the joint audit names the cells; suppressed together, they
    pass."""
    alone = [
        suppress(CUBE, indicator="new_cases", group_by=["sex", "age_band"]),
        suppress({("f",): 20, ("m",): 3}, indicator="new_cases", group_by=["sex"]),
    ]
    out, _, error = _run(stdin=json.dumps(alone))
    assert error == "the audit failed"
    assert out.splitlines() == [
        "stdin#0 new_cases by sex, age_band: 4 suppressed, every interval at least 5 wide",
        "stdin#1 new_cases by sex: 2 suppressed, every interval at least 5 wide",
        "2 tables of new_cases together by sex, age_band: 5 suppressed, 3 leak(s)",
        "  sex=m, age_band=a: between 3 and 3",
        "  sex=m, age_band=all: between 3 and 3",
        "  sex=all, age_band=a: between 3 and 3",
    ]
    together = suppress_linked(
        [(["sex", "age_band"], CUBE), (["sex"], {("f",): 20, ("m",): 3})], indicator="new_cases"
    )
    out, _, error = _run(stdin=json.dumps(together))
    assert error is None
    assert out.splitlines()[-1] == "3 audit(s): no leak."


def test_json_output_of_a_real_process_is_only_json():
    """Run as a process (the solver's C library writes a banner to stdout when its first solver
    is made): stdout is exactly the JSON document."""
    table = suppress({("f",): 3, ("m",): 7}, indicator="new_cases", group_by=["sex"])
    result = subprocess.run(
        [sys.executable, "manage.py", "audit_suppression", "--json"],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "ngo_platform.settings_test"},
        input=json.dumps(table),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"][0]["suppressed"] == 2


@pytest.mark.django_db
def test_the_consortium_publication_is_audited_whole(network, ngo_a, ngo_b):
    """`--consortium`: every table its readers can get for the year, each alone and those of
    one indicator (and standard) together, passes; an unknown consortium or year is refused."""
    import datetime as dt

    from network.reporting.models import AggregateCell
    from tests.network.conftest import aggregate_cell

    december = dt.date(2026, 12, 1)
    # Every case opened this year and still open at its end, as a rollup would count them
    # (active cases at the end = last year's + new - closed: the balance audit relies on it).
    opened = [
        (ngo_a.ngo, 30, "female", "33"),
        (ngo_a.ngo, 2, "male", "35"),
        (ngo_b.ngo, 14, "male", "33"),
        (ngo_b.ngo, 3, "female", "35"),
    ]
    AggregateCell.objects.bulk_create(
        [
            aggregate_cell(ngo, code, december, count, sex=sex, province=province)
            for ngo, count, sex, province in opened
            for code in ("active_cases", "new_cases")
        ]
    )
    out, _err, failure = _run("--consortium", network.consortium.slug, "--year", "2026", "--json")
    assert failure is None
    report = json.loads(out)
    assert report["ok"] is True
    tables = [r["table"] for r in report["results"]]
    assert "active_cases 2026 by sex,ngo" in tables
    assert any(name.startswith("children_in_child_labour 2026 bps by") for name in tables)
    together = next(
        r for r in report["results"] if r["table"].endswith("active_cases 2026 together")
    )
    assert "ngo" in together["group_by"]
    assert together["suppressed"] > 0  # the 2 boys and 3 girls are hidden
    assert together["leaks"] == []
    assert _run("--consortium", "nobody")[2] == "no consortium 'nobody'"
    assert "is not published" in _run("--consortium", network.consortium.slug, "--year", "1990")[2]
