"""The receiving NGO opens and accepts a referral: one case from exactly the agreed fields, the
sender's consent carried over, the payload purged, and each step back in the sender's timeline."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation
from django_tenants.utils import schema_context

from casework.models import AuditEvent, Case, Child, Consent, Household, Note
from core import clock
from core.errors import ConflictError, InvalidTransitionError, NotFoundError
from network.models import ReferralEnvelope
from network.referrals import selectors, services
from network.referrals.delivery import outbox_drain
from network.referrals.models import Referral
from tests.support import host_client

pytestmark = pytest.mark.django_db

REASON = "Needs counselling after leaving work at the harbour"


@pytest.fixture(autouse=True)
def _english():
    """Exact strings: the tests read what the services write in English."""
    with translation.override("en"):
        yield


def _send(referrable, team_a, ngo_a, **overrides):
    values = {
        "actor": team_a["worker"].user,
        "case_id": referrable.case.pk,
        "to_agency_uuid": referrable.network.agency_b.uuid,
        "service_type": "counselling",
        "reason": REASON,
    }
    values.update(overrides)
    with schema_context(ngo_a.ngo.schema_name):
        return services.referral_send(**values)


def _drain(ngo) -> int:
    with schema_context(ngo.ngo.schema_name):
        return outbox_drain()


def _received(referrable, team_a, ngo_a, **overrides):
    """A referral sent by NGO A and delivered to NGO B's inbox."""
    referral = _send(referrable, team_a, ngo_a, **overrides)
    assert _drain(ngo_a) == 1
    return referral


def _vocational_agreement(network, fields):
    from network import services as network_services

    agreement = network_services.agreement_create(
        actor=network.coordinator,
        consortium=network.consortium,
        first_agency_uuid=network.agency_a.uuid,
        second_agency_uuid=network.agency_b.uuid,
        service_types=["vocational"],
        shared_fields=fields,
        valid_from=clock.today(),
    )
    network_services.agreement_activate(
        actor=network.coordinator,
        agreement_uuid=agreement.uuid,
        mou=SimpleUploadedFile("mou.pdf", b"%PDF-1.4 signed", content_type="application/pdf"),
    )
    return agreement


def _case_record(case: Case) -> dict:
    """Everything about the child the new case holds (child, household, case, notes)."""
    child = Child.objects.get(pk=case.child_id)
    household = Household.objects.filter(pk=child.household_id).first()
    return {
        "child": {
            "full_name": child.full_name,
            "known_as": child.known_as,
            "sex": child.sex,
            "date_of_birth": child.date_of_birth,
            "birth_year": child.birth_year,
            "birth_year_estimated": child.birth_year_estimated,
            "nik": (child.nik_encrypted, child.nik_hash, child.nik_last4),
            "school_status": child.school_status,
            "last_grade": child.last_grade,
        },
        "household": household
        and {
            "guardian_name": household.guardian_name,
            "guardian_relationship": household.guardian_relationship,
            "guardian_phone": household.guardian_phone,
            "province_code": household.province_code,
            "regency_code": household.regency_code,
            "district": household.district,
            "village": household.village,
            "address_line": household.address_line,
            "head_of_household": household.head_of_household,
        },
        "case": {
            "status": case.status,
            "risk_level": case.risk_level,
            "province_code": case.province_code,
            "regency_code": case.regency_code,
        },
        "notes": list(Note.objects.filter(case=case).values_list("body", flat=True)),
    }


