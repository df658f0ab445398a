"""A staff member's own account on the NGO host: the stored language, the password change and
the password reset by e-mail."""

import re

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from casework.models import AuditEvent, StaffProfile
from tests.support import ADMIN_PASSWORD, host_client

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Ganti-Sandi-2026!"


def _login(host: str, username: str, password: str = ADMIN_PASSWORD):
    client = host_client(host)
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return client, response


def test_the_language_is_stored_on_the_account_and_used_at_every_login(ngo_a, team_a):
    """Saved on "My account" (or by the header's switch), the language comes back at the next
    login on another device; the change is audited."""
    worker = team_a["worker"].user
    phone, response = _login(ngo_a.host, worker.username)
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies  # none chosen: the browser's
    saved = phone.post("/account/", {"language": "en"})
    assert (saved.status_code, saved["Location"]) == (302, "/account/")
    assert saved.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    with schema_context(ngo_a.ngo.schema_name):
        assert StaffProfile.objects.get(user=worker).language == "en"
        event = AuditEvent.objects.filter(object_type="staff", action="update").latest("id")
        assert event.changed_fields == {"language": [None, "en"]}
    _laptop, again = _login(ngo_a.host, worker.username)
    assert again.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    # Choosing a language on the login page of a device keeps it and stores it.
    tablet = host_client(ngo_a.host)
    tablet.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    kept = tablet.post(
        "/accounts/login/", {"username": worker.username, "password": ADMIN_PASSWORD}
    )
    assert kept.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in kept.cookies  # the device's choice stays
    with schema_context(ngo_a.ngo.schema_name):
        assert StaffProfile.objects.get(user=worker).language == "id"
    phone.post("/account/", {"language": "en"})
    # The header's switch stores it too.
    switched = phone.post("/i18n/setlang/", {"language": "id", "next": "/"})
    assert switched.status_code == 302
    with schema_context(ngo_a.ngo.schema_name):
        assert StaffProfile.objects.get(user=worker).language == "id"
    refused = phone.post("/account/", {"language": "fr"})
    assert refused.status_code == 400
    assert "language" in refused.context["form"].errors


def test_a_staff_member_changes_their_password(ngo_a, team_a):
    worker = team_a["worker"].user
    client, _response = _login(ngo_a.host, worker.username)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    wrong = client.post(
        "/account/password/",
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    assert "old_password" in wrong.context["form"].errors
    done = client.post(
        "/account/password/",
        {
            "old_password": ADMIN_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert (done.status_code, done["Location"]) == (302, "/account/")
    assert _login(ngo_a.host, worker.username, NEW_PASSWORD)[1].status_code == 302
    assert _login(ngo_a.host, worker.username)[1].status_code == 200  # the old one: refused
    with schema_context(ngo_a.ngo.schema_name):
        event = AuditEvent.objects.filter(action="password_change").latest("id")
        assert (event.object_id, event.details) == (str(worker.pk), {"via": "account"})
        assert NEW_PASSWORD not in str(event.changed_fields)


def test_a_forgotten_password_is_reset_through_a_link_sent_by_e_mail(ngo_a, team_a, mailoutbox):
    """The link goes to the account's address and points at the NGO's own host; it sets a new
    password once (audited); an unknown address gets the same answer and no e-mail."""
    worker = team_a["worker"].user
    client = host_client(ngo_a.host)
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert (unknown.status_code, unknown["Location"]) == (302, "/accounts/password/reset/sent/")
    assert mailoutbox == []
    asked = client.post("/accounts/password/reset/", {"email": worker.email})
    assert (asked.status_code, asked["Location"]) == (302, "/accounts/password/reset/sent/")
    assert [message.to for message in mailoutbox] == [[worker.email]]
    link = re.search(r"https?://([^/\s]+)(/accounts/password/reset/\S+/)", mailoutbox[0].body)
    assert link is not None
    assert link.group(1) == ngo_a.host
    form = client.get(link.group(2), follow=True)
    assert form.status_code == 200
    assert form.context["validlink"] is True
    set_path = form.redirect_chain[-1][0]
    done = client.post(set_path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert (done.status_code, done["Location"]) == (302, "/accounts/password/reset/done/")
    assert _login(ngo_a.host, worker.username, NEW_PASSWORD)[1].status_code == 302
    with schema_context(ngo_a.ngo.schema_name):
        event = AuditEvent.objects.filter(action="password_change").latest("id")
        assert event.details == {"via": "reset"}
    # The link works once.
    assert client.get(link.group(2), follow=True).context["validlink"] is False


def test_login_takes_the_username_whatever_its_capitals(ngo_a, team_a):
    """A phone capitalises the first letter: "Worker-A" signs in as worker-a."""
    worker = team_a["worker"].user
    _client, response = _login(ngo_a.host, f" {worker.username.capitalize()} ")
    assert response.status_code == 302


def test_repeated_wrong_passwords_pause_the_account_on_this_host(ngo_a, ngo_b, team_a):
    """Five wrong passwords in a row: the sixth try is refused even with the right password,
    with a message saying why; the same username on another NGO's host is not affected."""
    from django.core.cache import cache

    from core.login import MAX_FAILURES

    worker = team_a["worker"].user
    key = f"terpadu:login-failures:{ngo_a.host}:{worker.username}"
    cache.delete(key)
    try:
        for _ in range(MAX_FAILURES):
            _client, response = _login(ngo_a.host, worker.username, "salah-terus")
            assert response.status_code == 200
        client = host_client(ngo_a.host, HTTP_ACCEPT_LANGUAGE="en")
        response = client.post(
            "/accounts/login/", {"username": worker.username, "password": ADMIN_PASSWORD}
        )
        assert response.status_code == 200
        assert "Too many wrong passwords for this account" in response.content.decode()
        assert cache.get(f"terpadu:login-failures:{ngo_b.host}:{worker.username}") is None
    finally:
        cache.delete(key)
    _client, response = _login(ngo_a.host, worker.username)
    assert response.status_code == 302
