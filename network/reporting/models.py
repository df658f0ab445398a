"""The public-schema aggregate table each NGO's rollup replaces, and when each NGO was rolled up.

A row is one cell of one indicator for one NGO and one month, at the finest breakdown the
indicator has: every dimension of the indicator is a column with its value ("" where the
indicator has no such dimension). Tables are sums of these rows over the dimensions not grouped
by, so a table never needs a tenant schema. Counts only: no child, case or account is named,
and the province is the regency's prefix (a column of its own so that it can be grouped by).

`value` is a count (children, cases, services, ...); for a mean it is the count of children
behind it and `total` the sum of their values; for a median, `days` holds a value of the
distribution and `value` how many cases have it (the median is read from the summed
distribution).
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import NGO, Consortium

# The dimension columns of AggregateCell, in a fixed order (the registry's codes).
CELL_DIMENSIONS = (
    "standard",
    "sex",
    "age_band",
    "province",
    "regency",
    "sector",
    "status_ilo",
    "status_bps",
    "risk_level",
    "case_type",
    "closure_reason",
    "service_type",
    "domain",
    "timeliness",
    "urgency",
    "to_agency",
)


def _dimension() -> models.CharField:
    return models.CharField(max_length=40, blank=True, default="")


class AggregateCell(models.Model):
    # No database constraint on the two keys: each rollup writes ~50,000 rows of one NGO with
    # the ids it has just read, and checking both keys of every row at commit took as long
    # as writing them (0.5 s of 5,000 cases). Deleting an NGO or a consortium still deletes
    # its rows (Django's on_delete). No index of their own either: each key leads one of the
    # two indexes below, which serve the reads and the rollup's delete, and every index
    # costs each rollup ~50,000 entries to write.
    consortium = models.ForeignKey(
        Consortium,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    ngo = models.ForeignKey(
        NGO,
        on_delete=models.CASCADE,
        related_name="aggregate_cells",
        db_constraint=False,
        db_index=False,
    )
    indicator = models.CharField(max_length=60)
    month = models.DateField()  # the first day of the month
    standard = _dimension()
    sex = _dimension()
    age_band = _dimension()
    province = _dimension()
    regency = _dimension()
    sector = _dimension()
    status_ilo = _dimension()
    status_bps = _dimension()
    risk_level = _dimension()
    case_type = _dimension()
    closure_reason = _dimension()
    service_type = _dimension()
    domain = _dimension()
    timeliness = _dimension()
    urgency = _dimension()
    to_agency = _dimension()
    days = models.IntegerField(null=True, blank=True)
    value = models.PositiveIntegerField()
    total = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("aggregate cell")
        indexes = [
            models.Index(fields=["consortium", "indicator", "month"], name="aggregate_read_idx"),
            models.Index(fields=["ngo", "indicator", "month"], name="aggregate_ngo_idx"),
        ]

    def __str__(self):
        return f"{self.ngo_id} {self.indicator} {self.month:%Y-%m}: {self.value}"


class Rollup(models.Model):
    """When an NGO's rows were last replaced, and how the last attempt ended."""

    class Status(models.TextChoices):
        OK = "ok", _("Up to date")
        FAILED = "failed", _("Failed (the previous figures are kept)")

    ngo = models.OneToOneField(NGO, on_delete=models.CASCADE, related_name="rollup")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    rolled_up_at = models.DateTimeField(_("figures as of"), null=True, blank=True)
    attempted_at = models.DateTimeField(_("last attempt"))
    first_month = models.DateField(null=True, blank=True)
    last_month = models.DateField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("rollup")

    def __str__(self):
        return f"{self.ngo_id} {self.status} {self.rolled_up_at}"


class LinkageHash(models.Model):
    """A child of an NGO as the linkage count sees it: the consortium-keyed hash of the
    normalised name, birth year and guardian's name (network.reporting.linkage), never the
    name, and the months a case of theirs was open. Replaced with the NGO's rollup."""

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    ngo = models.ForeignKey(NGO, on_delete=models.CASCADE, related_name="+")
    hash = models.CharField(max_length=64)
    months = ArrayField(models.DateField())

    class Meta:
        indexes = [models.Index(fields=["consortium", "hash"], name="linkage_hash_idx")]

    def __str__(self):
        return f"{self.ngo_id} {self.hash[:8]}"
