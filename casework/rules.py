"""Rules that derive values a worker never types: age, child-labour status, suggested risk."""

from __future__ import annotations

from datetime import date

from casework.classification import MAX_AGE, MIN_AGE, Result, classify

NOT_APPLICABLE = "not_applicable"  # outside ages 5-17 the statistical rules do not apply
SEVERITY = [Result.NONE, Result.CHILD_LABOUR, Result.HAZARDOUS, Result.WORST_FORM]


def age_on(day: date, *, date_of_birth: date | None, birth_year: int) -> int:
    """Completed years on `day`; with only a (possibly estimated) birth year, year difference."""
    if date_of_birth is not None:
        before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
        return day.year - date_of_birth.year - int(before_birthday)
    return day.year - birth_year


def child_labour_status(
    *, age: int, hours_per_week, hazardous: bool, worst_form: bool, standard: str
) -> str:
    """classify() for ages 5-17, NOT_APPLICABLE outside them."""
    if age < MIN_AGE or age > MAX_AGE:
        return NOT_APPLICABLE
    return str(classify(age, hours_per_week, hazardous, worst_form, standard))


STANDARDS = ("bps", "ilo")


def assessment_statuses(
    *,
    age: int,
    works: bool,
    hours_per_week,
    hazards: list[str] | tuple[str, ...],
    night_work: bool,
    worst_forms: list[str] | tuple[str, ...],
) -> dict[str, str]:
    """The child-labour status under each standard ({"bps": ..., "ilo": ...}) from an
    assessment's answers: the one derivation used by the services, the bulk loader and the demo.

    Hours and hazards count only when the child works; night work is hazardous; a worst form
    counts whatever the child reports about work.
    """
    hazardous = works and (bool(hazards) or night_work)
    return {
        standard: child_labour_status(
            age=age,
            hours_per_week=hours_per_week if works else 0,
            hazardous=hazardous,
            worst_form=bool(worst_forms),
            standard=standard,
        )
        for standard in STANDARDS
    }


def suggest_risk(*, status: str, night_work: bool, scores: dict[str, int]) -> str:
    """The risk level suggested to the worker, who decides.

    urgent: a worst form, or safety scored 1; high: hazardous work, night work, or any domain
    scored 1; medium: child labour, or any domain scored 2; low otherwise.
    """
    return suggest_risk_explained(status=status, night_work=night_work, scores=scores)[0]


def suggest_risk_explained(
    *, status: str, night_work: bool, scores: dict[str, int]
) -> tuple[str, list[str]]:
    """`suggest_risk` with why: the level and the codes of the answers that decided it
    (`worst_form`, `safety_1`, `hazardous`, `night_work`, `score_1`, `child_labour`, `score_2`;
    none for low)."""
    lowest = min(scores.values()) if scores else 5
    reasons: list[str] = []
    if status == Result.WORST_FORM:
        reasons.append("worst_form")
    if scores.get("safety") == 1:
        reasons.append("safety_1")
    if reasons:
        return "urgent", reasons
    if status == Result.HAZARDOUS:
        reasons.append("hazardous")
    if night_work:
        reasons.append("night_work")
    if lowest == 1:
        reasons.append("score_1")
    if reasons:
        return "high", reasons
    if status == Result.CHILD_LABOUR:
        reasons.append("child_labour")
    if lowest == 2:
        reasons.append("score_2")
    if reasons:
        return "medium", reasons
    return "low", []
