# ruff: noqa: F811  (pytest fixtures imported from the API matrix are used as parameters)
"""The role matrix of the web pages: every route of the NGO's and the public URL confs x every
role x the worker's own case or another worker's case.

The routes are found by walking the URL resolvers, so a new page fails
`test_every_route_has_an_entry` until it gets a row in `PAGES` (the API routes are the API
matrix's, test_role_matrix.py; the admin sites' generated routes are covered by their index).
Each cell asserts the status; that the body carries no identity (child's name, known-as name,
guardian, village, NIK) the actor may not see; and, for a denied POST, that the database is
exactly as before (a digest of every table of the NGO's schema).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django_tenants.utils import schema_context

from casework.models import StaffProfile
from tests.casework.test_role_matrix import (  # noqa: F401  (fixtures used by name)
    GUARDIAN,
    OTHER_NAME,
    OWN_NAME,
    OWN_NIK,
    Target,
    World,
    _account,
    _one_search_path_per_schema_switch,
    _state,
    _today,
    media_root,
    world,
)
from tests.support import host_client

pytestmark = pytest.mark.django_db

ACTORS = (
    "admin",
    "supervisor",
    "worker",
    "shared",
    "other_worker",
    "me",
    "inactive",
    "no_role",
    "anonymous",
)
# Roles that may see who a child is, and which cases each actor sees.
IDENTITY = {"admin", "supervisor", "worker", "shared", "other_worker"}
VISIBLE = {
    "admin": ("own", "other"),
    "supervisor": ("own", "other"),
    "worker": ("own",),
    "shared": ("own",),
    "other_worker": ("other",),
    "me": ("own", "other"),
}
SECRETS = {
    "own": (OWN_NAME, "Siti", OWN_NIK[-4:]),
    "other": (OTHER_NAME, "Budi"),
}
# Both children share guardian and village: never shown to a role without identity.
ALWAYS_SECRET = (GUARDIAN, "Tanjung Mas")


@dataclass(frozen=True)
class Page:
    """Expected statuses per ACTORS for the worker's own case (or no case) and another's."""

    path: str
    own: tuple[int | None, ...]
    other: tuple[int, ...] | None = None
    method: str = "get"
    setup: tuple[str, ...] = ()
    body: dict | None = None
    # Where a denied anonymous or inactive request is sent (None: not a login redirect).
    login: str | None = "/accounts/login/"


# Shorthands for rows: who may do what.
#            admin sup  worker shared other me  inactive no_role anon
ANY_STAFF = (200, 200, 200, 200, 200, 200, 302, 403, 302)
EDITORS = (200, 200, 200, 200, 200, 403, 302, 403, 302)
ADMIN_ONLY = (200, 403, 403, 403, 403, 403, 302, 403, 302)
APPROVERS = (200, 200, 403, 403, 403, 403, 302, 403, 302)
OWN_CASE = (200, 200, 200, 200, 404, 403, 302, 403, 302)
OTHER_CASE = (200, 200, 404, 404, 200, 403, 302, 403, 302)
OWN_POST = (302, 302, 302, 302, 404, 403, 302, 403, 302)
OTHER_POST = (302, 302, 404, 404, 302, 403, 302, 403, 302)
APPROVE_OWN_POST = (302, 302, 403, 403, 404, 403, 302, 403, 302)
APPROVE_OTHER_POST = (302, 302, 404, 404, 403, 403, 302, 403, 302)
APPROVERS_POST = (302, 302, 403, 403, 403, 403, 302, 403, 302)
ASSIGNERS_OWN = (200, 200, 403, 403, 404, 403, 302, 403, 302)
ASSIGNERS_OTHER = (200, 200, 404, 404, 403, 403, 302, 403, 302)
POST_ONLY = (405, 405, 405, 405, 405, 405, 302, 403, 302)
EXPORTERS = (200, 200, 403, 403, 403, 200, 302, 403, 302)
REPORT_READERS = EXPORTERS  # the NGO's report: the roles that see every case
REPORT_READERS_400 = (400, 400, 403, 403, 403, 400, 302, 403, 302)  # a bad filter
REPORT_READERS_POST = (302, 302, 403, 403, 403, 302, 302, 403, 302)
# Every role that sees the case; the M&E officer's copy is masked (the matrix checks no secret).
SUMMARY_OWN = (200, 200, 200, 200, 404, 200, 302, 403, 302)
SUMMARY_OTHER = (200, 200, 404, 404, 200, 200, 302, 403, 302)
EVERYONE = (200,) * 9


def _case_page(path: str, **kwargs) -> Page:
    return Page(path, OWN_CASE, OTHER_CASE, **kwargs)


def _case_post(path: str, body: dict, **kwargs) -> Page:
    return Page(path, OWN_POST, OTHER_POST, method="post", body=body, **kwargs)


CASE = "/cases/{case_id}"
# The case's child referred to an outside clinic under an active agreement (network pages).
REFERRAL = ("referral",)
TOMORROW = "{tomorrow}"
PLAN_BODY = {
    "summary": "Kembali ke sekolah",
    "goals-TOTAL_FORMS": "1",
    "goals-INITIAL_FORMS": "0",
    "goals-MIN_NUM_FORMS": "1",
    "goals-MAX_NUM_FORMS": "1000",
    "goals-0-description": "Kembali ke SD",
    "goals-0-target_date": TOMORROW,
    "goals-0-service_type": "school_return",
    "goals-0-provider_kind": "own",
    "goals-0-responsible_worker": "{worker_id}",
    "goals-0-due_on": TOMORROW,
}

ASSESSMENT_BODY = {
    "form_token": "",
    "assessed_on": "{today}",
    "works": "on",
    "sector": "perikanan",
    "tasks": "menyortir ikan",
    "employer_type": "informal",
    "hours_per_week": "12",
    "score_education": "2",
    "score_health": "3",
    "score_psychosocial": "3",
    "score_safety": "3",
    "score_family_economy": "2",
    "risk_level": "medium",
}
CHILD_BODY = {
    "full_name": "Dewi Anggraini",
    "sex": "female",
    "birth_year": "2013",
    "school_status": "dropped_out",
}
HOUSEHOLD_BODY = {
    "guardian_name": "Ibu Anggraini",
    "guardian_relationship": "ibu",
    "member_count": "4",
    "monthly_income_band": "lt_1m",
    "members-TOTAL_FORMS": "1",
    "members-INITIAL_FORMS": "0",
    "members-0-name": "Pak Anggra",
    "members-0-relationship": "ayah",
}

# Keyed by the route's pattern as the resolver spells it; a list when a route has several rows.
PAGES: dict[str, list[Page]] = {
    # An overdue visit and a pending assessment: the home lists both (with names, for some).
    "": [Page("/", ANY_STAFF, ANY_STAFF, setup=("overdue_followup", "assessment"))],
    "cases/": [Page("/cases/", ANY_STAFF), Page("/cases/?search=rahayu", ANY_STAFF)],
    "cases/export.<str:fmt>": [
        Page("/cases/export.csv", EXPORTERS),
        Page("/cases/export.xlsx?risk=high", EXPORTERS),
    ],
    "register/": [Page("/register/", EDITORS)],
    "register/<slug:step>/": [
        Page("/register/child/", EDITORS),
        Page(
            "/register/child/",
            (302, 302, 302, 302, 302, 403, 302, 403, 302),
            method="post",
            body={
                "full_name": "Dewi Lestari",
                "sex": "female",
                "birth_year": "2013",
                "school_status": "dropped_out",
                "case_type": "child_labour",
            },
        ),
    ],
    "regions/regencies/": [Page("/regions/regencies/?province_code=33", ANY_STAFF)],
    "cases/<int:case_id>/": [_case_page(CASE + "/")],
    # The worker's week: an overdue visit on the own case (named for those who may see it).
    "tasks/": [Page("/tasks/", EDITORS, EDITORS, setup=("overdue_followup",))],
    "cases/<int:case_id>/summary/": [
        Page(CASE + "/summary/", SUMMARY_OWN, SUMMARY_OTHER, setup=("note",))
    ],
    "cases/<int:case_id>/child/": [
        _case_page(CASE + "/child/"),
        _case_post(CASE + "/child/", CHILD_BODY),
    ],
    "cases/<int:case_id>/household/": [
        _case_page(CASE + "/household/"),
        _case_post(CASE + "/household/", HOUSEHOLD_BODY),
    ],
    "cases/<int:case_id>/assessment/": [_case_page(CASE + "/assessment/")],
    "cases/<int:case_id>/assessment/suggestion/": [
        _case_page(CASE + "/assessment/suggestion/?works=on&hours_per_week=30"),
    ],
    "cases/<int:case_id>/assessment/<int:assessment_id>/": [
        _case_page(CASE + "/assessment/{assessment_id}/", setup=("assessment",)),
        Page(
            CASE + "/assessment/{assessment_id}/",
            POST_ONLY,
            POST_ONLY,
            method="post",
            body={},
            setup=("assessment",),
        ),
    ],
    "cases/<int:case_id>/assessment/<int:assessment_id>/edit/": [
        _case_page(CASE + "/assessment/{assessment_id}/edit/", setup=("returned_assessment",)),
        _case_post(
            CASE + "/assessment/{assessment_id}/edit/",
            ASSESSMENT_BODY,
            setup=("returned_assessment",),
        ),
    ],
    "cases/<int:case_id>/plan/goals/<int:goal_id>/achieved/": [
        _case_page(CASE + "/plan/goals/{goal_id}/achieved/", setup=("approved_assessment", "plan")),
        _case_post(
            CASE + "/plan/goals/{goal_id}/achieved/",
            {"achieved_on": "{today}"},
            setup=("approved_assessment", "plan"),
        ),
    ],
    "cases/<int:case_id>/plan/": [
        _case_page(CASE + "/plan/"),
        _case_post(CASE + "/plan/", PLAN_BODY, setup=("approved_assessment",)),
    ],
    "cases/<int:case_id>/service/": [
        _case_page(CASE + "/service/"),
        _case_post(
            CASE + "/service/",
            {"delivered_on": "{today}", "type": "counselling", "provider": "Puskesmas"},
        ),
    ],
    "cases/<int:case_id>/followup/": [
        _case_page(CASE + "/followup/"),
        _case_post(CASE + "/followup/", {"kind": "visit", "due_on": TOMORROW}),
    ],
    "cases/<int:case_id>/followup/<int:followup_id>/done/": [
        _case_page(CASE + "/followup/{followup_id}/done/", setup=("followup",)),
        _case_post(
            CASE + "/followup/{followup_id}/done/",
            {"completed_on": "{today}"},
            setup=("followup",),
        ),
    ],
    "cases/<int:case_id>/verification/": [
        _case_page(CASE + "/verification/"),
        _case_post(CASE + "/verification/", {"visited_on": "{today}", "left_work": "on"}),
    ],
    "cases/<int:case_id>/note/": [
        _case_page(CASE + "/note/"),
        _case_post(CASE + "/note/", {"body": "Kunjungan rumah"}),
    ],
    "cases/<int:case_id>/consent/": [_case_page(CASE + "/consent/")],
    "cases/<int:case_id>/consent/<int:consent_id>/withdraw/": [
        _case_page(CASE + "/consent/{consent_id}/withdraw/"),
        _case_post(
            CASE + "/consent/{consent_id}/withdraw/",
            {"withdrawn_on": "{today}", "reason": "Keluarga pindah"},
        ),
    ],
    # Only a consent carried over on referral takes a POST: tests/network/test_referral_accept.py.
    "cases/<int:case_id>/consent/<int:consent_id>/reconfirm/": [
        _case_page(CASE + "/consent/{consent_id}/reconfirm/")
    ],
    "cases/<int:case_id>/assign/": [
        Page(CASE + "/assign/", ASSIGNERS_OWN, ASSIGNERS_OTHER),
        Page(
            CASE + "/assign/",
            APPROVE_OWN_POST,
            APPROVE_OTHER_POST,
            method="post",
            body={"worker": "{worker_id}", "shared_with": "{shared_id}"},
        ),
    ],
    "cases/<int:case_id>/attachment/": [_case_page(CASE + "/attachment/")],
    "cases/<int:case_id>/close/": [
        _case_page(CASE + "/close/"),
        _case_post(CASE + "/close/", {"reason": "moved_away", "outcome": "Pindah"}),
    ],
    "cases/<int:case_id>/reopen/": [
        _case_page(CASE + "/reopen/", setup=("closed",)),
        Page(
            CASE + "/reopen/",
            APPROVE_OWN_POST,
            APPROVE_OTHER_POST,
            method="post",
            body={"reason": "Bekerja lagi di pelabuhan"},
            setup=("closed",),
        ),
    ],
    "cases/<int:case_id>/review/<slug:what>/": [
        Page(CASE + "/review/plan/", POST_ONLY, POST_ONLY),
        Page(
            CASE + "/review/plan/",
            APPROVERS_POST,
            APPROVERS_POST,
            method="post",
            body={"decision": "approve"},
            setup=("approved_assessment", "submitted_plan"),
        ),
        Page(
            CASE + "/review/closure/",
            APPROVERS_POST,
            APPROVERS_POST,
            method="post",
            body={"decision": "approve"},
            setup=("closure_requested",),
        ),
    ],
    "cases/<int:case_id>/review/<slug:what>/<int:object_id>/": [
        Page(
            CASE + "/review/assessment/{assessment_id}/",
            POST_ONLY,
            POST_ONLY,
            setup=("assessment",),
        ),
        Page(
            CASE + "/review/assessment/{assessment_id}/",
            APPROVERS_POST,
            APPROVERS_POST,
            method="post",
            body={"decision": "approve"},
            setup=("assessment",),
        ),
    ],
    "approvals/": [Page("/approvals/", APPROVERS, setup=("assessment",))],
    "notifications/<int:notification_id>/": [
        Page("/notifications/{notification_id}/", (302,) * 6 + (302, 403, 302)),
    ],
    "staff/": [
        Page("/staff/", ADMIN_ONLY),
        Page(
            "/staff/",
            (302, 403, 403, 403, 403, 403, 302, 403, 302),
            method="post",
            body={"action": "update", "user_id": "{shared_id}", "role": "me_officer"},
        ),
    ],
    "settings/": [
        Page("/settings/", ADMIN_ONLY),
        Page(
            "/settings/",
            (302, 403, 403, 403, 403, 403, 302, 403, 302),
            method="post",
            body={
                "classification_standard": "bps",
                "followup_interval_days": "14",
                "verification_interval_days": "90",
            },
        ),
    ],
    "audit/": [Page("/audit/", ADMIN_ONLY)],
    # The referral network's pages (network/pages/): referrals carry identities, so only the
    # roles that work on cases; the directory and the NGO's agreements are for every role.
    "referrals/": [Page("/referrals/", EDITORS, setup=("referral",))],
    "referrals/sent/": [
        Page("/referrals/sent/", EDITORS, setup=("referral",)),
        Page("/referrals/sent/?state=sent&overdue=on", EDITORS, setup=("referral",)),
    ],
    "referrals/<uuid:referral_uuid>/": [_case_page("/referrals/{referral_uuid}/", setup=REFERRAL)],
    "referrals/<uuid:referral_uuid>/letter/": [
        _case_page("/referrals/{referral_uuid}/letter/", setup=REFERRAL)
    ],
    "referrals/<uuid:referral_uuid>/<slug:action>/": [
        _case_post(
            "/referrals/{referral_uuid}/withdraw/", {"withdraw-reason": "Pindah"}, setup=REFERRAL
        ),
        _case_post(
            "/referrals/{referral_uuid}/record/",
            {"record-state": "accepted", "record-note": "Lewat telepon"},
            setup=REFERRAL,
        ),
        # GET of an action goes back to the referral page.
        Page(
            "/referrals/{referral_uuid}/withdraw/",
            (302, 302, 302, 302, 404, 403, 302, 403, 302),
            (302, 302, 404, 404, 302, 403, 302, 403, 302),
            setup=REFERRAL,
        ),
    ],
    "cases/<int:case_id>/refer/": [
        _case_page(CASE + "/refer/", setup=("agencies",)),
        _case_page(CASE + "/refer/?service_type=counselling", setup=("agencies",)),
        _case_post(
            CASE + "/refer/",
            {
                "service_type": "counselling",
                "to_agency": "{clinic_uuid}",
                "urgency": "normal",
                "reason": "Butuh konseling",
            },
            setup=("agencies",),
        ),
    ],
    "directory/": [
        Page("/directory/", ANY_STAFF, setup=("agencies",)),
        Page(
            "/directory/?service_type=counselling&province_code=33", ANY_STAFF, setup=("agencies",)
        ),
    ],
    "directory/propose/": [
        Page("/directory/propose/", EDITORS, setup=("agencies",)),
        Page(
            "/directory/propose/",
            (302, 302, 302, 302, 302, 403, 302, 403, 302),
            method="post",
            body={"kind": "school", "name": "SMP Negeri 5", "service_types": "school_return"},
            setup=("agencies",),
        ),
    ],
    "agreements/": [Page("/agreements/", ANY_STAFF, setup=("agencies",))],
    # The NGO's own report (network/pages/report.py): figures over every case, so the roles
    # that see every case (admin, supervisor, M&E officer); no identity on it.
    "report/": [
        Page("/report/", REPORT_READERS),
        Page("/report/?period_from=2026-06&period_to=2026-11&sex=female", REPORT_READERS),
        Page("/report/?period_from=2026-13", REPORT_READERS_400),
    ],
    "report/export.<str:fmt>": [
        Page("/report/export.csv?table=services", REPORT_READERS),
        Page("/report/export.xlsx", REPORT_READERS),
    ],
    "report/recount/": [
        Page("/report/recount/", POST_ONLY),
        Page("/report/recount/", REPORT_READERS_POST, method="post", body={"query": ""}),
    ],
    # The NGO's capacity-building history: its management (the admin) only.
    "capacity/": [Page("/capacity/", ADMIN_ONLY)],
    # Served on every host (ngo_platform/urls_common.py); no role changes their answer (the
    # health check's status depends on the services it probes: None, the same for everyone).
    "healthz": [Page("/healthz", (None,) * 9, login=None)],
    "accounts/login/": [Page("/accounts/login/", EVERYONE, login=None)],
    "accounts/logout/": [Page("/accounts/logout/", (405,) * 9, login=None)],
    # A staff member's own account; a forgotten password (anyone may ask: the answer never
    # tells whether the address has an account).
    "account/": [Page("/account/", ANY_STAFF)],
    "account/password/": [Page("/account/password/", ANY_STAFF)],
    "accounts/password/reset/": [Page("/accounts/password/reset/", EVERYONE, login=None)],
    "accounts/password/reset/sent/": [Page("/accounts/password/reset/sent/", EVERYONE, login=None)],
    "accounts/password/reset/<uidb64>/<token>/": [
        Page("/accounts/password/reset/MQ/not-a-token/", EVERYONE, login=None)
    ],
    "accounts/password/reset/done/": [Page("/accounts/password/reset/done/", EVERYONE, login=None)],
    "i18n/setlang/": [Page("/i18n/setlang/", (302,) * 9, login=None)],
    "api/v1/auth/token/": [Page("/api/v1/auth/token/", (405,) * 9, login=None)],
    # Who am I: any account (even without a role here) reads its own name and role.
    "api/v1/me/": [Page("/api/v1/me/", (200,) * 6 + (401, 200, 401), login=None)],
    "api/schema/": [Page("/api/schema/", EVERYONE, login=None)],
    "api/docs/": [Page("/api/docs/", EVERYONE, login=None)],
    # The NGO admin site (Django's is_staff accounts): its generated routes are covered by its
    # index and user list. The matrix's accounts are not is_staff: the site's login page.
    "admin/": [
        Page("/admin/", (302,) * 9, login="/admin/login/"),
        Page("/admin/auth/user/", (302,) * 9, login="/admin/login/"),
    ],
}
# Routes not in PAGES because another table covers them: a prefix and that table.
COVERED_ELSEWHERE = {
    "api/v1/": "casework and network API routes: tests/casework/test_role_matrix.py",
    "admin/": "the admin site's generated routes: PAGES['admin/']",
}

UUID = "6f1c2b9e-1d2a-4c3b-9a8e-5d7f0e1a2b3c"  # any: the login redirect comes first

ANY_UUID = "00000000-0000-0000-0000-000000000001"

# The public site (BASE_DOMAIN): no NGO role exists there; an NGO account's session does not
# carry over (sessions live in the NGO's schema), so every NGO actor gets the anonymous answer.
PUBLIC_PAGES: dict[str, list[tuple[str, int | None]]] = {
    "": [("/", 200)],
    "api/v1/consortia/": [("/api/v1/consortia/", 401)],
    "api/v1/ngos/": [("/api/v1/ngos/", 401)],
    "api/v1/ngos/<slug:slug>/status/": [("/api/v1/ngos/ngo-a/status/", 401)],
    # The coordinator's network API (behaviour and roles: tests/network/test_api_*.py).
    "api/v1/directory/": [("/api/v1/directory/", 401)],
    "api/v1/directory/<uuid:agency_uuid>/": [(f"/api/v1/directory/{ANY_UUID}/", 401)],
    "api/v1/directory/<uuid:agency_uuid>/review/": [(f"/api/v1/directory/{ANY_UUID}/review/", 401)],
    "api/v1/agreements/": [("/api/v1/agreements/", 401)],
    "api/v1/agreements/<uuid:agreement_uuid>/": [(f"/api/v1/agreements/{ANY_UUID}/", 401)],
    "api/v1/agreements/<uuid:agreement_uuid>/activate/": [
        (f"/api/v1/agreements/{ANY_UUID}/activate/", 401)
    ],
    "api/v1/agreements/<uuid:agreement_uuid>/revoke/": [
        (f"/api/v1/agreements/{ANY_UUID}/revoke/", 401)
    ],
    "api/v1/indicators/": [("/api/v1/indicators/", 401)],
    "api/v1/aggregates/": [("/api/v1/aggregates/?indicator=active_cases", 401)],
    "api/v1/aggregates/refresh/": [("/api/v1/aggregates/refresh/", 401)],
    "api/v1/referrals/": [("/api/v1/referrals/", 401)],
    "api/v1/referrals/<uuid:referral_uuid>/": [(f"/api/v1/referrals/{ANY_UUID}/", 401)],
    "api/v1/trainings/": [("/api/v1/trainings/", 401)],
    "api/v1/mentoring-visits/": [("/api/v1/mentoring-visits/", 401)],
    "api/v1/mentoring-visits/<uuid:visit_uuid>/": [(f"/api/v1/mentoring-visits/{ANY_UUID}/", 401)],
    "api/v1/mentoring-visits/<uuid:visit_uuid>/actions/": [
        (f"/api/v1/mentoring-visits/{ANY_UUID}/actions/", 401)
    ],
    "api/v1/mentoring-visits/<uuid:visit_uuid>/actions/<uuid:action_uuid>/done/": [
        (f"/api/v1/mentoring-visits/{ANY_UUID}/actions/{ANY_UUID}/done/", 401)
    ],
    "api/v1/self-assessments/": [("/api/v1/self-assessments/", 401)],
    "healthz": [("/healthz", None)],
    "accounts/login/": [("/accounts/login/", 200)],
    "accounts/logout/": [("/accounts/logout/", 405)],
    "accounts/password/reset/": [("/accounts/password/reset/", 200)],
    "accounts/password/reset/sent/": [("/accounts/password/reset/sent/", 200)],
    "accounts/password/reset/<uidb64>/<token>/": [
        ("/accounts/password/reset/MQ/not-a-token/", 200)
    ],
    "accounts/password/reset/done/": [("/accounts/password/reset/done/", 200)],
    "i18n/setlang/": [("/i18n/setlang/", 302)],
    "api/v1/auth/token/": [("/api/v1/auth/token/", 405)],
    "api/v1/me/": [("/api/v1/me/", 401)],
    "api/schema/": [("/api/schema/", 200)],
    "api/docs/": [("/api/docs/", 200)],
    "admin/": [("/admin/", 302), ("/admin/auth/user/", 302)],
    # The coordinator console: every page asks for a public-host login first (the per-role
    # statuses of the console are tests/network/test_console_pages.py's).
    **{
        "console/" + route: [("/console/" + path, 302)]
        for route, path in (
            ("", ""),
            ("<int:consortium_id>/", "1/"),
            ("<int:consortium_id>/reports/", "1/reports/"),
            ("<int:consortium_id>/reports/export.<str:fmt>", "1/reports/export.csv"),
            ("<int:consortium_id>/reports/print/", "1/reports/print/"),
            ("<int:consortium_id>/ngos/", "1/ngos/"),
            ("<int:consortium_id>/ngos/new/", "1/ngos/new/"),
            ("<int:consortium_id>/ngos/new/<uuid:token>/", f"1/ngos/new/{UUID}/"),
            ("<int:consortium_id>/ngos/<slug:slug>/status/", "1/ngos/yayasan-a/status/"),
            ("<int:consortium_id>/directory/", "1/directory/"),
            ("<int:consortium_id>/directory/new/", "1/directory/new/"),
            ("<int:consortium_id>/directory/<uuid:agency_uuid>/", f"1/directory/{UUID}/"),
            (
                "<int:consortium_id>/directory/<uuid:agency_uuid>/review/",
                f"1/directory/{UUID}/review/",
            ),
            ("<int:consortium_id>/agreements/", "1/agreements/"),
            ("<int:consortium_id>/agreements/new/", "1/agreements/new/"),
            ("<int:consortium_id>/agreements/<uuid:agreement_uuid>/", f"1/agreements/{UUID}/"),
            (
                "<int:consortium_id>/agreements/<uuid:agreement_uuid>/activate/",
                f"1/agreements/{UUID}/activate/",
            ),
            (
                "<int:consortium_id>/agreements/<uuid:agreement_uuid>/revoke/",
                f"1/agreements/{UUID}/revoke/",
            ),
            (
                "<int:consortium_id>/agreements/<uuid:agreement_uuid>/mou/",
                f"1/agreements/{UUID}/mou/",
            ),
            ("<int:consortium_id>/referrals/", "1/referrals/"),
            ("<int:consortium_id>/capacity/", "1/capacity/"),
            ("<int:consortium_id>/capacity/trainings/", "1/capacity/trainings/"),
            ("<int:consortium_id>/capacity/trainings/new/", "1/capacity/trainings/new/"),
            (
                "<int:consortium_id>/capacity/trainings/<uuid:training_uuid>/",
                f"1/capacity/trainings/{UUID}/",
            ),
            ("<int:consortium_id>/capacity/visits/", "1/capacity/visits/"),
            ("<int:consortium_id>/capacity/visits/new/", "1/capacity/visits/new/"),
            (
                "<int:consortium_id>/capacity/visits/<uuid:visit_uuid>/",
                f"1/capacity/visits/{UUID}/",
            ),
            (
                "<int:consortium_id>/capacity/visits/<uuid:visit_uuid>/edit/",
                f"1/capacity/visits/{UUID}/edit/",
            ),
            (
                "<int:consortium_id>/capacity/visits/<uuid:visit_uuid>/actions/",
                f"1/capacity/visits/{UUID}/actions/",
            ),
            (
                "<int:consortium_id>/capacity/visits/<uuid:visit_uuid>/actions/"
                "<uuid:action_uuid>/done/",
                f"1/capacity/visits/{UUID}/actions/{UUID}/done/",
            ),
            ("<int:consortium_id>/capacity/ngos/<slug:slug>/", "1/capacity/ngos/yayasan-a/"),
            (
                "<int:consortium_id>/capacity/ngos/<slug:slug>/self-assessments/<int:year>/",
                "1/capacity/ngos/yayasan-a/self-assessments/2026/",
            ),
        )
    },
}
PUBLIC_PAGES["console/<int:consortium_id>/reports/refresh/"] = [
    ("/console/1/reports/refresh/", 405)  # POST only
]
PUBLIC_COVERED_ELSEWHERE = {"admin/": "the operator site's generated routes: its index"}


def _walk(patterns, prefix: str = "") -> list[str]:
    routes = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            routes += _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            routes.append(prefix + str(entry.pattern))
    return routes


def _uncovered(urlconf: str, table: dict, elsewhere: dict) -> list[str]:
    return sorted(
        route
        for route in _walk(get_resolver(urlconf).url_patterns)
        if route not in table and not any(route.startswith(prefix) for prefix in elsewhere)
    )


def test_every_route_has_an_entry():
    """Every page of both URL confs has a row in the matrix (or is covered by the API matrix)."""
    assert _uncovered("ngo_platform.urls_ngo", PAGES, COVERED_ELSEWHERE) == []
    assert _uncovered("ngo_platform.urls_public", PUBLIC_PAGES, PUBLIC_COVERED_ELSEWHERE) == []
    # ...and the rows name routes that exist.
    assert set(PAGES) <= set(_walk(get_resolver("ngo_platform.urls_ngo").url_patterns))
    assert set(PUBLIC_PAGES) <= set(_walk(get_resolver("ngo_platform.urls_public").url_patterns))


def test_the_api_routes_are_the_api_matrix_routes():
    """What COVERED_ELSEWHERE leaves to the API matrix is exactly casework/api/urls.py and
    network/api/urls_ngo.py."""
    from casework.api.urls import urlpatterns as casework_patterns
    from network.api.urls_ngo import urlpatterns as network_patterns

    urlpatterns = [*casework_patterns, *network_patterns]

    ngo_routes = _walk(get_resolver("ngo_platform.urls_ngo").url_patterns)
    api = {route.removeprefix("api/v1/") for route in ngo_routes if route.startswith("api/v1/")}
    common = {"auth/token/", "me/"}  # urls_common, rows in PAGES
    assert api - common == {str(pattern.pattern) for pattern in urlpatterns}


@dataclass
class Pages:
    """Session clients of every actor on NGO A's host (logged in like a browser)."""

    world: World
    clients: dict[str, Client] = field(default_factory=dict)


