"""/api/v1/ on the public host for coordinators (and the operator): the directory, agreements,
referral metadata and capacity building of the consortia they coordinate."""

from django.urls import path

from network.api.coordinator import agreements, capacity, directory, referrals, reporting

urlpatterns = [
    path("indicators/", reporting.IndicatorListView.as_view(), name="api-indicators"),
    path("aggregates/", reporting.AggregateView.as_view(), name="api-aggregates"),
    path(
        "aggregates/refresh/",
        reporting.AggregateRefreshView.as_view(),
        name="api-aggregates-refresh",
    ),
    path(
        "directory/",
        directory.CoordinatorDirectoryListView.as_view(),
        name="api-coordinator-directory",
    ),
    path(
        "directory/<uuid:agency_uuid>/",
        directory.CoordinatorDirectoryDetailView.as_view(),
        name="api-coordinator-agency",
    ),
    path(
        "directory/<uuid:agency_uuid>/review/",
        directory.CoordinatorDirectoryReviewView.as_view(),
        name="api-coordinator-agency-review",
    ),
    path(
        "agreements/",
        agreements.CoordinatorAgreementListView.as_view(),
        name="api-coordinator-agreements",
    ),
    path(
        "agreements/<uuid:agreement_uuid>/",
        agreements.CoordinatorAgreementDetailView.as_view(),
        name="api-coordinator-agreement",
    ),
    path(
        "agreements/<uuid:agreement_uuid>/activate/",
        agreements.CoordinatorAgreementActivateView.as_view(),
        name="api-coordinator-agreement-activate",
    ),
    path(
        "agreements/<uuid:agreement_uuid>/revoke/",
        agreements.CoordinatorAgreementRevokeView.as_view(),
        name="api-coordinator-agreement-revoke",
    ),
    path(
        "referrals/",
        referrals.CoordinatorReferralListView.as_view(),
        name="api-coordinator-referrals",
    ),
    path(
        "referrals/<uuid:referral_uuid>/",
        referrals.CoordinatorReferralDetailView.as_view(),
        name="api-coordinator-referral",
    ),
    path("trainings/", capacity.TrainingListView.as_view(), name="api-trainings"),
    path(
        "mentoring-visits/", capacity.MentoringVisitListView.as_view(), name="api-mentoring-visits"
    ),
    path(
        "mentoring-visits/<uuid:visit_uuid>/",
        capacity.MentoringVisitDetailView.as_view(),
        name="api-mentoring-visit",
    ),
    path(
        "mentoring-visits/<uuid:visit_uuid>/actions/",
        capacity.AgreedActionListView.as_view(),
        name="api-agreed-actions",
    ),
    path(
        "mentoring-visits/<uuid:visit_uuid>/actions/<uuid:action_uuid>/done/",
        capacity.AgreedActionDoneView.as_view(),
        name="api-agreed-action-done",
    ),
    path(
        "self-assessments/", capacity.SelfAssessmentListView.as_view(), name="api-self-assessments"
    ),
]
