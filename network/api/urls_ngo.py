"""/api/v1/ on an NGO's host: the directory, the NGO's agreements and its referrals."""

from django.urls import path

from network.api import agreements, directory, referrals

OUTGOING = "referrals/outgoing/<uuid:referral_uuid>/"
INCOMING = "referrals/incoming/<uuid:referral_uuid>/"

urlpatterns = [
    path("directory/", directory.DirectoryListView.as_view(), name="api-directory"),
    path(
        "directory/<uuid:agency_uuid>/",
        directory.DirectoryDetailView.as_view(),
        name="api-directory-agency",
    ),
    path("agreements/", agreements.AgreementListView.as_view(), name="api-agreements"),
    path(
        "agreements/<uuid:agreement_uuid>/",
        agreements.AgreementDetailView.as_view(),
        name="api-agreement",
    ),
    path(
        "referrals/outgoing/",
        referrals.OutgoingListView.as_view(),
        name="api-referrals-outgoing",
    ),
    path(
        "referrals/outgoing/options/",
        referrals.OutgoingOptionsView.as_view(),
        name="api-referral-options",
    ),
    path(OUTGOING, referrals.OutgoingDetailView.as_view(), name="api-referral-outgoing"),
    path(OUTGOING + "letter/", referrals.OutgoingLetterView.as_view(), name="api-referral-letter"),
    path(
        OUTGOING + "withdraw/",
        referrals.OutgoingWithdrawView.as_view(),
        name="api-referral-withdraw",
    ),
    path(
        OUTGOING + "response/",
        referrals.OutgoingResponseView.as_view(),
        name="api-referral-response",
    ),
    path(
        "referrals/incoming/",
        referrals.IncomingListView.as_view(),
        name="api-referrals-incoming",
    ),
    path(INCOMING, referrals.IncomingDetailView.as_view(), name="api-referral-incoming"),
    path(INCOMING + "accept/", referrals.IncomingAcceptView.as_view(), name="api-referral-accept"),
    path(
        INCOMING + "decline/", referrals.IncomingDeclineView.as_view(), name="api-referral-decline"
    ),
    path(
        INCOMING + "progress/",
        referrals.IncomingProgressView.as_view(),
        name="api-referral-progress",
    ),
    path(
        INCOMING + "complete/",
        referrals.IncomingCompleteView.as_view(),
        name="api-referral-complete",
    ),
]
