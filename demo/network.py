"""The demo consortium's network: its partner NGOs in the directory with their keys, outside
agencies of several kinds, referral agreements (active, plus one draft, one revoked and one
expired) and referrals in every state, one overdue and some to outside agencies.

Everything goes through the real services: a referral is sent by the case's worker, delivered by
draining the sender's outbox synchronously (as the on-commit task would), then accepted,
declined, withdrawn, progressed and completed by the other side and drained back. The partner
NGOs' directory entries list no region: they take children referred from anywhere in the
consortium (families move between provinces for work), so any consented child can be referred
A -> B by hand in the demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from core import clock
from tenants.db import connection
from tenants.models import NGO, Consortium

# Demo NGO slugs (demo.seed.DEMO_NGOS), shortened for the tables below.
HARAPAN, PELITA, SANGGAR = "yayasan-harapan", "lembaga-pelita", "sanggar-anak"

# What each partner NGO offers in the directory.
PARTNER_SERVICES = {
    HARAPAN: ["counselling", "school_return", "tutoring", "family_economic", "health"],
    PELITA: ["counselling", "vocational", "non_formal", "school_return"],
    SANGGAR: ["counselling", "family_economic", "advocacy_legal", "school_return"],
}

BASIC_FIELDS = ["full_name", "known_as", "sex", "age", "village", "guardian", "reason"]


@dataclass(frozen=True)
class OutsideAgency:
    key: str
    kind: str
    name: str
    services: tuple[str, ...]
    province: str  # the province code; `regencies` empty = the whole province
    regencies: tuple[str, ...] = ()  # regency names (casework.regions) it serves
    contact: str = ""
    phone: str = ""


OUTSIDE_AGENCIES = (
    OutsideAgency(
        "puskesmas-bandarharjo",
        "puskesmas",
        "Puskesmas Bandarharjo",
        ("health",),
        "33",
        ("Kota Semarang",),
        "dr. Wulan Sari",
        "+62 24 3541234",
    ),
    OutsideAgency(
        "lbh-semarang",
        "legal_aid",
        "LBH Semarang",
        ("advocacy_legal",),
        "33",
        (),
        "Andi Prasetyo, S.H.",
        "+62 24 8312345",
    ),
    OutsideAgency(
        "dinsos-semarang",
        "social_affairs",
        "Dinas Sosial Kota Semarang",
        ("family_economic", "advocacy_legal"),
        "33",
        ("Kota Semarang",),
        "Bidang Rehabilitasi Sosial",
        "+62 24 3515871",
    ),
    OutsideAgency(
        "pkbm-medan",
        "pkbm",
        "PKBM Tunas Bangsa Medan",
        ("non_formal", "school_return"),
        "12",
        ("Kota Medan", "Kabupaten Batu Bara"),
        "Ibu Rosmawati",
        "+62 61 6612345",
    ),
    OutsideAgency(
        "blk-medan",
        "vocational_centre",
        "UPT Balai Latihan Kerja Medan",
        ("vocational",),
        "12",
        ("Kota Medan",),
        "Seksi Pelatihan",
        "+62 61 8451234",
    ),
    OutsideAgency(
        "puskesmas-belawan",
        "puskesmas",
        "Puskesmas Belawan",
        ("health",),
        "12",
        ("Kota Medan",),
        "dr. Hotma Simanjuntak",
        "+62 61 6941234",
    ),
    OutsideAgency(
        "dinsos-ntb",
        "social_affairs",
        "Dinas Sosial Provinsi NTB",
        ("family_economic",),
        "52",
        (),
        "Bidang Perlindungan Jaminan Sosial",
        "+62 370 621234",
    ),
    OutsideAgency(
        "uppa-lombok-timur",
        "police_uppa",
        "Unit PPA Polres Lombok Timur",
        ("advocacy_legal",),
        "52",
        ("Kabupaten Lombok Timur",),
        "Ipda Baiq Nurhayati",
        "+62 376 21110",
    ),
)


@dataclass(frozen=True)
class Agreement:
    first: str  # an NGO slug or an outside agency key
    second: str
    services: tuple[str, ...]
    status: str = "active"  # active, draft, revoked or expired
    both_ways: bool = True
    fields: tuple[str, ...] = tuple(BASIC_FIELDS)
    response_days: int = 7


AGREEMENTS = (
    Agreement(HARAPAN, PELITA, ("counselling", "vocational", "school_return", "non_formal")),
    Agreement(HARAPAN, SANGGAR, ("counselling", "family_economic", "advocacy_legal")),
    Agreement(
        PELITA,
        SANGGAR,
        ("counselling", "vocational", "school_return"),
        fields=(*BASIC_FIELDS, "school_status", "risk_level"),
        response_days=5,
    ),
    Agreement(HARAPAN, "puskesmas-bandarharjo", ("health",), both_ways=False),
    Agreement(HARAPAN, "lbh-semarang", ("advocacy_legal",), both_ways=False),
    Agreement(PELITA, "pkbm-medan", ("non_formal", "school_return"), both_ways=False),
    Agreement(SANGGAR, "dinsos-ntb", ("family_economic",), both_ways=False),
    Agreement(PELITA, "blk-medan", ("vocational",), status="draft", both_ways=False),
    Agreement(SANGGAR, "uppa-lombok-timur", ("advocacy_legal",), "revoked", both_ways=False),
    Agreement(HARAPAN, "dinsos-semarang", ("family_economic",), "expired", both_ways=False),
)


@dataclass(frozen=True)
class DemoReferral:
    sender: str  # NGO slug
    receiver: str  # NGO slug or outside agency key
    service: str
    state: str  # the state it ends in
    reason: str
    overdue: bool = False
    urgency: str = "normal"


REFERRALS = (
    DemoReferral(
        HARAPAN, PELITA, "vocational", "sent", "Ingin ikut pelatihan las; keluarga pindah ke Medan"
    ),
    DemoReferral(
        HARAPAN, PELITA, "counselling", "accepted", "Keluarga pindah ke Medan, perlu pendampingan"
    ),
    DemoReferral(
        PELITA, HARAPAN, "school_return", "in_progress", "Pindah ke Semarang, mau sekolah"
    ),
    DemoReferral(SANGGAR, HARAPAN, "counselling", "completed", "Trauma setelah bekerja di tambang"),
    DemoReferral(HARAPAN, SANGGAR, "family_economic", "declined", "Ibu perlu modal usaha"),
    DemoReferral(PELITA, SANGGAR, "counselling", "withdrawn", "Rencana pindah ke Lombok"),
    DemoReferral(
        SANGGAR,
        PELITA,
        "vocational",
        "sent",
        "Remaja 16 tahun ingin pelatihan kerja",
        overdue=True,
        urgency="urgent",
    ),
    DemoReferral(HARAPAN, "puskesmas-bandarharjo", "health", "sent", "Batuk lama, perlu periksa"),
    DemoReferral(PELITA, "pkbm-medan", "non_formal", "accepted", "Putus sekolah, ikut Paket B"),
)

DECLINE_REASON = "Program modal usaha penuh sampai akhir tahun; silakan ajukan lagi bulan depan."
OUTCOME_NOTE = "Delapan sesi konseling selesai; anak kembali sekolah dan tidak bekerja lagi."


def seed_network(*, consortium: Consortium, coordinator) -> dict[str, int]:
    """Directory, agreements and referrals of the demo consortium; returns counts."""
    from network import services as network_services

    ngos = {ngo.slug: ngo for ngo in NGO.objects.filter(consortium=consortium)}
    agencies = _partners(ngos, coordinator) | _outside(consortium, coordinator)
    mou = b"%PDF-1.4\n% Terpadu demo: signed MoU (synthetic)\n"
    today = clock.today()
    for spec in AGREEMENTS:
        started = today - timedelta(days=400 if spec.status == "expired" else 120)
        with clock.as_of(started):
            agreement = network_services.agreement_create(
                actor=coordinator,
                consortium=consortium,
                first_agency_uuid=agencies[spec.first].uuid,
                second_agency_uuid=agencies[spec.second].uuid,
                service_types=list(spec.services),
                shared_fields=list(spec.fields),
                valid_from=started,
                valid_to=started + timedelta(days=365) if spec.status == "expired" else None,
                response_days=spec.response_days,
                direction="both_ways" if spec.both_ways else "one_way",
            )
            if spec.status != "draft":
                network_services.agreement_activate(
                    actor=coordinator,
                    agreement_uuid=agreement.uuid,
                    mou=SimpleUploadedFile("mou.pdf", mou, content_type="application/pdf"),
                )
        if spec.status == "revoked":
            network_services.agreement_revoke(
                actor=coordinator,
                agreement_uuid=agreement.uuid,
                reason="Unit dipindahkan; kerja sama dihentikan sementara.",
            )
    network_services.agreements_expire(today=today)
    used: set[tuple[str, int]] = set()
    for referral in REFERRALS:
        _refer(referral, ngos, agencies, used)
    connection.set_schema_to_public()
    return {"agencies": len(agencies), "agreements": len(AGREEMENTS), "referrals": len(REFERRALS)}


def _partners(ngos: dict[str, NGO], coordinator) -> dict:
    from network import services as network_services
    from network.referrals.keys import agency_key_ensure

    agencies = {}
    for slug, services in PARTNER_SERVICES.items():
        agency = network_services.partner_agency_ensure(ngo=ngos[slug])
        agency = network_services.agency_update(
            actor=coordinator,
            agency_uuid=agency.uuid,
            data=network_services.AgencyInput(
                kind=agency.kind,
                name=agency.name,
                service_types=list(services),
                contact_name=agency.contact_name,
                phone=agency.phone,
                email=agency.email,
            ),
        )
        with schema_context(ngos[slug].schema_name):
            agency_key_ensure(agency=agency)
        agencies[slug] = agency
    return agencies


def _outside(consortium: Consortium, coordinator) -> dict:
    from casework import regions
    from network import services as network_services

    agencies = {}
    for spec in OUTSIDE_AGENCIES:
        by_name = {regency.name: regency.code for regency in regions.regencies(spec.province)}
        agencies[spec.key] = network_services.agency_create(
            actor=coordinator,
            consortium=consortium,
            data=network_services.AgencyInput(
                kind=spec.kind,
                name=spec.name,
                service_types=list(spec.services),
                province_codes=[] if spec.regencies else [spec.province],
                regency_codes=[by_name[name] for name in spec.regencies],
                contact_name=spec.contact,
                phone=spec.phone,
            ),
        )
    return agencies


def _staff(local: str, slug: str):
    return get_user_model().objects.get(username=f"{local}@{slug}.test")


def _drain(ngo: NGO) -> None:
    from network.referrals.delivery import outbox_drain

    with schema_context(ngo.schema_name):
        outbox_drain()


def _case_for(spec: DemoReferral, agency, used: set[tuple[str, int]]):
    """An open case of the sender whose child consented to sharing for referral, in a regency
    the receiver serves, not referred yet in the demo."""
    from casework.models import Case
    from network.models import Agency
    from network.referrals.payload import sharing_consent
    from network.selectors import serves_region

    cases = Case.objects.filter(
        status__in=[Case.Status.ASSESSED, Case.Status.PLANNED, Case.Status.IN_SERVICE],
        assigned_worker__isnull=False,
    ).order_by("pk")
    for case in cases.select_related("assigned_worker"):
        if (spec.sender, case.pk) in used or sharing_consent(case) is None:
            continue
        if (
            case.regency_code
            and not Agency.objects.filter(serves_region(case.regency_code), pk=agency.pk).exists()
        ):
            continue
        used.add((spec.sender, case.pk))
        return case
    raise RuntimeError(f"No demo case of {spec.sender} can be referred to {agency.name}")


def _refer(spec: DemoReferral, ngos: dict[str, NGO], agencies: dict, used: set) -> None:
    from network.referrals import services

    sender = ngos[spec.sender]
    receiver = ngos.get(spec.receiver)
    agency = agencies[spec.receiver]
    with schema_context(sender.schema_name):
        case = _case_for(spec, agency, used)
        # Replayed on the simulated clock like the cases: sent three days ago (an overdue one
        # ten days ago, past its agreement's response time), answered two days ago, completed
        # yesterday, so the receiver's new case is opened in the past like every demo case.
        sent_on: date = clock.today() - timedelta(days=10 if spec.overdue else 3)
        with clock.as_of(sent_on):
            referral = services.referral_send(
                actor=case.assigned_worker,
                case_id=case.pk,
                to_agency_uuid=agency.uuid,
                service_type=spec.service,
                reason=spec.reason,
                urgency=spec.urgency,
            )
        worker = case.assigned_worker
    if receiver is None:  # an outside agency: the sender records its answers
        with schema_context(sender.schema_name):
            if spec.state != "sent":
                with clock.as_of(sent_on + timedelta(days=1)):
                    services.referral_record_response(
                        actor=worker,
                        referral_uuid=referral.uuid,
                        state=spec.state,
                        note="Dikonfirmasi lewat telepon oleh petugas.",
                    )
        return
    _drain(sender)
    if spec.state == "withdrawn":
        with schema_context(sender.schema_name):
            services.referral_withdraw(
                actor=worker, referral_uuid=referral.uuid, reason="Keluarga batal pindah."
            )
        _drain(sender)
        return
    if spec.state == "sent":
        return
    answered_on = clock.today() - timedelta(days=2)
    with schema_context(receiver.schema_name), clock.as_of(answered_on):
        supervisor = _staff("supervisor", receiver.slug)
        if spec.state == "declined":
            services.referral_decline(
                actor=supervisor, referral_uuid=referral.uuid, reason=DECLINE_REASON
            )
        else:
            services.referral_accept(
                actor=supervisor,
                referral_uuid=referral.uuid,
                assign_to_id=_staff("pekerja1", receiver.slug).pk,
            )
            if spec.state in ("in_progress", "completed"):
                services.referral_progress(
                    actor=supervisor, referral_uuid=referral.uuid, note="Sesi pertama berjalan."
                )
    if spec.state == "completed":
        with schema_context(receiver.schema_name), clock.as_of(answered_on + timedelta(days=1)):
            services.referral_complete(
                actor=_staff("supervisor", receiver.slug),
                referral_uuid=referral.uuid,
                outcome_note=OUTCOME_NOTE,
            )
    _drain(receiver)
