"""/api/v1/ on an NGO's host."""

from django.urls import path

from casework.api import (
    attachments,
    audit,
    cases,
    children,
    consents,
    ngo_settings,
    notifications,
    staff,
)

urlpatterns = [
    path("children/", children.ChildListView.as_view(), name="api-children"),
    path("children/duplicates/", children.DuplicateCheckView.as_view(), name="api-duplicates"),
    path("children/<int:child_id>/", children.ChildDetailView.as_view(), name="api-child"),
    path("cases/", cases.CaseListView.as_view(), name="api-cases"),
    path("cases/export/", cases.CaseExportView.as_view(), name="api-cases-export"),
    path("cases/<int:case_id>/", cases.CaseDetailView.as_view(), name="api-case"),
    path("cases/<int:case_id>/assign/", cases.CaseAssignView.as_view(), name="api-case-assign"),
    path(
        "cases/<int:case_id>/assessments/",
        cases.AssessmentListView.as_view(),
        name="api-case-assessments",
    ),
    path(
        "cases/<int:case_id>/assessments/<int:assessment_id>/review/",
        cases.AssessmentReviewView.as_view(),
        name="api-assessment-review",
    ),
    path("cases/<int:case_id>/plan/", cases.PlanView.as_view(), name="api-case-plan"),
    path(
        "cases/<int:case_id>/plan/review/", cases.PlanReviewView.as_view(), name="api-plan-review"
    ),
    path(
        "cases/<int:case_id>/interventions/",
        cases.InterventionListView.as_view(),
        name="api-case-interventions",
    ),
    path(
        "cases/<int:case_id>/followups/",
        cases.FollowUpListView.as_view(),
        name="api-case-followups",
    ),
    path(
        "cases/<int:case_id>/followups/<int:followup_id>/complete/",
        cases.FollowUpCompleteView.as_view(),
        name="api-followup-complete",
    ),
    path(
        "cases/<int:case_id>/verifications/",
        cases.VerificationListView.as_view(),
        name="api-case-verifications",
    ),
    path("cases/<int:case_id>/notes/", cases.NoteListView.as_view(), name="api-case-notes"),
    path(
        "cases/<int:case_id>/attachments/",
        attachments.AttachmentListView.as_view(),
        name="api-case-attachments",
    ),
    path("cases/<int:case_id>/close/", cases.CloseView.as_view(), name="api-case-close"),
    path(
        "cases/<int:case_id>/close/review/",
        cases.CloseReviewView.as_view(),
        name="api-case-close-review",
    ),
    path("cases/<int:case_id>/reopen/", cases.ReopenView.as_view(), name="api-case-reopen"),
    path(
        "attachments/<uuid:attachment_uuid>/",
        attachments.AttachmentDownloadView.as_view(),
        name="api-attachment",
    ),
    path("consents/", consents.ConsentListView.as_view(), name="api-consents"),
    path(
        "consents/<int:consent_id>/withdraw/",
        consents.ConsentWithdrawView.as_view(),
        name="api-consent-withdraw",
    ),
    path("audit/", audit.AuditListView.as_view(), name="api-audit"),
    path("staff/", staff.StaffListView.as_view(), name="api-staff"),
    path("staff/<int:user_id>/", staff.StaffDetailView.as_view(), name="api-staff-detail"),
    path("settings/", ngo_settings.SettingsView.as_view(), name="api-settings"),
    path("notifications/", notifications.NotificationListView.as_view(), name="api-notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        notifications.NotificationReadView.as_view(),
        name="api-notification-read",
    ),
]
