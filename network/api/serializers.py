"""Serializers of the network API.

Output serializers read only what the selectors loaded (no query per row); input serializers
check types and shapes only: the rules (lengths, codes, which agencies, which transitions) are
the services', so the API and the pages give the same message on the same field.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import clock
from network.models import (
    REFERRAL_TRANSITIONS,
    Agency,
    ReferralAgreement,
    ReferralEnvelope,
    ReferralState,
    ServiceType,
    SharedField,
    Urgency,
)
from network.referrals.models import Referral, ReferralEvent

# What an outside agency can answer, as the sender records it (ENUM_NAME_OVERRIDES names it).
ANSWER_STATES = [
    (state, label)
    for state, label in ReferralState.choices
    if state not in (ReferralState.SENT, ReferralState.WITHDRAWN)
]

# --- Directory ---------------------------------------------------------------------------------


class AgencyRefSerializer(serializers.Serializer):
    """An agency named in an agreement or a referral."""

    uuid = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Agency.Kind.choices)


class AgencyOutputSerializer(serializers.ModelSerializer):
    """A directory entry as NGO staff read it."""

    is_partner = serializers.BooleanField(read_only=True)
    service_types = serializers.ListField(child=serializers.ChoiceField(ServiceType.choices))
    province_codes = serializers.ListField(child=serializers.CharField())
    regency_codes = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Agency
        fields = [
            "uuid",
            "kind",
            "name",
            "is_partner",
            "service_types",
            "province_codes",
            "regency_codes",
            "contact_name",
            "phone",
            "email",
            "address",
            "status",
        ]


class CoordinatorAgencySerializer(AgencyOutputSerializer):
    """A directory entry as the coordinator manages it: with its review state."""

    consortium = serializers.SerializerMethodField()
    ngo = serializers.SerializerMethodField()
    proposed_by = serializers.SerializerMethodField()

    class Meta(AgencyOutputSerializer.Meta):
        fields = [
            *AgencyOutputSerializer.Meta.fields,
            "is_active",
            "consortium",
            "ngo",
            "proposed_by",
            "proposed_by_name",
            "review_comment",
            "created_at",
            "updated_at",
        ]

    def get_consortium(self, agency) -> str:
        return agency.consortium.slug

    def get_ngo(self, agency) -> str | None:
        """The partner NGO's slug (its host), None for an outside agency."""
        return agency.ngo.slug if agency.ngo_id else None

    @extend_schema_field(AgencyRefSerializer(allow_null=True))
    def get_proposed_by(self, agency) -> dict | None:
        proposer = agency.proposed_by
        if proposer is None:
            return None
        return {"uuid": proposer.uuid, "name": proposer.name, "kind": proposer.kind}


class AgencyInputSerializer(serializers.Serializer):
    """An outside agency as someone types it (partner NGOs come from onboarding)."""

    kind = serializers.ChoiceField(choices=Agency.Kind.choices)
    name = serializers.CharField(max_length=1000)
    service_types = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceType.choices),
        min_length=1,
        max_length=50,
        error_messages={"min_length": _("Choose at least one.")},
    )
    province_codes = serializers.ListField(
        child=serializers.CharField(max_length=10, allow_blank=True),
        required=False,
        default=list,
        max_length=50,
    )
    regency_codes = serializers.ListField(
        child=serializers.CharField(max_length=10, allow_blank=True),
        required=False,
        default=list,
        max_length=600,
    )
    contact_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=1000
    )
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    email = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CoordinatorAgencyCreateSerializer(AgencyInputSerializer):
    consortium = serializers.SlugField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed only by an account that coordinates several consortia.",
    )


class CoordinatorAgencyUpdateSerializer(AgencyInputSerializer):
    """The whole entry (PUT); a partner NGO keeps the kind and name of its tenant."""

    is_active = serializers.BooleanField(required=False, default=None, allow_null=True)


class AgencyReviewInputSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# --- Agreements --------------------------------------------------------------------------------


class AgreementOutputSerializer(serializers.ModelSerializer):
    first_agency = AgencyRefSerializer(read_only=True)
    second_agency = AgencyRefSerializer(read_only=True)
    service_types = serializers.ListField(child=serializers.ChoiceField(ServiceType.choices))
    shared_fields = serializers.ListField(child=serializers.ChoiceField(SharedField.choices))
    has_mou = serializers.SerializerMethodField()

    class Meta:
        model = ReferralAgreement
        fields = [
            "uuid",
            "first_agency",
            "second_agency",
            "direction",
            "service_types",
            "shared_fields",
            "response_days",
            "valid_from",
            "valid_to",
            "status",
            "status_reason",
            "has_mou",
            "created_at",
            "updated_at",
        ]

    def get_has_mou(self, agreement) -> bool:
        return bool(agreement.mou)


