"""The consortium layer in the public schema: the agency directory and referral agreements.

Public tables hold agency and referral UUIDs, never a foreign key into a tenant table nor a
child's identity (docs/adr/0003-referrals.md). A partner NGO's agency links to its tenant row,
which lives in the public schema too.
"""

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.models import Intervention
from tenants.models import NGO, Consortium

# The services an agency offers are the services a case records: one list, so a referral's
# service and the intervention that follows it always speak the same language.
ServiceType = Intervention.Type


class SharedField(models.TextChoices):
    """The child fields an agreement may allow to share: a fixed, documented list."""

    FULL_NAME = "full_name", _("Full name")
    KNOWN_AS = "known_as", _("Known-as name")
    SEX = "sex", _("Sex")
    AGE = "age", _("Age (years)")
    DATE_OF_BIRTH = "date_of_birth", _("Date of birth (or birth year)")
    VILLAGE = "village", _("Village and regency")
    GUARDIAN = "guardian", _("Guardian's name, relationship and phone")
    SCHOOL_STATUS = "school_status", _("School status")
    ASSESSMENT = "assessment", _("Latest assessment: child-labour status and domain scores")
    HEALTH_NOTES = "health_notes", _("Health notes")
    RISK_LEVEL = "risk_level", _("Risk level")
    REASON = "reason", _("Reason for referral")


# What each shareable field carries, as the agreement form explains it (network/referrals/
# payload.py builds the values).
SHARED_FIELD_EXPLANATIONS = {
    SharedField.FULL_NAME: _("The child's registered name, so the receiver can open a case."),
    SharedField.KNOWN_AS: _("The name the child is called by."),
    SharedField.SEX: _("Female or male."),
    SharedField.AGE: _("Age in whole years on the day of the referral, without the birth date."),
    SharedField.DATE_OF_BIRTH: _("The birth date, or the birth year and whether it is estimated."),
    SharedField.VILLAGE: _("Province, regency, district and village of the household."),
    SharedField.GUARDIAN: _("Whom to contact: the guardian's name, relationship and phone."),
    SharedField.SCHOOL_STATUS: _("In school, dropped out or never enrolled, and the last grade."),
    SharedField.ASSESSMENT: _(
        "Date, child-labour status (ILO and BPS rules) and the five domain scores of the latest "
        "approved assessment."
    ),
    SharedField.HEALTH_NOTES: _("The health notes of the latest approved assessment."),
    SharedField.RISK_LEVEL: _("Low, medium, high or urgent, as the case records it."),
    SharedField.REASON: _("Why the child is referred, as the sender writes it."),
}


class Agency(models.Model):
    """An agency the consortium works with: a partner NGO (a tenant) or an outside service."""

    class Kind(models.TextChoices):
        PARTNER_NGO = "partner_ngo", _("Partner NGO")
        PUSKESMAS = "puskesmas", _("Community health centre (puskesmas)")
        HOSPITAL = "hospital", _("Hospital")
        SCHOOL = "school", _("School")
        PKBM = "pkbm", _("Non-formal education centre (PKBM)")
        LEGAL_AID = "legal_aid", _("Legal aid (LBH)")
        SOCIAL_AFFAIRS = "social_affairs", _("Social affairs office (Dinas Sosial)")
        POLICE_UPPA = "police_uppa", _("Police women and children unit (UPPA)")
        CHILD_PROTECTION = "child_protection", _("Child protection service (UPTD PPA)")
        VOCATIONAL_CENTRE = "vocational_centre", _("Vocational training centre (BLK)")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="agencies")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    # Set for partner NGOs only: their tenant (public schema to public schema).
    ngo = models.OneToOneField(
        NGO, on_delete=models.PROTECT, null=True, blank=True, related_name="agency"
    )
    service_types = ArrayField(
        models.CharField(max_length=30, choices=ServiceType.choices),
        verbose_name=_("services offered"),
        default=list,
        blank=True,
    )
    province_codes = ArrayField(
        models.CharField(max_length=2), verbose_name=_("provinces served"), default=list, blank=True
    )
    regency_codes = ArrayField(
        models.CharField(max_length=5), verbose_name=_("regencies served"), default=list, blank=True
    )
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.TextField(_("address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.APPROVED
    )
    # Who proposed it (an NGO's agency, when NGO staff proposed it) and why a coordinator
    # rejected it; no account id from a tenant schema.
    proposed_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    proposed_by_name = models.CharField(max_length=150, blank=True)
    review_comment = models.TextField(blank=True)
    # Partner NGOs only: the current X25519 public key referrals are sealed to (base64) and its
    # fingerprint. The private key lives only in the NGO's own schema.
    public_key = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="partner_ngo", ngo__isnull=False)
                | (~models.Q(kind="partner_ngo") & models.Q(ngo__isnull=True)),
                name="agency_partner_has_ngo",
            ),
        ]
        indexes = [
            models.Index(fields=["consortium", "status", "is_active"], name="agency_listing_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_partner(self) -> bool:
        return self.kind == self.Kind.PARTNER_NGO


class ReferralAgreement(models.Model):
    """Two agencies agree that one may refer children to the other (or both ways), for some
    services, sharing only the listed fields, answering within `response_days`."""

    class Direction(models.TextChoices):
        ONE_WAY = "one_way", _("From the first agency to the second")
        BOTH_WAYS = "both_ways", _("Both ways")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="agreements")
    first_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    second_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(
        _("direction"), max_length=20, choices=Direction.choices, default=Direction.BOTH_WAYS
    )
    service_types = ArrayField(
        models.CharField(max_length=30, choices=ServiceType.choices),
        verbose_name=_("services covered"),
    )
    shared_fields = ArrayField(
        models.CharField(max_length=30, choices=SharedField.choices),
        verbose_name=_("fields that may be shared"),
    )
    response_days = models.PositiveSmallIntegerField(_("response time (days)"), default=7)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    mou = models.FileField(_("signed MoU"), upload_to="network/mou/", blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    status_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("referral agreement")
        verbose_name_plural = _("referral agreements")
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(first_agency=models.F("second_agency")),
                name="agreement_two_agencies",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="agreement_valid_range",
            ),
            models.CheckConstraint(
                condition=models.Q(response_days__gte=1), name="agreement_response_days"
            ),
        ]

    def __str__(self):
        return f"{self.first_agency} ↔ {self.second_agency}"


