"""Attachments: uploaded over the API with size and type limits, photos only with photo consent,
stored under the tenant's own media folder, served only through the access-checked view."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context

from casework import services
from casework.models import Attachment, AuditEvent, Case, Child

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
MAX_BYTES = 5 * 1024 * 1024


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """MEDIA_ROOT in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
    # TenantFileSystemStorage caches MEDIA_ROOT/<schema> and (django-tenants 4.0.1) only clears
    # that cache when this setting changes, not when MEDIA_ROOT does.
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    return tmp_path


@pytest.fixture
def team(ngo_a, team_a, media):
    """NGO A's staff users, with NGO A's schema active for the test."""
    with schema_context(ngo_a.ngo.schema_name):
        yield {role: staff.user for role, staff in team_a.items()}


def _register(actor, *, scope_photos=False, guardian_consented=True) -> Case:
    today = timezone.localdate()
    return services.child_register(
        actor=actor,
        child=services.ChildInput(
            full_name="Siti Rahayu",
            sex="female",
            school_status="dropped_out",
            birth_year=today.year - 13,
        ),
        household=services.HouseholdInput(
            guardian_name="Ibu Rahayu", guardian_relationship="mother"
        ),
        consent=services.ConsentInput(
            guardian_name="Ibu Rahayu",
            guardian_relationship="mother",
            guardian_consented=guardian_consented,
            child_assented=True,
            consented_on=today,
            scope_photos=scope_photos,
        ),
    )


def _upload(staff, case, name, content, kind="document", content_type="application/pdf"):
    return staff.client().post(
        f"/api/v1/cases/{case.pk}/attachments/",
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def _stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def _download(staff, attachment, **extra):
    return staff.client().get(f"/api/v1/attachments/{attachment.uuid}/", **extra)


def _body(response) -> bytes:
    # The test client closes the file once the stream is consumed (closing it again would fire
    # request_finished and close the test's database connection).
    return b"".join(response.streaming_content)


# --- Upload --------------------------------------------------------------------------------------


def test_upload_pdf_stores_it_under_the_tenant_schema(ngo_a, team_a, team, media):
    """A PDF upload answers 201 and lands in MEDIA_ROOT/<schema>/attachments/<uuid>/."""
    case = _register(team["worker"])
    response = _upload(team_a["worker"], case, "a.pdf", PDF)
    assert response.status_code == 201, response.content
    body = response.json()
    attachment = Attachment.objects.get()
    assert body == {
        "uuid": str(attachment.uuid),
        "kind": "document",
        "original_name": "a.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "created_at": body["created_at"],
        "url": f"/api/v1/attachments/{attachment.uuid}/",
    }
    expected = media / ngo_a.ngo.schema_name / "attachments" / str(attachment.uuid) / "a.pdf"
    assert Path(attachment.file.path) == expected
    assert _stored_files(media) == [expected]
    assert expected.read_bytes() == PDF
    assert (attachment.case_id, attachment.child_id) == (case.pk, case.child_id)
    assert attachment.uploaded_by_id == team["worker"].pk


def test_upload_is_audited(team_a, team):
    """The upload records a 'create' event with kind and size, never the file name."""
    case = _register(team["worker"])
    _upload(team_a["worker"], case, "surat-ibu.pdf", PDF, kind="consent_form")
    attachment = Attachment.objects.get()
    event = AuditEvent.objects.filter(object_type="attachment").get()
    assert (event.actor_username, event.action, event.object_id, event.case_id) == (
        "worker-a",
        "create",
        str(attachment.pk),
        case.pk,
    )
    assert event.changed_fields == {"kind": [None, "consent_form"], "size": [None, len(PDF)]}


def test_file_name_is_sanitised_on_disk(team_a, team, media):
    """Spaces and brackets become underscores on disk; the original name is kept for display."""
    case = _register(team["worker"])
    response = _upload(team_a["worker"], case, "laporan anak (1).pdf", PDF)
    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.original_name == "laporan anak (1).pdf"
    assert Path(attachment.file.name).name == "laporan_anak__1_.pdf"


def test_exactly_five_megabytes_is_accepted(team_a, team):
    """The limit is inclusive: a file of exactly 5 MB is stored."""
    case = _register(team["worker"])
    response = _upload(team_a["worker"], case, "big.pdf", PDF + b"\0" * (MAX_BYTES - len(PDF)))
    assert response.status_code == 201, response.content
    assert Attachment.objects.get().size == MAX_BYTES


def test_over_five_megabytes_is_refused(team_a, team, media):
    """One byte over 5 MB: 400 on the file field, nothing stored."""
    case = _register(team["worker"])
    response = _upload(team_a["worker"], case, "big.pdf", PDF + b"\0" * (MAX_BYTES + 1 - len(PDF)))
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "The file is larger than 5 MB.",
        "fields": {"file": ["The file is larger than 5 MB."]},
    }
    assert Attachment.objects.count() == 0
    assert _stored_files(media) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("setup.exe", b"MZ\x90\x00" + b"\x00" * 60, id="exe"),
        pytest.param("a.pdf", b"MZ\x90\x00" + b"\x00" * 60, id="exe-renamed-pdf"),
        pytest.param("a.pdf", PNG, id="png-named-pdf"),
        pytest.param("a.exe", PDF, id="pdf-named-exe"),
        pytest.param("a.html", b"<html><script>alert(1)</script></html>", id="html"),
        pytest.param("a", PDF, id="no-extension"),
        pytest.param(
            "a.webp",
            b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40,
            id="wav-named-webp",
        ),
    ],
)
def test_wrong_type_is_refused(team_a, team, media, name, content):
    """Extension and magic bytes must both say PDF, JPEG, PNG or WebP."""
    case = _register(team["worker"])
    response = _upload(team_a["worker"], case, name, content, content_type="application/pdf")
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "file": ["Only PDF, JPEG, PNG or WebP files are accepted."]
    }
    assert Attachment.objects.count() == 0
    assert _stored_files(media) == []


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("a.PDF", PDF, "application/pdf"),
        ("a.jpeg", JPEG, "image/jpeg"),
        ("a.webp", WEBP, "image/webp"),
    ],
)
def test_accepted_types_get_their_content_type_from_the_bytes(
    team_a, team, name, content, content_type
):
    """The stored content type comes from the checked type, not from the client's claim."""
    case = _register(team["worker"])
    response = _upload(team_a["worker"], case, name, content, content_type="text/html")
    assert response.status_code == 201, response.content
    assert Attachment.objects.get().content_type == content_type


