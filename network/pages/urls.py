"""The referral network's pages on an NGO's host (included by ngo_platform/urls_ngo.py)."""

from django.urls import path

from network.pages import capacity, directory, lists, refer, referral, report

urlpatterns = [
    path("referrals/", lists.inbox, name="referral-inbox"),
    path("referrals/sent/", lists.sent, name="referral-sent"),
    path("referrals/<uuid:referral_uuid>/", referral.referral_detail, name="referral-detail"),
    path(
        "referrals/<uuid:referral_uuid>/letter/",
        referral.referral_letter,
        name="referral-letter",
    ),
    path(
        "referrals/<uuid:referral_uuid>/<slug:action>/",
        referral.referral_action,
        name="referral-action",
    ),
    path("cases/<int:case_id>/refer/", refer.referral_new, name="referral-new"),
    path("directory/", directory.directory, name="network-directory"),
    path("directory/propose/", directory.agency_propose, name="network-agency-propose"),
    path("agreements/", directory.agreements, name="network-agreements"),
    path("report/", report.report_page, name="ngo-report"),
    path("report/export.<str:fmt>", report.report_export, name="ngo-report-export"),
    path("report/recount/", report.report_recount, name="ngo-report-recount"),
    path("capacity/", capacity.capacity_history, name="network-capacity"),
]
