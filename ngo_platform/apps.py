from django.apps import AppConfig


class NgoPlatformConfig(AppConfig):
    name = "ngo_platform"
    verbose_name = "Platform"
