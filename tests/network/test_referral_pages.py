"""The NGO's referral pages (issue 8) through Django's test client: the refer form on the case
page, the inbox and sent lists, the referral page and its actions, the letter, the directory
and the NGO's agreements. Pages answer in the browser's language; English here unless a test
says otherwise."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from casework.models import AuditEvent, Consent
from core import clock
from network.models import Agency
from network.referrals import services
from network.referrals.delivery import outbox_drain
from network.referrals.models import Referral, ReferralEvent
from tests.support import host_client

pytestmark = pytest.mark.django_db

REASON = "Needs counselling after leaving work at the harbour"


def _client(staff, language: str = "en"):
    """A browser-like session of `staff` on its NGO's host."""
    client = host_client(staff.host, HTTP_ACCEPT_LANGUAGE=language)
    from tenants.models import Domain

    connection.set_schema_to_public()
    schema = Domain.objects.select_related("tenant").get(domain=staff.host).tenant.schema_name
    with schema_context(schema):
        client.force_login(staff.user)
    return client


def _schema(ngo) -> str:
    return ngo.ngo.schema_name


def _token(response) -> str:
    return re.search(rb'name="form_token" value="([0-9a-f-]+)"', response.content).group(1).decode()


def _text(response) -> str:
    """The page's text with tags removed and whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", text)


def _referrals(ngo) -> list[tuple[str, str]]:
    with schema_context(_schema(ngo)):
        return list(Referral.objects.values_list("direction", "state"))


def _send(referrable, team_a, ngo_a, **overrides) -> Referral:
    values = {
        "actor": team_a["worker"].user,
        "case_id": referrable.case.pk,
        "to_agency_uuid": referrable.network.agency_b.uuid,
        "service_type": "counselling",
        "reason": REASON,
    }
    values.update(overrides)
    with schema_context(_schema(ngo_a)):
        return services.referral_send(**values)


def _drain(ngo) -> int:
    with schema_context(_schema(ngo)):
        return outbox_drain()


def _clinic_agreement(network, *, service: str = "health", fields=("full_name", "reason")):
    """An active one-way agreement from NGO A to the outside clinic."""
    from network import services as network_services

    agreement = network_services.agreement_create(
        actor=network.coordinator,
        consortium=network.consortium,
        first_agency_uuid=network.agency_a.uuid,
        second_agency_uuid=network.clinic.uuid,
        service_types=[service],
        shared_fields=list(fields),
        valid_from=clock.today(),
        direction="one_way",
        response_days=5,
    )
    network_services.agreement_activate(
        actor=network.coordinator,
        agreement_uuid=agreement.uuid,
        mou=SimpleUploadedFile("mou.pdf", b"%PDF-1.4 signed"),
    )
    return agreement


# --- The case page and the refer form --------------------------------------------------------


def test_the_case_page_offers_the_refer_form_and_lists_the_cases_referrals(
    referrable, team_a, ngo_a
):
    """The case page's referral panel (through casework's CASE_PAGE_PANELS hook) links to the
    refer form and lists the case's referrals with their state."""
    client = _client(team_a["worker"])
    case_id = referrable.case.pk
    response = client.get(f"/cases/{case_id}/")
    assert response.status_code == 200
    assert f'href="/cases/{case_id}/refer/"'.encode() in response.content
    assert "Not referred to another agency." in _text(response)
    referral = _send(referrable, team_a, ngo_a)
    response = client.get(f"/cases/{case_id}/")
    assert f'href="/referrals/{referral.uuid}/"'.encode() in response.content
    assert "To Lembaga Peduli Anak · Counselling Sent" in _text(response)


