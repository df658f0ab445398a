"""Labels the referral pages show for stored codes, in the reader's language."""

from __future__ import annotations

from django import template

from network.models import Agency, ReferralState, ServiceType, SharedField, Urgency

register = template.Library()


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value))


@register.filter
def service_label(value: str) -> str:
    return _label(ServiceType.choices, value)


@register.filter
def services_label(values) -> str:
    return ", ".join(_label(ServiceType.choices, value) for value in values or ())


@register.filter
def field_label(value: str) -> str:
    return _label(SharedField.choices, value)


@register.filter
def state_label(value: str) -> str:
    return _label(ReferralState.choices, value)


@register.filter
def urgency_label(value: str) -> str:
    return _label(Urgency.choices, value)


@register.filter
def kind_label(value: str) -> str:
    return _label(Agency.Kind.choices, value)


@register.filter
def in_field_order(values) -> list[str]:
    """Shared field names in the fixed list's order (name first, reason last)."""
    from network.pages.fields import in_field_order as ordered

    return ordered(values)
