from django.apps import AppConfig


class NgoPlatformConfig(AppConfig):
    name = "ngo_platform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from ngo_platform.connections import connections_count_request

        # After Django's close_old_connections (connected when django.db is imported).
        request_finished.connect(
            connections_count_request, dispatch_uid="ngo_platform.connections_count_request"
        )