def test_choosing_a_service_offers_only_covered_agencies_with_exactly_their_fields(
    referrable, team_a
):
    """htmx asks for the agencies of a service: agency B (the counselling agreement) with the
    child's values of exactly the four agreed fields; the clinic (no agreement) is not offered."""
    client = _client(team_a["worker"])
    response = client.get(
        f"/cases/{referrable.case.pk}/refer/?service_type=counselling", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    text = _text(response)
    assert "Lembaga Peduli Anak" in text
    assert "Puskesmas" not in text
    shared = re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", response.content.decode())
    assert shared == [
        ("Full name", "Dewi Lestari"),
        ("Sex", "Female"),
        ("Age (years)", "13 years"),
        ("Reason for referral", "(what you write under Reason below)"),
    ]
    assert b"<html" not in response.content  # the partial only
    assert b'id="refer-send" hx-swap-oob="true">' in response.content


def test_a_service_without_an_agreement_says_so_and_disables_sending(referrable, team_a):
    client = _client(team_a["worker"])
    response = client.get(
        f"/cases/{referrable.case.pk}/refer/?service_type=health", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert (
        "No agency has a referral agreement in force with your NGO for this service in the "
        "child's regency."
    ) in _text(response)
    assert b'id="refer-send" hx-swap-oob="true" disabled>' in response.content


def test_without_consent_to_sharing_the_form_refuses_clearly(referrable, team_a, ngo_a):
    """The child's active consent lacks scope_referral_sharing: the form says so, offers to
    record consent, and a POST anyway is refused with the same message, nothing sent."""
    with schema_context(_schema(ngo_a)):
        Consent.objects.filter(child_id=referrable.case.child_id).update(
            scope_referral_sharing=False
        )
    client = _client(team_a["worker"])
    path = f"/cases/{referrable.case.pk}/refer/"
    message = "The guardian has not consented to sharing for referral: record that consent first."
    response = client.get(path + "?service_type=counselling")
    assert response.status_code == 200
    assert message in _text(response)
    assert f'href="/cases/{referrable.case.pk}/consent/"'.encode() in response.content
    response = client.post(
        path,
        {
            "form_token": _token(response),
            "service_type": "counselling",
            "to_agency": str(referrable.network.agency_b.uuid),
            "urgency": "normal",
            "reason": REASON,
        },
    )
    assert response.status_code == 400
    assert message in _text(response)
    assert _referrals(ngo_a) == []


def test_sending_twice_with_one_form_sends_one_referral(referrable, team_a, ngo_a):
    """A double tap on Send: both posts go to the referral page, one referral exists."""
    client = _client(team_a["worker"])
    path = f"/cases/{referrable.case.pk}/refer/"
    token = _token(client.get(path))
    body = {
        "form_token": token,
        "service_type": "counselling",
        "to_agency": str(referrable.network.agency_b.uuid),
        "urgency": "urgent",
        "reason": REASON,
    }
    first = client.post(path, body)
    second = client.post(path, body)
    with schema_context(_schema(ngo_a)):
        referral = Referral.objects.get()
    assert (first.status_code, first["Location"]) == (302, f"/referrals/{referral.uuid}/")
    assert (second.status_code, second["Location"]) == (302, f"/referrals/{referral.uuid}/")
    assert (referral.state, referral.urgency, referral.shared_data["reason"]) == (
        "sent",
        "urgent",
        REASON,
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reason": ""}, "reason", "This field is required."),
        ({"service_type": "magic"}, "service_type", "Select a valid choice."),
        ({"to_agency": ""}, "to_agency", "Choose one of the agencies offered."),
        (
            {"service_type": "health"},
            "to_agency",
            "There is no referral agreement in force with this agency for this service.",
        ),
    ],
)
def test_bad_input_is_a_400_with_the_message_on_its_field(
    referrable, team_a, ngo_a, changes, field, message
):
    client = _client(team_a["worker"])
    path = f"/cases/{referrable.case.pk}/refer/"
    body = {
        "form_token": _token(client.get(path)),
        "service_type": "counselling",
        "to_agency": str(referrable.network.agency_b.uuid),
        "urgency": "normal",
        "reason": REASON,
        **changes,
    }
    response = client.post(path, body)
    assert response.status_code == 400
    errors = re.search(
        rf'id="id_{field}_errors" role="alert">(.*?)</ul>', response.content.decode(), re.S
    )
    assert errors is not None, response.content.decode()
    assert message in errors.group(1)
    assert _referrals(ngo_a) == []
    if changes.get("reason") != "":
        assert REASON in response.content.decode()  # what was typed is kept


def test_another_ngo_and_another_worker_cannot_reach_the_refer_form(
    referrable, team_a, team_b, ngo_a
):
    """NGO B's worker on B's host and A's worker of another case: 404, nothing sent."""
    path = f"/cases/{referrable.case.pk}/refer/"
    body = {
        "service_type": "counselling",
        "to_agency": str(referrable.network.agency_b.uuid),
        "urgency": "normal",
        "reason": REASON,
    }
    for staff in (team_b["worker"], team_a["other_worker"]):
        client = _client(staff)
        assert client.get(path).status_code == 404
        assert client.post(path, body).status_code == 404
    assert _referrals(ngo_a) == []


# --- Lists and the home page -----------------------------------------------------------------


def test_inbox_and_sent_list_show_the_referral_and_mark_it_overdue(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    referral = _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    sent = _client(team_a["worker"]).get("/referrals/sent/")
    assert sent.status_code == 200
    assert "To Lembaga Peduli Anak Sent" in _text(sent)
    assert f"Counselling · Dewi Lestari · {referrable.case.reference}" in _text(sent)
    inbox_client = _client(team_b["worker"])
    inbox = inbox_client.get("/referrals/")
    assert f'href="/referrals/{referral.uuid}/"'.encode() in inbox.content
    assert "From Yayasan Anak Sejahtera Sent" in _text(inbox)
    assert "overdue" not in _text(inbox)
    with clock.as_of(clock.today() + timedelta(days=8)):
        for response in (
            inbox_client.get("/referrals/?overdue=on"),
            _client(team_a["worker"]).get("/referrals/sent/?overdue=on"),
        ):
            assert "1 referral" in _text(response)
            assert 'class="badge risk-high">overdue<' in response.content.decode()
    filtered = inbox_client.get("/referrals/?state=accepted")
    assert "0 referrals" in _text(filtered)
    assert "No referral here." in _text(filtered)
    assert inbox_client.get("/referrals/?state=nonsense").status_code == 400


def test_the_home_page_counts_waiting_and_overdue_referrals_on_both_sides(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    with clock.as_of(clock.today() + timedelta(days=8)):
        receiver = _text(_client(team_b["worker"]).get("/"))
        sender = _text(_client(team_a["worker"]).get("/"))
    assert "1 referral waiting for our answer 1 overdue" in receiver
    assert "1 sent referral overdue for an answer" in sender


def test_the_home_page_in_indonesian(referrable, team_a, ngo_a):
    _send(referrable, team_a, ngo_a)
    response = _client(team_a["worker"], "id").get("/")
    assert "Rujukan" in _text(response)
    assert "0 rujukan menunggu jawaban kami" in _text(response)


def test_the_me_officer_sees_no_referral_pages_and_no_panels(referrable, team_a, ngo_a):
    """Referrals carry identities: the M&E officer's role has no referral pages."""
    client = _client(team_a["me"])
    assert client.get("/referrals/").status_code == 403
    assert client.get("/referrals/sent/").status_code == 403
    home = client.get("/")
    assert b"/referrals/" not in home.content
    assert b'href="/directory/"' in home.content


# --- The referral page, its actions and the letter -------------------------------------------


def test_the_sender_reads_the_shared_fields_audited_and_the_timeline(referrable, team_a, ngo_a):
    referral = _send(referrable, team_a, ngo_a)
    response = _client(team_a["worker"]).get(f"/referrals/{referral.uuid}/")
    assert response.status_code == 200
    text = _text(response)
    assert "Referral to Lembaga Peduli Anak" in text
    assert "Full name Dewi Lestari Sex Female Age (years) 13 years" in text
    assert "Guardian" not in text  # not an agreed field
    assert "Sent · us · worker-a" in text
    assert "Withdraw the referral" in text
    assert f'href="/referrals/{referral.uuid}/letter/"'.encode() in response.content
    with schema_context(_schema(ngo_a)):
        event = AuditEvent.objects.filter(
            object_type="referral", action="view", object_id=str(referral.uuid)
        ).get()
    assert (event.object_id, event.case_id) == (str(referral.uuid), referrable.case.pk)


def test_withdrawing_from_the_referral_page_once(referrable, team_a, ngo_a):
    referral = _send(referrable, team_a, ngo_a)
    client = _client(team_a["worker"])
    page = client.get(f"/referrals/{referral.uuid}/")
    body = {"form_token": _token(page), "withdraw-reason": "Family moved"}
    path = f"/referrals/{referral.uuid}/withdraw/"
    first = client.post(path, body)
    second = client.post(path, body)
    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == second["Location"] == f"/referrals/{referral.uuid}/"
    page = client.get(f"/referrals/{referral.uuid}/")
    assert "Withdrawn" in _text(page)
    assert "Family moved" in _text(page)
    assert _referrals(ngo_a) == [("outgoing", "withdrawn")]
    # Withdrawn is final: the page offers nothing and a new post is refused.
    assert "Withdraw the referral" not in _text(page)
    again = client.post(path, {"form_token": str(uuid.uuid4())})
    assert again.status_code == 409
    assert "This referral does not allow that now." in _text(again)


def test_denied_actions_change_nothing(referrable, team_a, team_b, ngo_a):
    """The M&E officer (403), another worker of A and NGO B's staff (404) cannot act."""
    referral = _send(referrable, team_a, ngo_a)
    path = f"/referrals/{referral.uuid}/withdraw/"
    assert _client(team_a["me"]).post(path, {}).status_code == 403
    assert _client(team_a["other_worker"]).post(path, {}).status_code == 404
    assert _client(team_a["other_worker"]).get(f"/referrals/{referral.uuid}/").status_code == 404
    assert _client(team_b["worker"]).get(f"/referrals/{referral.uuid}/").status_code == 404
    assert _client(team_b["worker"]).post(path, {}).status_code == 404
    assert _client(team_a["worker"]).post(f"/referrals/{referral.uuid}/fly/").status_code == 404
    assert _referrals(ngo_a) == [("outgoing", "sent")]


def test_the_sender_records_an_outside_agencys_answers(referrable, team_a, ngo_a):
    """A clinic outside Terpadu: the sender records its answers; a wrong state is a 400."""
    network = referrable.network
    _clinic_agreement(network)
    referral = _send(
        referrable, team_a, ngo_a, to_agency_uuid=network.clinic.uuid, service_type="health"
    )
    client = _client(team_a["worker"])
    page = client.get(f"/referrals/{referral.uuid}/")
    assert "Record the agency's answer" in _text(page)
    assert "not in Terpadu: we record its answer" in _text(page)
    path = f"/referrals/{referral.uuid}/record/"
    bad = client.post(path, {"form_token": _token(page), "record-state": "completed"})
    assert bad.status_code == 400
    assert "Select a valid choice." in _text(bad)
    response = client.post(
        path, {"form_token": _token(page), "record-state": "accepted", "record-note": "By phone"}
    )
    assert response.status_code == 302
    page = client.get(f"/referrals/{referral.uuid}/")
    assert "Accepted · us · worker-a By phone" in _text(page)
    assert _referrals(ngo_a) == [("outgoing", "accepted")]


def test_the_letter_prints_the_agencys_contact_only_agreed_fields_and_a_signature(
    referrable, team_a, ngo_a
):
    network = referrable.network
    _clinic_agreement(network)
    referral = _send(
        referrable, team_a, ngo_a, to_agency_uuid=network.clinic.uuid, service_type="health"
    )
    response = _client(team_a["worker"]).get(f"/referrals/{referral.uuid}/letter/")
    assert response.status_code == 200
    text = _text(response)
    assert (
        "Puskesmas Bandarharjo Community health centre (puskesmas) Attn. dr. Wulan "
        "Phone +62 24 3541234"
    ) in text
    assert "We refer the child below to you for: Health ." in text
    # How the clinic answers: who sent it and the sending NGO's own contact.
    with schema_context(_schema(ngo_a)):
        own = Agency.objects.get(ngo__schema_name=_schema(ngo_a))
    reply = response.content.decode().split('id="reply-to"', 1)[1].split("</p>", 1)[0]
    assert "Reply to" in _text(response)
    assert team_a["worker"].user.username in reply
    assert own.name in reply
    contact = own.email or own.phone
    assert contact
    assert contact in reply
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', response.content.decode())
    assert rows == [("Full name", "Dewi Lestari")]
    assert f"Reason for referral {REASON}" in text
    assert "Name and signature" in text
    assert b"@media print" not in response.content  # print styles live in terpadu.css
    assert b'onclick="window.print()"' in response.content
    indonesian = _text(_client(team_a["worker"], "id").get(f"/referrals/{referral.uuid}/letter/"))
    assert "Surat rujukan" in indonesian
    assert "Nama dan tanda tangan" in indonesian


# --- Directory and agreements ----------------------------------------------------------------


def test_the_directory_searches_by_service_and_region(referrable, team_a):
    client = _client(team_a["worker"])
    everything = _text(client.get("/directory/"))
    assert "3 agencies" in everything
    health = _text(client.get("/directory/?service_type=health"))
    assert "1 agency" in health
    assert "Puskesmas Bandarharjo" in health
    assert "dr. Wulan" in health
    # Agency B serves Kota Semarang (33.74) only; the clinic all of Central Java (33).
    elsewhere = _text(client.get("/directory/?province_code=32"))
    assert "1 agency" in elsewhere  # agency A lists no region: it serves anywhere
    semarang = _text(client.get("/directory/?province_code=33&regency_code=33.74"))
    assert "3 agencies" in semarang
    assert client.get("/directory/?service_type=magic").status_code == 400


def test_proposing_an_agency(referrable, team_a):
    client = _client(team_a["worker"])
    page = client.get("/directory/propose/")
    assert page.status_code == 200
    bad = client.post(
        "/directory/propose/",
        {"form_token": _token(page), "kind": "school", "name": "", "service_types": ["education"]},
    )
    assert bad.status_code == 400
    assert "This field is required." in _text(bad)
    body = {
        "form_token": _token(page),
        "kind": "school",
        "name": "SMP Negeri 5 Semarang",
        "service_types": ["school_return"],
        "province_codes": ["33"],
        "phone": "+62 24 8311111",
    }
    first = client.post("/directory/propose/", body)
    second = client.post("/directory/propose/", body)
    assert (first.status_code, first["Location"]) == (302, "/directory/")
    assert (second.status_code, second["Location"]) == (302, "/directory/")
    connection.set_schema_to_public()
    proposed = Agency.objects.get(name="SMP Negeri 5 Semarang")
    assert (proposed.status, proposed.proposed_by, proposed.proposed_by_name) == (
        "proposed",
        referrable.network.agency_a,
        "worker-a",
    )
    # Not in the directory (nor offered for referral) until a coordinator approves it.
    assert "SMP Negeri 5" not in _text(client.get("/directory/"))
    assert _client(team_a["me"]).get("/directory/propose/").status_code == 403


def test_the_ngo_reads_its_own_agreements(referrable, team_a, team_b):
    text = _text(_client(team_a["worker"]).get("/agreements/"))
    assert "Lembaga Peduli Anak Active" in text
    assert "Referrals both ways · answer within 7 days" in text
    assert "Services Counselling" in text
    assert "Fields shared Full name Sex Age (years) Reason for referral" in text
    other = _text(_client(team_b["worker"]).get("/agreements/"))
    assert "Yayasan Anak Sejahtera Active" in other


# --- The receiver ----------------------------------------------------------------------------


def test_the_receiver_opens_the_referral_and_accepts_it_once(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """B's supervisor reads the decrypted fields (audited in B), accepts with a worker for the
    new case; a second post of the same form changes nothing; the sender sees "Accepted"."""
    referral = _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    client = _client(team_b["supervisor"])
    page = client.get(f"/referrals/{referral.uuid}/")
    assert page.status_code == 200
    text = _text(page)
    assert "Referral from Yayasan Anak Sejahtera" in text
    assert "Full name Dewi Lestari Sex Female Age (years) 13 years" in text
    assert f"Reason for referral {REASON}" in text
    assert "Accept and open a case" in text
    assert "Decline" in text
    with schema_context(_schema(ngo_b)):
        views = AuditEvent.objects.filter(
            object_type="referral", action="view", object_id=str(referral.uuid)
        )
        assert views.count() == 1
    body = {"form_token": _token(page), "assign_to": str(team_b["worker"].user.pk)}
    first = client.post(f"/referrals/{referral.uuid}/accept/", body)
    second = client.post(f"/referrals/{referral.uuid}/accept/", body)
    assert first.status_code == second.status_code == 302
    with schema_context(_schema(ngo_b)):
        received = Referral.objects.select_related("case__child").get(uuid=referral.uuid)
        assert received.state == "accepted"
        assert (received.case.child.full_name, received.case.assigned_worker_id) == (
            "Dewi Lestari",
            team_b["worker"].user.pk,
        )
        from casework.models import Case

        assert Case.objects.filter(child__full_name="Dewi Lestari").count() == 1
    page = client.get(f"/referrals/{referral.uuid}/")
    assert f'href="/cases/{received.case_id}/"'.encode() in page.content
    case_page = client.get(f"/cases/{received.case_id}/")
    assert f'href="/referrals/{referral.uuid}/"'.encode() in case_page.content
    assert "From Yayasan Anak Sejahtera · Counselling Accepted" in _text(case_page)
    assert "The shared fields are in the case created from this referral." in _text(page)
    assert "Service started" in _text(page)
    _drain(ngo_b)
    sender_page = _text(_client(team_a["worker"]).get(f"/referrals/{referral.uuid}/"))
    assert "Accepted · Lembaga Peduli Anak · supervisor-b" in sender_page


def test_declining_needs_a_reason_and_then_flows_back(referrable, team_a, team_b, ngo_a, ngo_b):
    referral = _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    client = _client(team_b["worker"])
    page = client.get(f"/referrals/{referral.uuid}/")
    path = f"/referrals/{referral.uuid}/decline/"
    empty = client.post(path, {"form_token": _token(page), "decline-reason": " "})
    assert empty.status_code == 400
    assert re.search(
        r'id="id_decline-reason_errors" role="alert"><li>This field is required.</li>',
        empty.content.decode(),
    )
    assert _referrals(ngo_b) == [("incoming", "sent")]
    done = client.post(path, {"form_token": _token(page), "decline-reason": "No places left"})
    assert done.status_code == 302
    _drain(ngo_b)
    sender_page = _text(_client(team_a["worker"]).get(f"/referrals/{referral.uuid}/"))
    assert "Reason for declining No places left" in sender_page


def test_progress_and_completion_with_an_outcome_note(referrable, team_a, team_b, ngo_a, ngo_b):
    referral = _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    with schema_context(_schema(ngo_b)):
        services.referral_accept(
            actor=team_b["supervisor"].user,
            referral_uuid=referral.uuid,
            assign_to_id=team_b["worker"].user.pk,
        )
    client = _client(team_b["supervisor"])
    base = f"/referrals/{referral.uuid}/"
    token = _token(client.get(base))
    assert client.post(base + "progress/", {"form_token": token}).status_code == 302
    page = client.get(base)
    no_outcome = client.post(base + "complete/", {"form_token": _token(page)})
    assert no_outcome.status_code == 400
    assert "This field is required." in _text(no_outcome)
    done = client.post(
        base + "complete/",
        {"form_token": _token(page), "complete-outcome_note": "Six sessions, back in school"},
    )
    assert done.status_code == 302
    assert _referrals(ngo_b) == [("incoming", "completed")]
    _drain(ngo_b)
    sender_page = _text(_client(team_a["worker"]).get(base))
    assert "Outcome Six sessions, back in school" in sender_page
    assert "Completed" in sender_page


def test_a_note_over_2000_characters_is_a_field_error_not_cut(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """A progress note longer than 2,000 characters is refused on its field; the state and the
    history stay as they were (nothing is saved cut short)."""
    referral = _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    with schema_context(_schema(ngo_b)):
        services.referral_accept(
            actor=team_b["supervisor"].user,
            referral_uuid=referral.uuid,
            assign_to_id=team_b["worker"].user.pk,
        )
        events_before = ReferralEvent.objects.count()
    client = _client(team_b["supervisor"])
    base = f"/referrals/{referral.uuid}/"
    token = _token(client.get(base))
    refused = client.post(base + "progress/", {"form_token": token, "progress-note": "x" * 2001})
    assert refused.status_code == 400
    assert "2000" in _text(refused).replace(",", "").replace(".", "")
    assert _referrals(ngo_b) == [("incoming", "accepted")]
    with schema_context(_schema(ngo_b)):
        assert ReferralEvent.objects.count() == events_before


def test_the_receivers_page_is_not_the_senders_ngo_c_sees_nothing(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """The sender cannot act as the receiver: accept on A's host is not offered (409)."""
    referral = _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    client = _client(team_a["supervisor"])
    response = client.post(f"/referrals/{referral.uuid}/accept/", {"form_token": str(uuid.uuid4())})
    assert response.status_code == 409
    assert _referrals(ngo_a) == [("outgoing", "sent")]
    assert _referrals(ngo_b) == [("incoming", "sent")]


# --- Casework's hooks and query counts --------------------------------------------------------


def test_casework_pages_show_nothing_of_the_network_without_the_hooks(
    referrable, team_a, ngo_a, settings
):
    """The case page, the home page and the navigation get the network's panels only through
    settings: with the lists empty they render without them (casework imports no network)."""
    _send(referrable, team_a, ngo_a)
    client = _client(team_a["worker"])
    case_path = f"/cases/{referrable.case.pk}/"
    assert b'id="case-referrals-title"' in client.get(case_path).content
    settings.CASE_PAGE_PANELS = []
    settings.HOME_PAGE_PANELS = []
    settings.CASEWORK_NAV_ITEMS = []
    case_page = client.get(case_path)
    home = client.get("/")
    assert (case_page.status_code, home.status_code) == (200, 200)
    assert b"/refer/" not in case_page.content
    assert b'id="referrals-title"' not in home.content
    assert b'href="/referrals/"' not in home.content


def _incoming(referrable, count: int):
    from django.utils import timezone

    network = referrable.network
    now = timezone.now()
    return [
        Referral(
            direction=Referral.Direction.INCOMING,
            from_agency_uuid=network.agency_a.uuid,
            to_agency_uuid=network.agency_b.uuid,
            agreement_uuid=referrable.agreement.uuid,
            counterpart_name=network.agency_a.name,
            service_type="counselling",
            state_changed_at=now,
            sent_at=now,
            response_due_on=clock.today() - timedelta(days=index % 2),
        )
        for index in range(count)
    ]


def test_the_lists_queries_do_not_grow_with_the_rows(
    referrable, team_a, team_b, ngo_a, ngo_b, django_assert_max_num_queries
):
    """One or twenty-five referrals per page: the same number of queries (inbox and sent)."""
    inbox_client = _client(team_b["worker"])
    sent_client = _client(team_a["worker"])
    with schema_context(_schema(ngo_b)):
        Referral.objects.bulk_create(_incoming(referrable, 1))
    _send(referrable, team_a, ngo_a)
    with CaptureQueriesContext(connection) as one_in:
        assert inbox_client.get("/referrals/").status_code == 200
    with CaptureQueriesContext(connection) as one_out:
        assert sent_client.get("/referrals/sent/").status_code == 200
    with schema_context(_schema(ngo_b)):
        Referral.objects.bulk_create(_incoming(referrable, 29))
    with schema_context(_schema(ngo_a)):
        rows = []
        for row in _incoming(referrable, 29):
            row.direction = Referral.Direction.OUTGOING
            row.case_id = referrable.case.pk
            rows.append(row)
        Referral.objects.bulk_create(rows)
    with django_assert_max_num_queries(len(one_in)):
        page = inbox_client.get("/referrals/")
    assert "30 referrals" in _text(page)
    assert page.content.decode().count('class="badge risk-high">overdue<') == 12  # of 25 shown
    with django_assert_max_num_queries(len(one_out)):
        page = sent_client.get("/referrals/sent/")
    assert "30 referrals" in _text(page)


def test_the_accepted_case_is_a_link_only_for_those_who_may_open_it(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """The receiver's case is held by the worker it was given to: another case worker of the
    receiving NGO reads its reference and who holds it, not a link to a page they cannot open."""
    from django.contrib.auth import get_user_model

    from casework.models import StaffProfile
    from tests.casework.conftest import Staff

    referral = _send(referrable, team_a, ngo_a)
    _drain(ngo_a)
    with schema_context(_schema(ngo_b)):
        accepted = services.referral_accept(
            actor=team_b["worker"].user, referral_uuid=referral.uuid
        )
        colleague = get_user_model().objects.create_user(username="rekan-b", password="x")
        StaffProfile.objects.create(user=colleague, role=StaffProfile.Role.CASE_WORKER)
    path = f"/referrals/{referral.uuid}/"
    case_link = f'href="/cases/{accepted.case_id}/"'
    holder = _client(team_b["worker"]).get(path)
    other = _client(Staff(colleague, team_b["worker"].host, "")).get(path)
    assert (holder.status_code, other.status_code) == (200, 200)
    assert case_link in holder.content.decode()
    assert case_link not in other.content.decode()
    assert "held by worker-b" in _text(other)
