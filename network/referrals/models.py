"""An NGO's side of referrals, stored in its own schema.

`Referral` rows exist on both sides (outgoing in the sender's schema, incoming in the
receiver's), keyed by the same UUID; agencies and agreements are named by UUID only.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from network.models import ReferralState, ServiceType, Urgency


class AgencyKey(models.Model):
    """One of the NGO's X25519 key pairs. The current one's public half is in the directory;
    retired ones stay to open envelopes sealed before a rotation."""

    class Status(models.TextChoices):
        CURRENT = "current", _("Current")
        RETIRED = "retired", _("Retired")
        REVOKED = "revoked", _("Revoked")

    key_id = models.CharField(max_length=32, unique=True)
    public_key = models.CharField(max_length=64)
    private_key_wrapped = models.TextField(editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CURRENT)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="current"), name="one_current_key"
            )
        ]

    def __str__(self):
        return f"{self.key_id} ({self.status})"


class Referral(models.Model):
    """A referral as one side sees it."""

    class Direction(models.TextChoices):
        OUTGOING = "outgoing", _("Sent")
        INCOMING = "incoming", _("Received")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    # The sender's case; on the receiving side, the case created on acceptance.
    case = models.ForeignKey(
        "casework.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_agency_uuid = models.UUIDField()
    to_agency_uuid = models.UUIDField()
    agreement_uuid = models.UUIDField()
    counterpart_name = models.CharField(max_length=200)
    # False for an outside agency that is not a tenant: the sender tracks the answer itself.
    counterpart_is_partner = models.BooleanField(default=True)
    service_type = models.CharField(_("service"), max_length=30, choices=ServiceType.choices)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    shared_fields = ArrayField(models.CharField(max_length=30), default=list)
    # Outgoing only: the agreed fields as copied when the referral was sent.
    shared_data = models.JSONField(default=dict, blank=True)
    # The sender's consent to sharing that the referral rests on: its date and scope (names
    # of the Consent scope flags that were true). Delivered to the receiver's inbox row (never
    # through the public schema) and carried over into the receiver's case on acceptance.
    consent_on = models.DateField(null=True, blank=True)
    consent_scope = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=ReferralState.choices, default=ReferralState.SENT
    )
    state_changed_at = models.DateTimeField()
    sent_at = models.DateTimeField()
    response_due_on = models.DateField()
    decline_reason = models.TextField(blank=True)
    outcome_note = models.TextField(blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["direction", "state"], name="referral_box_idx")]

    def __str__(self):
        return f"{self.direction} {self.uuid} {self.state}"


class ReferralEvent(models.Model):
    """One step of a referral's history on this side; applied once (event UUID)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    event_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=20, choices=ReferralState.choices)
    note = models.TextField(blank=True)
    by_agency_uuid = models.UUIDField()
    actor_name = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.referral_id} {self.state}"


class OutboxMessage(models.Model):
    """Something to deliver to the public schema and the other side, written in the same
    transaction as the change it announces; drained by the on-commit task and the sweep."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", _("New referral")
        STATE = "state", _("State change")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    referral_uuid = models.UUIDField()
    body = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(delivered_at__isnull=True),
                name="outbox_pending_idx",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.referral_uuid}"
