"""Who may see and act on a referral inside an NGO (its own schema): one place.

Staff who work on cases (the edit capability) read the NGO's inbox; an outgoing referral is
seen by whoever may see the sender's case. Lookups answer "not found" alike for a referral that
does not exist here (another NGO's, a third NGO's) and one the actor may not see.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from casework.access import Capability, cases_visible_to, require
from core.errors import NotFoundError
from network.referrals.models import Referral


def referrals_visible_to(actor: User) -> QuerySet[Referral]:
    """Every referral of this NGO `actor` may see: the whole inbox, and outgoing referrals of
    the cases they see. PermissionDeniedError for roles that do not work on cases."""
    require(actor, Capability.EDIT_CASES)
    return Referral.objects.filter(
        Q(direction=Referral.Direction.INCOMING)
        | Q(direction=Referral.Direction.OUTGOING, case__in=cases_visible_to(actor))
    )


def referral_for_actor(
    actor: User, referral_uuid, *, direction: str | None = None, for_update: bool = False
) -> Referral:
    """The referral with this UUID if `actor` may see it (optionally of one direction, locked);
    NotFoundError alike when missing or hidden."""
    queryset = referrals_visible_to(actor)
    if direction is not None:
        queryset = queryset.filter(direction=direction)
    try:
        found = queryset.filter(uuid=referral_uuid).values_list("pk", flat=True).first()
    except ValidationError:  # a malformed UUID is "not found" too
        found = None
    if found is None:
        raise NotFoundError(_("Referral not found."))
    rows = Referral.objects.select_for_update() if for_update else Referral.objects
    return rows.get(pk=found)
