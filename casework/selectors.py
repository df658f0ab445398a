"""Read queries inside one NGO's schema."""

from casework.models import NGOSettings


def ngo_settings_get() -> NGOSettings | None:
    """The NGO's settings row (current schema)."""
    return NGOSettings.objects.first()
