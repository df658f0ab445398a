"""Writes of the consortium layer: directory and agreements. Coordinator actions are checked by
`network.access`; callers import from here."""

from network.services.agreements import (
    agreement_activate,
    agreement_create,
    agreement_revoke,
    agreements_expire,
)
from network.services.directory import (
    AgencyInput,
    agency_create,
    agency_propose,
    agency_review,
    agency_update,
    partner_agency_ensure,
)
from network.services.members import ngo_onboard, ngo_status_change, ngo_summary_refresh

__all__ = [
    "AgencyInput",
    "agency_create",
    "agency_propose",
    "agency_review",
    "agency_update",
    "agreement_activate",
    "agreement_create",
    "agreement_revoke",
    "agreements_expire",
    "ngo_onboard",
    "ngo_status_change",
    "ngo_summary_refresh",
    "partner_agency_ensure",
]
