"""URL patterns served on every host (public and NGO)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.login import LoginForm
from ngo_platform.api.auth import TokenObtainView
from ngo_platform.api.me import MeView
from ngo_platform.health import healthz


def common_patterns(urlconf: str) -> list:
    return [
        path("healthz", healthz, name="healthz"),
        path(
            "accounts/login/",
            auth_views.LoginView.as_view(authentication_form=LoginForm),
            name="login",
        ),
        path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
        # A forgotten password: a one-time link by e-mail to the account's address (the
        # console in development). On an NGO host casework's confirm view audits the change.
        path(
            "accounts/password/reset/",
            auth_views.PasswordResetView.as_view(),
            name="password_reset",
        ),
        path(
            "accounts/password/reset/sent/",
            auth_views.PasswordResetDoneView.as_view(),
            name="password_reset_done",
        ),
        path(
            "accounts/password/reset/<uidb64>/<token>/",
            auth_views.PasswordResetConfirmView.as_view(),
            name="password_reset_confirm",
        ),
        path(
            "accounts/password/reset/done/",
            auth_views.PasswordResetCompleteView.as_view(),
            name="password_reset_complete",
        ),
        path("i18n/", include("django.conf.urls.i18n")),
        path("api/v1/auth/token/", TokenObtainView.as_view(), name="api-token"),
        path("api/v1/me/", MeView.as_view(), name="api-me"),
        path("api/schema/", SpectacularAPIView.as_view(urlconf=urlconf), name="schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    ]
