"""The demo consortium's capacity building: trainings the centre ran for its partner NGOs'
staff, a mentoring visit to each NGO with the actions agreed there (one overdue, some done, some
still open and on time), and each NGO's self-assessments of last year and this year.

Written through `network.capacity.services` as the coordinator, each on the day it happened
(`clock.as_of`), so every record is validated and audited as in real use. Staff names are
synthetic, like everything in the demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core import clock
from tenants.models import Consortium

# Demo NGO slugs (demo.seed.DEMO_NGOS).
HARAPAN, PELITA, SANGGAR = "yayasan-harapan", "lembaga-pelita", "sanggar-anak"


@dataclass(frozen=True)
class DemoTraining:
    days_ago: int
    topic: str
    trainer: str
    location: str
    participants: tuple[tuple[str, int, str], ...]  # (NGO slug, how many, who)


TRAININGS = (
    DemoTraining(
        200,
        "Manajemen kasus pekerja anak: asesmen dan rencana penanganan",
        "Dr. Ratna Wijayanti, M.Si.",
        "Kampus Pusat Kajian, Semarang",
        (
            (HARAPAN, 4, "Siti Aminah (pekerja sosial)\nDimas Saputra (supervisor)"),
            (PELITA, 3, "Rudi Hartono (pekerja sosial)"),
            (SANGGAR, 2, ""),
        ),
    ),
    DemoTraining(
        75,
        "Perlindungan anak dan kode etik lembaga",
        "Tim Pusat Kajian bersama UPTD PPA",
        "Daring (Zoom)",
        ((HARAPAN, 3, ""), (SANGGAR, 5, "Wayan Sudarsa (koordinator lapangan)")),
    ),
    DemoTraining(
        20,
        "Memakai Terpadu: rujukan, tindak lanjut dan angka lembaga",
        "Andreas Kurniawan",
        "Medan",
        ((PELITA, 6, "Rudi Hartono (pekerja sosial)\nMaria Sitorus (monev)"), (HARAPAN, 2, "")),
    ),
)


@dataclass(frozen=True)
class DemoAction:
    description: str
    due_in_days: int  # after the visit
    done_after_days: int | None = None  # after the visit; None: still open
    note: str = ""


@dataclass(frozen=True)
class DemoVisit:
    ngo: str
    days_ago: int
    topics: str
    findings: str
    actions: tuple[DemoAction, ...]


VISITS = (
    DemoVisit(
        HARAPAN,
        60,
        "Rencana penanganan, persetujuan wali, tindak lanjut",
        "Sebagian besar rencana penanganan belum ditinjau supervisor dalam dua minggu. "
        "Formulir persetujuan wali lengkap. Kunjungan tindak lanjut sering terlambat di "
        "wilayah pesisir.",
        (
            DemoAction(
                "Supervisor meninjau semua rencana penanganan yang menunggu",
                30,
                25,
                "Semua rencana sudah ditinjau; jadwal tinjauan mingguan disepakati.",
            ),
            # Due a month ago and still open: the demo's overdue action.
            DemoAction("Susun jadwal kunjungan tindak lanjut wilayah pesisir", 30),
        ),
    ),
    DemoVisit(
        PELITA,
        25,
        "Jaringan rujukan dan perlindungan data",
        "Belum ada perjanjian dengan puskesmas setempat. Satu akun dipakai bersama oleh dua "
        "pekerja sosial.",
        (
            DemoAction("Ajukan perjanjian rujukan dengan Puskesmas Belawan", 45),
            DemoAction(
                "Buat akun pribadi untuk setiap pekerja sosial",
                7,
                3,
                "Setiap staf kini punya akun sendiri; akun bersama dinonaktifkan.",
            ),
        ),
    ),
    DemoVisit(
        SANGGAR,
        10,
        "Kebijakan perlindungan anak",
        "Kebijakan perlindungan anak ada tetapi belum disosialisasikan kepada relawan.",
        (DemoAction("Sosialisasi kebijakan perlindungan anak kepada relawan", 40),),
    ),
)

# (NGO, years ago, the five scores in the scorecard's order).
SELF_ASSESSMENTS = (
    (HARAPAN, 1, (2, 3, 2, 3, 2)),
    (HARAPAN, 0, (3, 4, 3, 4, 3)),
    (PELITA, 1, (3, 2, 2, 2, 1)),
    (PELITA, 0, (3, 3, 2, 3, 3)),
    (SANGGAR, 0, (2, 2, 3, 2, 2)),
)


def seed_capacity(*, consortium: Consortium, coordinator) -> dict[str, int]:
    """Trainings, visits with agreed actions and self-assessments of the demo consortium."""
    from network.capacity import services
    from network.capacity.models import AREA_FIELDS

    today = clock.today()
    for training in TRAININGS:
        day = today - timedelta(days=training.days_ago)
        with clock.as_of(day):
            services.training_create(
                actor=coordinator,
                consortium=consortium,
                data=services.TrainingInput(
                    topic=training.topic,
                    held_on=day,
                    trainer=training.trainer,
                    location=training.location,
                    participants=[
                        services.ParticipationInput(slug, count, staff)
                        for slug, count, staff in training.participants
                    ],
                ),
            )
    actions = 0
    for spec in VISITS:
        visited_on = today - timedelta(days=spec.days_ago)
        with clock.as_of(visited_on):
            visit = services.mentoring_visit_create(
                actor=coordinator,
                consortium=consortium,
                data=services.VisitInput(
                    ngo=spec.ngo,
                    visited_on=visited_on,
                    topics=spec.topics,
                    findings=spec.findings,
                    mentor="Dr. Ratna Wijayanti, M.Si.",
                ),
                actions=[
                    services.ActionInput(
                        action.description, visited_on + timedelta(action.due_in_days)
                    )
                    for action in spec.actions
                ],
            )
        agreed = {action.description: action for action in visit.actions.all()}
        for action in spec.actions:
            actions += 1
            if action.done_after_days is None:
                continue
            done_on = visited_on + timedelta(days=action.done_after_days)
            with clock.as_of(done_on):
                services.agreed_action_complete(
                    actor=coordinator,
                    action_uuid=agreed[action.description].uuid,
                    follow_up_note=action.note,
                    done_on=done_on,
                )
    for slug, years_ago, scores in SELF_ASSESSMENTS:
        services.self_assessment_create(
            actor=coordinator,
            consortium=consortium,
            ngo=slug,
            year=today.year - years_ago,
            scores=dict(zip(AREA_FIELDS, scores, strict=True)),
        )
    return {"trainings": len(TRAININGS), "visits": len(VISITS), "actions": actions}