class ReferralState(models.TextChoices):
    """A referral's state, the same on both sides once delivery ran."""

    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


REFERRAL_TRANSITIONS: dict[str, list[str]] = {
    ReferralState.SENT: [ReferralState.ACCEPTED, ReferralState.DECLINED, ReferralState.WITHDRAWN],
    ReferralState.ACCEPTED: [ReferralState.IN_PROGRESS],
    ReferralState.IN_PROGRESS: [ReferralState.COMPLETED],
    ReferralState.DECLINED: [],
    ReferralState.WITHDRAWN: [],
    ReferralState.COMPLETED: [],
}


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class ReferralEnvelope(models.Model):
    """A referral between two partner NGOs as the public schema carries it: metadata in clear,
    the shared fields sealed to the receiver's key (purged once accepted or ended)."""

    referral_uuid = models.UUIDField(unique=True, editable=False)
    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    from_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    agreement = models.ForeignKey(ReferralAgreement, on_delete=models.PROTECT, related_name="+")
    service_type = models.CharField(max_length=30, choices=ServiceType.choices)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    sent_at = models.DateTimeField()
    due_on = models.DateField()
    state = models.CharField(
        max_length=20, choices=ReferralState.choices, default=ReferralState.SENT
    )
    state_changed_at = models.DateTimeField()
    key_id = models.CharField(max_length=32)
    sealed_payload = models.BinaryField(null=True, editable=False)
    purged_at = models.DateTimeField(null=True, blank=True)
    # When the receiver's inbox row was written (None while the receiver is suspended).
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("referral envelope")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["consortium", "state"], name="envelope_state_idx"),
            models.Index(fields=["to_agency", "state"], name="envelope_receiver_idx"),
        ]

    def __str__(self):
        return f"{self.referral_uuid} {self.state}"


class NGOSummary(models.Model):
    """A partner NGO's head counts as the console shows them, refreshed by a per-NGO task
    (`network.tasks.ngo_summary_refresh`, daily and after onboarding) through the bridge, so no
    console request enters a tenant schema. Counts only: nothing about any child or account."""

    ngo = models.OneToOneField(NGO, on_delete=models.CASCADE, related_name="summary")
    staff_count = models.PositiveIntegerField(_("staff"))
    case_count = models.PositiveIntegerField(_("cases"))
    computed_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("NGO summary")
        verbose_name_plural = _("NGO summaries")

    def __str__(self):
        return f"{self.ngo}: {self.staff_count} staff, {self.case_count} cases"


class OutboxPending(models.Model):
    """An NGO schema whose referral outbox may hold undelivered messages (docs/adr/0003).

    Marked in the same transaction as every outbox row, cleared by the sweep before it drains
    that schema (and marked again if something is left), so the sweep enters only the schemas
    that sent something instead of probing every NGO's outbox each minute. The schema name is
    the public tenant row's own value, not a reference into the tenant schema.
    """

    schema_name = models.CharField(max_length=63, primary_key=True)
    marked_at = models.DateTimeField()

    def __str__(self):
        return self.schema_name


# The reporting and capacity-building tables live with their code; Django finds models here.
from network.capacity.models import (  # noqa: E402, F401
    AgreedAction,
    MentoringVisit,
    SelfAssessment,
    Training,
    TrainingParticipation,
)
from network.reporting.models import AggregateCell, LinkageHash, Rollup  # noqa: E402, F401
