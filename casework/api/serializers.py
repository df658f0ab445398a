"""Output serializers (they run no queries: selectors load what they read) and input
serializers (types and shapes only: the rules are casework.validation's, which the services
apply, so the API and the pages give the same message on the same field)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework import regions
from casework.crypto import mask_nik
from casework.models import (
    Assessment,
    AuditEvent,
    Case,
    CasePlan,
    Child,
    Consent,
    FollowUp,
    Household,
    Intervention,
    NGOSettings,
    Note,
    Notification,
    PlannedService,
    Verification,
)


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class HouseholdOutputSerializer(serializers.ModelSerializer):
    province_name = serializers.SerializerMethodField()
    regency_name = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = [
            "id",
            "guardian_name",
            "guardian_relationship",
            "guardian_phone",
            "head_of_household",
            "member_count",
            "income_source",
            "monthly_income_band",
            "province_code",
            "province_name",
            "regency_code",
            "regency_name",
            "district",
            "village",
            "address_line",
        ]

    def get_province_name(self, household) -> str:
        found = regions.province(household.province_code) if household.province_code else None
        return found.name if found else ""

    def get_regency_name(self, household) -> str:
        found = regions.regency(household.regency_code) if household.regency_code else None
        return found.name if found else ""


class ChildOutputSerializer(serializers.ModelSerializer):
    nik_masked = serializers.CharField(read_only=True)
    household = HouseholdOutputSerializer(read_only=True)

    class Meta:
        model = Child
        fields = [
            "id",
            "uuid",
            "full_name",
            "known_as",
            "sex",
            "date_of_birth",
            "birth_year",
            "birth_year_estimated",
            "nik_masked",
            "school_status",
            "last_grade",
            "household",
            "created_at",
        ]


class ChildSummarySerializer(serializers.Serializer):
    """The child as shown in lists: identity only for roles that may see it."""

    id = serializers.IntegerField()
    full_name = serializers.CharField(allow_null=True)
    known_as = serializers.CharField(allow_null=True)
    sex = serializers.CharField()
    birth_year = serializers.IntegerField()
    nik_masked = serializers.CharField(allow_null=True)

    def to_representation(self, child):
        data = {
            "id": child.id,
            "full_name": child.full_name,
            "known_as": child.known_as,
            "sex": child.sex,
            "birth_year": child.birth_year,
            "nik_masked": child.nik_masked,
        }
        if not self.context.get("identity_visible", False):
            data.update({"full_name": None, "known_as": None, "nik_masked": None})
        return data


class CaseListSerializer(serializers.ModelSerializer):
    child = serializers.SerializerMethodField()
    assigned_worker = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "uuid",
            "reference",
            "case_type",
            "status",
            "risk_level",
            "child_labour_status",
            "province_code",
            "regency_code",
            "next_due_on",
            "has_overdue",
            "opened_on",
            "closed_on",
            "assigned_worker",
            "child",
        ]

    @extend_schema_field(ChildSummarySerializer)
    def get_child(self, case) -> dict:
        # The selector decided: rows carry `identity_visible` (False when absent).
        context = {"identity_visible": getattr(case, "identity_visible", False)}
        return ChildSummarySerializer(case.child, context=context).data


# The case list's rows straight from `QuerySet.values()`: what CaseListSerializer writes for a
# page of model instances, without building 150 instances and running DRF's field machinery
# for each of the 15 fields of 50 rows (most of a list request's CPU, bench/load.py). The
# serializer stays the documented shape (OpenAPI); a test holds the two outputs equal.
CASE_LIST_VALUES = (
    *(name for name in CaseListSerializer.Meta.fields if name not in ("assigned_worker", "child")),
    "assigned_worker_id",
    "assigned_worker__username",
    "child_id",
    "child__full_name",
    "child__known_as",
    "child__sex",
    "child__birth_year",
    "child__nik_last4",
    "identity_visible",
)


def _iso(value):
    return None if value is None else value.isoformat()


def case_list_rows(rows) -> list[dict]:
    """CaseListSerializer's output for rows of `queryset.values(*CASE_LIST_VALUES)`."""
    data = []
    for row in rows:
        visible = bool(row.get("identity_visible", False))
        worker_id = row["assigned_worker_id"]
        data.append(
            {
                "id": row["id"],
                "uuid": str(row["uuid"]),
                "reference": row["reference"],
                "case_type": row["case_type"],
                "status": row["status"],
                "risk_level": row["risk_level"],
                "child_labour_status": row["child_labour_status"],
                "province_code": row["province_code"],
                "regency_code": row["regency_code"],
                "next_due_on": _iso(row["next_due_on"]),
                "has_overdue": row["has_overdue"],
                "opened_on": _iso(row["opened_on"]),
                "closed_on": _iso(row["closed_on"]),
                "assigned_worker": (
                    None
                    if worker_id is None
                    else {"id": worker_id, "username": row["assigned_worker__username"]}
                ),
                "child": {
                    "id": row["child_id"],
                    "full_name": row["child__full_name"] if visible else None,
                    "known_as": row["child__known_as"] if visible else None,
                    "sex": row["child__sex"],
                    "birth_year": row["child__birth_year"],
                    "nik_masked": mask_nik(row["child__nik_last4"]) if visible else None,
                },
            }
        )
    return data


class ConsentOutputSerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = Consent
        fields = [
            "id",
            "child",
            "guardian_name",
            "guardian_relationship",
            "guardian_consented",
            "child_assented",
            "consented_on",
            "scope_record_keeping",
            "scope_referral_sharing",
            "scope_photos",
            "withdrawn_on",
            "withdrawal_reason",
            "is_active",
            "created_at",
        ]


class AssessmentOutputSerializer(serializers.ModelSerializer):
    assessor = UserRefSerializer(read_only=True)

    class Meta:
        model = Assessment
        exclude = ["case", "reviewed_by"]


class InterventionOutputSerializer(serializers.ModelSerializer):
    recorded_by = UserRefSerializer(read_only=True)

    class Meta:
        model = Intervention
        exclude = ["case"]


class FollowUpOutputSerializer(serializers.ModelSerializer):
    assigned_worker = UserRefSerializer(read_only=True)

    class Meta:
        model = FollowUp
        exclude = ["case"]


class VerificationOutputSerializer(serializers.ModelSerializer):
    verified_by = UserRefSerializer(read_only=True)

    class Meta:
        model = Verification
        exclude = ["case"]


class NoteOutputSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(read_only=True)

    class Meta:
        model = Note
        exclude = ["case"]


class CaseDetailSerializer(CaseListSerializer):
    # The detail nests the whole child where the list has a method field.
    child = ChildOutputSerializer(read_only=True)  # type: ignore[assignment]
    shared_with = UserRefSerializer(many=True, read_only=True)
    consents = serializers.SerializerMethodField()
    allowed_next_statuses = serializers.SerializerMethodField()
    assessments = AssessmentOutputSerializer(many=True, read_only=True)
    interventions = InterventionOutputSerializer(many=True, read_only=True)
    followups = FollowUpOutputSerializer(many=True, read_only=True)
    verifications = VerificationOutputSerializer(many=True, read_only=True)
    notes = NoteOutputSerializer(many=True, read_only=True)

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "shared_with",
            "closure_reason",
            "closure_outcome",
            "status_before_closure",
            "allowed_next_statuses",
            "consents",
            "assessments",
            "interventions",
            "followups",
            "verifications",
            "notes",
        ]

    @extend_schema_field(ConsentOutputSerializer(many=True))
    def get_consents(self, case) -> list[dict]:
        # many=True gives a list (ReturnList); the stubs type `.data` as a dict.
        return ConsentOutputSerializer(case.child.consents.all(), many=True).data  # type: ignore[return-value]

    def get_allowed_next_statuses(self, case) -> list[str]:
        from casework.services import allowed_next

        return allowed_next(case)


class PlannedServiceSerializer(serializers.ModelSerializer):
    responsible_worker = UserRefSerializer(read_only=True)

    class Meta:
        model = PlannedService
        fields = ["id", "type", "provider_kind", "provider_name", "responsible_worker", "due_on"]


class PlanGoalOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    target_date = serializers.DateField()
    achieved_on = serializers.DateField(allow_null=True)
    services = PlannedServiceSerializer(many=True)


class CasePlanOutputSerializer(serializers.ModelSerializer):
    goals = PlanGoalOutputSerializer(many=True, read_only=True)

    class Meta:
        model = CasePlan
        fields = ["id", "status", "summary", "version", "approved_at", "updated_at", "goals"]


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "actor_username",
            "action",
            "object_type",
            "object_id",
            "case_id",
            "changed_fields",
            "details",
            "ip_address",
            "at",
        ]


class NotificationSerializer(serializers.ModelSerializer):
    # The text in the request's language, rendered from the stored code and parameters.
    message = serializers.CharField(source="text", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "case", "code", "params", "message", "created_at", "read_at"]
        read_only_fields = fields


class NGOSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = NGOSettings
        fields = [
            "ngo_name",
            "classification_standard",
            "followup_interval_days",
            "verification_interval_days",
            "updated_at",
        ]
        read_only_fields = ["ngo_name", "updated_at"]
        extra_kwargs = {
            "classification_standard": {"required": False},
            "followup_interval_days": {"required": False},
            "verification_interval_days": {"required": False},
        }


# --- Input -------------------------------------------------------------------------------------


class ChildInputSerializer(serializers.Serializer):
    # Lengths and date bounds are casework.validation's rules, decided by the service.
    full_name = serializers.CharField()
    known_as = serializers.CharField(required=False, allow_blank=True, default="")
    sex = serializers.ChoiceField(choices=Child.Sex.choices)
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    birth_year = serializers.IntegerField(required=False, allow_null=True, default=None)
    birth_year_estimated = serializers.BooleanField(required=False, default=False)
    nik = serializers.CharField(required=False, allow_blank=True, default="", write_only=True)
    school_status = serializers.ChoiceField(choices=Child.SchoolStatus.choices)
    last_grade = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=12
    )


class HouseholdMemberInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    relationship = serializers.CharField(max_length=60)
    birth_year = serializers.IntegerField(required=False, allow_null=True, default=None)
    occupation = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class HouseholdInputSerializer(serializers.Serializer):
    guardian_name = serializers.CharField(max_length=200)
    guardian_relationship = serializers.CharField(max_length=60)
    guardian_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    head_of_household = serializers.CharField(max_length=200, required=False, allow_blank=True)
    member_count = serializers.IntegerField(min_value=1, max_value=50, required=False, default=1)
    income_source = serializers.CharField(max_length=200, required=False, allow_blank=True)
    monthly_income_band = serializers.ChoiceField(
        choices=Household.IncomeBand.choices, required=False, default="unknown"
    )
    province_code = serializers.CharField(max_length=2, required=False, allow_blank=True)
    regency_code = serializers.CharField(max_length=5, required=False, allow_blank=True)
    district = serializers.CharField(max_length=120, required=False, allow_blank=True)
    village = serializers.CharField(max_length=120, required=False, allow_blank=True)
    address_line = serializers.CharField(max_length=255, required=False, allow_blank=True)
    members = HouseholdMemberInputSerializer(many=True, required=False, default=list)


class ConsentInputSerializer(serializers.Serializer):
    guardian_name = serializers.CharField(max_length=200)
    guardian_relationship = serializers.CharField(max_length=60)
    guardian_consented = serializers.BooleanField()
    child_assented = serializers.BooleanField()
    consented_on = serializers.DateField()
    scope_record_keeping = serializers.BooleanField(required=False, default=True)
    scope_referral_sharing = serializers.BooleanField(required=False, default=False)
    scope_photos = serializers.BooleanField(required=False, default=False)


class RegistrationInputSerializer(serializers.Serializer):
    child = ChildInputSerializer()
    household = HouseholdInputSerializer()
    consent = ConsentInputSerializer(required=False, allow_null=True, default=None)
    case_type = serializers.ChoiceField(choices=Case.Type.choices, default=Case.Type.CHILD_LABOUR)
    assigned_worker_id = serializers.IntegerField(required=False, allow_null=True, default=None)


class ChildUpdateInputSerializer(serializers.Serializer):
    full_name = serializers.CharField(required=False)
    known_as = serializers.CharField(required=False, allow_blank=True)
    sex = serializers.ChoiceField(choices=Child.Sex.choices, required=False)
    school_status = serializers.ChoiceField(choices=Child.SchoolStatus.choices, required=False)
    last_grade = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=12
    )
    nik = serializers.CharField(required=False, allow_blank=True)


class ConsentCreateInputSerializer(ConsentInputSerializer):
    child = serializers.IntegerField()


class ConsentWithdrawInputSerializer(serializers.Serializer):
    withdrawn_on = serializers.DateField()
    reason = serializers.CharField()


