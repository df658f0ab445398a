from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "Casework"

    def ready(self):
        # Django raises these for every login, whichever view performs it; they are only the
        # hook: the audit module decides what is written (NGO hosts only).
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from casework import audit

        user_logged_in.connect(audit.on_user_logged_in, dispatch_uid="casework_audit_login")
        user_login_failed.connect(
            audit.on_user_login_failed, dispatch_uid="casework_audit_login_failed"
        )