# Where each shared field lands in the receiver's case (see _case_record).
FIELD_PLACES = {
    "full_name": {("child", "full_name")},
    # The known-as name is the full name too when the full name is not shared.
    "known_as": {("child", "known_as"), ("child", "full_name")},
    "sex": {("child", "sex")},
    "age": {("child", "birth_year"), ("child", "birth_year_estimated")},
    "date_of_birth": {
        ("child", "date_of_birth"),
        ("child", "birth_year"),
        ("child", "birth_year_estimated"),
    },
    "village": {
        ("household", "province_code"),
        ("household", "regency_code"),
        ("household", "district"),
        ("household", "village"),
        ("case", "province_code"),
        ("case", "regency_code"),
    },
    "guardian": {
        ("household", "guardian_name"),
        ("household", "guardian_relationship"),
        ("household", "guardian_phone"),
    },
    "school_status": {("child", "school_status"), ("child", "last_grade")},
    "risk_level": {("case", "risk_level")},
    "reason": {("notes", None)},
}
EMPTY = {
    ("child", "full_name"): "NN",
    ("child", "known_as"): "",
    ("child", "date_of_birth"): None,
    ("child", "nik"): ("", "", ""),
    ("child", "school_status"): "unknown",
    ("child", "last_grade"): None,
    ("case", "status"): "identified",
    ("case", "risk_level"): "",
    ("case", "province_code"): "",
    ("case", "regency_code"): "",
    ("household", "address_line"): "",
    ("household", "head_of_household"): "",
    ("household", "guardian_name"): "",
    ("household", "guardian_relationship"): "",
    ("household", "guardian_phone"): "",
    ("household", "province_code"): "",
    ("household", "regency_code"): "",
    ("household", "district"): "",
    ("household", "village"): "",
}


def _filled_places(record: dict) -> set:
    """The places of the record that hold something other than the empty value."""
    filled = set()
    for section in ("child", "household", "case"):
        for name, value in (record[section] or {}).items():
            if EMPTY.get((section, name), object()) != value:
                filled.add((section, name))
    if record["notes"]:
        filled.add(("notes", None))
    return filled


def _places_of(fields) -> set:
    return set().union(*(FIELD_PLACES[name] for name in fields))


AGREEMENTS = {
    "counselling": ["full_name", "age", "sex", "reason"],
    "vocational": ["known_as", "sex", "date_of_birth", "village", "guardian", "school_status"]
    + ["risk_level"],
}


@pytest.mark.parametrize("service", ["counselling", "vocational"])
def test_accept_creates_one_case_with_exactly_the_agreed_fields(
    referrable, team_a, team_b, ngo_a, ngo_b, service
):
    """Two agreements with different field lists: each accepted case holds exactly what its
    agreement shares, every other place empty (no NIK, no guardian, no school unless shared)."""
    network = referrable.network
    fields = AGREEMENTS[service]
    if service == "vocational":
        _vocational_agreement(network, fields)
        with schema_context(ngo_a.ngo.schema_name):
            Child.objects.filter(pk=referrable.case.child_id).update(known_as="Dewi")
            Case.objects.filter(pk=referrable.case.pk).update(risk_level="high")
    referral = _received(referrable, team_a, ngo_a, service_type=service)
    worker_b = team_b["worker"].user
    with schema_context(ngo_b.ngo.schema_name):
        before = Case.objects.count()
        opened = services.referral_open(actor=worker_b, referral_uuid=referral.uuid)
        assert sorted(opened.fields) == sorted(fields)
        accepted = services.referral_accept(actor=worker_b, referral_uuid=referral.uuid)
        assert Case.objects.count() == before + 1
        case = Case.objects.get(pk=accepted.case_id)
        assert (accepted.state, case.assigned_worker_id) == ("accepted", worker_b.pk)
        record = _case_record(case)
    # Nothing outside the agreed fields' places is filled, and every agreed field is there.
    filled = _filled_places(record)
    assert filled <= _places_of(fields)
    assert [name for name in fields if not FIELD_PLACES[name] & filled] == []
    year = clock.today().year - 13
    if service == "counselling":
        assert record == {
            "child": {
                "full_name": "Dewi Lestari",
                "known_as": "",
                "sex": "female",
                "date_of_birth": None,
                "birth_year": year,
                "birth_year_estimated": True,
                "nik": ("", "", ""),
                "school_status": "unknown",
                "last_grade": None,
            },
            "household": None,
            "case": {"status": "identified", "risk_level": "", "province_code": ""}
            | {"regency_code": ""},
            "notes": [
                "Shared by Yayasan Anak Sejahtera with the referral:\n"
                f"Reason for referral: {REASON}"
            ],
        }
    else:
        assert record == {
            "child": {
                "full_name": "Dewi",
                "known_as": "Dewi",
                "sex": "female",
                "date_of_birth": None,
                "birth_year": year,
                "birth_year_estimated": True,
                "nik": ("", "", ""),
                "school_status": "dropped_out",
                "last_grade": None,
            },
            "household": {
                "guardian_name": "Ibu Lestari",
                "guardian_relationship": "mother",
                "guardian_phone": "081234567890",
                "province_code": "33",
                "regency_code": "33.74",
                "district": "",
                "village": "Tanjung Mas",
                "address_line": "",
                "head_of_household": "",
            },
            "case": {"status": "identified", "risk_level": "high", "province_code": "33"}
            | {"regency_code": "33.74"},
            "notes": [],
        }


