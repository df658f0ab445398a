"""Child-labour classification of one child's work situation.

Pure Python, no Django: callers pass plain values and get back one of four
results, ordered from least to most severe.

Standards
---------
``"ilo"``
    ILO global estimates, built on the 18th ICLS (2008) Resolution II
    concerning statistics of child labour: children aged 5-11 in any
    economic activity, 12-14 working 14 hours a week or more (beyond
    permissible light work), and 15-17 in hazardous work, where 43 hours a
    week or more counts as hazardous ("long hours").
``"bps"``
    Statistics Indonesia (BPS) "pekerja anak", following Law 13/2003 on
    Manpower (art. 68 bans employing children, art. 69 allows light work
    for ages 13-15, art. 74 bans the worst forms): children aged 5-12 who
    work at all, 13-14 working more than 15 hours a week, and 15-17
    working more than 40 hours a week.

Under both standards a worst form (forced labour, trafficking, sexual
exploitation, illicit activities) or hazardous work is child labour at any
age from 5 to 17, whatever the hours.
"""

import math
import numbers
from decimal import Decimal
from enum import StrEnum

__all__ = ["MAX_AGE", "MIN_AGE", "Result", "Standard", "classify"]

MIN_AGE = 5
MAX_AGE = 17


class Result(StrEnum):
    """Classification result, from least to most severe.

    Members are ``str`` subclasses, so ``Result.NONE == "none"``.
    """

    NONE = "none"
    CHILD_LABOUR = "child_labour"
    HAZARDOUS = "hazardous"
    WORST_FORM = "worst_form"


class Standard(StrEnum):
    """Measurement standard: ILO global estimates or BPS (Indonesia)."""

    ILO = "ilo"
    BPS = "bps"


def classify(age, weekly_hours, hazardous, worst_form, standard):
    """Classify a child's work as none, child labour, hazardous or worst form.

    The most severe applicable result wins: ``worst_form`` over
    ``hazardous`` over the hours rules of ``standard``.

    Args:
        age: completed years, an ``int`` from 5 to 17 inclusive.
        weekly_hours: hours worked per week, a finite number >= 0
            (``int``, ``float``, ``Decimal`` or ``Fraction``).
        hazardous: truthy if the work is hazardous (industry, occupation or
            conditions); wins over hours, even 0 recorded hours.
        worst_form: truthy if the child is in a worst form of child labour
            (forced labour, trafficking, sexual exploitation, illicit
            activities); wins over everything, even 0 recorded hours.
        standard: ``"ilo"`` or ``"bps"`` (or a :class:`Standard`), exact
            lower case.

    Returns:
        A :class:`Result`, which compares equal to ``"none"``,
        ``"child_labour"``, ``"hazardous"`` or ``"worst_form"``.

    Raises:
        TypeError: ``age`` is not an int, or ``weekly_hours`` is not a
            number (``bool`` is rejected for both).
        ValueError: ``age`` is outside 5-17, ``weekly_hours`` is negative
            or not finite, or ``standard`` is not ``"ilo"`` or ``"bps"``.
            Arguments are checked before the flags, so bad input raises
            even when a flag is set.
    """
    standard = _check_standard(standard)
    _check_age(age)
    _check_hours(weekly_hours)

    if worst_form:
        return Result.WORST_FORM
    if hazardous:
        return Result.HAZARDOUS

    if standard is Standard.ILO:
        if age <= 11:
            return Result.CHILD_LABOUR if weekly_hours > 0 else Result.NONE
        if age <= 14:
            return Result.CHILD_LABOUR if weekly_hours >= 14 else Result.NONE
        return Result.HAZARDOUS if weekly_hours >= 43 else Result.NONE

    # Standard.BPS
    if age <= 12:
        return Result.CHILD_LABOUR if weekly_hours > 0 else Result.NONE
    if age <= 14:
        return Result.CHILD_LABOUR if weekly_hours > 15 else Result.NONE
    return Result.CHILD_LABOUR if weekly_hours > 40 else Result.NONE


def _check_standard(standard):
    try:
        return Standard(standard)
    except ValueError:
        allowed = ", ".join(repr(s.value) for s in Standard)
        raise ValueError(f"standard must be one of {allowed}, got {standard!r}") from None


def _check_age(age):
    if isinstance(age, bool) or not isinstance(age, numbers.Integral):
        raise TypeError(f"age must be an int (completed years), got {age!r}")
    if not MIN_AGE <= age <= MAX_AGE:
        raise ValueError(
            f"age must be from {MIN_AGE} to {MAX_AGE} (child labour covers ages "
            f"{MIN_AGE}-{MAX_AGE}), got {age!r}"
        )


def _check_hours(hours):
    if isinstance(hours, bool) or not isinstance(hours, numbers.Real | Decimal):
        raise TypeError(f"weekly_hours must be a number (int, float or Decimal), got {hours!r}")
    finite = hours.is_finite() if isinstance(hours, Decimal) else math.isfinite(hours)
    if not finite:
        raise ValueError(f"weekly_hours must be a finite number, got {hours!r}")
    if hours < 0:
        raise ValueError(f"weekly_hours must be 0 or more, got {hours!r}")
