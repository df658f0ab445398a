"""The input rules of one NGO's casework: each rule decides and words its message once.

Services call `check()` before they write (that is the decision, whatever the door: page, API or
import). Page forms and API serializers run the same rules (`errors()`) only to put the same
message on the same field before the service is reached; widgets may keep hints (a date picker's
`min`/`max`) but never a limit of their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import clock
from core.errors import ApplicationError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Rule = Callable[[Any], "str | None"]

EARLIEST_BIRTH_YEAR = 1990
MAX_AGE_YEARS = 25  # the oldest a registered child (young person) may be, in birth years
MAX_HOURS_PER_WEEK = 168
MIN_INTERVAL_DAYS = 1
MAX_INTERVAL_DAYS = 3650
NAME_MAX_LENGTH = 200  # Child.full_name
KNOWN_AS_MAX_LENGTH = 100  # Child.known_as


def max_length(limit: int) -> Rule:
    """Text of at most `limit` characters: a longer text is refused, never cut."""

    def rule(value: str) -> str | None:
        if len(value) > limit:
            return _("At most %(limit)d characters (this has %(length)d).") % {
                "limit": limit,
                "length": len(value),
            }
        return None

    return rule


def earliest_birth_year() -> int:
    """Children and young people up to 25 years old, never born before 1990."""
    return max(EARLIEST_BIRTH_YEAR, clock.today().year - MAX_AGE_YEARS)


def date_of_birth(value: date) -> str | None:
    earliest = earliest_birth_year()
    if value.year < earliest:
        return _("The date of birth cannot be before %(year)d.") % {"year": earliest}
    if value > clock.today():
        return _("The date of birth cannot be in the future.")
    return None


NIK_DIGITS = 16


def nik(value: str) -> str | None:
    """A NIK (the national identity number) has exactly 16 digits; empty means none given."""
    value = (value or "").strip()
    if value and not (len(value) == NIK_DIGITS and value.isascii() and value.isdigit()):
        return _("A NIK has exactly 16 digits.")
    return None


def birth_year(value: int) -> str | None:
    if not earliest_birth_year() <= value <= clock.today().year:
        return _("The birth year must be between %(year)s and now.") % {
            "year": earliest_birth_year()
        }
    return None


def birth_known(date_of_birth: date | None, birth_year: int | None) -> str | None:
    """The date of birth or a (possibly estimated) birth year is needed."""
    if date_of_birth is None and birth_year is None:
        return _("Give the date of birth or an estimated birth year.")
    return None


def hours_per_week(value: Decimal | int | float) -> str | None:
    if not 0 <= value <= MAX_HOURS_PER_WEEK:
        return _("Hours per week must be between 0 and %(hours)d.") % {"hours": MAX_HOURS_PER_WEEK}
    return None


def not_in_future(message: StrOrPromise | None = None) -> Rule:
    """A day that has happened (today included)."""

    def rule(value: date) -> str | None:
        if value > clock.today():
            return str(message or _("The date cannot be in the future."))
        return None

    return rule


def not_in_past(message: StrOrPromise | None = None) -> Rule:
    """A day still to come (today included)."""

    def rule(value: date) -> str | None:
        if value < clock.today():
            return str(message or _("The date cannot be in the past."))
        return None

    return rule


def interval_days(value: int) -> str | None:
    if not MIN_INTERVAL_DAYS <= value <= MAX_INTERVAL_DAYS:
        return _("The interval must be between %(least)d and %(most)d days.") % {
            "least": MIN_INTERVAL_DAYS,
            "most": MAX_INTERVAL_DAYS,
        }
    return None


PHONE_CHARACTERS = re.compile(r"[0-9+()\-. ]+")


def phone(value: str) -> str | None:
    """A phone number as people write it: digits with spaces, dashes, dots, brackets and a
    leading +, at least 8 digits and at most 15 (the international maximum)."""
    text = value.strip()
    digits = sum(char.isdigit() and char.isascii() for char in text)
    if not PHONE_CHARACTERS.fullmatch(text) or "+" in text[1:] or not 8 <= digits <= 15:
        return _("Enter a phone number of 8 to 15 digits, e.g. 0812 3456 7890 or +62 24 354 1234.")
    return None


def member_birth_year(value: int) -> str | None:
    """A household member's birth year: anyone alive, not in the future."""
    this_year = clock.today().year
    if not this_year - 120 <= value <= this_year:
        return _("The birth year must be between %(least)d and this year.") % {
            "least": this_year - 120
        }
    return None


# The rules of each kind of input, by field name. A field that is absent or empty is not checked
# here (whether it is required is the form's or the model's business).
CHILD: dict[str, list[Rule]] = {
    "full_name": [max_length(NAME_MAX_LENGTH)],
    "known_as": [max_length(KNOWN_AS_MAX_LENGTH)],
    "date_of_birth": [date_of_birth],
    "birth_year": [birth_year],
    "nik": [nik],
}
HOUSEHOLD: dict[str, list[Rule]] = {"guardian_phone": [phone]}
HOUSEHOLD_MEMBER: dict[str, list[Rule]] = {"birth_year": [member_birth_year]}
ASSESSMENT: dict[str, list[Rule]] = {
    "assessed_on": [not_in_future(gettext_lazy("The assessment date cannot be in the future."))],
    "hours_per_week": [hours_per_week],
}
CONSENT: dict[str, list[Rule]] = {
    "consented_on": [not_in_future(gettext_lazy("The consent date cannot be in the future."))]
}
INTERVENTION: dict[str, list[Rule]] = {"delivered_on": [not_in_future()]}
FOLLOWUP: dict[str, list[Rule]] = {
    "due_on": [not_in_past(gettext_lazy("The due date cannot be in the past."))]
}
FOLLOWUP_COMPLETION: dict[str, list[Rule]] = {"completed_on": [not_in_future()]}
VERIFICATION: dict[str, list[Rule]] = {
    "visited_on": [not_in_future(gettext_lazy("The visit date cannot be in the future."))]
}
# Only for targets the plan did not have before: a plan saved again keeps its past targets.
PLAN_GOAL: dict[str, list[Rule]] = {
    "target_date": [not_in_past(gettext_lazy("The target date cannot be in the past."))]
}
CONSENT_WITHDRAWAL: dict[str, list[Rule]] = {"withdrawn_on": [not_in_future()]}
GOAL_ACHIEVED: dict[str, list[Rule]] = {"achieved_on": [not_in_future()]}
NGO_SETTINGS: dict[str, list[Rule]] = {
    "followup_interval_days": [interval_days],
    "verification_interval_days": [interval_days],
}


def errors(rules: Mapping[str, Iterable[Rule]], values: Mapping[str, Any]) -> dict[str, list]:
    """The messages of the rules that `values` break, by field (only the first per field)."""
    found: dict[str, list] = {}
    for name, field_rules in rules.items():
        value = values.get(name)
        if value is None or value == "":
            continue
        for rule in field_rules:
            message = rule(value)
            if message:
                found[name] = [message]
                break
    return found


def check(rules: Mapping[str, Iterable[Rule]], values: Mapping[str, Any]) -> None:
    """Raise an ApplicationError naming every field of `values` that breaks a rule."""
    found = errors(rules, values)
    if found:
        raise ApplicationError(_("Some fields are not valid."), fields=found)
