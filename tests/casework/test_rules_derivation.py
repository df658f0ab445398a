"""One derivation of the child-labour status from an assessment's answers, used everywhere."""

import pytest

from casework.rules import NOT_APPLICABLE, assessment_statuses


def _statuses(**overrides):
    answers = {
        "age": 13,
        "works": True,
        "hours_per_week": 10,
        "hazards": [],
        "night_work": False,
        "worst_forms": [],
    }
    answers.update(overrides)
    return assessment_statuses(**answers)


def test_both_standards_are_derived():
    """A 13-year-old working 10 h/week in light work: the standards' own answers, both kept."""
    statuses = _statuses()
    assert set(statuses) == {"bps", "ilo"}


def test_night_work_is_hazardous_under_both_standards():
    """Night work counts as hazardous work."""
    assert _statuses(night_work=True) == {"bps": "hazardous", "ilo": "hazardous"}


def test_hours_and_hazards_count_only_when_the_child_works():
    """A child who does not work is not in child labour, whatever hours or hazards were typed."""
    assert _statuses(works=False, hours_per_week=60, hazards=["chemicals"]) == {
        "bps": "none",
        "ilo": "none",
    }


def test_a_worst_form_counts_even_without_reported_work():
    """A worst form of child labour is reported whatever the work answers say."""
    assert _statuses(works=False, worst_forms=["trafficking"]) == {
        "bps": "worst_form",
        "ilo": "worst_form",
    }


@pytest.mark.parametrize("age", [4, 18])
def test_outside_ages_5_to_17_the_rules_do_not_apply(age):
    assert _statuses(age=age) == {"bps": NOT_APPLICABLE, "ilo": NOT_APPLICABLE}


def test_services_bulk_loader_and_demo_share_the_derivation():
    """The three former copies now call assessment_statuses (no second derivation remains)."""
    import inspect

    from casework import bulk
    from casework.services import assessments
    from demo import seed

    for module in (assessments, bulk, seed):
        source = inspect.getsource(module)
        assert "assessment_statuses(" in source
        assert "child_labour_status(" not in source
