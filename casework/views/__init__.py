"""Web pages on an NGO's host, one module per area; every page calls the services and
selectors that the API calls too."""

from casework.views.account import (
    LoginView,
    PasswordChangeView,
    PasswordResetConfirmView,
    account,
    language_switch,
)
from casework.views.assessment import (
    assessment_detail,
    assessment_edit,
    assessment_new,
    assessment_suggestion,
)
from casework.views.case import (
    attachment_new,
    case_assign,
    case_detail,
    case_summary,
    closure_request,
    consent_new,
    consent_reconfirm,
    consent_withdraw,
    followup_complete,
    followup_new,
    intervention_new,
    note_new,
    reopen,
    verification_new,
)
from casework.views.edit import child_edit, household_edit
from casework.views.home import (
    case_export,
    case_list,
    home,
    notification_read,
    regency_options,
    tasks,
)
from casework.views.manage import audit, ngo_settings, staff
from casework.views.plan import goal_achieved, plan_edit
from casework.views.registration import register
from casework.views.review import approvals, review

__all__ = [
    "LoginView",
    "PasswordChangeView",
    "PasswordResetConfirmView",
    "account",
    "language_switch",
    "approvals",
    "assessment_detail",
    "assessment_edit",
    "assessment_suggestion",
    "case_assign",
    "consent_reconfirm",
    "consent_withdraw",
    "child_edit",
    "goal_achieved",
    "household_edit",
    "tasks",
    "assessment_new",
    "attachment_new",
    "audit",
    "case_detail",
    "case_summary",
    "case_export",
    "case_list",
    "closure_request",
    "consent_new",
    "followup_complete",
    "followup_new",
    "home",
    "intervention_new",
    "ngo_settings",
    "note_new",
    "notification_read",
    "plan_edit",
    "regency_options",
    "register",
    "reopen",
    "review",
    "staff",
    "verification_new",
]
