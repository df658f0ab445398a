"""Counting rules the hand-counted fixture of test_rollup.py does not reach: a domain score
change over three approved assessments is the latest minus the first (not the previous), and a
case counts from the month its second approved assessment is in force."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from casework.models import Household
from network.reporting import rollup
from network.reporting.models import AggregateCell
from tests.network.test_rollup import MONTHS, NOV, OCT, _assessment, _case, _child

pytestmark = pytest.mark.django_db


def test_domain_score_change_is_latest_minus_first_of_every_approved_assessment(ngo_a, team_a):
    """Education 2 (09-05), 3 (10-05), then 5 and 1 on the same day (11-05, the later row
    wins, as the latest by date and id): no change in September (one assessment), +1 in
    October, -1 in November; health stays 3 (change 0, counted)."""
    worker = team_a["worker"].user
    with schema_context(ngo_a.ngo.schema_name):
        household = Household.objects.create(guardian_name="Ibu Sari", village="Kemijen")
        child = _child("Dewi", "female", birth_year=2013, household=household, worker=worker)
        case = _case("T-D1", child, "child_labour", "2026-09-01", risk="medium", worker=worker)
        for on, education in (
            ("2026-09-05", 2),
            ("2026-10-05", 3),
            ("2026-11-05", 5),
            ("2026-11-05", 1),
        ):
            _assessment(
                case, on, sector="perikanan", ilo="child_labour", bps="child_labour",
                education=education, worker=worker,
            )  # fmt: skip
    connection.set_schema_to_public()

    rollup.ngo_rollup(ngo=ngo_a.ngo, months=MONTHS)

    scores = {
        (row["month"], row["domain"]): (row["value"], row["total"])
        for row in AggregateCell.objects.filter(
            ngo=ngo_a.ngo, indicator="domain_score_change"
        ).values()
    }
    assert scores == {
        (OCT, "education"): (1, 1.0),
        (OCT, "health"): (1, 0.0),
        (OCT, "psychosocial"): (1, 0.0),
        (OCT, "safety"): (1, 0.0),
        (OCT, "family_economy"): (1, 0.0),
        (NOV, "education"): (1, -1.0),
        (NOV, "health"): (1, 0.0),
        (NOV, "psychosocial"): (1, 0.0),
        (NOV, "safety"): (1, 0.0),
        (NOV, "family_economy"): (1, 0.0),
    }
    assert dt.date(2026, 9, 1) not in {month for month, _domain in scores}
