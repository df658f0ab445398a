"""Notifications are stored as a code with parameters and read in the reader's language: the
same row reads in Bahasa Indonesia for one worker and in English for another."""

from datetime import date

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from casework import messages
from casework.models import Notification
from tests.support import host_client

pytestmark = pytest.mark.django_db


def _home(ngo_a, user, language: str) -> str:
    client = host_client(ngo_a.host)
    with schema_context(ngo_a.ngo.schema_name):
        client.force_login(user)
    client.cookies["terpadu_language"] = language
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def _api(ngo_a, staff, language: str) -> list[dict]:
    response = staff.client().get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def overdue_row(ngo_a, team_a):
    with schema_context(ngo_a.ngo.schema_name):
        Notification.objects.filter(user=team_a["worker"].user).delete()
        return Notification.objects.create(
            user=team_a["worker"].user,
            code=messages.FOLLOWUP_OVERDUE,
            params={"kind": "verification", "reference": "2026-00042", "due_on": "2026-03-05"},
            key="overdue:test",
        )


def test_one_stored_row_reads_in_each_readers_language(ngo_a, team_a, overdue_row):
    """The home page shows the same overdue notification in Indonesian and in English."""
    worker = team_a["worker"].user
    indonesian = _home(ngo_a, worker, "id")
    english = _home(ngo_a, worker, "en")
    assert (
        "Terlambat: kunjungan verifikasi untuk kasus 2026-00042 (tanggal kunjungan 05/03/2026)"
        in indonesian
    )
    assert "Overdue verification visit for case 2026-00042 (due 05/03/2026)" in english
    assert "Overdue" not in indonesian
    assert "Terlambat" not in english


def test_api_gives_the_code_its_parameters_and_the_text_in_the_request_language(
    ngo_a, team_a, overdue_row
):
    """The API lists the code and parameters, and `message` in the Accept-Language asked for."""
    [indonesian] = _api(ngo_a, team_a["worker"], "id")
    [english] = _api(ngo_a, team_a["worker"], "en")
    assert indonesian["code"] == english["code"] == "followup_overdue"
    assert indonesian["params"] == {
        "kind": "verification",
        "reference": "2026-00042",
        "due_on": "2026-03-05",
    }
    assert indonesian["message"] == (
        "Terlambat: kunjungan verifikasi untuk kasus 2026-00042 (tanggal kunjungan 05/03/2026)"
    )
    assert english["message"] == "Overdue verification visit for case 2026-00042 (due 05/03/2026)"


def test_a_row_written_before_codes_shows_its_stored_text(ngo_a, team_a):
    """An old row (text, no code) is shown as it was written, in either language."""
    with schema_context(ngo_a.ngo.schema_name):
        Notification.objects.filter(user=team_a["other_worker"].user).delete()
        Notification.objects.create(
            user=team_a["other_worker"].user, message="Terlambat: kunjungan lama", key="old"
        )
    for language in ("id", "en"):
        assert "Terlambat: kunjungan lama" in _home(ngo_a, team_a["other_worker"].user, language)


def test_referral_codes_come_from_the_network_catalog_in_both_languages():
    """network registers its codes through settings; casework renders them by code alone."""
    received = {"agency": "Yayasan Pelita"}
    state = {"agency": "Yayasan Pelita", "state": "accepted"}
    with translation.override("id"):
        assert messages.render("referral_received", received) == (
            "Rujukan diterima dari Yayasan Pelita"
        )
        assert messages.render("referral_state", state) == "Rujukan ke Yayasan Pelita: diterima"
    with translation.override("en"):
        assert messages.render("referral_received", received) == (
            "Referral received from Yayasan Pelita"
        )
        assert messages.render("referral_state", state) == "Referral to Yayasan Pelita: accepted"


def test_unknown_code_or_broken_parameters_fall_back_to_the_stored_text():
    """A page never fails on a notification: an unknown code or bad parameters show the
    fallback text, else the code."""
    assert messages.render("no_such_code", {}, fallback="teks lama") == "teks lama"
    assert messages.render("followup_overdue", {"kind": "visit"}, fallback="x") == "x"
    assert messages.render("no_such_code", {}) == "no_such_code"
    assert messages.format_day(date(2026, 1, 9).isoformat()) == "09/01/2026"
