"""Web pages on an NGO's host."""

from django.urls import path

from casework import views

urlpatterns = [
    path("", views.home, name="home"),
    # The NGO's own login and language switch (before the ones every host has): both use the
    # language stored on the staff member's account.
    path("accounts/login/", views.LoginView.as_view()),
    path("i18n/setlang/", views.language_switch),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("account/", views.account, name="account"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/export.<str:fmt>", views.case_export, name="case-export"),
    path("register/", views.register, name="register"),
    path("register/<slug:step>/", views.register, name="register-step"),
    path("regions/regencies/", views.regency_options, name="regency-options"),
    path("cases/<int:case_id>/", views.case_detail, name="case-detail"),
    path("cases/<int:case_id>/summary/", views.case_summary, name="case-summary"),
    path("tasks/", views.tasks, name="tasks"),
    path("cases/<int:case_id>/child/", views.child_edit, name="child-edit"),
    path("cases/<int:case_id>/household/", views.household_edit, name="household-edit"),
    path("cases/<int:case_id>/assessment/", views.assessment_new, name="assessment-new"),
    path(
        "cases/<int:case_id>/assessment/suggestion/",
        views.assessment_suggestion,
        name="assessment-suggestion",
    ),
    path(
        "cases/<int:case_id>/assessment/<int:assessment_id>/",
        views.assessment_detail,
        name="assessment-detail",
    ),
    path(
        "cases/<int:case_id>/assessment/<int:assessment_id>/edit/",
        views.assessment_edit,
        name="assessment-edit",
    ),
    path(
        "cases/<int:case_id>/plan/goals/<int:goal_id>/achieved/",
        views.goal_achieved,
        name="goal-achieved",
    ),
    path("cases/<int:case_id>/plan/", views.plan_edit, name="plan-edit"),
    path("cases/<int:case_id>/service/", views.intervention_new, name="intervention-new"),
    path("cases/<int:case_id>/followup/", views.followup_new, name="followup-new"),
    path(
        "cases/<int:case_id>/followup/<int:followup_id>/done/",
        views.followup_complete,
        name="followup-complete",
    ),
    path("cases/<int:case_id>/verification/", views.verification_new, name="verification-new"),
    path("cases/<int:case_id>/note/", views.note_new, name="note-new"),
    path("cases/<int:case_id>/consent/", views.consent_new, name="consent-new"),
    path(
        "cases/<int:case_id>/consent/<int:consent_id>/withdraw/",
        views.consent_withdraw,
        name="consent-withdraw",
    ),
    path(
        "cases/<int:case_id>/consent/<int:consent_id>/reconfirm/",
        views.consent_reconfirm,
        name="consent-reconfirm",
    ),
    path("cases/<int:case_id>/assign/", views.case_assign, name="case-assign"),
    path("cases/<int:case_id>/attachment/", views.attachment_new, name="attachment-new"),
    path("cases/<int:case_id>/close/", views.closure_request, name="closure-request"),
    path("cases/<int:case_id>/reopen/", views.reopen, name="reopen"),
    path("cases/<int:case_id>/review/<slug:what>/", views.review, name="review"),
    path(
        "cases/<int:case_id>/review/<slug:what>/<int:object_id>/", views.review, name="review-item"
    ),
    path("approvals/", views.approvals, name="approvals"),
    path("notifications/<int:notification_id>/", views.notification_read, name="notification"),
    path("staff/", views.staff, name="staff"),
    path("settings/", views.ngo_settings, name="ngo-settings"),
    path("audit/", views.audit, name="audit"),
]