@pytest.fixture
def pages(world) -> Pages:
    with schema_context(world.schema):
        inactive, _token = _account("inactive-a", StaffProfile.Role.CASE_WORKER)
        clients = {}
        for actor in ACTORS:
            client = host_client(world.host)
            user = inactive if actor == "inactive" else world.users.get(actor)
            if user is not None:
                client.force_login(user)
            clients[actor] = client
        inactive.is_active = False
        inactive.save(update_fields=["is_active"])
    return Pages(world, clients)


def _format(text: str, world: World, target: Target) -> str:
    today = _today()
    return text.format(
        case_id=target.case_id,
        followup_id=target.followup_id,
        assessment_id=target.assessment_id,
        goal_id=target.goal_id,
        consent_id=target.consent_id,
        notification_id=world.notification_id,
        shared_id=world.users["shared"].pk,
        worker_id=target.worker.pk,
        today=today.isoformat(),
        tomorrow=(today + timedelta(days=1)).isoformat(),
        referral_uuid=getattr(target, "referral_uuid", ""),
        clinic_uuid=getattr(world, "clinic_uuid", ""),
    )


def _agencies(world: World) -> None:
    """NGO A and an outside clinic in the directory, with an active agreement for counselling
    from A to the clinic sharing the child's name and the reason (public schema)."""
    from django.db import connection

    from network.models import Agency, ReferralAgreement
    from network.services import partner_agency_ensure
    from tenants.models import NGO

    connection.set_schema_to_public()
    ngo = NGO.objects.get(schema_name=world.schema)
    own = partner_agency_ensure(ngo=ngo)
    clinic = Agency.objects.create(
        consortium_id=ngo.consortium_id,
        kind=Agency.Kind.PUSKESMAS,
        name="Puskesmas Bandarharjo",
        service_types=["counselling", "health"],
        province_codes=["33"],
        contact_name="dr. Wulan",
    )
    ReferralAgreement.objects.create(
        consortium_id=ngo.consortium_id,
        first_agency=own,
        second_agency=clinic,
        direction=ReferralAgreement.Direction.ONE_WAY,
        service_types=["counselling"],
        shared_fields=["full_name", "reason"],
        valid_from=_today(),
        status=ReferralAgreement.Status.ACTIVE,
    )
    world.clinic_uuid = str(clinic.uuid)  # type: ignore[attr-defined]


