"""Uploaded documents, size- and content-checked."""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from casework.access import (
    case_for_editing,
)
from casework.audit import audit_record
from casework.models import (
    Attachment,
    Child,
    Consent,
)
from casework.services._common import _invalid
from casework.services.states import _ensure_open
from core.audit import AuditAction

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


ATTACHMENT_TYPES = {
    # content type: (extensions, magic prefixes)
    "application/pdf": ((".pdf",), (b"%PDF-",)),
    "image/jpeg": ((".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
    "image/png": ((".png",), (b"\x89PNG\r\n\x1a\n",)),
    "image/webp": ((".webp",), (b"RIFF",)),
}


@transaction.atomic
def attachment_upload(
    *, actor: User, case_id: int, kind: str, uploaded_file: UploadedFile
) -> Attachment:
    """Store a consent form, document or photo for the case's child; size and type checked."""
    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    if kind not in Attachment.Kind.values:
        raise _invalid(
            "kind",
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Attachment.Kind.values)},
        )
    # Django sets `size` on every upload; the stubs allow None for a File built by hand.
    if uploaded_file.size > MAX_ATTACHMENT_BYTES:  # type: ignore[operator]
        raise _invalid("file", _("The file is larger than 5 MB."))
    name = uploaded_file.name or "file"
    head = uploaded_file.read(16)
    uploaded_file.seek(0)
    content_type = next(
        (
            kind_type
            for kind_type, (extensions, magics) in ATTACHMENT_TYPES.items()
            if name.lower().endswith(extensions)
            and head.startswith(magics)
            # "RIFF" starts WAV and AVI files too; WebP has "WEBP" at bytes 8-11.
            and (kind_type != "image/webp" or head[8:12] == b"WEBP")
        ),
        None,
    )
    if content_type is None:
        raise _invalid("file", _("Only PDF, JPEG, PNG or WebP files are accepted."))
    if kind == Attachment.Kind.PHOTO and not content_type.startswith("image/"):
        raise _invalid("file", _("A photo must be a JPEG, PNG or WebP image."))
    if (
        kind == Attachment.Kind.PHOTO
        and not Consent.objects.filter(
            child=case.child,
            guardian_consented=True,
            child_assented=True,
            scope_record_keeping=True,
            scope_photos=True,
            withdrawn_on__isnull=True,
        )
        # A consent carried over on referral counts once reconfirmed here.
        .exclude(carried_over_from_uuid__isnull=False, reconfirmed_on__isnull=True)
        .exists()
    ):
        raise _invalid("file", _("The consent does not cover photos."))
    attachment = Attachment(
        child=case.child,
        case=case,
        kind=kind,
        original_name=name[:255],
        content_type=content_type,
        size=uploaded_file.size,  # type: ignore[misc]  # set on every upload (above)
        uploaded_by=actor,
    )
    attachment.file.save(re.sub(r"[^A-Za-z0-9._-]", "_", name)[-100:], uploaded_file, save=False)
    attachment.save()
    if kind == Attachment.Kind.PHOTO:
        Child.objects.filter(pk=case.child_id).update(photo=attachment)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=attachment,
        case_id=case.pk,
        changed_fields={"kind": [None, kind], "size": [None, attachment.size]},
    )
    return attachment
