"""Write operations inside one NGO's schema, one module per entity.

Every write checks access, validates, saves and records an audit event in one transaction;
status changes go through `states._transition`. Callers import from here:
`from casework import services; services.case_assign(...)`.
"""

from casework.services._common import NIK_RE
from casework.services.assessments import (
    ASSESSMENT_INPUT_FIELDS,
    assessment_create,
    assessment_resubmit,
    assessment_review,
)
from casework.services.attachments import ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, attachment_upload
from casework.services.cases import (
    case_assign,
    case_closure_request,
    case_closure_review,
    case_reopen,
)
from casework.services.children import (
    HOUSEHOLD_FIELDS,
    ChildInput,
    HouseholdInput,
    child_register,
    child_update,
    child_version,
    household_update,
    household_version,
    normalize_name,
)
from casework.services.consents import (
    CarriedConsentInput,
    ConsentInput,
    child_has_active_consent,
    consent_carry_over,
    consent_reconfirm,
    consent_record,
    consent_withdraw,
)
from casework.services.delivery import (
    case_followups_refresh,
    followup_complete,
    followup_schedule,
    intervention_record,
    note_add,
    verification_record,
)
from casework.services.ngo import (
    ngo_settings,
    ngo_settings_initialize,
    ngo_settings_update,
    tenant_initialize,
)
from casework.services.notifications import (
    notification_mark_read,
    notification_send,
    notify_returned,
)
from casework.services.periodic import followups_mark_overdue, task_run_record
from casework.services.plans import goal_mark_achieved, plan_review, plan_save, plan_version
from casework.services.staff import (
    own_language_set,
    own_password_changed,
    staff_create,
    staff_update,
)
from casework.services.states import (
    ACTIVE_STATUSES,
    CONSENTED_STATUSES,
    TRANSITIONS,
    Status,
    _transition,
    allowed_next,
)
from casework.services.submissions import (
    form_token_new,
    form_tokens_forget,
    submission_once,
    submission_result,
)

__all__ = [
    "HOUSEHOLD_FIELDS",
    "goal_mark_achieved",
    "notify_returned",
    "notification_send",
    "household_update",
    "household_version",
    "assessment_resubmit",
    "ACTIVE_STATUSES",
    "ASSESSMENT_INPUT_FIELDS",
    "ATTACHMENT_TYPES",
    "CONSENTED_STATUSES",
    "CarriedConsentInput",
    "ChildInput",
    "ConsentInput",
    "HouseholdInput",
    "MAX_ATTACHMENT_BYTES",
    "NIK_RE",
    "Status",
    "TRANSITIONS",
    "_transition",
    "allowed_next",
    "assessment_create",
    "assessment_review",
    "attachment_upload",
    "case_assign",
    "case_closure_request",
    "case_closure_review",
    "case_followups_refresh",
    "case_reopen",
    "child_has_active_consent",
    "child_register",
    "child_update",
    "child_version",
    "consent_carry_over",
    "consent_reconfirm",
    "consent_record",
    "consent_withdraw",
    "followup_complete",
    "followup_schedule",
    "followups_mark_overdue",
    "form_token_new",
    "form_tokens_forget",
    "intervention_record",
    "ngo_settings",
    "ngo_settings_initialize",
    "ngo_settings_update",
    "normalize_name",
    "note_add",
    "notification_mark_read",
    "plan_review",
    "plan_save",
    "plan_version",
    "own_language_set",
    "own_password_changed",
    "staff_create",
    "submission_once",
    "submission_result",
    "staff_update",
    "task_run_record",
    "tenant_initialize",
    "verification_record",
]
