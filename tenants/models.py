"""Consortia, their partner NGOs (one PostgreSQL schema each) and the hosts that route to them."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from core.audit import AuditEventBase


class Consortium(models.Model):
    """A coordinating body (e.g. a university centre) and the NGOs it brings together."""

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # What the consortium's reports publish (network.reporting): counts below the threshold
    # are suppressed; published counts may be rounded to a base (e.g. 5) after suppression.
    suppression_threshold = models.PositiveSmallIntegerField(
        _("small-cell threshold"),
        default=5,
        validators=[MinValueValidator(3), MaxValueValidator(50)],
        help_text=_("Counts from 1 to one less than this are never published."),
    )
    rounding_base = models.PositiveSmallIntegerField(
        _("round published counts to"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2), MaxValueValidator(10)],
        help_text=_("Empty: exact counts. 5: every published count is a multiple of 5."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consortium")
        verbose_name_plural = _("consortia")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ConsortiumMembership(models.Model):
    """A public-schema account's role in a consortium (coordinator or funder)."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinator")
        FUNDER = "funder", _("Funder / reader")

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consortium_memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consortium", "user"], name="membership_unique_user")
        ]

    def __str__(self):
        return f"{self.user} ({self.role}) in {self.consortium}"


class NGO(TenantMixin):
    """A partner NGO: its own schema, staff accounts and case records."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        ARCHIVED = "archived", _("Archived")

    # Schemas are created by tenants.services.ngo_provision, never as a side effect of save().
    auto_create_schema = False
    auto_drop_schema = False

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    consortium = models.ForeignKey(
        Consortium, on_delete=models.PROTECT, related_name="ngos", null=True, blank=True
    )
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    region = models.CharField(_("region"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    # True only once provisioning finished: routing and beat skip tenants that are not ready.
    is_ready = models.BooleanField(_("ready"), default=False)
    # The schema new NGOs are cloned from: registered so migrate_schemas keeps it current.
    is_template = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("NGO")
        verbose_name_plural = _("NGOs")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE and self.is_ready


class Domain(DomainMixin):
    """A host name routed to one NGO's schema."""

    class Meta:
        verbose_name = _("domain")


class PlatformAuditEvent(AuditEventBase):
    """Who changed what on the platform (consortia, NGO provisioning and status), when and from
    where. Append-only (a trigger refuses UPDATE and DELETE); shape in core/audit.py."""

    # PROTECT: accounts with audit history are deactivated, never deleted (the append-only
    # trigger would refuse the UPDATE that SET_NULL needs).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta(AuditEventBase.Meta):
        verbose_name = _("platform audit event")
        verbose_name_plural = _("platform audit trail")
        indexes = [models.Index(fields=["object_type", "object_id"], name="platform_audit_obj_idx")]