def test_accept_carries_the_senders_consent_over_for_reconfirmation(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """The new case's child has one consent, carried over from the sender (agency, date,
    scope), that does not count until reconfirmed; reconfirming registers the case."""
    from casework import services as casework_services

    referral = _received(referrable, team_a, ngo_a)
    worker_b = team_b["worker"].user
    with schema_context(ngo_b.ngo.schema_name):
        accepted = services.referral_accept(actor=worker_b, referral_uuid=referral.uuid)
        consent = Consent.objects.get(child__cases=accepted.case_id)
        assert (
            consent.carried_over_from_name,
            consent.carried_over_from_uuid,
            consent.consented_on,
            consent.scope_record_keeping,
            consent.scope_referral_sharing,
            consent.scope_photos,
            consent.guardian_name,
            consent.reconfirmed_on,
        ) == (
            "Yayasan Anak Sejahtera",
            referrable.network.agency_a.uuid,
            clock.today(),
            True,
            True,
            False,
            "",
            None,
        )
        assert (consent.awaiting_reconfirmation, consent.is_active) == (True, False)
        client = host_client(ngo_b.host)
        client.force_login(worker_b)
        client.cookies["terpadu_language"] = "en"
        page = client.get(f"/cases/{accepted.case_id}/").content.decode()
        assert (
            "carried over from Yayasan Anak Sejahtera, to reconfirm with the guardian at first "
            "contact"
        ) in page
        casework_services.consent_reconfirm(
            actor=worker_b,
            consent_id=consent.pk,
            guardian_name="Ibu Lestari",
            guardian_relationship="mother",
            child_assented=True,
            reconfirmed_on=clock.today(),
        )
        consent.refresh_from_db()
        assert (consent.is_active, consent.reconfirmed_by_id) == (True, worker_b.pk)
        assert Case.objects.get(pk=accepted.case_id).status == "registered"


def test_the_receiver_reconfirms_the_carried_over_consent_from_the_case_page(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """The case page links a carried-over consent to its reconfirmation form; a missing
    guardian name is a field error that changes nothing; the filled form makes the consent
    count and registers the case, and the link is gone."""
    referral = _received(referrable, team_a, ngo_a)
    worker_b = team_b["worker"].user
    with schema_context(ngo_b.ngo.schema_name):
        accepted = services.referral_accept(actor=worker_b, referral_uuid=referral.uuid)
        consent = Consent.objects.get(child__cases=accepted.case_id)
        client = host_client(ngo_b.host)
        client.force_login(worker_b)
        client.cookies["terpadu_language"] = "en"
        case_path = f"/cases/{accepted.case_id}/"
        path = f"{case_path}consent/{consent.pk}/reconfirm/"
        page = client.get(case_path).content.decode()
        assert f'href="{path}"' in page
        start = page.index('id="consents"')
        consents = page[start : page.index("</ul>", start)]
        # Read as what it is, not as an incomplete consent with an empty guardian.
        assert "carried over from Yayasan" in consents
        assert "to reconfirm with the guardian at first contact" in consents
        assert "()" not in consents
        assert "incomplete" not in consents
        form = client.get(path)
        assert form.status_code == 200
        token = form.context["form_token"]
        body = {
            "form_token": token,
            "guardian_name": "",
            "guardian_relationship": "mother",
            "child_assented": "on",
            "reconfirmed_on": clock.today().isoformat(),
        }
        refused = client.post(path, body)
        assert refused.status_code == 400
        assert refused.context["form"].errors["guardian_name"] == ["This field is required."]
        consent.refresh_from_db()
        assert (consent.is_active, consent.reconfirmed_on) == (False, None)
        done = client.post(path, body | {"guardian_name": "Ibu Lestari"})
        assert (done.status_code, done["Location"]) == (302, case_path)
        consent.refresh_from_db()
        assert (consent.is_active, consent.guardian_name, consent.reconfirmed_by_id) == (
            True,
            "Ibu Lestari",
            worker_b.pk,
        )
        assert Case.objects.get(pk=accepted.case_id).status == "registered"
        assert f'href="{path}"' not in client.get(case_path).content.decode()


def test_the_payload_is_purged_once_accepted(referrable, team_a, team_b, ngo_a, ngo_b):
    """After acceptance the envelope holds no ciphertext; opening shows no fields (the case
    holds them) and the metadata stays for the coordinator."""
    referral = _received(referrable, team_a, ngo_a)
    assert ReferralEnvelope.objects.get().sealed_payload is not None
    worker_b = team_b["worker"].user
    with schema_context(ngo_b.ngo.schema_name):
        services.referral_accept(actor=worker_b, referral_uuid=referral.uuid)
        opened = services.referral_open(actor=worker_b, referral_uuid=referral.uuid)
    envelope = ReferralEnvelope.objects.get()
    assert (envelope.state, envelope.sealed_payload, envelope.purged_at is not None) == (
        "accepted",
        None,
        True,
    )
    assert (opened.fields, opened.referral.case_id is not None) == (None, True)


def test_opening_is_audited_as_a_view_on_each_side(referrable, team_a, team_b, ngo_a, ngo_b):
    """The receiver reads the opened payload, the sender the fields as sent; each reading is
    one 'view' event of the referral in the reader's own schema, naming the fields."""
    referral = _received(referrable, team_a, ngo_a)
    with schema_context(ngo_b.ngo.schema_name):
        opened = services.referral_open(actor=team_b["worker"].user, referral_uuid=referral.uuid)
        events = list(
            AuditEvent.objects.filter(action="view", object_type="referral").values_list(
                "actor_id", "object_id", "details"
            )
        )
    assert opened.fields == referral.shared_data
    assert events == [
        (
            team_b["worker"].user.pk,
            str(referral.uuid),
            {"direction": "incoming", "fields": ["age", "full_name", "reason", "sex"]},
        )
    ]
    with schema_context(ngo_a.ngo.schema_name):
        mine = services.referral_open(actor=team_a["worker"].user, referral_uuid=referral.uuid)
        assert mine.fields == referral.shared_data
        assert AuditEvent.objects.filter(
            action="view", object_type="referral", object_id=str(referral.uuid)
        ).values_list("actor_id", "case_id").get() == (team_a["worker"].user.pk, referral.case_id)


def test_accepting_is_audited_in_the_receivers_schema(referrable, team_a, team_b, ngo_a, ngo_b):
    """Accepting writes the referral's state change and the new records' creation events."""
    referral = _received(referrable, team_a, ngo_a)
    with schema_context(ngo_b.ngo.schema_name):
        accepted = services.referral_accept(
            actor=team_b["worker"].user, referral_uuid=referral.uuid
        )
        transition = AuditEvent.objects.get(object_type="referral", action="transition")
        created = sorted(
            AuditEvent.objects.filter(action="create", case_id=accepted.case_id).values_list(
                "object_type", flat=True
            )
        )
        consent = Consent.objects.get(child__cases=accepted.case_id)
        consent_events = AuditEvent.objects.filter(
            action="create", object_type="consent", object_id=str(consent.pk)
        ).count()
    assert (transition.case_id, transition.changed_fields) == (
        accepted.case_id,
        {"state": ["sent", "accepted"]},
    )
    assert (created, consent_events) == (["case", "child", "note"], 1)


def test_another_ngo_cannot_open_or_accept(referrable, team_a, team_b, ngo_a, ngo_b):
    """The sender has no incoming referral to accept, and a third NGO of the consortium has no
    such referral at all: both get "not found", and nothing changes anywhere."""
    from django.contrib.auth import get_user_model

    from casework.models import StaffProfile
    from tenants.services import ngo_provision

    referral = _received(referrable, team_a, ngo_a)
    with schema_context(ngo_a.ngo.schema_name):
        with pytest.raises(NotFoundError):
            services.referral_accept(actor=team_a["supervisor"].user, referral_uuid=referral.uuid)
    third = ngo_provision(
        actor=None,
        consortium=referrable.network.consortium,
        slug="ketiga-c",
        name="Yayasan Ketiga",
        admin_email="admin@ketiga.example.org",
    ).ngo
    with schema_context(third.schema_name):
        user = get_user_model().objects.create_user(username="sup-c", password="x-Sup-c-1!")
        StaffProfile.objects.create(user=user, role=StaffProfile.Role.SUPERVISOR)
        for call in (services.referral_open, services.referral_accept, selectors.referral_detail):
            with pytest.raises(NotFoundError):
                call(actor=user, referral_uuid=referral.uuid)
        assert not Case.objects.exists()
        assert not AuditEvent.objects.filter(object_type="referral").exists()
    connection.set_schema_to_public()
    envelope = ReferralEnvelope.objects.get()
    assert (envelope.state, envelope.sealed_payload is not None) == ("sent", True)
    with schema_context(ngo_b.ngo.schema_name):
        assert Referral.objects.get().state == "sent"


def test_an_me_officer_cannot_open_a_referral(referrable, team_a, ngo_a):
    """Roles that do not work on cases are refused and leave no view event."""
    from core.errors import PermissionDeniedError

    referral = _send(referrable, team_a, ngo_a)
    with schema_context(ngo_a.ngo.schema_name):
        with pytest.raises(PermissionDeniedError):
            services.referral_open(actor=team_a["me"].user, referral_uuid=referral.uuid)
        assert not AuditEvent.objects.filter(action="view", object_type="referral").exists()


def test_a_case_worker_cannot_open_another_workers_outgoing_referral(referrable, team_a, ngo_a):
    """An outgoing referral is seen by whoever sees its case: another worker gets not found."""
    referral = _send(referrable, team_a, ngo_a)
    with schema_context(ngo_a.ngo.schema_name):
        with pytest.raises(NotFoundError):
            services.referral_open(actor=team_a["other_worker"].user, referral_uuid=referral.uuid)


def test_each_step_reaches_the_sender_and_its_case_timeline(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """Accepted, in progress, completed: each flows back through the outbox; the sender sees the
    same state and its case page lists every step in time order."""
    from casework.views.case import _timeline

    referral = _received(referrable, team_a, ngo_a)
    worker_b = team_b["worker"].user
    with schema_context(ngo_b.ngo.schema_name):
        services.referral_accept(actor=worker_b, referral_uuid=referral.uuid)
    assert _drain(ngo_b) == 1
    with schema_context(ngo_a.ngo.schema_name):
        assert Referral.objects.get(uuid=referral.uuid).state == "accepted"
    with schema_context(ngo_b.ngo.schema_name):
        services.referral_progress(actor=worker_b, referral_uuid=referral.uuid, note="First talk")
        services.referral_complete(
            actor=worker_b, referral_uuid=referral.uuid, outcome_note="Back in school"
        )
    assert _drain(ngo_b) == 2
    envelope = ReferralEnvelope.objects.get()
    with schema_context(ngo_a.ngo.schema_name):
        mine = Referral.objects.get(uuid=referral.uuid)
        assert (mine.state, mine.outcome_note, envelope.state) == (
            "completed",
            "Back in school",
            "completed",
        )
        entries = selectors.case_referral_entries(case_id=referrable.case.pk)
        assert [(entry.state, entry.note, entry.counterpart) for entry in entries] == [
            ("sent", "", "Lembaga Peduli Anak"),
            ("accepted", "", "Lembaga Peduli Anak"),
            ("in_progress", "First talk", "Lembaga Peduli Anak"),
            ("completed", "Back in school", "Lembaga Peduli Anak"),
        ]
        assert [entry.at for entry in entries] == sorted(entry.at for entry in entries)
        # Each change that arrived is in the sender's own audit trail, by the other agency.
        arrived = AuditEvent.objects.filter(
            object_type="referral", details__via="referral_delivery"
        ).order_by("id")
        assert [(e.actor_username, e.changed_fields, e.case_id) for e in arrived] == [
            ("Lembaga Peduli Anak", {"state": [before, after]}, referrable.case.pk)
            for before, after in (
                ("sent", "accepted"),
                ("accepted", "in_progress"),
                ("in_progress", "completed"),
            )
        ]
        case = Case.objects.get(pk=referrable.case.pk)
        titles = [item["obj"].title for item in _timeline(case) if item["kind"] == "external"]
        assert titles == [
            "Referral to Lembaga Peduli Anak: Completed",
            "Referral to Lembaga Peduli Anak: In progress",
            "Referral to Lembaga Peduli Anak: Accepted",
            "Referral to Lembaga Peduli Anak: Sent",
        ]
        client = host_client(ngo_a.host)
        client.force_login(team_a["worker"].user)
        client.cookies["terpadu_language"] = "en"
        page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    positions = [text.index(title) for title in titles]
    assert positions == sorted(positions)
    assert "Back in school" in text


def test_two_accepts_of_one_referral_in_one_ngo_are_refused_after_the_first(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """The second accept is a conflict naming the state, and creates nothing."""
    referral = _received(referrable, team_a, ngo_a)
    with schema_context(ngo_b.ngo.schema_name):
        services.referral_accept(actor=team_b["worker"].user, referral_uuid=referral.uuid)
        count = Case.objects.count()
        with pytest.raises(ConflictError) as caught:
            services.referral_accept(actor=team_b["supervisor"].user, referral_uuid=referral.uuid)
        assert (caught.value.code, caught.value.status_code) == ("already_accepted", 409)
        assert Case.objects.count() == count


def test_accepting_after_the_sender_withdrew_names_the_allowed_states(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """Withdrawn on the envelope before the receiver heard of it: accepting is an invalid
    transition (nothing allowed after withdrawn) and creates no case."""
    referral = _received(referrable, team_a, ngo_a)
    with schema_context(ngo_a.ngo.schema_name):
        services.referral_withdraw(actor=team_a["worker"].user, referral_uuid=referral.uuid)
    with schema_context(ngo_b.ngo.schema_name):
        count = Case.objects.count()
        assert Referral.objects.get().state == "sent"  # the withdrawal is not delivered yet
        with pytest.raises(InvalidTransitionError) as caught:
            services.referral_accept(actor=team_b["worker"].user, referral_uuid=referral.uuid)
        assert Case.objects.count() == count
    assert (caught.value.current, caught.value.allowed) == ("withdrawn", [])


def test_invalid_transitions_after_acceptance_name_the_allowed_states(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """Accepted allows only in progress: declining or completing says so."""
    referral = _received(referrable, team_a, ngo_a)
    worker_b = team_b["worker"].user
    with schema_context(ngo_b.ngo.schema_name):
        services.referral_accept(actor=worker_b, referral_uuid=referral.uuid)
        with pytest.raises(InvalidTransitionError) as declined:
            services.referral_decline(actor=worker_b, referral_uuid=referral.uuid, reason="No")
        with pytest.raises(InvalidTransitionError) as completed:
            services.referral_complete(
                actor=worker_b, referral_uuid=referral.uuid, outcome_note="done"
            )
        assert Referral.objects.get().state == "accepted"
    assert declined.value.allowed == completed.value.allowed == ["in_progress"]
    assert declined.value.fields["status"] == ["Allowed next states: In progress."]


def test_a_child_is_referred_again_after_completion(referrable, team_a, team_b, ngo_a, ngo_b):
    """Once the receiver completes, the sender may refer the child to it again for the same
    service, and the receiver accepts the new referral as another case."""
    referral = _received(referrable, team_a, ngo_a)
    worker_b = team_b["worker"].user
    with schema_context(ngo_b.ngo.schema_name):
        first = services.referral_accept(actor=worker_b, referral_uuid=referral.uuid)
        services.referral_progress(actor=worker_b, referral_uuid=referral.uuid)
        services.referral_complete(actor=worker_b, referral_uuid=referral.uuid, outcome_note="ok")
    _drain(ngo_b)
    again = _received(referrable, team_a, ngo_a, reason="Needs more counselling")
    with schema_context(ngo_b.ngo.schema_name):
        second = services.referral_accept(actor=worker_b, referral_uuid=again.uuid)
        assert second.case_id != first.case_id
        assert Case.objects.filter(pk__in=[first.case_id, second.case_id]).count() == 2


def test_a_child_is_referred_again_after_a_decline_and_then_accepted(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """Declined first, referred again, accepted the second time: one case."""
    referral = _received(referrable, team_a, ngo_a)
    with schema_context(ngo_b.ngo.schema_name):
        services.referral_decline(
            actor=team_b["supervisor"].user, referral_uuid=referral.uuid, reason="Full"
        )
    _drain(ngo_b)
    again = _received(referrable, team_a, ngo_a, reason="A place opened")
    with schema_context(ngo_b.ngo.schema_name):
        before = Case.objects.count()
        services.referral_accept(actor=team_b["worker"].user, referral_uuid=again.uuid)
        assert Case.objects.count() == before + 1
        with pytest.raises(InvalidTransitionError):
            services.referral_accept(actor=team_b["worker"].user, referral_uuid=referral.uuid)


def test_a_supervisor_accepts_for_a_worker_and_an_admin_must_name_one(
    referrable, team_a, team_b, ngo_a, ngo_b
):
    """The supervisor gives the new case to a worker; someone who cannot hold cases must name
    the worker (field error, nothing created)."""
    from core.errors import ApplicationError

    referral = _received(referrable, team_a, ngo_a)
    with schema_context(ngo_b.ngo.schema_name):
        from django.contrib.auth import get_user_model

        admin = get_user_model().objects.get(username=ngo_b.admin_username)
        count = Case.objects.count()
        with pytest.raises(ApplicationError) as caught:
            services.referral_accept(actor=admin, referral_uuid=referral.uuid)
        assert list(caught.value.fields) == ["assign_to_id"]
        with pytest.raises(ApplicationError) as to_admin:
            services.referral_accept(
                actor=team_b["supervisor"].user, referral_uuid=referral.uuid, assign_to_id=admin.pk
            )
        assert (to_admin.value.code, list(to_admin.value.fields)) == (
            "cannot_hold_cases",
            ["assign_to_id"],
        )
        assert Case.objects.count() == count
        accepted = services.referral_accept(
            actor=team_b["supervisor"].user,
            referral_uuid=referral.uuid,
            assign_to_id=team_b["worker"].user.pk,
        )
        assert Case.objects.get(pk=accepted.case_id).assigned_worker_id == team_b["worker"].user.pk


def test_refer_options_list_agencies_with_their_fields(referrable, team_a, ngo_a):
    """The refer form offers NGO B for counselling with the agreement's exact fields and
    response time; without consent to sharing it says why referring is blocked."""
    worker = team_a["worker"].user
    with schema_context(ngo_a.ngo.schema_name):
        options = selectors.refer_options(actor=worker, case_id=referrable.case.pk)
        assert options.blocked_reason is None
        assert [
            (o.agency.name, o.service_type, o.fields, o.response_days, o.already_referred)
            for o in options.options
        ] == [
            (
                "Lembaga Peduli Anak",
                "counselling",
                [
                    ("full_name", "Full name"),
                    ("sex", "Sex"),
                    ("age", "Age (years)"),
                    ("reason", "Reason for referral"),
                ],
                7,
                False,
            )
        ]
        assert (
            selectors.refer_options(
                actor=worker, case_id=referrable.case.pk, service_type="health"
            ).options
            == []
        )
        Consent.objects.filter(child_id=referrable.case.child_id).update(
            scope_referral_sharing=False
        )
        blocked = selectors.refer_options(actor=worker, case_id=referrable.case.pk)
        assert blocked.blocked_reason == (
            "The guardian has not consented to sharing for referral: record that consent first."
        )
        Case.objects.filter(pk=referrable.case.pk).update(status="closed")
        closed = selectors.refer_options(actor=worker, case_id=referrable.case.pk)
        assert closed.blocked_reason == "This case is closed."
        with pytest.raises(NotFoundError):
            selectors.refer_options(actor=team_a["other_worker"].user, case_id=referrable.case.pk)


def test_referral_letter_renders_the_agreed_fields(referrable, team_a, ngo_a):
    """The letter names the agency, the sender, the service and each agreed field as text;
    showing it is audited as a view."""
    referral = _send(referrable, team_a, ngo_a)
    with schema_context(ngo_a.ngo.schema_name):
        letter = selectors.referral_letter(actor=team_a["worker"].user, referral_uuid=referral.uuid)
        assert AuditEvent.objects.filter(
            action="view", object_type="referral", object_id=str(referral.uuid)
        ).exists()
    assert (
        letter.agency_name,
        letter.sender_name,
        letter.service,
        letter.urgency,
        letter.due_on,
        letter.reason,
    ) == (
        "Lembaga Peduli Anak",
        "Yayasan Anak Sejahtera",
        "Counselling",
        "Normal",
        clock.today() + timedelta(days=7),
        REASON,
    )
    assert letter.fields == [
        ("Full name", "Dewi Lestari"),
        ("Sex", "Female"),
        ("Age (years)", "13 years"),
    ]


def test_referral_detail_loads_the_history(referrable, team_a, team_b, ngo_a, ngo_b):
    """Either side reads the referral with its events in order, in a fixed number of queries."""
    referral = _received(referrable, team_a, ngo_a)
    with schema_context(ngo_b.ngo.schema_name):
        services.referral_accept(actor=team_b["worker"].user, referral_uuid=referral.uuid)
        detail = selectors.referral_detail(actor=team_b["worker"].user, referral_uuid=referral.uuid)
        assert [event.state for event in detail.events.all()] == ["sent", "accepted"]
        assert detail.case.reference.startswith(str(clock.today().year))


def test_a_village_without_a_guardian_makes_a_household_whose_guardian_is_named_later(
    team_b, ngo_b
):
    """Shared village, no guardian: the new child's household has the address and a blank
    guardian (named at first contact); nothing else is filled."""
    from casework import services as casework_services
    from network.referrals.payload import intake_from_payload

    values = {
        "sex": "male",
        "age": 11,
        "village": {
            "province_code": "33",
            "regency_code": "33.74",
            "district": "Semarang Utara",
            "village": "Bandarharjo",
        },
        "guardian": {"name": "Not agreed", "relationship": "father", "phone": "0812"},
    }
    intake = intake_from_payload(values, shared_fields=["sex", "age", "village"], sender_name="A")
    assert (intake.household.guardian_unknown, intake.note, intake.child.full_name) == (
        True,
        "",
        "NN",
    )
    with schema_context(ngo_b.ngo.schema_name):
        case = casework_services.child_register(
            actor=team_b["worker"].user, child=intake.child, household=intake.household
        )
        record = _case_record(case)
    assert record["household"] == {
        "guardian_name": "",
        "guardian_relationship": "",
        "guardian_phone": "",
        "province_code": "33",
        "regency_code": "33.74",
        "district": "Semarang Utara",
        "village": "Bandarharjo",
        "address_line": "",
        "head_of_household": "",
    }
    assert _filled_places(record) <= _places_of(["sex", "age", "village"])


@pytest.mark.parametrize(
    ("fields", "missing"), [(["full_name", "age"], "sex"), (["full_name", "sex"], "age")]
)
def test_a_payload_without_sex_or_age_cannot_make_a_case(fields, missing):
    """A case needs the child's sex and age: without them accepting says which is missing."""
    from core.errors import ApplicationError
    from network.referrals.payload import intake_from_payload

    values = {"full_name": "Budi", "age": 12, "sex": "male"}
    with pytest.raises(ApplicationError) as caught:
        intake_from_payload(values, shared_fields=fields, sender_name="A")
    assert (caught.value.code, list(caught.value.fields)) == ("not_enough_shared", [missing])


def test_only_a_carried_over_consent_can_be_reconfirmed(referrable, team_a, ngo_a):
    """Reconfirming the sender's own consent (not carried over) is refused and changes nothing."""
    from casework import services as casework_services
    from core.errors import ApplicationError

    with schema_context(ngo_a.ngo.schema_name):
        consent = Consent.objects.get(child_id=referrable.case.child_id)
        with pytest.raises(ApplicationError) as caught:
            casework_services.consent_reconfirm(
                actor=team_a["worker"].user,
                consent_id=consent.pk,
                guardian_name="Ibu Lestari",
                guardian_relationship="mother",
                child_assented=True,
                reconfirmed_on=clock.today(),
            )
        assert caught.value.code == "not_awaiting_reconfirmation"
        assert Consent.objects.get(pk=consent.pk).reconfirmed_on is None