class CoordinatorAgreementSerializer(AgreementOutputSerializer):
    consortium = serializers.SerializerMethodField()

    class Meta(AgreementOutputSerializer.Meta):
        fields = [*AgreementOutputSerializer.Meta.fields, "consortium"]

    def get_consortium(self, agreement) -> str:
        return agreement.consortium.slug


class AgreementCreateInputSerializer(serializers.Serializer):
    consortium = serializers.SlugField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed only by an account that coordinates several consortia.",
    )
    first_agency = serializers.UUIDField()
    second_agency = serializers.UUIDField()
    direction = serializers.ChoiceField(
        choices=ReferralAgreement.Direction.choices,
        required=False,
        default=ReferralAgreement.Direction.BOTH_WAYS,
    )
    service_types = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceType.choices),
        min_length=1,
        max_length=50,
        error_messages={"min_length": _("Choose at least one.")},
    )
    shared_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=SharedField.choices),
        min_length=1,
        max_length=50,
        error_messages={"min_length": _("Choose at least one.")},
    )
    response_days = serializers.IntegerField(required=False, default=7, min_value=1, max_value=90)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)


class AgreementActivateInputSerializer(serializers.Serializer):
    mou = serializers.FileField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The signed MoU (PDF, 5 MB at most); needed unless uploaded before.",
    )


class AgreementRevokeInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


# --- Referrals (an NGO's own schema) -----------------------------------------------------------


class CounterpartSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    is_partner = serializers.BooleanField()


class ReferralEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReferralEvent
        fields = ["event_uuid", "state", "note", "by_agency_uuid", "actor_name", "at"]


class ReferralOutputSerializer(serializers.ModelSerializer):
    """A referral as this NGO sees it (metadata; no shared field)."""

    case_id = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The sender's case; on the receiving side, the case opened on acceptance.",
    )
    counterpart = serializers.SerializerMethodField()
    shared_fields = serializers.ListField(child=serializers.ChoiceField(SharedField.choices))
    is_overdue = serializers.SerializerMethodField()
    allowed_next_states = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = [
            "uuid",
            "direction",
            "case_id",
            "counterpart",
            "agreement_uuid",
            "service_type",
            "urgency",
            "shared_fields",
            "state",
            "state_changed_at",
            "sent_at",
            "response_due_on",
            "is_overdue",
            "allowed_next_states",
            "decline_reason",
            "outcome_note",
        ]

    @extend_schema_field(CounterpartSerializer)
    def get_counterpart(self, referral) -> dict:
        """The other side: the receiver of an outgoing referral, the sender of an incoming one."""
        outgoing = referral.direction == Referral.Direction.OUTGOING
        return {
            "uuid": referral.to_agency_uuid if outgoing else referral.from_agency_uuid,
            "name": referral.counterpart_name,
            "is_partner": referral.counterpart_is_partner,
        }

    def get_is_overdue(self, referral) -> bool:
        return referral.state == ReferralState.SENT and referral.response_due_on < clock.today()

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(ReferralState.choices))
    )
    def get_allowed_next_states(self, referral) -> list[str]:
        return [str(state) for state in REFERRAL_TRANSITIONS[ReferralState(referral.state)]]


class ReferralDetailSerializer(ReferralOutputSerializer):
    """A referral with its history (no child field: opening an incoming one or printing the
    letter of an outgoing one shows those, audited)."""

    events = ReferralEventSerializer(many=True, read_only=True)

    class Meta(ReferralOutputSerializer.Meta):
        fields = [*ReferralOutputSerializer.Meta.fields, "events"]


class IncomingReferralOpenedSerializer(ReferralDetailSerializer):
    """The receiver's referral opened: the shared fields decrypted (each opening is audited);
    null once the payload is purged (accepted: the new case holds them)."""

    # Set on the referral by the view from what `referral_open` returned.
    shared_data = serializers.DictField(source="opened_fields", read_only=True, allow_null=True)

    class Meta(ReferralDetailSerializer.Meta):
        fields = [*ReferralDetailSerializer.Meta.fields, "shared_data"]


class LetterAgencySerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField(help_text="In the reader's language")
    contact_name = serializers.CharField()
    phone = serializers.CharField()
    address = serializers.CharField()


class LetterFieldSerializer(serializers.Serializer):
    # The metaclass takes declared fields off the class, so `label` shadows nothing at runtime.
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.CharField()


class ReferralLetterSerializer(serializers.Serializer):
    """A printable referral letter, every text in the reader's language (reading it is
    audited: it shows the child's shared fields)."""

    referral_uuid = serializers.UUIDField(source="referral.uuid")
    to_agency = serializers.SerializerMethodField()
    sender_name = serializers.CharField()
    sent_on = serializers.DateField()
    service = serializers.CharField()
    urgency = serializers.CharField()
    due_on = serializers.DateField()
    shared_fields = serializers.SerializerMethodField()
    reason = serializers.CharField()

    @extend_schema_field(LetterAgencySerializer)
    def get_to_agency(self, letter) -> dict:
        return {
            "name": letter.agency_name,
            "kind": letter.agency_kind,
            "contact_name": letter.agency_contact,
            "phone": letter.agency_phone,
            "address": letter.agency_address,
        }

    @extend_schema_field(LetterFieldSerializer(many=True))
    def get_shared_fields(self, letter) -> list[dict]:
        return [{"label": label, "value": value} for label, value in letter.fields]


class ReferOptionFieldSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=SharedField.choices)
    label = serializers.CharField()  # type: ignore[assignment]  # as in LetterFieldSerializer


class ReferOptionSerializer(serializers.Serializer):
    agency = AgencyRefSerializer()
    service_type = serializers.ChoiceField(choices=ServiceType.choices)
    agreement_uuid = serializers.UUIDField()
    shared_fields = serializers.SerializerMethodField()
    response_days = serializers.IntegerField()
    already_referred = serializers.BooleanField()

    @extend_schema_field(ReferOptionFieldSerializer(many=True))
    def get_shared_fields(self, option) -> list[dict]:
        return [{"code": code, "label": label} for code, label in option.fields]


class ReferOptionsQuerySerializer(serializers.Serializer):
    case_id = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="The case to refer"
    )
    service_type = serializers.ChoiceField(
        choices=ServiceType.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="Only this service",
    )


class ReferOptionsSerializer(serializers.Serializer):
    """Where a case's child may be referred, what each would share, or why it cannot be."""

    case_id = serializers.IntegerField(source="case.pk")
    service_type = serializers.ChoiceField(choices=ServiceType.choices, allow_null=True)
    blocked_reason = serializers.CharField(allow_null=True)
    options = ReferOptionSerializer(many=True)


class ReferralSendInputSerializer(serializers.Serializer):
    case_id = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    to_agency = serializers.UUIDField()
    service_type = serializers.ChoiceField(choices=ServiceType.choices)
    reason = serializers.CharField(max_length=5000)
    urgency = serializers.ChoiceField(
        choices=Urgency.choices, required=False, default=Urgency.NORMAL
    )


class ReferralWithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReferralResponseInputSerializer(serializers.Serializer):
    """An outside agency's answer, as it gave it by phone or letter."""

    state = serializers.ChoiceField(choices=ANSWER_STATES)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReferralAcceptInputSerializer(serializers.Serializer):
    assign_to_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The worker who will hold the new case (default: the one accepting).",
    )


class ReferralDeclineInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ReferralProgressInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReferralCompleteInputSerializer(serializers.Serializer):
    outcome_note = serializers.CharField(max_length=2000)


# --- Referral metadata for the coordinator -----------------------------------------------------


class EnvelopeMetadataSerializer(serializers.ModelSerializer):
    """What the coordinator sees of a referral: who, what, when, where it stands. Never a
    payload field, never the case or the child (the envelope holds none in clear anyway)."""

    uuid = serializers.UUIDField(source="referral_uuid", read_only=True)
    from_agency = AgencyRefSerializer(read_only=True)
    to_agency = AgencyRefSerializer(read_only=True)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = ReferralEnvelope
        fields = [
            "uuid",
            "from_agency",
            "to_agency",
            "service_type",
            "urgency",
            "sent_at",
            "due_on",
            "state",
            "state_changed_at",
            "is_overdue",
        ]

    def get_is_overdue(self, envelope) -> bool:
        return envelope.state == ReferralState.SENT and envelope.due_on < clock.today()
