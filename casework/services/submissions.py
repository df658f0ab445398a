"""One-time form tokens: a form sent twice (a double tap, a retry on a slow connection) leads to
the first submission's result instead of writing a second row."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils.translation import gettext as _

from casework.models import FormSubmission
from core import clock
from core.errors import ConflictError

# How long a token is remembered; a page older than this writes again (FORM_TOKEN_DAYS).
FORM_TOKEN_DAYS = 7

_CLAIM = """
    INSERT INTO casework_formsubmission (token, user_id, result_url, created_at)
    VALUES (%s, %s, '', now())
    ON CONFLICT (token) DO NOTHING
    RETURNING token
"""


def form_token_new() -> str:
    """A fresh token for a form about to be shown."""
    return str(uuid.uuid4())


def _parse(token: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(token)) if token else None
    except ValueError:
        return None


def submission_result(*, actor: User, token: str | None) -> str | None:
    """Where the form sent with `token` led, if it was already sent and saved by `actor`."""
    parsed = _parse(token)
    if parsed is None:
        return None
    row = FormSubmission.objects.filter(token=parsed, user_id=actor.pk).first()
    return row.result_url if row is not None and row.result_url else None


@transaction.atomic
def submission_once(
    *, actor: User, token: str | None, perform: Callable[[], str]
) -> tuple[str, bool]:
    """Run `perform` (it writes and returns the URL of its result) once per form token.

    Returns the URL and whether it is the earlier submission's (a repeat). The token is claimed
    in the transaction that writes: a repeat sent meanwhile waits on the token's key until the
    first commits and then gets its URL; if the first fails, its claim goes back with it and the
    corrected form can be sent again with the same token. Without a valid token (an old page)
    `perform` simply runs.
    """
    parsed = _parse(token)
    if parsed is None:
        return perform(), False
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, [parsed, actor.pk])
        claimed = cursor.fetchone() is not None
    if not claimed:
        earlier = FormSubmission.objects.filter(token=parsed, user_id=actor.pk).first()
        if earlier is None or not earlier.result_url:
            raise ConflictError(_("This form was already sent. Open it again to send it anew."))
        return earlier.result_url, True
    result_url = perform()
    FormSubmission.objects.filter(token=parsed).update(result_url=result_url)
    return result_url, False


def form_tokens_forget() -> int:
    """Delete tokens older than FORM_TOKEN_DAYS (daily task); returns how many."""
    cutoff = clock.now() - timedelta(days=FORM_TOKEN_DAYS)
    deleted, _count = FormSubmission.objects.filter(created_at__lt=cutoff).delete()
    return deleted
