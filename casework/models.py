"""Everything inside one NGO's schema: staff roles, children, consent, cases and their lifecycle.

Writes go through casework/services.py (which audits them); these classes hold fields only.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.crypto import mask_nik
from core.audit import AuditAction, AuditEventBase

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


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
    verification_interval_days = models.PositiveSmallIntegerField(
        _("verification interval (days)"), default=90
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


class StaffProfile(models.Model):
    """A staff account's role in this NGO."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("NGO admin")
        SUPERVISOR = "supervisor", _("Supervisor")
        CASE_WORKER = "case_worker", _("Case worker")
        ME_OFFICER = "me_officer", _("M&E officer")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The language the staff member chose to read in ("": none chosen; the browser decides).
    language = models.CharField(_("language"), max_length=5, blank=True, default="")

    class Meta:
        verbose_name = _("staff profile")

    def __str__(self):
        return f"{self.user} ({self.role})"


class Household(models.Model):
    """The child's household: guardian, members, income and address."""

    class IncomeBand(models.TextChoices):
        BELOW_1M = "lt_1m", _("Below Rp 1 million / month")
        FROM_1M_TO_2M = "1m_2m", _("Rp 1-2 million / month")
        FROM_2M_TO_3M = "2m_3m", _("Rp 2-3 million / month")
        FROM_3M_TO_5M = "3m_5m", _("Rp 3-5 million / month")
        ABOVE_5M = "gt_5m", _("Above Rp 5 million / month")
        UNKNOWN = "unknown", _("Unknown")

    guardian_name = models.CharField(_("guardian name"), max_length=200)
    guardian_relationship = models.CharField(_("relationship to child"), max_length=60)
    guardian_phone = models.CharField(_("guardian phone"), max_length=40, blank=True)
    head_of_household = models.CharField(_("head of household"), max_length=200, blank=True)
    member_count = models.PositiveSmallIntegerField(_("number of household members"), default=1)
    income_source = models.CharField(_("main income source"), max_length=200, blank=True)
    monthly_income_band = models.CharField(
        _("monthly income"), max_length=10, choices=IncomeBand.choices, default=IncomeBand.UNKNOWN
    )
    province_code = models.CharField(_("province"), max_length=2, blank=True)
    regency_code = models.CharField(_("regency / city"), max_length=5, blank=True)
    district = models.CharField(_("district (kecamatan)"), max_length=120, blank=True)
    village = models.CharField(_("village (desa / kelurahan)"), max_length=120, blank=True)
    address_line = models.CharField(_("address"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household")

    def __str__(self):
        return self.guardian_name


class HouseholdMember(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=200)
    relationship = models.CharField(_("relationship"), max_length=60)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    occupation = models.CharField(_("occupation"), max_length=120, blank=True)

    def __str__(self):
        return self.name


class Child(models.Model):
    """A child known to the NGO. Many Indonesians have one name only: no family name field."""

    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")

    class SchoolStatus(models.TextChoices):
        IN_SCHOOL = "in_school", _("In school")
        DROPPED_OUT = "dropped_out", _("Dropped out")
        NEVER_ENROLLED = "never_enrolled", _("Never enrolled")
        # A child received on referral under an agreement that does not share schooling.
        UNKNOWN = "unknown", _("Unknown")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    full_name = models.CharField(_("full name"), max_length=200)
    known_as = models.CharField(_("known as"), max_length=100, blank=True)
    normalized_name = models.CharField(max_length=200, db_index=True, editable=False)
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"))
    birth_year_estimated = models.BooleanField(_("birth year estimated"), default=False)
    nik_encrypted = models.TextField(blank=True, editable=False)
    nik_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    nik_last4 = models.CharField(max_length=4, blank=True, editable=False)
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="children", null=True, blank=True
    )
    school_status = models.CharField(
        _("school status"), max_length=20, choices=SchoolStatus.choices
    )
    last_grade = models.PositiveSmallIntegerField(_("last grade completed"), null=True, blank=True)
    photo = models.ForeignKey(
        "Attachment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        indexes = [models.Index(fields=["birth_year", "normalized_name"], name="child_dup_idx")]

    def __str__(self):
        return self.known_as or self.full_name

    @property
    def nik_masked(self) -> str:
        return mask_nik(self.nik_last4)


class Consent(models.Model):
    """The guardian's consent and the child's own assent, with scope; withdrawable."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="consents")
    guardian_name = models.CharField(_("guardian who consented"), max_length=200)
    guardian_relationship = models.CharField(_("relationship"), max_length=60)
    guardian_consented = models.BooleanField(_("guardian consented"))
    child_assented = models.BooleanField(_("child assented"))
    consented_on = models.DateField(_("date"))
    scope_record_keeping = models.BooleanField(_("record keeping"), default=True)
    scope_referral_sharing = models.BooleanField(_("sharing for referral"), default=False)
    scope_photos = models.BooleanField(_("photos"), default=False)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("withdrawal reason"), blank=True)
    # A consent carried over from the agency that referred the child: the sender's date and
    # scope, named by the agency (name and directory UUID, no foreign key out of this schema).
    # It counts only once a worker here reconfirms it with the guardian at first contact.
    carried_over_from_name = models.CharField(_("carried over from"), max_length=200, blank=True)
    carried_over_from_uuid = models.UUIDField(null=True, blank=True)
    reconfirmed_on = models.DateField(_("reconfirmed on"), null=True, blank=True)
    reconfirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        ordering = ["-consented_on", "-id"]

    def __str__(self):
        return f"{self.child} {self.consented_on}"

    @property
    def is_carried_over(self) -> bool:
        return self.carried_over_from_uuid is not None

    @property
    def awaiting_reconfirmation(self) -> bool:
        """Carried over from a referring agency and not yet reconfirmed (nor withdrawn)."""
        return self.is_carried_over and self.reconfirmed_on is None and self.withdrawn_on is None

    @property
    def is_active(self) -> bool:
        return (
            self.withdrawn_on is None
            and self.guardian_consented
            and self.child_assented
            and self.scope_record_keeping
            and not self.awaiting_reconfirmation
        )


class Case(models.Model):
    """One episode of support for a child, from identification to closure."""

    class Type(models.TextChoices):
        CHILD_LABOUR = "child_labour", _("Child labour")
        PREVENTION = "prevention", _("Prevention (at risk, not working)")

    class Status(models.TextChoices):
        IDENTIFIED = "identified", _("Identified")
        REGISTERED = "registered", _("Registered")
        ASSESSED = "assessed", _("Assessed")
        PLANNED = "planned", _("Plan approved")
        IN_SERVICE = "in_service", _("Receiving services")
        MONITORING = "monitoring", _("Monitoring")
        RELAPSED = "relapsed", _("Relapsed")
        CLOSURE_REQUESTED = "closure_requested", _("Closure requested")
        CLOSED = "closed", _("Closed")

    class Risk(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class ClosureReason(models.TextChoices):
        WITHDRAWN_CHILD_LABOUR = "withdrawn_child_labour", _("Withdrawn from child labour")
        WITHDRAWN_HAZARDOUS = "withdrawn_hazardous", _("Withdrawn from hazardous work")
        HOURS_REDUCED = "hours_reduced", _("Work reduced to permitted hours")
        PREVENTED = "prevented", _("Prevented")
        MOVED_AWAY = "moved_away", _("Moved away")
        TRANSFERRED = "transferred", _("Transferred")
        AGED_OUT = "aged_out", _("Aged out")
        OTHER = "other", _("Other")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="cases")
    case_type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.IDENTIFIED
    )
    status_before_closure = models.CharField(max_length=20, blank=True, editable=False)
    assigned_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
        null=True,
        blank=True,
    )
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="shared_cases", blank=True
    )
    # Denormalised from the latest approved assessment / open follow-ups, for fast lists.
    risk_level = models.CharField(_("risk"), max_length=10, choices=Risk.choices, blank=True)
    child_labour_status = models.CharField(max_length=20, blank=True)
    province_code = models.CharField(max_length=2, blank=True, db_index=True)
    regency_code = models.CharField(max_length=5, blank=True, db_index=True)
    next_due_on = models.DateField(null=True, blank=True)
    has_overdue = models.BooleanField(default=False)
    opened_on = models.DateField(_("opened on"))
    closure_reason = models.CharField(max_length=30, choices=ClosureReason.choices, blank=True)
    closure_outcome = models.TextField(_("closure outcome"), blank=True)
    closure_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        indexes = [
            models.Index(fields=["status", "-id"], name="case_status_idx"),
            models.Index(fields=["assigned_worker", "-id"], name="case_worker_idx"),
            models.Index(fields=["risk_level", "-id"], name="case_risk_idx"),
            models.Index(fields=["has_overdue", "-id"], name="case_overdue_idx"),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class CaseReferenceCounter(models.Model):
    """The last case number given out in a year (references are `YYYY-NNNNN`).

    One row per year, incremented with an upsert inside the registering transaction: the row
    lock orders concurrent registrations, and a rolled-back registration gives its number back.
    """

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class Assessment(models.Model):
    """A dated assessment of the child's situation, approved by a supervisor."""

    class EmployerType(models.TextChoices):
        FAMILY = "family", _("Family")
        HOME_INDUSTRY = "home_industry", _("Home industry")
        INFORMAL = "informal", _("Informal")
        FORMAL = "formal", _("Formal")
        NONE = "none", _("Not working")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned for changes")

    class Hazard(models.TextChoices):
        DANGEROUS_TOOLS = "dangerous_tools", _("Dangerous machinery or tools")
        HEAVY_LOADS = "heavy_loads", _("Carrying heavy loads")
        CHEMICALS = "chemicals", _("Chemicals or pesticides")
        HEIGHTS = "heights", _("Work at heights")
        UNDERWATER = "underwater", _("Diving or work underwater")
        EXTREME_HEAT = "extreme_heat", _("Extreme heat or cold")
        STREET = "street", _("Street work / traffic")
        MINING = "mining", _("Mining or quarrying")
        DUST_SMOKE = "dust_smoke", _("Dust, fumes or smoke")
        ABUSE = "abuse", _("Physical, psychological or sexual abuse")
        ISOLATION = "isolation", _("Isolation / confinement")

    class WorstForm(models.TextChoices):
        FORCED_LABOUR = "forced_labour", _("Forced or bonded labour")
        TRAFFICKING = "trafficking", _("Trafficking")
        SEXUAL_EXPLOITATION = "sexual_exploitation", _("Commercial sexual exploitation")
        ILLICIT = "illicit", _("Illicit activities (drugs, crime)")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField(_("assessment date"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    age_at_assessment = models.PositiveSmallIntegerField(editable=False)
    # Work situation
    works = models.BooleanField(_("currently working"), default=True)
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    tasks = models.TextField(_("tasks"), blank=True)
    employer_type = models.CharField(
        _("employer type"), max_length=20, choices=EmployerType.choices, default=EmployerType.NONE
    )
    hours_per_week = models.DecimalField(
        _("hours per week"), max_digits=4, decimal_places=1, default=0
    )
    night_work = models.BooleanField(_("night work"), default=False)
    monthly_wage = models.PositiveIntegerField(_("monthly wage (Rp)"), null=True, blank=True)
    hazards = ArrayField(
        models.CharField(max_length=30, choices=Hazard.choices), default=list, blank=True
    )
    worst_forms = ArrayField(
        models.CharField(max_length=30, choices=WorstForm.choices), default=list, blank=True
    )
    # Narrative per domain
    schooling_notes = models.TextField(_("schooling"), blank=True)
    health_notes = models.TextField(_("health"), blank=True)
    psychosocial_notes = models.TextField(_("psychosocial state"), blank=True)
    family_economy_notes = models.TextField(_("family economy"), blank=True)
    safety_notes = models.TextField(_("safety"), blank=True)
    # Scores 1 (worst) to 5 (best) per domain
    score_education = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    score_health = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    score_psychosocial = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    score_safety = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    score_family_economy = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    risk_level = models.CharField(_("risk level"), max_length=10, choices=Case.Risk.choices)
    suggested_risk_level = models.CharField(max_length=10, choices=Case.Risk.choices)
    # Derived, never typed: both standards stored so reports can use either.
    status_bps = models.CharField(max_length=20, editable=False)
    status_ilo = models.CharField(max_length=20, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assessment")
        ordering = ["-assessed_on", "-id"]

    def __str__(self):
        return f"{self.case} {self.assessed_on}"

    SCORE_FIELDS = (
        "score_education",
        "score_health",
        "score_psychosocial",
        "score_safety",
        "score_family_economy",
    )

    def scores(self) -> dict[str, int]:
        return {name.removeprefix("score_"): getattr(self, name) for name in self.SCORE_FIELDS}


class CasePlan(models.Model):
    """The case plan: goals with planned services; approved by a supervisor."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REVISION_NEEDED = "revision_needed", _("Revision needed")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="plan")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    summary = models.TextField(_("summary"), blank=True)
    version = models.PositiveSmallIntegerField(default=1)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # The supervisor's comment when the plan was returned (shown to the worker until resubmitted).
    review_comment = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Plan {self.case}"


class Intervention(models.Model):
    """A service delivered to the child (named so `services.py` keeps its meaning)."""

    class Type(models.TextChoices):
        SCHOOL_RETURN = "school_return", _("Education: return to school")
        NON_FORMAL = "non_formal", _("Education: non-formal / kejar paket")
        TUTORING = "tutoring", _("Education: tutoring")
        COUNSELLING = "counselling", _("Counselling")
        HEALTH = "health", _("Health")
        ADVOCACY_LEGAL = "advocacy_legal", _("Advocacy / legal")
        FAMILY_ECONOMIC = "family_economic", _("Family economic strengthening")
        VOCATIONAL = "vocational", _("Vocational training")
        OTHER = "other", _("Other")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="interventions")
    delivered_on = models.DateField(_("date"))
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    provider = models.CharField(_("provider"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    # The plan goal this service works towards (optional); a goal removed from the plan
    # leaves the service on record, unlinked.
    goal = models.ForeignKey(
        "PlanGoal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interventions",
        verbose_name=_("plan goal"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("service delivered")
        ordering = ["-delivered_on", "-id"]

    def __str__(self):
        return f"{self.type} {self.delivered_on}"


class PlanGoal(models.Model):
    plan = models.ForeignKey(CasePlan, on_delete=models.CASCADE, related_name="goals")
    description = models.TextField(_("goal"))
    target_date = models.DateField(_("target date"))
    achieved_on = models.DateField(_("achieved on"), null=True, blank=True)

    class Meta:
        ordering = ["target_date", "id"]

    def __str__(self):
        return self.description[:60]


class PlannedService(models.Model):
    class ProviderKind(models.TextChoices):
        OWN = "own", _("Our NGO")
        AGENCY = "agency", _("Another agency")

    goal = models.ForeignKey(PlanGoal, on_delete=models.CASCADE, related_name="services")
    type = models.CharField(_("type"), max_length=20, choices=Intervention.Type.choices)
    provider_kind = models.CharField(max_length=10, choices=ProviderKind.choices)
    provider_name = models.CharField(_("provider"), max_length=200, blank=True)
    responsible_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("due date"))

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self):
        return f"{self.type} by {self.due_on}"


class FollowUp(models.Model):
    """A scheduled visit (or verification visit) with a due date and an assigned worker."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Follow-up visit")
        VERIFICATION = "verification", _("Verification visit")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followups")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.VISIT)
    due_on = models.DateField(_("due date"))
    assigned_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="followups"
    )
    purpose = models.CharField(_("purpose"), max_length=255, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_overdue = models.BooleanField(default=False)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["completed_on", "due_on"], name="followup_open_idx")]

    def __str__(self):
        return f"{self.kind} {self.due_on}"


class Verification(models.Model):
    """A verification visit in the ILO child labour monitoring cycle."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="verifications")
    visited_on = models.DateField(_("visit date"))
    left_work = models.BooleanField(_("has left the work (or the hazard)"))
    in_school_or_training = models.BooleanField(_("in school or training"))
    seen_back_at_work = models.BooleanField(_("seen back at work"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-id"]

    def __str__(self):
        return f"Verification {self.visited_on}"


class Note(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.body[:60]


def attachment_path(instance, filename: str) -> str:
    # The storage (TenantFileSystemStorage) prefixes the schema name: files never mix NGOs.
    return f"attachments/{instance.uuid}/{filename}"


class Attachment(models.Model):
    """A consent form, document or photo; served only through an access-checked view."""

    class Kind(models.TextChoices):
        CONSENT_FORM = "consent_form", _("Consent form")
        DOCUMENT = "document", _("Document")
        PHOTO = "photo", _("Photo")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="attachments")
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="attachments", null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.original_name


class Notification(models.Model):
    """An in-app message to one staff member: a code with its parameters, rendered in the
    reader's language when shown (`text`, casework/messages.py). `message` holds the text of
    rows written before codes existed, and is empty for new ones."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True)
    code = models.CharField(max_length=60, blank=True)
    params = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=255, blank=True)
    key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~models.Q(key=""), name="notification_once"
            )
        ]

    def __str__(self):
        return self.code or self.message

    @property
    def text(self) -> str:
        """The message in the active language."""
        from casework.messages import render

        return render(self.code, self.params, fallback=self.message)


class FormSubmission(models.Model):
    """A form's one-time token and where its first successful submission led.

    A page form carries a fresh token; the token is stored in the transaction that writes, so a
    repeated POST (a double tap, a retry on a slow connection) waits for the first and is sent
    to the same result instead of writing a second row.
    """

    token = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    result_url = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return str(self.token)


class AuditEvent(AuditEventBase):
    """Who did what to which object, when and from where. Append-only (a trigger refuses
    UPDATE and DELETE). The columns and the shape of `changed_fields` / `details` are
    documented in core/audit.py."""

    Action = AuditAction

    # PROTECT: staff with audit history are deactivated, never deleted (and the append-only
    # trigger would refuse the UPDATE that SET_NULL needs).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    case_id = models.BigIntegerField(null=True, blank=True)

    class Meta(AuditEventBase.Meta):
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
