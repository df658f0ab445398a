"""The shared fields of a referral as lines a person reads: (label, text) in the reader's
language, exactly the agreed fields and nothing else."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.template.defaultfilters import date as date_filter
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework import regions
from casework.models import Case, Child
from network.models import SharedField

LABOUR_STATUS = {
    "none": gettext_lazy("not child labour"),
    "child_labour": gettext_lazy("child labour"),
    "hazardous": gettext_lazy("hazardous child labour"),
    "worst_form": gettext_lazy("worst form of child labour"),
    "not_applicable": gettext_lazy("not applicable (age outside 5-17)"),
}


def _labour(status: str) -> str:
    return str(LABOUR_STATUS.get(status, status))


def _day(value: str | None) -> str:
    if not value:
        return ""
    try:
        return date_filter(date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except ValueError:
        return value


def _choice(choices, value) -> str:
    return str(dict(choices).get(value, value or "—"))


def _text(name: str, value: Any) -> str:
    """One shared value as text (values are what `payload.shared_payload` copied)."""
    if value in (None, "", {}):
        return "—"
    if name == SharedField.SEX:
        return _choice(Child.Sex.choices, value)
    if name == SharedField.AGE:
        return _("%(years)s years") % {"years": value}
    if name == SharedField.DATE_OF_BIRTH:
        if value.get("date_of_birth"):
            return _day(value["date_of_birth"])
        year = str(value.get("birth_year") or "—")
        return _("%(year)s (estimated)") % {"year": year} if value.get("estimated") else year
    if name == SharedField.VILLAGE:
        regency = regions.regency(value.get("regency_code") or "")
        province = regions.province(value.get("province_code") or "")
        parts = [value.get("village"), value.get("district")]
        parts += [regency.name if regency else "", province.name if province else ""]
        return ", ".join(part for part in parts if part) or "—"
    if name == SharedField.GUARDIAN:
        text = value.get("name") or "—"
        if value.get("relationship"):
            text += f" ({value['relationship']})"
        if value.get("phone"):
            text += f" · {value['phone']}"
        return text
    if name == SharedField.SCHOOL_STATUS:
        text = _choice(Child.SchoolStatus.choices, value.get("status"))
        if value.get("last_grade") is not None:
            text += " · " + _("grade %(grade)s") % {"grade": value["last_grade"]}
        return text
    if name == SharedField.ASSESSMENT:
        scores = value.get("scores") or {}
        score_text = ", ".join(f"{key.replace('_', ' ')} {score}" for key, score in scores.items())
        return _("%(day)s: ILO %(ilo)s, BPS %(bps)s; scores %(scores)s") % {
            "day": _day(value.get("assessed_on")),
            "ilo": _labour(value.get("status_ilo", "")),
            "bps": _labour(value.get("status_bps", "")),
            "scores": score_text or "—",
        }
    if name == SharedField.RISK_LEVEL:
        return _choice(Case.Risk.choices, value)
    return str(value)


def shared_rows(fields: list[str], data: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, text) for each of `fields` in the list's own order (name first, reason last);
    with no data (not opened), the labels only."""
    labels = dict(SharedField.choices)
    order = {name: index for index, name in enumerate(SharedField.values)}
    return [
        (str(labels.get(name, name)), _text(name, data.get(name)) if data is not None else "")
        for name in sorted(fields, key=lambda name: order.get(name, len(order)))
    ]
