"""The one module of `network` that enters tenant schemas (docs/adr/0003-referrals.md).

Everything that crosses from one NGO's schema (or the public schema) into another NGO's schema
for referral delivery, state propagation, the outbox sweep and rollups goes through here; a test
fails if any other module of `network` calls schema_context, tenant_context or set_schema.
"""

from __future__ import annotations

import logging
from typing import Any, TypeGuard

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tenants.utils import get_public_schema_name, schema_context

from core.audit import AuditAction
from tenants.models import NGO

logger = logging.getLogger(__name__)


def ngo_accepts_delivery(ngo: NGO | None) -> TypeGuard[NGO]:
    """Deliveries wait while an NGO is suspended, archived or not provisioned yet."""
    return ngo is not None and ngo.is_ready and ngo.status == NGO.Status.ACTIVE


def inbox_deliver(*, ngo: NGO, referral_uuid, values: dict[str, Any], new: bool = False) -> bool:
    """Write the incoming referral into `ngo`'s inbox, once (keyed by the referral's UUID).
    Runs inside the caller's transaction. True when the row was created now. `new`: the caller
    knows there is no such row yet (skips the look-up; the unique UUID still guards)."""
    return inbox_deliver_many(ngo=ngo, items=[(referral_uuid, new, values)]) == 1


def inbox_deliver_many(*, ngo: NGO, items: list[tuple[Any, bool, dict[str, Any]]]) -> int:
    """Write several incoming referrals into `ngo`'s inbox, each once, in a few statements
    whatever their number (rows, their first event, audit events, notifications in bulk).
    `items`: (referral UUID, known to be new, the row's values). Runs inside the caller's
    transaction; returns how many rows were created now."""
    from casework.audit import audit_record_many
    from network.referrals.models import Referral, ReferralEvent

    with schema_context(ngo.schema_name):
        maybe_there = [referral_uuid for referral_uuid, new, _values in items if not new]
        there = (
            set(Referral.objects.filter(uuid__in=maybe_there).values_list("uuid", flat=True))
            if maybe_there
            else set()
        )
        rows = Referral.objects.bulk_create(
            [
                Referral(uuid=referral_uuid, direction=Referral.Direction.INCOMING, **values)
                for referral_uuid, _new, values in items
                if referral_uuid not in there
            ]
        )
        if not rows:
            return 0
        ReferralEvent.objects.bulk_create(
            [
                ReferralEvent(
                    referral=row,
                    state=row.state,
                    by_agency_uuid=row.from_agency_uuid,
                    at=row.sent_at,
                )
                for row in rows
            ]
        )
        audit_record_many(
            _arrival_event(
                row,
                action=AuditAction.CREATE,
                changed_fields={"state": [None, row.state]},
                details={"via": "referral_delivery"},
            )
            for row in rows
        )
        _notify_supervisors(rows)
    return len(rows)


def state_apply(*, ngo: NGO, referral_uuid, event: dict[str, Any]) -> bool:
    """Apply a state change made by the other side to `ngo`'s copy of the referral, once
    (keyed by the event's UUID). True when it was applied now."""
    from network.referrals.models import Referral, ReferralEvent

    with schema_context(ngo.schema_name):
        referral = Referral.objects.select_for_update().filter(uuid=referral_uuid).first()
        if referral is None:
            # Nothing to update (e.g. withdrawn before it ever reached this inbox).
            return False
        at = parse_datetime(event["at"]) or timezone.now()
        _row, created = ReferralEvent.objects.get_or_create(
            event_uuid=event["event_uuid"],
            defaults={
                "referral": referral,
                "state": event["state"],
                "note": event.get("note", ""),
                "actor_name": event.get("actor_name", ""),
                "by_agency_uuid": event["by_agency_uuid"],
                "at": at,
            },
        )
        if not created:
            return False
        before = referral.state
        referral.state = event["state"]
        referral.state_changed_at = at
        fields = ["state", "state_changed_at", "updated_at"]
        if event["state"] == "declined":
            referral.decline_reason = event.get("note", "")
            fields.append("decline_reason")
        if event["state"] == "completed":
            referral.outcome_note = event.get("note", "")
            fields.append("outcome_note")
        referral.save(update_fields=fields)
        _audit_arrival(
            referral,
            action=AuditAction.TRANSITION,
            changed_fields={"state": [before, referral.state]},
            details={"via": "referral_delivery", "by": event.get("actor_name", "")},
        )
        if referral.direction == Referral.Direction.OUTGOING and referral.sent_by_id:
            _notify_sender(referral)
    return True


def _arrival_event(referral, *, action: AuditAction, changed_fields: dict, details: dict) -> dict:
    """A change the other agency made to this NGO's copy of a referral, as an audit event of
    this NGO's trail (the actor is the other agency, by name)."""
    return {
        "actor": referral.counterpart_name,
        "action": action,
        "object_type": "referral",
        "object_id": str(referral.uuid),
        "case_id": referral.case_id,
        "changed_fields": changed_fields,
        "details": details,
    }


def _audit_arrival(referral, *, action: AuditAction, changed_fields: dict, details: dict) -> None:
    from casework.audit import audit_record

    audit_record(
        **_arrival_event(referral, action=action, changed_fields=changed_fields, details=details)
    )


