"""The shared fields of a referral as lines a person reads: (label, text) in the reader's
language, exactly the agreed fields and nothing else, in the fixed list's order."""

from __future__ import annotations

from typing import Any

from network.models import SharedField
from network.referrals.payload import shared_field_text


def in_field_order(fields) -> list[str]:
    """Field names in SharedField's order (name first, reason last); agreements store them
    sorted alphabetically."""
    order = {name: index for index, name in enumerate(SharedField.values)}
    return sorted(fields or (), key=lambda name: order.get(name, len(order)))


def shared_rows(fields: list[str], data: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, text) for each of `fields`; with no data (not opened), the labels only."""
    labels = dict(SharedField.choices)
    return [
        (
            str(labels.get(name, name)),
            shared_field_text(name, data.get(name)) if data is not None else "",
        )
        for name in in_field_order(fields)
    ]
