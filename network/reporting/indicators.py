"""The indicator registry: every consortium indicator and dimension, defined once, as data.

The coordinator's pages, the API and the exports read these definitions (code, name in both
languages, description, unit, dimensions, how it is computed); nothing else defines an indicator.
`computed_by` names the rollup function that counts it (each NGO's rollup in its own schema for
`Source.TENANT`, the public schema for `Source.PUBLIC`); the rollup comes with the aggregate
table, this module only says what it must count.

Counting rules shared by every indicator:

- A period is a calendar month (`month`, "YYYY-MM", in the consortium's time zone). Flows
  (events: a case opened, a service delivered) are counted in the month of the event; stocks
  (active cases, children in child labour) at the end of the month. A stock, or a count of
  children that may recur across months, has `month` in `non_additive`: a quarter is not the
  sum of its months, so no "all months" margin is published for it.
- A child's attributes (age band, region, sector, status, risk) are taken from the case and its
  latest approved assessment at the end of the period; "unknown" when not recorded. Every
  dimension's values are exhaustive (the totals are the sums of the values), which the
  suppression and its audit rely on.
- Everything published passes through `network.reporting.suppression.suppress` with the
  consortium's threshold. A mean or median is published only where the count of the children
  behind it (`basis`) is published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.classification import Result
from casework.models import Case, Child, Intervention
from core.errors import ApplicationError
from network.reporting.tables import MAX_DIMENSIONS

Label = str | Promise
UNKNOWN = "unknown"
NGO_DIMENSION = "ngo"


class Unit(models.TextChoices):
    CHILDREN = "children", _("children")
    CASES = "cases", _("cases")
    SERVICES = "services", _("services")
    REFERRALS = "referrals", _("referrals")
    FOLLOW_UPS = "follow_ups", _("follow-ups")
    SCORE_POINTS = "score_points", _("score points (scale 1-5)")
    DAYS = "days", _("days")


class Kind(models.TextChoices):
    COUNT = "count", _("Count")
    MEAN = "mean", _("Mean")
    MEDIAN = "median", _("Median")


class Source(models.TextChoices):
    TENANT = "tenant", _("Counted by each NGO in its own records")
    PUBLIC = "public", _("Counted from the consortium's own records")


@dataclass(frozen=True)
class DimensionValue:
    code: str
    name: Label


@dataclass(frozen=True)
class Dimension:
    """A breakdown of an indicator; `values` is None for an open list (months, regions)."""

    code: str
    name: Label
    source: str  # where the value of a case or an event comes from (for the rollup)
    values: tuple[DimensionValue, ...] | None = None

    def value_codes(self) -> tuple[str, ...] | None:
        return None if self.values is None else tuple(value.code for value in self.values)


@dataclass(frozen=True)
class Indicator:
    code: str
    name: Label
    description: Label
    unit: Unit
    source: Source
    dimensions: tuple[str, ...]
    computed_by: str  # the rollup function that implements `computation`
    computation: str  # the counting rule, for developers (untranslated)
    kind: Kind = Kind.COUNT
    non_additive: tuple[str, ...] = ()  # dimensions without an "all" margin
    required: tuple[str, ...] = ()  # dimensions every table of it groups by
    basis: str | None = None  # for a mean or median: what its publication depends on
    # A flow that, with another, changes a stock month by month (new and closed cases change
    # active cases): stock(m) = stock(m - 1) + new(m) - closed(m). Published for whole
    # periods only, never by month: beside the stock's monthly series a flow's hidden month
    # would be the stock's change (network/reporting/publication.py).
    balances: str | None = None


def _values(choices: Sequence[tuple[str, Label]], *extra: DimensionValue) -> tuple:
    return (*(DimensionValue(code, name) for code, name in choices), *extra)


_UNKNOWN = DimensionValue(UNKNOWN, _("Unknown"))
_CLASSIFICATION = (
    DimensionValue(Result.NONE, _("Not child labour")),
    DimensionValue(Result.CHILD_LABOUR, _("Child labour")),
    DimensionValue(Result.HAZARDOUS, _("Hazardous work")),
    DimensionValue(Result.WORST_FORM, _("Worst forms of child labour")),
    _UNKNOWN,
)

AGE_BANDS = (
    DimensionValue("5_11", _("5-11 years")),
    DimensionValue("12_14", _("12-14 years")),
    DimensionValue("15_17", _("15-17 years")),
    DimensionValue("other", _("Under 5 or 18 and over")),
    _UNKNOWN,
)

SECTORS = (
    DimensionValue("agriculture", _("Agriculture, plantations, livestock")),
    DimensionValue("fishing", _("Fishing")),
    DimensionValue("mining", _("Mining and quarrying")),
    DimensionValue("manufacturing", _("Manufacturing and home industry")),
    DimensionValue("construction", _("Construction")),
    DimensionValue("domestic_work", _("Domestic work")),
    DimensionValue("street_work", _("Street work")),
    DimensionValue("trade_services", _("Trade and services")),
    DimensionValue("other", _("Other")),
    DimensionValue("not_working", _("Not working")),
    _UNKNOWN,
)

_DIMENSIONS = (
    Dimension(
        "month",
        _("Month"),
        "the event's date (flows) or the month's last day (stocks), as YYYY-MM",
    ),
    Dimension("sex", _("Sex"), "casework.Child.sex", _values(Child.Sex.choices)),
    Dimension(
        "age_band",
        _("Age band"),
        "age in completed years at the end of the period (date of birth, else birth year): "
        "network.reporting.indicators.age_band",
        AGE_BANDS,
    ),
    Dimension("province", _("Province"), "casework.Case.province_code (Kemendagri code)"),
    Dimension("regency", _("Regency / city"), "casework.Case.regency_code (Kemendagri code)"),
    Dimension(
        "sector",
        _("Work sector"),
        "casework.Assessment.sector of the latest approved assessment, mapped to these codes",
        SECTORS,
    ),
    Dimension(
        "status_ilo",
        _("Child-labour status (ILO rules)"),
        "casework.Assessment.status_ilo of the latest approved assessment",
        _CLASSIFICATION,
    ),
    Dimension(
        "status_bps",
        _("Child-labour status (BPS rules)"),
        "casework.Assessment.status_bps of the latest approved assessment",
        _CLASSIFICATION,
    ),
    Dimension(
        "standard",
        _("Statistical standard"),
        "each child is counted under both standards",
        (
            DimensionValue("ilo", _("ILO / ICLS 2008")),
            DimensionValue("bps", _("Statistics Indonesia (BPS, Law 13/2003)")),
        ),
    ),
    Dimension(
        "risk_level",
        _("Risk level"),
        "casework.Case.risk_level",
        _values(Case.Risk.choices, _UNKNOWN),
    ),
    Dimension("case_type", _("Case type"), "casework.Case.case_type", _values(Case.Type.choices)),
    Dimension(
        "closure_reason",
        _("Closure outcome"),
        "casework.Case.closure_reason",
        _values(Case.ClosureReason.choices),
    ),
    Dimension(
        "service_type",
        _("Service type"),
        "casework.Intervention.type (for referrals: network.ReferralEnvelope.service_type)",
        _values(Intervention.Type.choices),
    ),
    Dimension(
        "domain",
        _("Assessment domain"),
        "the five domain scores of casework.Assessment.SCORE_FIELDS",
        (
            DimensionValue("education", _("Education")),
            DimensionValue("health", _("Health")),
            DimensionValue("psychosocial", _("Psychosocial")),
            DimensionValue("safety", _("Safety")),
            DimensionValue("family_economy", _("Family economy")),
        ),
    ),
    Dimension(
        "timeliness",
        _("Timeliness"),
        "casework.FollowUp.completed_on against due_on, at the end of the period",
        (
            DimensionValue("on_time", _("Done on time")),
            DimensionValue("late", _("Done late")),
            DimensionValue("overdue", _("Overdue, not done")),
        ),
    ),
    Dimension(
        NGO_DIMENSION,
        _("Partner NGO"),
        "the NGO whose rollup counted the row (network.reporting.AggregateCell.ngo), by slug; "
        "every indicator an NGO counts may be broken down by it",
    ),
    Dimension(
        "urgency",
        _("Urgency"),
        "network.ReferralEnvelope.urgency",
        (DimensionValue("normal", _("Normal")), DimensionValue("urgent", _("Urgent"))),
    ),
    Dimension(
        "to_agency",
        _("Receiving agency"),
        "network.referrals.Referral.to_agency_uuid: the directory's Agency.uuid (a partner NGO "
        "or an outside service)",
    ),
)
DIMENSIONS: dict[str, Dimension] = {dimension.code: dimension for dimension in _DIMENSIONS}

# The breakdowns of a count of children or cases (issue 10's list, plus the month).
CHILD_DIMENSIONS = (
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
_STATUS_DIMENSIONS = tuple(
    code for code in CHILD_DIMENSIONS if code not in ("status_ilo", "status_bps")
)
REFERRAL_DIMENSIONS = ("month", "service_type", "urgency")
# Which function counts each indicator (network.reporting.counting runs in the NGO's schema;
# the linkage count reads the public schema's hashes).
_COUNTED_BY = {
    "count_stocks": (
        "active_cases",
        "children_in_child_labour",
        "children_in_hazardous_work",
        "children_in_worst_forms",
    ),
    "count_case_flows": ("children_identified", "new_cases", "closed_cases"),
    "count_monitoring": (
        "children_back_in_school",
        "children_withdrawn",
        "children_prevented",
        "children_relapsed",
    ),
    "count_domain_scores": ("domain_score_change",),
    "count_services": ("services_delivered", "children_served", "days_to_first_service"),
    "count_followups": ("followups",),
    "count_referrals": (
        "referrals_sent",
        "referrals_received",
        "referrals_accepted",
        "referrals_declined",
        "referrals_completed",
        "referrals_overdue",
    ),
}
COUNTED_BY = {
    code: f"network.reporting.counting.{function}"
    for function, codes in _COUNTED_BY.items()
    for code in codes
}
COUNTED_BY["children_served_by_several_ngos"] = "network.reporting.selectors.linkage_counts"


def _referral(code: str, name: Label, description: Label, computation: str, **extra) -> Indicator:
    extra.setdefault("dimensions", REFERRAL_DIMENSIONS)
    return Indicator(
        code=code,
        name=name,
        description=description,
        unit=Unit.REFERRALS,
        source=Source.TENANT,
        computed_by=COUNTED_BY[code],
        computation=computation,
        **extra,
    )


_INDICATORS = (
    Indicator(
        code="children_identified",
        name=_("Children identified"),
        description=_("Children whose first case was opened in the period."),
        unit=Unit.CHILDREN,
        source=Source.TENANT,
        dimensions=CHILD_DIMENSIONS,
        computed_by=COUNTED_BY["children_identified"],
        computation="Children whose earliest Case.opened_on falls in the month.",
    ),
    Indicator(
        code="children_in_child_labour",
        name=_("Children in child labour"),
        description=_(
            "Children with an open case whose latest approved assessment finds child labour "
            "(of any severity), under the ILO and under the BPS rules."
        ),
        unit=Unit.CHILDREN,
        source=Source.TENANT,
        dimensions=("standard", *_STATUS_DIMENSIONS),
        required=("standard",),
        non_additive=("standard", "month"),
        computed_by=COUNTED_BY["children_in_child_labour"],
        computation=(
            "At the month's end: children with a case not closed whose latest approved "
            "Assessment has status_ilo (standard=ilo) or status_bps (standard=bps) other "
            "than 'none'."
        ),
    ),
    Indicator(
        code="children_in_hazardous_work",
        name=_("Children in hazardous work"),
        description=_(
            "Children with an open case whose latest approved assessment finds hazardous work "
            "or a worst form of child labour, under the ILO and under the BPS rules."
        ),
        unit=Unit.CHILDREN,
        source=Source.TENANT,
        dimensions=("standard", *_STATUS_DIMENSIONS),
        required=("standard",),
        non_additive=("standard", "month"),
        computed_by=COUNTED_BY["children_in_hazardous_work"],
        computation=(
            "As children_in_child_labour, with the status 'hazardous' or 'worst_form' "
            "(the classification ranks a worst form above hazardous work)."
        ),
    ),
    Indicator(
        code="children_in_worst_forms",
        name=_("Children in the worst forms of child labour"),
        description=_(
            "Children with an open case whose latest approved assessment records a worst form "
            "(forced labour, trafficking, sexual exploitation, illicit activities)."
        ),
        unit=Unit.CHILDREN,
        source=Source.TENANT,
        dimensions=("standard", *_STATUS_DIMENSIONS),
        required=("standard",),
        non_additive=("standard", "month"),
        computed_by=COUNTED_BY["children_in_worst_forms"],
        computation="As children_in_child_labour, with the status 'worst_form'.",
    ),
    Indicator(
        code="active_cases",
        name=_("Active cases"),
        description=_("Cases open at the end of the period (any status but closed)."),
        unit=Unit.CASES,
        source=Source.TENANT,
        dimensions=CHILD_DIMENSIONS,
        non_additive=("month",),
        computed_by=COUNTED_BY["active_cases"],
        computation=(
            "At the month's end: cases with opened_on on or before it and not closed by then "
            "(closed_on empty or later; a reopened case counts again)."
        ),
    ),
    Indicator(
        code="new_cases",
        name=_("New cases"),
        description=_("Cases opened in the period, reopened ones included."),
        unit=Unit.CASES,
        source=Source.TENANT,
        dimensions=CHILD_DIMENSIONS,
        computed_by=COUNTED_BY["new_cases"],
        computation="Cases whose opened_on falls in the month.",
        balances="active_cases",
    ),
    Indicator(
        code="closed_cases",
        name=_("Closed cases by outcome"),
        description=_("Cases closed in the period, by the reason recorded at closure."),
        unit=Unit.CASES,
        source=Source.TENANT,
        dimensions=("closure_reason", *CHILD_DIMENSIONS),
        balances="active_cases",
        computed_by=COUNTED_BY["closed_cases"],
        computation="Cases with status 'closed' whose closed_on falls in the month.",
    ),
    Indicator(
        code="children_back_in_school",
        name=_("Children back in school or training"),
        description=_(
            "Children out of school at their previous visit (or at registration) whom a "
            "verification visit in the period found in school or training."
        ),
        unit=Unit.CHILDREN,
        source=Source.TENANT,
        dimensions=CHILD_DIMENSIONS,
        non_additive=("month",),
        computed_by=COUNTED_BY["children_back_in_school"],
        computation=(
            "Children whose latest Verification in the month has in_school_or_training, where "
            "the case's previous verification did not (or, for the first one, the child's "
            "school_status is not in_school)."
        ),
    ),
    Indicator(
        code="children_withdrawn",
        name=_("Children withdrawn from child labour"),
        description=_(
            "Children in child labour when assessed whom a verification visit found to have "
            "left the work (or the hazard), not seen back at work (ILO child labour "
            "monitoring)."
        ),
        unit=Unit.CHILDREN,
        source=Source.TENANT,
        dimensions=CHILD_DIMENSIONS,
        computed_by=COUNTED_BY["children_withdrawn"],
        computation=(
            "Children on a child_labour case whose first Verification with left_work and not "
            "seen_back_at_work falls in the month."
        ),
    ),
    Indicator(
        code="children_prevented",
        name=_("Children prevented from child labour"),
        description=_(
            "Children at risk (prevention cases) whom a verification visit found not working "
            "and in school or training (ILO child labour monitoring)."
        ),
        unit=Unit.CHILDREN,
        source=Source.TENANT,
        dimensions=CHILD_DIMENSIONS,
        computed_by=COUNTED_BY["children_prevented"],
        computation=(
            "Children on a prevention case whose first Verification with in_school_or_training "
            "and not seen_back_at_work falls in the month."
        ),
    ),
    Indicator(
        code="children_relapsed",
        name=_("Children relapsed"),
        description=_(
            "Children withdrawn or prevented earlier whom a verification visit in the period "
            "saw back at work."
        ),
        unit=Unit.CHILDREN,
        source=Source.TENANT,
        dimensions=CHILD_DIMENSIONS,
        non_additive=("month",),
        computed_by=COUNTED_BY["children_relapsed"],
        computation=(
            "Children with a Verification in the month with seen_back_at_work, after an "
            "earlier verification counted them withdrawn or prevented."
        ),
    ),
    Indicator(
        code="domain_score_change",
        name=_("Average change in assessment domain scores"),
        description=_(
            "For children assessed at least twice, the mean change from their first to their "
            "latest approved assessment in each domain score (1 worst, 5 best)."
        ),
        unit=Unit.SCORE_POINTS,
        source=Source.TENANT,
        kind=Kind.MEAN,
        dimensions=("domain", *CHILD_DIMENSIONS),
        required=("domain",),
        non_additive=("domain", "month"),
        basis="children with two or more approved assessments, in the same cell",
        computed_by=COUNTED_BY["domain_score_change"],
        computation=(
            "Per child with 2+ approved Assessments by the month's end: latest score minus "
            "first score per domain; the mean over the cell's children, with their count."
        ),
    ),
    Indicator(
        code="services_delivered",
        name=_("Services delivered"),
        description=_("Services delivered to children in the period, by type."),
        unit=Unit.SERVICES,
        source=Source.TENANT,
        dimensions=("service_type", *CHILD_DIMENSIONS),
        computed_by=COUNTED_BY["services_delivered"],
        computation="Interventions whose delivered_on falls in the month.",
    ),
    Indicator(
        code="children_served",
        name=_("Children who received each service type"),
        description=_("Children who received at least one service of the type in the period."),
        unit=Unit.CHILDREN,
        source=Source.TENANT,
        dimensions=("service_type", *CHILD_DIMENSIONS),
        required=("service_type",),
        non_additive=("service_type", "month"),
        computed_by=COUNTED_BY["children_served"],
        computation="Distinct children with an Intervention of the type in the month.",
    ),
    _referral(
        "referrals_sent",
        _("Referrals sent"),
        _("Referrals sent by partner NGOs in the period."),
        "The NGO's outgoing referrals (network.referrals.Referral) whose sent_at falls in the "
        "month; by NGO and receiving agency, the referral flow between agencies.",
        dimensions=(*REFERRAL_DIMENSIONS, "to_agency"),
    ),
    _referral(
        "referrals_received",
        _("Referrals received"),
        _("Referrals delivered to the receiving NGO's inbox in the period."),
        "The NGO's incoming referrals whose inbox row was written (created_at) in the month.",
    ),
    _referral(
        "referrals_accepted",
        _("Referrals accepted"),
        _("Referrals the receiving NGO accepted in the period."),
        "Incoming referrals whose ReferralEvent 'accepted' (the NGO's answer) falls in the month.",
    ),
    _referral(
        "referrals_declined",
        _("Referrals declined"),
        _("Referrals the receiving NGO declined in the period."),
        "Incoming referrals whose ReferralEvent 'declined' falls in the month.",
    ),
    _referral(
        "referrals_completed",
        _("Referrals completed"),
        _("Referrals whose service was completed in the period."),
        "Incoming referrals whose ReferralEvent 'completed' falls in the month.",
    ),
    _referral(
        "referrals_overdue",
        _("Referrals overdue"),
        _("Referrals still awaiting an answer after their due date, at the end of the period."),
        "At the month's end: incoming referrals received by then, with response_due_on before "
        "that day and no answer (an event other than 'sent') by then.",
        non_additive=("month",),
    ),
    Indicator(
        code="days_to_first_service",
        name=_("Median days from registration to first service"),
        description=_(
            "For cases whose first service was delivered in the period, the median number of "
            "days from the case's opening to that service."
        ),
        unit=Unit.DAYS,
        source=Source.TENANT,
        kind=Kind.MEDIAN,
        dimensions=CHILD_DIMENSIONS,
        basis="cases whose first service falls in the period, in the same cell",
        computed_by=COUNTED_BY["days_to_first_service"],
        computation=(
            "Cases whose earliest Intervention.delivered_on falls in the month: the median of "
            "delivered_on minus opened_on (days), with the count of cases."
        ),
    ),
    Indicator(
        code="followups",
        name=_("Follow-ups done on time and overdue"),
        description=_(
            "Follow-up and verification visits due in the period: done by their due date, "
            "done late, or still not done."
        ),
        unit=Unit.FOLLOW_UPS,
        source=Source.TENANT,
        dimensions=("timeliness", "month", "province", "regency", "risk_level", "case_type"),
        computed_by=COUNTED_BY["followups"],
        computation=(
            "FollowUps whose due_on falls in the month, by completed_on <= due_on (on time), "
            "completed later (late) or not completed at the month's end (overdue)."
        ),
    ),
    Indicator(
        code="children_served_by_several_ngos",
        name=_("Children served by more than one partner NGO"),
        description=_(
            "Children with an open case in two or more partner NGOs in the period, matched by "
            "a keyed hash of the name, birth year and guardian's name (no identity leaves the "
            "NGOs)."
        ),
        unit=Unit.CHILDREN,
        source=Source.PUBLIC,
        dimensions=("month",),
        non_additive=("month",),
        computed_by=COUNTED_BY["children_served_by_several_ngos"],
        computation=(
            "Each NGO uploads network.reporting.linkage.child_link_hash of every child with an "
            "open case in the month; hashes found for two or more NGOs of the consortium."
        ),
    ),
)
INDICATORS: dict[str, Indicator] = {indicator.code: indicator for indicator in _INDICATORS}


def indicator_get(code: str) -> Indicator:
    """The indicator with this code; ApplicationError (400, field `indicator`) otherwise."""
    try:
        return INDICATORS[code]
    except KeyError:
        message = gettext("Unknown indicator: %(code)s.") % {"code": code}
        raise ApplicationError(
            message, code="unknown_indicator", fields={"indicator": [message]}
        ) from None


def group_by_check(
    indicator: Indicator, group_by: Sequence[str], fixed: Sequence[str] = ()
) -> tuple[str, ...]:
    """`group_by` if a table of `indicator` may be grouped so; ApplicationError otherwise.
    `fixed`: dimensions the table is filtered on (one value), which a required dimension may
    be instead of grouped by."""
    problems = []
    if not 1 <= len(group_by) <= MAX_DIMENSIONS:
        problems.append(gettext("Group by 1 to %(count)d dimensions.") % {"count": MAX_DIMENSIONS})
    if len(set(group_by)) != len(group_by):
        problems.append(gettext("A dimension is named twice."))
    for code in group_by:
        if code not in indicator.dimensions and not (
            code == NGO_DIMENSION and indicator.source == Source.TENANT
        ):
            problems.append(
                gettext("%(indicator)s has no dimension %(dimension)s.")
                % {"indicator": indicator.code, "dimension": code}
            )
    for code in indicator.required:
        if code not in group_by and code not in fixed:
            problems.append(
                gettext("%(indicator)s is always grouped by %(dimension)s.")
                % {"indicator": indicator.code, "dimension": code}
            )
    if problems:
        raise ApplicationError(problems[0], code="invalid_group_by", fields={"group_by": problems})
    return tuple(group_by)


def age_band(age: int | None) -> str:
    """The age band code of an age in completed years (None: unknown)."""
    if age is None:
        return UNKNOWN
    if 5 <= age <= 11:
        return "5_11"
    if 12 <= age <= 14:
        return "12_14"
    if 15 <= age <= 17:
        return "15_17"
    return "other"


def age_band_sql(date_of_birth: str, birth_year: str, on: str) -> str:
    """`age_band` as an SQL expression over the given columns: the age in completed years on
    the day `on` (from the date of birth, else the birth year)."""
    age = (
        f"(CASE WHEN {date_of_birth} IS NOT NULL"
        f" THEN extract(year FROM age({on}, {date_of_birth}))::int"
        f" WHEN {birth_year} IS NOT NULL THEN extract(year FROM {on})::int - {birth_year} END)"
    )
    # The age once (a CASE over the bands computed it up to seven times a row, ~57,000 rows
    # for the active cases of 5,000): its bucket below 5, 5-11, 12-14, 15-17, 18 and over, as
    # age_band() bands it; no age, no bucket.
    return (
        f"coalesce((ARRAY['other', '5_11', '12_14', '15_17', 'other'])"
        f"[width_bucket({age}, ARRAY[5, 12, 15, 18]) + 1], '{UNKNOWN}')"
    )
