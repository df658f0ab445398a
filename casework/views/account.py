"""A staff member's own account: the language they read in, and their password."""

from __future__ import annotations

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework import services
from casework.access import role_of
from casework.views._base import _render, staff_required
from core.errors import ApplicationError
from core.login import LoginForm


class LanguageForm(django_forms.Form):
    language = django_forms.ChoiceField(
        label=gettext_lazy("Language of the pages"),
        choices=[("id", "Bahasa Indonesia"), ("en", "English")],
    )


def language_cookie(response, language: str):
    """The cookie LocaleMiddleware reads (the header's switch sets the same one)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
    )
    return response


@staff_required
def account(request):
    """My account: who I am here, the language I read in (stored on the account, so every
    device and every login uses it), and the way to change my password."""
    profile = getattr(request.user, "staff_profile", None)
    initial = {"language": getattr(profile, "language", None) or request.LANGUAGE_CODE}
    form = LanguageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.own_language_set(actor=request.user, language=form.cleaned_data["language"])
        except ApplicationError as error:
            for field, errors in error.fields.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Saved."))
            return language_cookie(redirect("account"), form.cleaned_data["language"])
    status = 400 if request.method == "POST" else 200
    return _render(
        request, "casework/account.html", {"form": form, "role": role_of(request.user)}, status
    )


@method_decorator(staff_required, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Change my password (the current one first); audited, never with its value."""

    template_name = "casework/password_change.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.own_password_changed(actor=self.request.user, via="account")
        messages.success(self.request, _("Your password was changed."))
        return response


class LoginView(auth_views.LoginView):
    """The NGO's login. On a device that has no language chosen yet (a new phone), the pages
    then speak the language stored on the account (none stored: the browser's, as before);
    on one where the person chose a language (on the login page itself, say), that choice is
    kept and stored on the account."""

    authentication_form = LoginForm

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        if role_of(user) is None:
            return response
        chosen = self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen in services.staff.LANGUAGES:
            services.own_language_set(actor=user, language=chosen)
        else:
            profile = getattr(user, "staff_profile", None)
            if profile is not None and profile.language:
                language_cookie(response, profile.language)
        return response


def language_switch(request):
    """The header's language switch (Django's set_language); for a staff member it is also
    stored on the account, so the next login on another device uses it."""
    from django.views.i18n import set_language

    response = set_language(request)
    language = request.POST.get("language", "")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and role_of(request.user) is not None
        and language in services.staff.LANGUAGES
    ):
        services.own_language_set(actor=request.user, language=language)
    return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The e-mailed link's form on an NGO host: the new password is audited like a change."""

    def form_valid(self, form):
        response = super().form_valid(form)
        services.own_password_changed(actor=form.user, via="reset")
        return response
