"""Staff of "this NGO" (A) and "another NGO" (B) in every role, and helpers to drive the API."""

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.authtoken.models import Token

from casework.models import StaffProfile
from tests.support import ADMIN_PASSWORD, host_client


@dataclass
class Staff:
    user: object
    host: str
    token: str

    def client(self):
        return host_client(self.host, HTTP_AUTHORIZATION=f"Token {self.token}")


def _staff(schema: str, host: str, username: str, role: str) -> Staff:
    user_model = get_user_model()
    with schema_context(schema):
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_user(
                username=username, email=f"{username}@example.org", password=ADMIN_PASSWORD
            )
            StaffProfile.objects.create(user=user, role=role)
        token, _ = Token.objects.get_or_create(user=user)
        return Staff(user, host, token.key)


@pytest.fixture(scope="session")
def team_a(ngo_a, django_db_blocker):
    """Admin, supervisor, two case workers and an M&E officer of NGO A (committed)."""
    with django_db_blocker.unblock():
        schema = ngo_a.ngo.schema_name
        return {
            "admin": _staff(schema, ngo_a.host, "admin-a", StaffProfile.Role.ADMIN),
            "supervisor": _staff(schema, ngo_a.host, "supervisor-a", StaffProfile.Role.SUPERVISOR),
            "worker": _staff(schema, ngo_a.host, "worker-a", StaffProfile.Role.CASE_WORKER),
            "other_worker": _staff(schema, ngo_a.host, "worker-a2", StaffProfile.Role.CASE_WORKER),
            "me": _staff(schema, ngo_a.host, "me-a", StaffProfile.Role.ME_OFFICER),
        }


@pytest.fixture(scope="session")
def team_b(ngo_b, django_db_blocker):
    """A supervisor and a case worker of NGO B (committed)."""
    with django_db_blocker.unblock():
        schema = ngo_b.ngo.schema_name
        return {
            "supervisor": _staff(schema, ngo_b.host, "supervisor-b", StaffProfile.Role.SUPERVISOR),
            "worker": _staff(schema, ngo_b.host, "worker-b", StaffProfile.Role.CASE_WORKER),
        }


def registration_payload(name: str = "Siti Rahayu", *, consent: bool = True, **child) -> dict:
    payload = {
        "child": {
            "full_name": name,
            "known_as": name.split()[0],
            "sex": "female",
            "birth_year": 2013,
            "birth_year_estimated": True,
            "school_status": "dropped_out",
            "last_grade": 4,
            **child,
        },
        "household": {
            "guardian_name": "Ibu Rahayu",
            "guardian_relationship": "mother",
            "member_count": 5,
            "income_source": "buruh tani",
            "monthly_income_band": "lt_1m",
            "province_code": "33",
            "regency_code": "33.74",
            "district": "Semarang Utara",
            "village": "Tanjung Mas",
        },
        "case_type": "child_labour",
    }
    if consent:
        payload["consent"] = {
            "guardian_name": "Ibu Rahayu",
            "guardian_relationship": "mother",
            "guardian_consented": True,
            "child_assented": True,
            "consented_on": timezone.localdate().isoformat(),
            "scope_referral_sharing": True,
        }
    return payload


def assessment_payload(**overrides) -> dict:
    payload = {
        "assessed_on": timezone.localdate().isoformat(),
        "works": True,
        "sector": "perikanan",
        "tasks": "menyortir ikan",
        "employer_type": "informal",
        "hours_per_week": "20",
        "night_work": False,
        "hazards": [],
        "worst_forms": [],
        "score_education": 2,
        "score_health": 3,
        "score_psychosocial": 3,
        "score_safety": 3,
        "score_family_economy": 2,
        "risk_level": "medium",
    }
    payload.update(overrides)
    return payload
