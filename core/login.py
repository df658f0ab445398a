"""The login form of every host: a plain message for a wrong username or password, e-mail
addresses matched whatever their capitals, and a pause after repeated failures.

Usernames are stored in lower case (staff accounts are created so); someone typing
"Pekerja1@…" on a phone that capitalises the first letter still gets in. After
`MAX_FAILURES` wrong passwords for one username on one host within `WINDOW_SECONDS`, that
username is refused for the rest of the window, right password or not (the counter lives in
the cache, keyed by host and username: one NGO's failures never lock another's accounts).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The username or the password is not right. Check both and try again "
            "(the password must match capitals exactly)."
        ),
        "too_many": _(
            "Too many wrong passwords for this account. Wait 15 minutes, or reset the "
            "password with the link below."
        ),
    }

    def _key(self, username: str) -> str:
        host = self.request.get_host() if self.request is not None else ""
        return f"terpadu:login-failures:{host}:{username.strip().lower()}"

    def clean(self) -> dict[str, Any]:
        username = (self.cleaned_data.get("username") or "").strip()
        self.cleaned_data["username"] = username
        if username and (cache.get(self._key(username)) or 0) >= MAX_FAILURES:
            raise forms.ValidationError(self.error_messages["too_many"], code="too_many")
        try:
            return super().clean()
        except forms.ValidationError as error:
            if username != username.lower() and self.cleaned_data.get("password"):
                self.cleaned_data["username"] = username.lower()
                try:
                    return super().clean()
                except forms.ValidationError:
                    pass
            if username:
                key = self._key(username)
                cache.add(key, 0, WINDOW_SECONDS)
                try:
                    cache.incr(key)
                except ValueError:  # expired in between
                    cache.set(key, 1, WINDOW_SECONDS)
            raise error

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        cache.delete(self._key(user.get_username()))
