"""The indicator registry: issue 10's indicators and dimensions, defined once, in both languages,
and the tables built from them pass through the suppression."""

import importlib

import pytest
from django.utils import translation

from casework.classification import Result
from casework.models import Case, Child, Intervention
from core.errors import ApplicationError
from network.reporting.audit import audit_table, audit_tables
from network.reporting.indicators import (
    CHILD_DIMENSIONS,
    DIMENSIONS,
    INDICATORS,
    Kind,
    Source,
    age_band,
    group_by_check,
    indicator_get,
)
from network.reporting.publish import table_publish, tables_publish


def test_the_registry_holds_issue_10s_indicators():
    """Every indicator the issue lists, once, under a stable code."""
    assert list(INDICATORS) == [
        "children_identified",
        "children_in_child_labour",
        "children_in_hazardous_work",
        "children_in_worst_forms",
        "active_cases",
        "new_cases",
        "closed_cases",
        "children_back_in_school",
        "children_withdrawn",
        "children_prevented",
        "children_relapsed",
        "domain_score_change",
        "services_delivered",
        "children_served",
        "referrals_sent",
        "referrals_received",
        "referrals_accepted",
        "referrals_declined",
        "referrals_completed",
        "referrals_overdue",
        "days_to_first_service",
        "followups",
        "children_served_by_several_ngos",
    ]


def test_child_counts_break_down_by_issue_10s_dimensions():
    """Sex, age band, province and regency, sector, ILO and BPS status, risk, case type, month."""
    assert CHILD_DIMENSIONS == (
        "month",
        "sex",
        "age_band",
        "province",
        "regency",
        "sector",
        "status_ilo",
        "status_bps",
        "risk_level",
        "case_type",
    )
    assert INDICATORS["children_identified"].dimensions == CHILD_DIMENSIONS
    assert [value.code for value in DIMENSIONS["age_band"].values] == [
        "5_11",
        "12_14",
        "15_17",
        "other",
        "unknown",
    ]


@pytest.mark.parametrize("indicator", list(INDICATORS.values()), ids=list(INDICATORS))
def test_every_indicator_is_complete_and_consistent(indicator):
    """Registered dimensions only; required and non-additive ones among them; `computed_by`
    names a function that exists; a basis exactly for means and medians. Only the linkage count
    is made in the public schema: the referral counts come from each NGO's own referral history
    (the public envelope keeps the current state only)."""
    assert set(indicator.dimensions) <= set(DIMENSIONS)
    assert set(indicator.required) <= set(indicator.dimensions)
    assert set(indicator.non_additive) <= set(indicator.dimensions)
    module, _, function = indicator.computed_by.rpartition(".")
    assert callable(getattr(importlib.import_module(module), function))
    assert indicator.computation
    assert (indicator.basis is not None) == (indicator.kind in (Kind.MEAN, Kind.MEDIAN))
    expected_source = (
        Source.PUBLIC if indicator.code == "children_served_by_several_ngos" else Source.TENANT
    )
    assert indicator.source == expected_source


def test_dimension_values_follow_the_casework_choices():
    """Values of dimensions taken from a case are the casework choices (one list each)."""
    assert DIMENSIONS["sex"].value_codes() == tuple(Child.Sex.values)
    assert DIMENSIONS["closure_reason"].value_codes() == tuple(Case.ClosureReason.values)
    assert DIMENSIONS["service_type"].value_codes() == tuple(Intervention.Type.values)
    assert DIMENSIONS["risk_level"].value_codes() == (*Case.Risk.values, "unknown")
    assert DIMENSIONS["status_ilo"].value_codes() == (*(r.value for r in Result), "unknown")
    assert DIMENSIONS["province"].value_codes() is None  # open: the Kemendagri codes present


