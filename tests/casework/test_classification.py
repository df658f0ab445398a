"""Tests for casework.classification.classify (ILO and BPS child-labour rules)."""

from decimal import Decimal
from fractions import Fraction

import pytest

from casework.classification import Result, Standard, classify

NONE = "none"
CL = "child_labour"
HAZ = "hazardous"
WORST = "worst_form"


def _case(standard, age, hours, expected):
    return pytest.param(
        standard, age, hours, expected, id=f"{standard}-age{age}-{hours}h-{expected}"
    )


# Hours rules only (no flags). Both sides of every threshold, at every band edge.
HOURS_CASES = [
    # ILO 5-11: any work (hours > 0) is child labour.
    _case("ilo", 5, 0, NONE),
    _case("ilo", 5, 1, CL),
    _case("ilo", 11, 0, NONE),
    _case("ilo", 11, 1, CL),
    # ILO 12-14: 14 hours/week or more is child labour; light work below.
    _case("ilo", 12, 0, NONE),
    _case("ilo", 12, 1, NONE),
    _case("ilo", 12, 13, NONE),
    _case("ilo", 12, 14, CL),
    _case("ilo", 13, 13, NONE),
    _case("ilo", 13, 14, CL),
    _case("ilo", 14, 13, NONE),
    _case("ilo", 14, 14, CL),
    _case("ilo", 14, 15, CL),
    _case("ilo", 14, 16, CL),
    # ILO 15-17: 43 hours/week or more is hazardous (long hours).
    _case("ilo", 15, 0, NONE),
    _case("ilo", 15, 40, NONE),
    _case("ilo", 15, 41, NONE),
    _case("ilo", 15, 42, NONE),
    _case("ilo", 15, 43, HAZ),
    _case("ilo", 17, 42, NONE),
    _case("ilo", 17, 43, HAZ),
    # BPS 5-12: any work is child labour.
    _case("bps", 5, 0, NONE),
    _case("bps", 5, 1, CL),
    _case("bps", 11, 0, NONE),
    _case("bps", 11, 1, CL),
    _case("bps", 12, 0, NONE),
    _case("bps", 12, 1, CL),
    # BPS 13-14: more than 15 hours/week is child labour.
    _case("bps", 13, 0, NONE),
    _case("bps", 13, 1, NONE),
    _case("bps", 13, 13, NONE),
    _case("bps", 13, 14, NONE),
    _case("bps", 13, 15, NONE),
    _case("bps", 13, 16, CL),
    _case("bps", 14, 15, NONE),
    _case("bps", 14, 16, CL),
    # BPS 15-17: more than 40 hours/week is child labour (not "hazardous").
    _case("bps", 15, 0, NONE),
    _case("bps", 15, 40, NONE),
    _case("bps", 15, 41, CL),
    _case("bps", 15, 42, CL),
    _case("bps", 15, 43, CL),
    _case("bps", 17, 40, NONE),
    _case("bps", 17, 41, CL),
]

# Non-integer hours: int, float, Decimal and Fraction compare the same way.
FRACTIONAL_HOURS_CASES = [
    _case("ilo", 12, 13.5, NONE),
    _case("ilo", 12, 14.0, CL),
    _case("ilo", 14, 15.5, CL),
    _case("ilo", 12, Decimal("13.9"), NONE),
    _case("ilo", 12, Decimal("14"), CL),
    _case("ilo", 5, 0.5, CL),
    _case("ilo", 15, 42.5, NONE),
    _case("ilo", 15, 43.0, HAZ),
    _case("bps", 13, 15.0, NONE),
    _case("bps", 13, 15.5, CL),
    _case("bps", 13, Decimal("15.0"), NONE),
    _case("bps", 13, Decimal("15.5"), CL),
    _case("bps", 13, Fraction(31, 2), CL),
    _case("bps", 12, 0.0, NONE),
    _case("bps", 15, 40.0, NONE),
    _case("bps", 15, 40.5, CL),
]

EDGE_AGES = [5, 11, 12, 13, 14, 15, 17]


@pytest.mark.parametrize(("standard", "age", "hours", "expected"), HOURS_CASES)
def test_hours_thresholds(standard, age, hours, expected):
    """Without flags, the result follows the age band and weekly-hours rule of the standard."""
    result = classify(age, hours, hazardous=False, worst_form=False, standard=standard)
    assert result == expected
    assert str(result) == expected


@pytest.mark.parametrize(("standard", "age", "hours", "expected"), FRACTIONAL_HOURS_CASES)
def test_fractional_hours(standard, age, hours, expected):
    """Float, Decimal and Fraction hours are compared against the thresholds exactly."""
    assert classify(age, hours, False, False, standard) == expected