def _notify_supervisors(referrals) -> None:
    """A code with parameters (network/referrals/messages.py), shown in each reader's language:
    each supervisor and admin, once per arrived referral."""
    from casework.models import Notification, StaffProfile
    from network.referrals.messages import REFERRAL_RECEIVED

    supervisors = list(
        StaffProfile.objects.filter(
            role__in=[StaffProfile.Role.SUPERVISOR, StaffProfile.Role.ADMIN], user__is_active=True
        ).values_list("user_id", flat=True)
    )
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                code=REFERRAL_RECEIVED,
                params={"agency": referral.counterpart_name},
                key=f"referral-in:{referral.uuid}",
            )
            for referral in referrals
            for user_id in supervisors
        ],
        ignore_conflicts=True,
    )


def _notify_sender(referral) -> None:
    from casework.models import Notification
    from network.referrals.messages import REFERRAL_STATE

    Notification.objects.get_or_create(
        user_id=referral.sent_by_id,
        key=f"referral:{referral.uuid}:{referral.state}",
        defaults={
            "case_id": referral.case_id,
            "code": REFERRAL_STATE,
            "params": {"agency": referral.counterpart_name, "state": referral.state},
        },
    )


def partner_key_ensure(*, ngo: NGO, agency) -> str:
    """The NGO's current referral key pair, created in its own schema on first use and its
    public half published on its directory entry, so others can refer to it at once.
    Returns the key id."""
    from network.referrals.keys import agency_key_ensure

    with schema_context(ngo.schema_name):
        return agency_key_ensure(agency=agency).key_id


def ngo_counts(*, ngo: NGO) -> dict[str, int]:
    """The NGO's active staff accounts and cases, counted in its own schema (for the console's
    summary row: counts only, nothing about a child or an account leaves the schema)."""
    from django.contrib.auth import get_user_model

    from casework.models import Case

    with schema_context(ngo.schema_name):
        return {
            "staff_count": get_user_model().objects.filter(is_active=True).count(),
            "case_count": Case.objects.count(),
        }


def outbox_sweep(*, limit_per_ngo: int = 500) -> int:
    """Deliver what is pending in the outbox of every provisioned NGO marked as having
    something to send (beat, every minute): the safety net for a lost on-commit task. Only
    marked schemas are entered (network.OutboxPending), so the sweep's cost follows the NGOs
    that sent something, not the number of NGOs. Suspended senders still deliver what they
    sent."""
    from network.models import OutboxPending
    from network.referrals.delivery import outbox_drain, outbox_has_pending, outbox_mark_pending

    delivered = 0
    marked = OutboxPending.objects.values("schema_name")
    ngos = NGO.objects.filter(is_ready=True, is_template=False, schema_name__in=marked)
    for schema_name in ngos.order_by("pk").values_list("schema_name", flat=True):
        # Cleared before the drain reads the outbox: a sender whose transaction marked the
        # schema first makes this DELETE wait for its commit, so the drain sees its message;
        # one that marks after the DELETE leaves a new mark for the next sweep.
        with connection.cursor() as cursor:  # one statement (the ORM's delete selects first)
            cursor.execute(
                f"DELETE FROM {OutboxPending._meta.db_table} WHERE schema_name = %s",  # noqa: S608
                [schema_name],
            )
        with schema_context(schema_name):
            delivered += outbox_drain(limit=limit_per_ngo)
            if outbox_has_pending():  # blocked (receiver suspended, lock held) or over limit
                outbox_mark_pending()
    return delivered


def ngo_rollup_counts(*, ngo: NGO, months: list) -> tuple[int, list[tuple[str, list]]]:
    """Count the NGO's indicator cells for `months` by SQL in its own schema
    (network.reporting.counting) straight into the public schema's aggregate table, with the
    NGO's keys, and return how many rows that wrote and the keyed hash of each child with a
    case open in them with those months. Runs in the caller's transaction (which replaces the
    NGO's rows). Hashes are made here, inside the NGO's schema: no name leaves it; the counts
    leave it as cells only."""
    from django_tenants.utils import get_public_schema_name

    from network.reporting.counting import cells_insert, open_children
    from network.reporting.linkage import child_link_hash, linkage_key
    from network.reporting.models import AggregateCell

    consortium_id = ngo.consortium_id
    if consortium_id is None:  # pragma: no cover - the public tenant is never rolled up
        raise ValueError(f"{ngo.schema_name} belongs to no consortium")
    quote = connection.ops.quote_name
    table = f"{quote(get_public_schema_name())}.{quote(AggregateCell._meta.db_table)}"
    keys = {
        AggregateCell._meta.get_field("consortium").column: consortium_id,
        AggregateCell._meta.get_field("ngo").column: ngo.pk,
    }
    with schema_context(ngo.schema_name):
        written = cells_insert(months, table=table, keys=keys)
        key = linkage_key(consortium_id)
        hashes = [
            (
                child_link_hash(
                    consortium_id=consortium_id,
                    full_name=full_name,
                    birth_year=birth_year or 0,
                    guardian_name=guardian_name,
                    key=key,
                ),
                list(open_months),
            )
            for full_name, birth_year, guardian_name, open_months in open_children(months)
        ]
    return written, hashes


def in_public_schema():
    """A block run in the public schema, wherever the caller is (a task sent from an NGO's
    report page runs in that NGO's schema; the consortium's cache keys carry the schema)."""
    return schema_context(get_public_schema_name())
