"""The referral notifications' codes, registered with casework's message catalog through
settings (NOTIFICATION_MESSAGE_CATALOGS): rendered in the reader's language when shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from network.models import ReferralState

REFERRAL_RECEIVED = "referral_received"
REFERRAL_STATE = "referral_state"


def _received(params: Mapping[str, Any]) -> str:
    return _("Referral received from %(agency)s") % {"agency": params["agency"]}


def _state(params: Mapping[str, Any]) -> str:
    return _("Referral to %(agency)s: %(state)s") % {
        "agency": params["agency"],
        "state": str(ReferralState(params["state"]).label).lower(),
    }


CATALOG = {REFERRAL_RECEIVED: _received, REFERRAL_STATE: _state}