@pytest.mark.parametrize("standard", ["ilo", "bps"])
@pytest.mark.parametrize("age", EDGE_AGES)
@pytest.mark.parametrize("hours", [0, 1, 16, 43], ids=lambda h: f"{h}h")
@pytest.mark.parametrize(
    ("hazardous", "worst_form", "expected"),
    [
        pytest.param(True, True, WORST, id="both-flags"),
        pytest.param(False, True, WORST, id="worst_form-only"),
        pytest.param(True, False, HAZ, id="hazardous-only"),
    ],
)
def test_flags_win_over_hours(standard, age, hours, hazardous, worst_form, expected):
    """worst_form beats hazardous beats the hours rules, at any age 5-17, even at 0 hours."""
    assert classify(age, hours, hazardous, worst_form, standard) == expected


@pytest.mark.parametrize(
    ("hazardous", "worst_form", "expected"),
    [
        pytest.param(1, 0, HAZ, id="int-flags-hazardous"),
        pytest.param("", "yes", WORST, id="str-flags-worst"),
        pytest.param(None, None, NONE, id="none-flags"),
    ],
)
def test_flags_are_truthiness(hazardous, worst_form, expected):
    """Flags are read by truthiness, not only as bool."""
    assert classify(12, 0, hazardous, worst_form, "bps") == expected


def test_returns_result_enum_equal_to_plain_strings():
    """The return value is a Result member, itself a str equal to the documented value."""
    result = classify(5, 1, False, False, "ilo")
    assert result is Result.CHILD_LABOUR
    assert isinstance(result, str)
    assert [r.value for r in Result] == [NONE, CL, HAZ, WORST]
    assert [s.value for s in Standard] == ["ilo", "bps"]


@pytest.mark.parametrize("standard", list(Standard), ids=str)
def test_accepts_standard_enum(standard):
    """A Standard member works the same as its string value."""
    assert classify(12, 1, False, False, standard) == classify(12, 1, False, False, str(standard))


@pytest.mark.parametrize("standard", ["ilo", "bps"])
@pytest.mark.parametrize("age", [-1, 0, 4, 18, 25])
@pytest.mark.parametrize("worst_form", [False, True], ids=["no-flag", "worst_form"])
def test_age_outside_5_to_17_raises(standard, age, worst_form):
    """Ages outside 5-17 raise ValueError naming the range, even when a flag is set."""
    with pytest.raises(ValueError, match=rf"age must be from 5 to 17.*got {age}$"):
        classify(age, 10, False, worst_form, standard)


@pytest.mark.parametrize("standard", ["ilo", "bps"])
@pytest.mark.parametrize("hours", [-1, -0.5, Decimal("-0.1")], ids=["int", "float", "decimal"])
@pytest.mark.parametrize("worst_form", [False, True], ids=["no-flag", "worst_form"])
def test_negative_hours_raise(standard, hours, worst_form):
    """Negative weekly hours raise ValueError, even when a flag is set."""
    with pytest.raises(ValueError, match="weekly_hours must be 0 or more"):
        classify(12, hours, False, worst_form, standard)


@pytest.mark.parametrize(
    "hours",
    [float("nan"), float("inf"), Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")],
    ids=["nan", "inf", "decimal-nan", "decimal-snan", "decimal-inf"],
)
def test_non_finite_hours_raise(hours):
    """NaN and infinite hours raise ValueError instead of silently classifying."""
    with pytest.raises(ValueError, match="weekly_hours must be a finite number"):
        classify(12, hours, False, False, "ilo")


@pytest.mark.parametrize("standard", ["ILO", "Bps", "", " ilo", "unicef", None, 1], ids=repr)
def test_unknown_standard_raises(standard):
    """An unknown standard raises ValueError listing the allowed values (case-sensitive)."""
    with pytest.raises(ValueError, match=r"standard must be one of 'ilo', 'bps', got "):
        classify(12, 10, True, True, standard)


@pytest.mark.parametrize("age", [12.0, "12", None, True], ids=repr)
def test_non_int_age_raises_type_error(age):
    """Age must be an int of completed years; floats, strings, None and bool are rejected."""
    with pytest.raises(TypeError, match="age must be an int"):
        classify(age, 10, False, False, "ilo")


@pytest.mark.parametrize("hours", ["14", None, True], ids=repr)
def test_non_numeric_hours_raise_type_error(hours):
    """Weekly hours must be a number; strings, None and bool are rejected."""
    with pytest.raises(TypeError, match="weekly_hours must be a number"):
        classify(12, hours, False, False, "ilo")