def test_names_and_descriptions_speak_both_languages():
    """Every indicator's and dimension's name (and each value's) has an Indonesian translation."""
    texts = [indicator.name for indicator in INDICATORS.values()]
    texts += [indicator.description for indicator in INDICATORS.values()]
    texts += [dimension.name for dimension in DIMENSIONS.values()]
    texts += [value.name for d in DIMENSIONS.values() for value in d.values or ()]
    with translation.override("en"):
        english = [str(text) for text in texts]
    with translation.override("id"):
        indonesian = [str(text) for text in texts]
        assert str(INDICATORS["children_identified"].name) == "Anak teridentifikasi"
        assert str(DIMENSIONS["age_band"].name) == "Kelompok umur"
    same = [text for text, other in zip(english, indonesian, strict=True) if text == other]
    # Even the standard's proper name is explained in Indonesian ("standar internasional").
    assert same == []


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (None, "unknown"),
        (4, "other"),
        (5, "5_11"),
        (11, "5_11"),
        (12, "12_14"),
        (14, "12_14"),
        (15, "15_17"),
        (17, "15_17"),
        (18, "other"),
    ],
)
def test_age_bands(age, band):
    """5-11, 12-14, 15-17; other ages and unknown ones have their own band."""
    assert age_band(age) == band


def test_group_by_is_checked_against_the_registry():
    """An unknown dimension, a missing required one, a repeat or too many: 400 with messages
    on the group_by field."""
    served = indicator_get("children_served")
    assert group_by_check(served, ["service_type", "sex"]) == ("service_type", "sex")
    with pytest.raises(ApplicationError) as caught:
        group_by_check(served, ["sex", "urgency"])
    assert caught.value.code == "invalid_group_by"
    assert caught.value.fields == {
        "group_by": [
            "children_served has no dimension urgency.",
            "children_served is always grouped by service_type.",
        ]
    }
    with pytest.raises(ApplicationError) as caught:
        group_by_check(served, ["service_type", "sex", "age_band", "province"])
    assert caught.value.fields == {"group_by": ["Group by 1 to 3 dimensions."]}
    with pytest.raises(ApplicationError) as caught:
        indicator_get("nope")
    assert (caught.value.code, caught.value.fields) == (
        "unknown_indicator",
        {"indicator": ["Unknown indicator: nope."]},
    )


def test_a_registry_table_gets_every_value_and_its_non_additive_dimensions():
    """A fixed dimension lists every value (zeros too), an open one the values present; a
    dimension without margins for the indicator has none; the table passes the audit."""
    counts = {
        ("counselling", "female"): 7,
        ("counselling", "male"): 2,
        ("health", "female"): 12,
        ("health", "male"): 9,
    }
    table = table_publish(
        indicator="children_served", group_by=["service_type", "sex"], counts=counts
    )
    assert table["non_additive"] == ["service_type"]
    cells = {(cell["service_type"], cell["sex"]): cell["value"] for cell in table["cells"]}
    assert len(cells) == len(Intervention.Type.values) * 3
    assert cells[("counselling", "female")] is None  # the complement of the 2
    assert cells[("counselling", None)] == 9
    assert cells[("health", None)] == 21
    assert cells[("vocational", None)] == 0
    assert audit_table(table).ok

    by_province = table_publish(
        indicator="new_cases", group_by=["province"], counts={("33",): 8, ("35",): 1, ("31",): 6}
    )
    assert [cell["province"] for cell in by_province["cells"]] == ["31", "33", "35", None]
    assert audit_table(by_province).ok


def test_a_page_of_tables_is_published_as_a_set():
    """Tables of one indicator shown together go through the linked suppression: the total a
    table by sex and age band hides is hidden in the table by sex too, and the page passes the
    joint audit."""
    by_sex_and_age = {("female", "5_11"): 0, ("female", "12_14"): 20, ("male", "5_11"): 3}
    by_sex = {("female",): 20, ("male",): 3}
    page = tables_publish(
        indicator="new_cases",
        tables=[(["sex", "age_band"], by_sex_and_age), (["sex"], by_sex)],
    )
    assert [table["group_by"] for table in page] == [["sex", "age_band"], ["sex"]]
    assert [cell["value"] for cell in page[1]["cells"]] == [None, None, None]
    assert audit_tables(page).ok
    with pytest.raises(ApplicationError):
        tables_publish(indicator="new_cases", tables=[(["urgency"], {})])
