"""Everything inside one NGO's schema."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NGOSettings(models.Model):
    """The NGO's own settings (one row per schema)."""

    class ClassificationStandard(models.TextChoices):
        BPS = "bps", _("Statistics Indonesia (BPS, Law 13/2003)")
        ILO = "ilo", _("ILO / ICLS 2008")

    ngo_name = models.CharField(_("NGO name"), max_length=200)
    classification_standard = models.CharField(
        _("child labour standard"),
        max_length=3,
        choices=ClassificationStandard.choices,
        default=ClassificationStandard.BPS,
    )
    followup_interval_days = models.PositiveSmallIntegerField(
        _("follow-up interval (days)"), default=30
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("NGO settings")
        verbose_name_plural = _("NGO settings")

    def __str__(self):
        return self.ngo_name


class TaskRun(models.Model):
    """A ledger of periodic task runs in this schema, keyed so a redelivered task runs once."""

    task = models.CharField(max_length=100)
    run_key = models.CharField(max_length=100)
    ran_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "run_key"], name="taskrun_unique_key")
        ]

    def __str__(self):
        return f"{self.task} {self.run_key}"