def test_other_worker_cannot_upload(team_a, team, media):
    """A worker who cannot see the case gets 404 and nothing is stored."""
    case = _register(team["worker"])
    response = _upload(team_a["other_worker"], case, "a.pdf", PDF)
    assert response.status_code == 404
    assert Attachment.objects.count() == 0
    assert _stored_files(media) == []


# --- Photos and consent ----------------------------------------------------------------------


def test_photo_needs_photo_consent(team_a, team, media):
    """Without consent to photos a photo upload is refused and the child has no photo."""
    case = _register(team["worker"], scope_photos=False)
    response = _upload(team_a["worker"], case, "foto.png", PNG, kind="photo")
    assert response.status_code == 400
    assert response.json()["fields"] == {"file": ["The consent does not cover photos."]}
    assert Child.objects.get(pk=case.child_id).photo_id is None
    assert _stored_files(media) == []


def test_photo_with_photo_consent_becomes_the_childs_photo(team_a, team):
    """With consent to photos the upload is stored and becomes the child's photo."""
    case = _register(team["worker"], scope_photos=True)
    response = _upload(team_a["worker"], case, "foto.png", PNG, kind="photo")
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert (attachment.kind, attachment.content_type) == ("photo", "image/png")
    assert Child.objects.get(pk=case.child_id).photo_id == attachment.pk


def test_photo_must_be_an_image(team_a, team):
    """A PDF uploaded as a photo is refused even with photo consent."""
    case = _register(team["worker"], scope_photos=True)
    response = _upload(team_a["worker"], case, "foto.pdf", PDF, kind="photo")
    assert response.status_code == 400
    assert response.json()["fields"] == {"file": ["A photo must be a JPEG, PNG or WebP image."]}


def test_photo_refused_after_photo_consent_withdrawn(team_a, team):
    """A withdrawn photo consent no longer covers photos."""
    case = _register(team["worker"], scope_photos=True)
    consent = Child.objects.get(pk=case.child_id).consents.get()
    services.consent_withdraw(
        actor=team["worker"],
        consent_id=consent.pk,
        withdrawn_on=timezone.localdate(),
        reason="Ibu menolak",
    )
    response = _upload(team_a["worker"], case, "foto.png", PNG, kind="photo")
    assert response.status_code == 400
    assert Attachment.objects.count() == 0


def test_photo_refused_when_guardian_refused_consent(team_a, team, media):
    """A recorded refusal (guardian did not consent) covers nothing, photos included."""
    case = _register(team["worker"], scope_photos=True, guardian_consented=False)
    response = _upload(team_a["worker"], case, "foto.png", PNG, kind="photo")
    assert response.status_code == 400
    assert _stored_files(media) == []


# --- Download ----------------------------------------------------------------------------------


@pytest.fixture
def stored(team_a, team):
    """A PDF on a case assigned to worker-a."""
    case = _register(team["worker"])
    assert _upload(team_a["worker"], case, "a.pdf", PDF).status_code == 201
    return Attachment.objects.get()


@pytest.mark.parametrize("role", ["worker", "supervisor", "admin"])
def test_download_returns_the_bytes_to_those_who_see_the_case(team_a, stored, role):
    """The assigned worker, supervisors and admins download the file as an attachment."""
    response = _download(team_a[role], stored)
    assert response.status_code == 200
    assert _body(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="a.pdf"'


def test_download_is_audited_with_ip(team_a, stored):
    """Each download records a 'view' of the attachment with the client IP."""
    response = _download(team_a["worker"], stored, REMOTE_ADDR="10.9.8.7")
    _body(response)
    [event] = AuditEvent.objects.filter(action="view", object_type="attachment")
    assert (event.actor_username, event.object_type, event.object_id, event.case_id) == (
        "worker-a",
        "attachment",
        str(stored.pk),
        stored.case_id,
    )
    assert event.ip_address == "10.9.8.7"


def test_download_is_404_for_the_other_worker(team_a, stored):
    """A worker not assigned to the case gets 404 (not 403) and no view is recorded."""
    response = _download(team_a["other_worker"], stored)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not AuditEvent.objects.filter(action="view", object_id=str(stored.pk)).exists()


def test_download_is_403_for_me_officer(team_a, stored):
    """M&E officers never see identity documents."""
    response = _download(team_a["me"], stored)
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="view", object_id=str(stored.pk)).exists()


def test_download_from_another_ngo_is_404(team_b, stored):
    """NGO B's worker asking NGO B's host for NGO A's file gets 404."""
    response = _download(team_b["worker"], stored)
    assert response.status_code == 404


def test_photo_is_served_inline(team_a, team):
    """A photo is shown inline (not downloaded) with its image type."""
    case = _register(team["worker"], scope_photos=True)
    assert _upload(team_a["worker"], case, "foto.png", PNG, kind="photo").status_code == 201
    response = _download(team_a["worker"], Attachment.objects.get())
    assert response.status_code == 200
    assert _body(response) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="foto.png"'
