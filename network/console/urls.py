"""The coordinator console's routes, under /console/ on the public host."""

from django.urls import path

from network.console import capacity, reports, views

app_name = "console"

CONSORTIUM = "<int:consortium_id>/"
CAPACITY = CONSORTIUM + "capacity/"
VISIT = CAPACITY + "visits/<uuid:visit_uuid>/"

urlpatterns = [
    path("", views.console_index, name="index"),
    path(CONSORTIUM, views.home, name="home"),
    path(CONSORTIUM + "reports/", reports.dashboard_page, name="reports"),
    path(CONSORTIUM + "reports/export.<str:fmt>", reports.export, name="reports-export"),
    path(CONSORTIUM + "reports/print/", reports.funder_report, name="reports-print"),
    path(CONSORTIUM + "reports/refresh/", reports.refresh, name="reports-refresh"),
    path(CONSORTIUM + "ngos/", views.members, name="members"),
    path(CONSORTIUM + "ngos/new/", views.onboard, name="onboard"),
    path(CONSORTIUM + "ngos/new/<uuid:token>/", views.onboarded, name="onboarded"),
    path(CONSORTIUM + "ngos/<slug:slug>/status/", views.ngo_status, name="ngo-status"),
    path(CONSORTIUM + "directory/", views.directory, name="directory"),
    path(CONSORTIUM + "directory/new/", views.agency_new, name="agency-new"),
    path(CONSORTIUM + "directory/<uuid:agency_uuid>/", views.agency_detail, name="agency"),
    path(
        CONSORTIUM + "directory/<uuid:agency_uuid>/review/",
        views.agency_review,
        name="agency-review",
    ),
    path(CONSORTIUM + "agreements/", views.agreements, name="agreements"),
    path(CONSORTIUM + "agreements/new/", views.agreement_new, name="agreement-new"),
    path(
        CONSORTIUM + "agreements/<uuid:agreement_uuid>/",
        views.agreement_detail,
        name="agreement",
    ),
    path(
        CONSORTIUM + "agreements/<uuid:agreement_uuid>/activate/",
        views.agreement_activate,
        name="agreement-activate",
    ),
    path(
        CONSORTIUM + "agreements/<uuid:agreement_uuid>/revoke/",
        views.agreement_revoke,
        name="agreement-revoke",
    ),
    path(
        CONSORTIUM + "agreements/<uuid:agreement_uuid>/mou/",
        views.agreement_mou,
        name="agreement-mou",
    ),
    path(CONSORTIUM + "referrals/", views.referrals, name="referrals"),
    path(CAPACITY, capacity.overview, name="capacity"),
    path(CAPACITY + "trainings/", capacity.trainings, name="capacity-trainings"),
    path(CAPACITY + "trainings/new/", capacity.training_new, name="capacity-training-new"),
    path(
        CAPACITY + "trainings/<uuid:training_uuid>/",
        capacity.training_edit,
        name="capacity-training",
    ),
    path(CAPACITY + "visits/", capacity.visits, name="capacity-visits"),
    path(CAPACITY + "visits/new/", capacity.visit_new, name="capacity-visit-new"),
    path(VISIT, capacity.visit_detail, name="capacity-visit"),
    path(VISIT + "edit/", capacity.visit_edit, name="capacity-visit-edit"),
    path(VISIT + "actions/", capacity.action_add, name="capacity-action-add"),
    path(
        VISIT + "actions/<uuid:action_uuid>/done/",
        capacity.action_done,
        name="capacity-action-done",
    ),
    path(CAPACITY + "ngos/<slug:slug>/", capacity.ngo_detail, name="capacity-ngo"),
    path(
        CAPACITY + "ngos/<slug:slug>/self-assessments/<int:year>/",
        capacity.self_assessment,
        name="capacity-self-assessment",
    ),
]