class AssessmentInputSerializer(serializers.Serializer):
    assessed_on = serializers.DateField()
    works = serializers.BooleanField(default=True)
    sector = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    tasks = serializers.CharField(required=False, allow_blank=True, default="")
    employer_type = serializers.ChoiceField(
        choices=Assessment.EmployerType.choices, default=Assessment.EmployerType.NONE
    )
    # The bounds (0-168) are casework.validation's rule, decided by the service.
    hours_per_week = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        default=0,  # type: ignore[arg-type]  # 0 == Decimal(0)
    )
    night_work = serializers.BooleanField(default=False)
    monthly_wage = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    hazards = serializers.ListField(
        child=serializers.ChoiceField(choices=Assessment.Hazard.choices), default=list
    )
    worst_forms = serializers.ListField(
        child=serializers.ChoiceField(choices=Assessment.WorstForm.choices), default=list
    )
    schooling_notes = serializers.CharField(required=False, allow_blank=True, default="")
    health_notes = serializers.CharField(required=False, allow_blank=True, default="")
    psychosocial_notes = serializers.CharField(required=False, allow_blank=True, default="")
    family_economy_notes = serializers.CharField(required=False, allow_blank=True, default="")
    safety_notes = serializers.CharField(required=False, allow_blank=True, default="")
    score_education = serializers.IntegerField(min_value=1, max_value=5)
    score_health = serializers.IntegerField(min_value=1, max_value=5)
    score_psychosocial = serializers.IntegerField(min_value=1, max_value=5)
    score_safety = serializers.IntegerField(min_value=1, max_value=5)
    score_family_economy = serializers.IntegerField(min_value=1, max_value=5)
    risk_level = serializers.ChoiceField(choices=Case.Risk.choices)


class ReviewInputSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class PlannedServiceInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=Intervention.Type.choices)
    provider_kind = serializers.ChoiceField(
        choices=PlannedService.ProviderKind.choices, default=PlannedService.ProviderKind.OWN
    )
    provider_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    responsible_worker_id = serializers.IntegerField()
    due_on = serializers.DateField()


class PlanGoalInputSerializer(serializers.Serializer):
    description = serializers.CharField()
    target_date = serializers.DateField()
    services = PlannedServiceInputSerializer(many=True, required=False, default=list)


class PlanInputSerializer(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    goals = PlanGoalInputSerializer(many=True)
    submit = serializers.BooleanField(default=False)


class InterventionInputSerializer(serializers.Serializer):
    delivered_on = serializers.DateField()
    type = serializers.ChoiceField(choices=Intervention.Type.choices)
    provider = serializers.CharField(max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    outcome = serializers.CharField(required=False, allow_blank=True, default="")


class FollowUpInputSerializer(serializers.Serializer):
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    kind = serializers.ChoiceField(choices=FollowUp.Kind.choices, default=FollowUp.Kind.VISIT)
    assigned_worker_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    purpose = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class FollowUpCompleteInputSerializer(serializers.Serializer):
    completed_on = serializers.DateField()
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class VerificationInputSerializer(serializers.Serializer):
    visited_on = serializers.DateField()
    left_work = serializers.BooleanField()
    in_school_or_training = serializers.BooleanField()
    seen_back_at_work = serializers.BooleanField(default=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class NoteInputSerializer(serializers.Serializer):
    body = serializers.CharField()


class ClosureRequestInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Case.ClosureReason.choices)
    outcome = serializers.CharField()


class ReopenInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


class AssignInputSerializer(serializers.Serializer):
    worker_id = serializers.IntegerField()
    shared_with_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, allow_null=True, default=None
    )


class StaffInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True)
    role = serializers.ChoiceField(
        choices=[(r, r) for r in ("admin", "supervisor", "case_worker", "me_officer")]
    )
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class StaffUpdateInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=[(r, r) for r in ("admin", "supervisor", "case_worker", "me_officer")],
        required=False,
    )
    is_active = serializers.BooleanField(required=False)
    password = serializers.CharField(
        required=False, write_only=True, help_text="A new password for the account."
    )
    confirm = serializers.BooleanField(
        required=False,
        help_text="Required (true) to change your own role: you may lose the right to undo it.",
    )


class StaffOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.id")
    username = serializers.CharField(source="user.username")
    email = serializers.CharField(source="user.email")
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    is_active = serializers.BooleanField(source="user.is_active")
    role = serializers.CharField()
    phone = serializers.CharField()


class AttachmentOutputSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    kind = serializers.CharField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, attachment) -> str:
        return f"/api/v1/attachments/{attachment.uuid}/"


class AttachmentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[("consent_form",) * 2, ("document",) * 2, ("photo",) * 2]
    )
    file = serializers.FileField()


class DuplicateQuerySerializer(serializers.Serializer):
    full_name = serializers.CharField()
    birth_year = serializers.IntegerField(required=False, allow_null=True, default=None)
    guardian_name = serializers.CharField(required=False, allow_blank=True, default="")
    village = serializers.CharField(required=False, allow_blank=True, default="")
    nik = serializers.CharField(required=False, allow_blank=True, default="")


class DuplicateOutputSerializer(serializers.Serializer):
    # None when the match is a child of a case the actor cannot see: only the reasons show.
    child = ChildOutputSerializer(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())