def _prepare(world: World, steps: tuple[str, ...], target: Target) -> None:
    """World.prepare, plus the referral network's steps ("agencies", "referral")."""
    from network.referrals import services as referral_services

    for step in steps:
        if step in ("agencies", "referral"):
            _agencies(world)
        if step == "referral":
            with schema_context(world.schema):
                referral = referral_services.referral_send(
                    actor=target.worker,
                    case_id=target.case_id,
                    to_agency_uuid=world.clinic_uuid,  # type: ignore[attr-defined]
                    service_type="counselling",
                    reason="Butuh konseling",
                )
            target.referral_uuid = str(referral.uuid)  # type: ignore[attr-defined]
    world.prepare(tuple(s for s in steps if s not in ("agencies", "referral")), target)


def _forbidden_secrets(actor: str) -> list[str]:
    """What `actor` may never read in a page: every identity for roles without it, the other
    cases' identities for the others."""
    if actor not in IDENTITY:
        return [*SECRETS["own"], *SECRETS["other"], *ALWAYS_SECRET]
    hidden = [name for name in ("own", "other") if name not in VISIBLE[actor]]
    return [secret for name in hidden for secret in SECRETS[name]]


def _cell(pages: Pages, page: Page, target: Target, actor: str, expected: int, baseline):
    world = pages.world
    client = pages.clients[actor]
    path = _format(page.path, world, target)
    if page.method == "post":
        body = {key: _format(value, world, target) for key, value in (page.body or {}).items()}
        response = client.post(path, body)
    else:
        response = client.get(path)
    problems = []
    if response.status_code != expected:
        problems.append(f"status {response.status_code}, expected {expected}")
    elif expected == 302 and page.login and actor in ("inactive", "anonymous"):
        if not response["Location"].startswith(page.login):
            problems.append(f"sent to {response['Location']}, not to {page.login}")
    content = b"" if response.streaming else response.content
    leaked = [secret for secret in _forbidden_secrets(actor) if secret.encode() in content]
    if leaked:
        problems.append(f"shows {leaked}")
    if page.method == "post" and (expected >= 400 or actor in ("inactive", "anonymous")):
        if _state(world.schema) != baseline:
            problems.append("a denied POST changed the database")
    return response.status_code, problems


