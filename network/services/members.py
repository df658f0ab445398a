"""Partner NGOs as the console manages them: onboarding (the tenancy layer's provisioning plus
the NGO's directory entry) and the head-count summary rows the console reads."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotFoundError, PermissionDeniedError
from network import bridge
from network.access import ngo_for_coordinator, require_coordinator
from network.models import NGOSummary
from network.services.directory import partner_agency_ensure
from tenants.models import NGO, Consortium
from tenants.services import ProvisionResult, ngo_provision, ngo_set_status

logger = logging.getLogger(__name__)


@transaction.atomic
def ngo_onboard(
    *,
    actor,
    consortium: Consortium,
    slug: str,
    name: str,
    admin_email: str,
    admin_password: str | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    region: str = "",
) -> ProvisionResult:
    """A coordinator onboards a partner NGO: `tenants.services.ngo_provision` (schema, host,
    first admin; audited there), its directory entry, and its summary counted after commit.

    Returns the provisioning result: the first admin's password is in it, to show once."""
    require_coordinator(actor, consortium)
    result = ngo_provision(
        actor=actor,
        consortium=consortium,
        slug=slug,
        name=name,
        admin_email=admin_email,
        admin_password=admin_password,
        contact_name=contact_name,
        contact_phone=contact_phone,
        region=region,
    )
    agency = partner_agency_ensure(ngo=result.ngo)
    # Its key pair now, so that a partner can refer a child to it from the first day.
    bridge.partner_key_ensure(ngo=result.ngo, agency=agency)
    ngo_id = result.ngo.pk

    def queue_summary() -> None:
        from network.tasks import ngo_summary_refresh

        try:
            ngo_summary_refresh.delay(ngo_id=ngo_id)
        except Exception:
            # Redis down: the NGO exists; the daily fan-out counts it later.
            logger.warning("could not queue the summary of NGO %s", ngo_id, exc_info=True)

    transaction.on_commit(queue_summary)
    return result


# What a coordinator may do to a member NGO's status; the operator may archive and restore too
# (tenants.services.STATUS_TRANSITIONS).
COORDINATOR_STATUSES = (NGO.Status.ACTIVE, NGO.Status.SUSPENDED)


@transaction.atomic
def ngo_status_change(*, actor, consortium: Consortium, slug: str, status: str) -> NGO:
    """A coordinator suspends or reactivates a member NGO (`tenants.services.ngo_set_status`,
    audited there). Archiving and restoring an archived NGO are the operator's."""
    ngo = ngo_for_coordinator(actor, consortium, slug)
    if status not in NGO.Status.values:
        return ngo_set_status(actor=actor, ngo=ngo, status=status)  # refuses with the choices
    if not actor.is_superuser and (
        status not in COORDINATOR_STATUSES or ngo.status not in COORDINATOR_STATUSES
    ):
        raise PermissionDeniedError(
            _("Only the platform operator can archive an NGO or restore an archived one.")
        )
    return ngo_set_status(actor=actor, ngo=ngo, status=status)


@transaction.atomic
def ngo_summary_refresh(*, ngo_id: int) -> NGOSummary | None:
    """Count a ready NGO's staff and cases in its schema (through the bridge) and replace its
    summary row. None for an NGO that is not provisioned (or the template). Idempotent."""
    ngo = NGO.objects.filter(pk=ngo_id, is_template=False).first()
    if ngo is None:
        raise NotFoundError("NGO not found.")
    if not ngo.is_ready:
        return None
    counts = bridge.ngo_counts(ngo=ngo)
    summary, _created = NGOSummary.objects.update_or_create(
        ngo=ngo, defaults={**counts, "computed_at": timezone.now()}
    )
    return summary