@pytest.mark.parametrize("route", sorted(PAGES))
def test_page_matrix(pages, route):
    """Every cell answers its row's status, shows no identity the actor may not see, and a
    denied POST leaves the database as it was."""
    world = pages.world
    targets = {"own": world.own, "other": world.other}
    actual, expected, failures = {}, {}, []
    for index, page in enumerate(PAGES[route]):
        columns = {"own": page.own}
        if page.other is not None:
            columns["other"] = page.other
        for target_name, column in columns.items():
            # Each row starts from the fixture's state: its setup and cells are rolled back.
            with transaction.atomic():
                _prepare(world, ("notification", *page.setup), targets[target_name])
                baseline = _state(world.schema)
                if None in column:  # "the same for everyone": whatever the anonymous gets
                    path = _format(page.path, world, targets[target_name])
                    column = (pages.clients["anonymous"].get(path).status_code,) * len(ACTORS)
                for actor, status in zip(ACTORS, column, strict=True):
                    cell = f"{index}:{page.method} {page.path} {target_name}/{actor}"
                    expected[cell] = status
                    with transaction.atomic():
                        actual[cell], problems = _cell(
                            pages, page, targets[target_name], actor, status, baseline
                        )
                        transaction.set_rollback(True)
                    failures += [f"{cell}: {problem}" for problem in problems]
                transaction.set_rollback(True)
    assert actual == expected
    assert failures == []


@pytest.mark.parametrize("route", sorted(PUBLIC_PAGES))
def test_public_page_matrix(pages, public_host, route):
    """On the public host every NGO actor's session counts for nothing: the anonymous answer,
    and no child's identity."""
    anonymous = host_client(public_host)
    for path, expected in PUBLIC_PAGES[route]:
        status = anonymous.get(path).status_code if expected is None else expected
        for actor in ACTORS:
            client = pages.clients[actor]
            response = client.get(path, HTTP_HOST=public_host)
            assert (actor, path, response.status_code) == (actor, path, status)
            content = b"" if response.streaming else response.content
            for secret in (*SECRETS["own"], *SECRETS["other"], *ALWAYS_SECRET):
                assert secret.encode() not in content


@pytest.fixture
def public_host() -> str:
    return "localhost"  # BASE_DOMAIN in tests
