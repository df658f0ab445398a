"""The demo consortium: a university coordinating centre with three partner NGOs, each with
its staff and about fifty children's cases spread over every stage of the case lifecycle.

Everything about the children is synthetic (Faker id_ID, fixed seeds): names, guardians,
villages, phone numbers. Regions are real provinces and regencies (casework.regions) of each
NGO's province. The few NIKs given are synthetic by construction: district "00" and serial
"0000" are never issued (see `synthetic_nik`).

The cases are written through the real services (casework.services), never the bulk path, so
every row is validated and audited as in real use. Their history is replayed in date order on
a simulated clock: while a step runs, the services' "today" is the day the step happened, so
cases are opened 1-300 days ago, references carry the year they were opened, closures are
dated when they were approved and no service sees a date in its future. The NGO's daily
maintenance then runs on the real today and flags (and notifies) the overdue follow-ups.
"""

from __future__ import annotations

import os
import random
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context
from faker import Faker

from core import clock
from demo.capacity import seed_capacity
from demo.network import seed_network
from tenants.db import connection
from tenants.models import NGO, Consortium, ConsortiumMembership
from tenants.services import consortium_create, host_for, ngo_provision

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from casework.models import Assessment, Case, Household

DEMO_PASSWORD = "terpadu-demo-2026"  # noqa: S105 - printed demo login, DEBUG only
CONSORTIUM_SLUG = "pusat-kajian"
OPERATOR_USERNAME = "operator@terpadu.test"
COORDINATOR_USERNAME = "koordinator@terpadu.test"
FUNDER_USERNAME = "donor@terpadu.test"
CHILDREN_PER_NGO = 50
FOLLOWUP_DAYS = 30


@dataclass(frozen=True)
class DemoNGO:
    slug: str
    prefix: str
    province_code: str
    home: str  # the regency/city in the NGO's name (without "Kabupaten"/"Kota")
    regencies: tuple[str, ...]  # regency/city names (casework.regions) where it works
    profiles: tuple[str, ...]  # work situations met there (keys of PROFILES)
    incomes: tuple[str, ...]  # households' main income sources
    standard: str = "bps"


DEMO_NGOS = (
    DemoNGO(
        slug="yayasan-harapan",
        prefix="Yayasan Harapan",
        province_code="33",  # Jawa Tengah
        home="Semarang",
        regencies=("Kota Semarang", "Kabupaten Demak", "Kabupaten Kendal", "Kabupaten Jepara"),
        profiles=(
            "fish_sorting",
            "street_vendor",
            "busking",
            "domestic",
            "home_industry",
            "bricks",
            "scavenging",
            "workshop",
            "construction",
            "food_stall",
        ),
        incomes=(
            "buruh pabrik",
            "nelayan",
            "pedagang kaki lima",
            "buruh harian lepas",
            "pengemudi ojek",
            "buruh bangunan",
        ),
    ),
    DemoNGO(
        slug="lembaga-pelita",
        prefix="Lembaga Pelita",
        province_code="12",  # Sumatera Utara
        home="Medan",
        regencies=(
            "Kota Medan",
            "Kabupaten Asahan",
            "Kabupaten Labuhanbatu",
            "Kabupaten Batu Bara",
        ),
        profiles=(
            "palm_oil",
            "palm_oil",
            "fishing_platform",
            "fish_sorting",
            "street_vendor",
            "scavenging",
            "workshop",
            "construction",
            "food_stall",
        ),
        incomes=(
            "buruh kebun sawit",
            "nelayan",
            "buruh harian lepas",
            "pedagang kaki lima",
            "petani karet",
        ),
    ),
    DemoNGO(
        slug="sanggar-anak",
        prefix="Sanggar Anak",
        province_code="52",  # Nusa Tenggara Barat
        home="Mataram",
        regencies=(
            "Kota Mataram",
            "Kabupaten Lombok Timur",
            "Kabupaten Lombok Tengah",
            "Kabupaten Lombok Barat",
        ),
        profiles=(
            "tobacco",
            "tobacco",
            "gold_mining",
            "salt",
            "domestic",
            "street_vendor",
            "home_industry",
            "food_stall",
        ),
        incomes=(
            "buruh tani tembakau",
            "pekerja migran di Malaysia",
            "nelayan",
            "petani",
            "buruh harian lepas",
        ),
        standard="ilo",
    ),
)
NGO_SLUGS = [demo.slug for demo in DEMO_NGOS]
NGO_PREFIXES = [demo.prefix for demo in DEMO_NGOS]

# (local part of the username, role, label): every demo NGO has this team besides its admin.
STAFF = (
    ("supervisor", "supervisor", "supervisor"),
    ("pekerja1", "case_worker", "case worker"),
    ("pekerja2", "case_worker", "case worker"),
    ("monev", "me_officer", "M&E officer"),
)


def staff_username(local: str, slug: str) -> str:
    return f"{local}@{slug}.test"


# --- Logins ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    where: str
    url: str
    username: str
    password: str
    group: str = "Platform"


def _url(host: str, port: int) -> str:
    return f"http://{host}:{port}/"


def demo_logins(port: int = 8000) -> list[DemoLogin]:
    """The demo accounts that exist, for printing: the platform's, then each NGO's team."""
    connection.set_schema_to_public()
    logins = [
        DemoLogin(
            "operator console",
            _url(settings.BASE_DOMAIN, port) + "admin/",
            OPERATOR_USERNAME,
            DEMO_PASSWORD,
        ),
        DemoLogin(
            "consortium coordinator",
            _url(settings.BASE_DOMAIN, port),
            COORDINATOR_USERNAME,
            DEMO_PASSWORD,
        ),
    ]
    if get_user_model().objects.filter(username=FUNDER_USERNAME, is_active=True).exists():
        logins.append(
            DemoLogin(
                "funder (reports only)",
                _url(settings.BASE_DOMAIN, port),
                FUNDER_USERNAME,
                DEMO_PASSWORD,
            )
        )
    wanted = [("admin", "NGO admin")] + [(local, label) for local, _, label in STAFF]
    for ngo in NGO.objects.filter(slug__in=NGO_SLUGS, is_ready=True).order_by("slug"):
        url = _url(host_for(ngo.slug), port)
        usernames = [staff_username(local, ngo.slug) for local, _ in wanted]
        with schema_context(ngo.schema_name):
            existing = set(
                get_user_model()
                .objects.filter(username__in=usernames, is_active=True)
                .values_list("username", flat=True)
            )
        logins.extend(
            DemoLogin(label, url, username, DEMO_PASSWORD, group=ngo.name)
            for (_, label), username in zip(wanted, usernames, strict=True)
            if username in existing
        )
    return logins


# --- Seeding -----------------------------------------------------------------------------------


def seed_demo() -> bool:
    """Create the demo consortium when the platform is empty; False when data already exists."""
    connection.set_schema_to_public()
    if Consortium.objects.exists():
        return False
    return seed_consortium()


def seed_consortium(*, children_per_ngo: int = CHILDREN_PER_NGO) -> bool:
    """Create the demo consortium, its NGOs, their staff and cases, all or nothing.

    False (and nothing written) when the demo consortium already exists. `seed_demo` calls it
    only on an empty platform; tests call it directly next to their own consortium.
    """
    from casework import regions

    connection.set_schema_to_public()
    if Consortium.objects.filter(slug=CONSORTIUM_SLUG).exists():
        return False
    faker = Faker("id_ID")
    faker.seed_instance(2026)
    with _fast_seeding(), transaction.atomic():
        consortium, _ = consortium_create(
            actor=None,
            slug=CONSORTIUM_SLUG,
            name=f"Pusat Kajian Perlindungan Anak, Universitas {faker.city()}",
            coordinator_email=COORDINATOR_USERNAME,
            coordinator_password=DEMO_PASSWORD,
        )
        user_model = get_user_model()
        if not user_model.objects.filter(username=OPERATOR_USERNAME).exists():
            user_model.objects.create_superuser(
                username=OPERATOR_USERNAME, email=OPERATOR_USERNAME, password=DEMO_PASSWORD
            )
        funder = user_model.objects.create_user(
            username=FUNDER_USERNAME, email=FUNDER_USERNAME, password=DEMO_PASSWORD
        )
        ConsortiumMembership.objects.create(
            consortium=consortium, user=funder, role=ConsortiumMembership.Role.FUNDER
        )
        ngos = []
        for demo in DEMO_NGOS:
            province = regions.province(demo.province_code)
            ngos.append(
                ngo_provision(
                    actor=None,
                    consortium=consortium,
                    slug=demo.slug,
                    name=f"{demo.prefix} {demo.home}",
                    admin_email=staff_username("admin", demo.slug),
                    admin_password=DEMO_PASSWORD,
                    contact_name=f"{faker.first_name()} {faker.last_name()}",
                    contact_phone=faker.phone_number(),
                    region=province.name if province else "",
                ).ngo
            )
        for number, (demo, ngo) in enumerate(zip(DEMO_NGOS, ngos, strict=True)):
            with schema_context(ngo.schema_name):
                _NGOSeeder(demo, seed=2026 + number).run(children_per_ngo)
        connection.set_schema_to_public()
        coordinator = user_model.objects.get(username=COORDINATOR_USERNAME)
        seed_network(consortium=consortium, coordinator=coordinator)
        seed_capacity(consortium=consortium, coordinator=coordinator)
        # The coordinator console: each NGO in the directory, its staff and cases counted.
        from network import services as network_services

        for ngo in ngos:
            network_services.partner_agency_ensure(ngo=ngo)
            network_services.ngo_summary_refresh(ngo_id=ngo.pk)
        # The consortium's reports: each NGO's indicators counted, as the nightly task does.
        from network.reporting.rollup import ngo_rollup

        for ngo in ngos:
            ngo_rollup(ngo=ngo)
    return True


class _AheadPasswordHasher(PBKDF2PasswordHasher):
    """Django's default PBKDF2 hasher, handing out DEMO_PASSWORD hashes computed ahead.

    Each hash is an ordinary pbkdf2_sha256 hash with its own salt and the full iteration count:
    what `set_password` would have stored, computed in a background thread (PBKDF2 releases
    the GIL) while the seeding waits on PostgreSQL instead of after it.
    """

    ahead: ClassVar[deque[Future]] = deque()

    def encode(self, password, salt, iterations=None):
        if password == DEMO_PASSWORD and iterations is None and self.ahead:
            return self.ahead.popleft().result()
        return super().encode(password, salt, iterations)


# Passwords the seeding sets: operator, coordinator, and per NGO its admin and STAFF.
_PASSWORDS_SET = 3 + len(DEMO_NGOS) * (1 + len(STAFF))


@contextmanager
def _fast_seeding() -> Iterator[None]:
    """Speed-ups for the seeding only, which runs single-threaded in one transaction:

    * `SET search_path` once per schema switch rather than before every cursor
      (TENANT_LIMIT_SET_CALLS): the same queries and results with half the round trips. A
      rolled-back SET cannot leave a stale path behind: any rollback aborts the whole seeding.
    * the ~17 password hashes (~0.5 s each) computed ahead in a background thread.
    """
    overrides: dict[str, object] = {"TENANT_LIMIT_SET_CALLS": True}
    pool = None
    if type(get_hasher("default")) is PBKDF2PasswordHasher:
        pool = ThreadPoolExecutor(max_workers=1 if (os.cpu_count() or 1) <= 2 else 2)
        hasher = PBKDF2PasswordHasher()
        _AheadPasswordHasher.ahead.extend(
            pool.submit(hasher.encode, DEMO_PASSWORD, hasher.salt()) for _ in range(_PASSWORDS_SET)
        )
        overrides["PASSWORD_HASHERS"] = [
            f"{__name__}._AheadPasswordHasher",
            *settings.PASSWORD_HASHERS,
        ]
    try:
        with override_settings(**overrides):
            yield
    finally:
        _AheadPasswordHasher.ahead.clear()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


# --- One NGO's staff and cases -----------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """A work situation, as a case worker would write it down."""

    sector: str
    tasks: str
    employer: str
    hours: tuple[int, int]
    ages: tuple[int, int]
    hazards: tuple[str, ...] = ()
    worst_forms: tuple[str, ...] = ()
    night: bool = False
    wage: tuple[int, int] = (0, 0)


PROFILES = {
    "fish_sorting": Profile(
        "perikanan",
        "menyortir dan menjemur ikan di TPI",
        "informal",
        (15, 30),
        (10, 15),
        wage=(150_000, 400_000),
    ),
    "fishing_platform": Profile(
        "perikanan (jermal)",
        "menarik jaring dan menyortir ikan di jermal lepas pantai, "
        "tinggal di jermal berminggu-minggu",
        "informal",
        (56, 72),
        (13, 17),
        hazards=("isolation", "heavy_loads", "underwater"),
        worst_forms=("forced_labour",),
        night=True,
        wage=(500_000, 900_000),
    ),
    "palm_oil": Profile(
        "perkebunan sawit",
        "mengumpulkan brondolan dan mengangkut tandan buah",
        "family",
        (20, 40),
        (10, 17),
        hazards=("heavy_loads", "chemicals"),
    ),
    "tobacco": Profile(
        "pertanian tembakau",
        "memetik, mengikat dan menjemur daun tembakau",
        "family",
        (15, 35),
        (9, 16),
        hazards=("chemicals", "extreme_heat"),
    ),
    "gold_mining": Profile(
        "tambang emas rakyat",
        "mengangkut batuan dan mendulang di lubang tambang",
        "informal",
        (30, 45),
        (13, 17),
        hazards=("mining", "chemicals", "heavy_loads"),
        wage=(400_000, 1_000_000),
    ),
    "salt": Profile(
        "tambak garam",
        "mengangkut karung garam dari tambak",
        "family",
        (15, 25),
        (11, 16),
        hazards=("heavy_loads", "extreme_heat"),
    ),
    "street_vendor": Profile(
        "berdagang di jalan",
        "berjualan tisu dan koran di lampu merah sampai malam",
        "informal",
        (20, 35),
        (8, 15),
        hazards=("street",),
        night=True,
        wage=(200_000, 500_000),
    ),
    "busking": Profile(
        "mengamen",
        "mengamen di angkot dan terminal",
        "informal",
        (20, 30),
        (9, 16),
        hazards=("street",),
        night=True,
        wage=(150_000, 450_000),
    ),
    "domestic": Profile(
        "pekerja rumah tangga anak",
        "mencuci, memasak dan mengasuh anak majikan; tinggal di rumah majikan",
        "informal",
        (50, 65),
        (12, 17),
        hazards=("isolation",),
        wage=(400_000, 800_000),
    ),
    "home_industry": Profile(
        "industri rumahan",
        "menjahit sandal dan mengelem sol di rumah pengepul",
        "home_industry",
        (12, 25),
        (9, 15),
        wage=(100_000, 300_000),
    ),
    "bricks": Profile(
        "pembuatan batu bata",
        "mencetak dan membakar batu bata",
        "family",
        (20, 35),
        (11, 17),
        hazards=("dust_smoke", "extreme_heat", "heavy_loads"),
    ),
    "scavenging": Profile(
        "pemulung",
        "memilah sampah plastik di TPA",
        "informal",
        (20, 30),
        (9, 16),
        hazards=("dust_smoke", "chemicals"),
        wage=(100_000, 350_000),
    ),
    "workshop": Profile(
        "bengkel",
        "membantu tambal ban dan bongkar mesin motor",
        "informal",
        (20, 30),
        (13, 17),
        hazards=("dangerous_tools",),
        wage=(200_000, 500_000),
    ),
    "construction": Profile(
        "bangunan",
        "kuli angkut material bangunan",
        "informal",
        (30, 45),
        (14, 17),
        hazards=("heavy_loads", "heights"),
        wage=(600_000, 1_200_000),
    ),
    "food_stall": Profile(
        "warung makan",
        "mencuci piring dan melayani pembeli di warung keluarga",
        "family",
        (10, 20),
        (10, 15),
    ),
}
WORST_PROFILES = {
    "trafficking": Profile(
        "(dirahasiakan)",
        "direkrut calo untuk bekerja di luar daerah dengan dokumen palsu; dirujuk ke UPTD PPA",
        "informal",
        (48, 70),
        (14, 17),
        hazards=("isolation", "abuse"),
        worst_forms=("trafficking",),
        night=True,
    ),
    "sexual_exploitation": Profile(
        "(dirahasiakan)",
        "indikasi eksploitasi seksual komersial; dirujuk ke UPTD PPA",
        "informal",
        (20, 40),
        (14, 17),
        hazards=("abuse",),
        worst_forms=("sexual_exploitation",),
        night=True,
    ),
    "illicit": Profile(
        "(dirahasiakan)",
        "dipakai jaringan untuk mengantar paket terlarang",
        "informal",
        (10, 25),
        (13, 17),
        worst_forms=("illicit",),
        night=True,
    ),
    "bonded": Profile(
        "perikanan (jermal)",
        "bekerja untuk melunasi utang orang tua kepada tauke",
        "informal",
        (60, 72),
        (13, 17),
        hazards=("isolation", "heavy_loads"),
        worst_forms=("forced_labour",),
        night=True,
    ),
}
PREVENTION = Profile("", "", "none", (0, 0), (7, 14))

INTERVENTIONS = {
    # intervention type -> (provider template, notes)
    "school_return": ("SD Negeri {n} {village}", "Didaftarkan kembali; seragam dan buku dibantu."),
    "non_formal": ("PKBM {district}", "Ikut kejar paket B dua kali seminggu."),
    "tutoring": ("Relawan belajar {ngo}", "Bimbingan belajar membaca dan berhitung."),
    "counselling": ("Psikolog UPTD PPA {regency}", "Sesi konseling individu."),
    "health": ("Puskesmas {district}", "Pemeriksaan kesehatan dan imunisasi susulan."),
    "advocacy_legal": ("Unit PPA Polres {regency}", "Pendampingan pelaporan dan BAP."),
    "family_economic": ("Dinas Sosial {regency}", "Keluarga diusulkan sebagai penerima PKH."),
    "vocational": ("BLK {regency}", "Pelatihan menjahit / servis motor tiga bulan."),
}
CLOSURE_OUTCOMES = {
    "withdrawn_child_labour": "Anak berhenti bekerja dan bersekolah rutin (diverifikasi 2x).",
    "withdrawn_hazardous": "Anak tidak lagi melakukan pekerjaan berbahaya; kini ikut PKBM.",
    "hours_reduced": "Anak membantu orang tua < 15 jam/minggu, di luar jam sekolah.",
    "prevented": "Anak tetap bersekolah; keluarga menerima PKH.",
    "moved_away": "Keluarga pindah ke luar provinsi; alamat baru tidak diketahui.",
    "transferred": "Kasus dirujuk dan diterima UPTD PPA (rumah aman).",
    "aged_out": "Anak berusia 18 tahun; dirujuk ke program pelatihan kerja BLK.",
    "other": "Orang tua menolak pendampingan setelah dua kali kunjungan.",
}
VILLAGE_PARTS = (
    ("Suka", "Marga", "Sido", "Tanjung", "Karang", "Sumber", "Mekar", "Tegal", "Jati", "Wono"),
    ("maju", "jaya", "mulyo", "rejo", "sari", "asih", "makmur", "harjo", "agung", "baru"),
)
RELATIONSHIPS = (("ibu", "female"), ("ayah", "male"), ("nenek", "female"), ("paman", "male"))


@dataclass
class Spec:
    """What one child's story ends as."""

    stage: str
    case_type: str = "child_labour"
    worst: bool = False
    overdue: bool = False
    closure_reason: str = ""
    handover: bool = False


def _specs() -> list[Spec]:
    """Fifty stories over every lifecycle stage (prevention cases and closures included)."""
    prevention = "prevention"
    return [
        # identified: no consent yet (one guardian agreed but the child did not assent)
        Spec("identified"),
        Spec("identified"),
        Spec("identified", prevention),
        Spec("identified_no_assent"),
        # registered: consent given; one assessment awaits approval, one was returned
        Spec("registered"),
        Spec("registered"),
        Spec("registered", prevention),
        Spec("assessment_pending", worst=True),
        Spec("assessment_returned"),
        # assessed: approved assessment; plans absent, draft, submitted or returned
        Spec("assessed"),
        Spec("assessed", prevention),
        Spec("plan_draft"),
        Spec("plan_submitted"),
        Spec("plan_returned"),
        # planned
        Spec("planned", overdue=True),
        Spec("planned"),
        Spec("planned", worst=True),
        Spec("planned", prevention),
        # in service
        Spec("in_service"),
        Spec("in_service", overdue=True),
        Spec("in_service", overdue=True, handover=True),
        Spec("in_service"),
        Spec("in_service", handover=True),
        Spec("in_service"),
        Spec("in_service", prevention),
        Spec("in_service", prevention, overdue=True),
        Spec("in_service", worst=True),
        Spec("in_service_reopened"),
        Spec("in_service_closure_rejected"),
        # monitoring
        Spec("monitoring"),
        Spec("monitoring", overdue=True),
        Spec("monitoring"),
        Spec("monitoring", overdue=True),
        Spec("monitoring"),
        Spec("monitoring", worst=True),
        Spec("monitoring", prevention),
        # relapsed
        Spec("relapsed"),
        Spec("relapsed", overdue=True),
        Spec("relapsed"),
        # closure requested
        Spec("closure_requested", closure_reason="withdrawn_child_labour"),
        Spec("closure_requested", closure_reason="moved_away"),
        Spec("closure_requested", prevention, closure_reason="prevented"),
        # closed, one per closure reason
        Spec("closed", closure_reason="withdrawn_child_labour"),
        Spec("closed", closure_reason="withdrawn_hazardous"),
        Spec("closed", closure_reason="hours_reduced"),
        Spec("closed", prevention, closure_reason="prevented"),
        Spec("closed", closure_reason="moved_away"),
        Spec("closed", worst=True, closure_reason="transferred"),
        Spec("closed", closure_reason="aged_out"),
        Spec("closed", closure_reason="other"),
    ]


# Days ago each stage's case was opened (earliest, latest): later stages need a longer history.
OPENED = {
    "identified": (1, 25),
    "identified_no_assent": (3, 30),
    "registered": (2, 45),
    "assessment_pending": (3, 20),
    "assessment_returned": (10, 40),
    "assessed": (10, 80),
    "plan_draft": (15, 80),
    "plan_submitted": (15, 60),
    "plan_returned": (20, 90),
    "planned": (25, 120),
    "in_service": (45, 300),
    "in_service_reopened": (220, 300),
    "in_service_closure_rejected": (120, 300),
    "monitoring": (120, 300),
    "relapsed": (150, 300),
    "closure_requested": (150, 300),
    "closed": (90, 300),
}


@dataclass
class _Story:
    """One child's history: steps (gap in days, action) placed on a timeline ending today."""

    index: int
    spec: Spec
    worker: User
    steps: list[tuple[int, Callable[[date], None]]] = field(default_factory=list)
    # Set by the story's first steps (registration, assessment, follow-up) before any use.
    case: Case = field(init=False)
    guardian: tuple[str, str] = ("", "")
    assessment: Assessment = field(init=False)
    services: list[str] = field(default_factory=list)
    delivered: int = 0
    followup_id: int = field(init=False)

    def add(self, gap: int, action: Callable[[date], None]) -> None:
        self.steps.append((gap, action))

    def timeline(self, today: date, opened_ago: int, tail: int) -> list[tuple[date, int, int]]:
        """(day, story index, step index) of each step: the last `tail` days ago, the first at
        most `opened_ago` days ago. Gaps shrink to fit, or stretch (up to 3x) towards it."""
        budget = max(0, opened_ago - tail)
        gaps = [gap for gap, _ in self.steps[1:]]
        total = sum(gaps)
        if total:
            factor = min(3.0, budget / total)
            gaps = [int(gap * factor) for gap in gaps]
        day = today - timedelta(days=tail + sum(gaps))
        placed = [(day, self.index, 0)]
        for number, gap in enumerate(gaps, start=1):
            day += timedelta(days=gap)
            placed.append((day, self.index, number))
        return placed


class _NGOSeeder:
    """Staff, then the children's stories replayed in date order, in the current schema."""

    def __init__(self, demo: DemoNGO, *, seed: int):
        from casework import regions

        self.demo = demo
        self.rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not security
        self.faker = Faker("id_ID")
        self.faker.seed_instance(seed)
        self.today = timezone.localdate()
        wanted = set(demo.regencies)
        self.regencies = [r for r in regions.regencies(demo.province_code) if r.name in wanted]
        if len(self.regencies) != len(wanted):
            raise ValueError(f"Unknown regency in {demo.regencies} for {demo.province_code}")
        self.districts = {
            regency.code: [self._place_name() for _ in range(3)] for regency in self.regencies
        }
        self.ngo_name = f"{demo.prefix} {demo.home}"

    # --- staff -----------------------------------------------------------------------------

    def _staff(self) -> None:
        from casework import services

        admin = get_user_model().objects.get(username=staff_username("admin", self.demo.slug))
        if self.demo.standard != "bps":
            services.ngo_settings_update(actor=admin, classification_standard=self.demo.standard)
        self.staff = {}
        for local, role, _ in STAFF:
            username = staff_username(local, self.demo.slug)
            female = self.rng.random() < 0.6
            profile = services.staff_create(
                actor=admin,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                email=username,
                first_name=self.faker.first_name_female()
                if female
                else self.faker.first_name_male(),
                last_name=self.faker.last_name(),
                phone=self.faker.phone_number(),
            )
            self.staff[local] = profile.user
        self.supervisor = self.staff["supervisor"]
        self.workers = [self.staff["pekerja1"], self.staff["pekerja2"]]

    # --- synthetic people and places -------------------------------------------------------

    def _place_name(self) -> str:
        first, second = VILLAGE_PARTS
        return self.rng.choice(first) + self.rng.choice(second)

    def _child_name(self, sex: str) -> tuple[str, str]:
        first = self.faker.first_name_female() if sex == "female" else self.faker.first_name_male()
        roll = self.rng.random()
        if roll < 0.45:  # one name only, as many Indonesians have
            full = first
        elif roll < 0.85:
            full = f"{first} {self.faker.last_name()}"
        else:
            second = (
                self.faker.first_name_female() if sex == "female" else self.faker.first_name_male()
            )
            full = f"{first} {second}"
        known_as = first if (" " in full and self.rng.random() < 0.5) else ""
        return full, known_as

    def _adult_name(self, sex: str) -> str:
        first = self.faker.first_name_female() if sex == "female" else self.faker.first_name_male()
        return first if self.rng.random() < 0.3 else f"{first} {self.faker.last_name()}"

    # --- stories ---------------------------------------------------------------------------

    def run(self, children: int) -> None:
        from casework import services

        self._staff()
        specs = _specs()
        while len(specs) < children:
            specs.append(Spec(self.rng.choice(["in_service", "monitoring", "registered"])))
        specs = specs[:children]
        events = []
        stories = []
        for index, spec in enumerate(specs):
            story = self._story(index, spec)
            stories.append(story)
            low, high = OPENED[spec.stage]
            opened_ago = self.rng.randint(low, high)
            # Days since the story's last step: its final follow-up (due 30 days after it) is
            # overdue when the last step was 45+ days ago, still to come when within 20 days.
            if len(story.steps) == 1:
                tail = opened_ago
            elif spec.overdue:
                tail = self.rng.randint(45, 80)
                opened_ago = min(300, max(opened_ago, tail + 30))
            elif spec.stage.startswith(("closed", "closure")):
                tail = self.rng.randint(0, opened_ago // 3)
            else:
                tail = self.rng.randint(0, min(20, opened_ago - 1))
            events.extend(story.timeline(self.today, opened_ago, tail))
        events.sort()
        for day, story_index, step_index in events:
            with clock.as_of(day):
                stories[story_index].steps[step_index][1](day)
        # The NGO's daily maintenance on the real today: overdue follow-ups flagged, notified.
        services.followups_mark_overdue()

    def _story(self, index: int, spec: Spec) -> _Story:
        rng = self.rng
        worker = self.workers[index % 2]
        story = _Story(index, spec, worker)
        stage = spec.stage
        prevention = spec.case_type == "prevention"
        if prevention:
            profile = PREVENTION
        elif spec.worst:
            profile = WORST_PROFILES[rng.choice(sorted(WORST_PROFILES))]
        elif spec.closure_reason == "withdrawn_hazardous":
            profile = PROFILES[rng.choice([k for k in self.demo.profiles if PROFILES[k].hazards])]
        else:
            profile = PROFILES[rng.choice(self.demo.profiles)]
        age = rng.randint(*profile.ages)
        if spec.closure_reason == "aged_out":
            age = 17
        if spec.closure_reason == "hours_reduced":
            profile = PROFILES["food_stall"]
            age = rng.randint(12, 14)
        story.add(0, lambda day: self._register(story, day, age))
        if stage == "identified":
            if rng.random() < 0.5:
                story.add(2, lambda day: self._note(story, "Orang tua minta waktu berpikir."))
            return story
        if stage == "identified_no_assent":
            story.add(rng.randint(1, 7), lambda day: self._consent(story, day, assent=False))
            return story
        if spec.closure_reason == "other":  # the family declined before consenting
            self._closure(story, "other", approve=True)
            return story
        story.add(rng.randint(0, 10), lambda day: self._consent(story, day))
        if spec.closure_reason == "moved_away" and stage == "closed":
            self._closure(story, "moved_away", approve=True)
            return story
        if stage == "registered":
            return story
        story.add(rng.randint(3, 14), lambda day: self._assess(story, day, profile, age))
        if stage == "assessment_pending":
            return story
        if stage == "assessment_returned":
            story.add(
                rng.randint(1, 4),
                lambda day: self._review_assessment(
                    story, approve=False, comment="Jam kerja per minggu belum jelas; cek ulang."
                ),
            )
            return story
        story.add(rng.randint(1, 5), lambda day: self._review_assessment(story, approve=True))
        if stage == "assessed":
            return story
        if spec.closure_reason == "transferred":
            self._closure(story, "transferred", approve=True)
            return story
        submit = stage != "plan_draft"
        story.add(rng.randint(3, 12), lambda day: self._plan(story, day, profile, submit=submit))
        if stage in ("plan_draft", "plan_submitted"):
            return story
        if stage == "plan_returned":
            story.add(
                rng.randint(1, 5),
                lambda day: self._review_plan(
                    story, approve=False, comment="Tambahkan layanan ekonomi keluarga."
                ),
            )
            return story
        story.add(rng.randint(1, 5), lambda day: self._review_plan(story, approve=True))
        if stage == "planned":
            self._next_followup(story)
            return story
        # in service
        story.add(rng.randint(3, 15), lambda day: self._service(story, day, profile))
        if spec.handover:
            story.add(rng.randint(5, 20), lambda day: self._handover(story))
        story.add(0, lambda day: self._schedule(story, day, FOLLOWUP_DAYS, "visit"))
        story.add(rng.randint(20, 35), lambda day: self._complete(story, day))
        story.add(rng.randint(0, 10), lambda day: self._service(story, day, profile))
        if stage == "in_service_closure_rejected":
            self._closure(story, "hours_reduced", approve=False)
            self._next_followup(story, kind="verification")
            return story
        if spec.closure_reason in ("hours_reduced", "aged_out", "prevented"):
            self._closure(story, spec.closure_reason, approve=True, review=stage == "closed")
            return story
        if spec.closure_reason == "moved_away":  # closure requested while in service
            self._closure(story, "moved_away", approve=False, review=False)
            return story
        if stage == "in_service":
            self._next_followup(story)
            return story
        # a verification visit: back at work (relapsed) or out of work and in school (monitoring)
        story.add(0, lambda day: self._schedule(story, day, 90, "verification"))
        relapse = stage == "relapsed"
        story.add(rng.randint(40, 90), lambda day: self._verify(story, day, relapse=relapse))
        if stage in ("monitoring", "relapsed"):
            self._next_followup(story)
            return story
        if stage == "in_service_reopened":
            self._closure(story, "withdrawn_child_labour", approve=True)
            story.add(
                rng.randint(20, 40),
                lambda day: self._reopen(story, "Anak terlihat kembali bekerja di tempat lama."),
            )
            story.add(rng.randint(1, 7), lambda day: self._service(story, day, profile))
            self._next_followup(story)
            return story
        # closure requested / closed after verified withdrawal
        story.add(0, lambda day: self._schedule(story, day, 90, "verification"))
        story.add(rng.randint(40, 90), lambda day: self._verify(story, day, relapse=False))
        self._closure(story, spec.closure_reason, approve=True, review=stage == "closed")
        return story

    def _next_followup(self, story: _Story, kind: str = "visit") -> None:
        story.add(self.rng.randint(0, 5), lambda day: self._schedule(story, day, 30, kind))

    def _closure(self, story: _Story, reason: str, *, approve: bool, review: bool = True) -> None:
        story.add(self.rng.randint(3, 20), lambda day: self._request_closure(story, reason))
        if review:
            story.add(
                self.rng.randint(1, 7),
                lambda day: self._review_closure(
                    story,
                    approve=approve,
                    comment="" if approve else "Belum ada kunjungan verifikasi; jadwalkan dulu.",
                ),
            )

    # --- steps (each runs with the services' clock on its day) -------------------------------

    def _register(self, story: _Story, day: date, age: int) -> None:
        from casework import services

        rng = self.rng
        sex = rng.choice(["female", "male"])
        full_name, known_as = self._child_name(sex)
        regency = rng.choice(self.regencies)
        district = rng.choice(self.districts[regency.code])
        village = self._place_name()
        birth_year = day.year - age
        date_of_birth = None
        nik = ""
        if rng.random() < 0.4:  # a birth certificate was seen
            date_of_birth = date(birth_year, rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.6:
                nik = synthetic_nik(regency.code, date_of_birth, sex)
        relationship, guardian_sex = rng.choice(RELATIONSHIPS)
        guardian = self._adult_name(guardian_sex)
        story.guardian = (guardian, relationship)
        if story.spec.case_type == "prevention" or age < 12:
            school = "in_school" if rng.random() < 0.7 else "dropped_out"
        else:
            school = rng.choice(["dropped_out", "dropped_out", "in_school", "never_enrolled"])
        members = [
            {
                "name": self._child_name(rng.choice(["female", "male"]))[0],
                "relationship": "saudara kandung",
                "birth_year": birth_year + rng.choice([-4, -2, 2, 3, 5]),
                "occupation": rng.choice(["pelajar", "", "buruh"]),
            }
            for _ in range(rng.randint(0, 2))
        ]
        story.case = services.child_register(
            actor=story.worker,
            child=services.ChildInput(
                full_name=full_name,
                known_as=known_as,
                sex=sex,
                school_status=school,
                date_of_birth=date_of_birth,
                birth_year=None if date_of_birth else birth_year,
                birth_year_estimated=date_of_birth is None and rng.random() < 0.6,
                nik=nik,
                last_grade=(
                    None if school == "never_enrolled" else rng.randint(1, max(1, min(9, age - 6)))
                ),
            ),
            household=services.HouseholdInput(
                guardian_name=guardian,
                guardian_relationship=relationship,
                guardian_phone=self.faker.phone_number() if rng.random() < 0.7 else "",
                head_of_household=guardian if relationship in ("ayah", "ibu") else "",
                member_count=rng.randint(3, 9),
                income_source=rng.choice(self.demo.incomes),
                monthly_income_band=rng.choice(["lt_1m", "lt_1m", "1m_2m", "2m_3m", "unknown"]),
                province_code=self.demo.province_code,
                regency_code=regency.code,
                district=district,
                village=village,
                address_line=f"RT {rng.randint(1, 12):02d}/RW {rng.randint(1, 8):02d}, "
                f"Dusun {self._place_name()}",
                members=members,
            ),
            case_type=story.spec.case_type,
        )

    def _consent(self, story: _Story, day: date, *, assent: bool = True) -> None:
        from casework import services

        guardian, relationship = story.guardian
        services.consent_record(
            actor=story.worker,
            child_id=story.case.child_id,
            data=services.ConsentInput(
                guardian_name=guardian,
                guardian_relationship=relationship,
                guardian_consented=True,
                child_assented=assent,
                consented_on=day,
                scope_referral_sharing=self.rng.random() < 0.7,
                scope_photos=self.rng.random() < 0.3,
            ),
        )

    def _note(self, story: _Story, body: str) -> None:
        from casework import services

        services.note_add(actor=story.worker, case_id=story.case.pk, body=body)

    def _assess(self, story: _Story, day: date, profile: Profile, age: int) -> None:
        from casework import services
        from casework.rules import assessment_statuses, suggest_risk

        rng = self.rng
        works = bool(profile.sector)
        hours = rng.randint(*profile.hours) if works else 0
        if profile.worst_forms:
            scores = [rng.randint(2, 3), rng.randint(2, 3), rng.randint(1, 2), 1, 2]
        elif profile.hazards or profile.night:
            scores = [rng.randint(2, 3), rng.randint(2, 3), 3, rng.randint(2, 3), 2]
        elif works:
            scores = [rng.randint(2, 3), 3, rng.randint(3, 4), rng.randint(3, 4), 2]
        else:
            scores = [rng.randint(2, 4), 4, rng.randint(3, 4), rng.randint(3, 5), rng.randint(2, 3)]
        status = assessment_statuses(
            age=age,
            works=works,
            hours_per_week=hours,
            hazards=profile.hazards,
            night_work=profile.night,
            worst_forms=profile.worst_forms,
        )[self.demo.standard]
        names = ("education", "health", "psychosocial", "safety", "family_economy")
        risk = suggest_risk(
            status=status, night_work=profile.night, scores=dict(zip(names, scores, strict=True))
        )
        if story.spec.case_type == "prevention" and risk == "low" and rng.random() < 0.5:
            risk = "medium"  # the worker's judgement: a sibling already works
        values = {
            "assessed_on": day,
            "works": works,
            "sector": profile.sector,
            "tasks": profile.tasks,
            "employer_type": profile.employer,
            "hours_per_week": hours,
            "night_work": profile.night,
            "monthly_wage": rng.randrange(*profile.wage, 50_000) if profile.wage[1] else None,
            "hazards": list(profile.hazards),
            "worst_forms": list(profile.worst_forms),
            "schooling_notes": (
                "Putus sekolah sejak kelas 5; ingin kembali sekolah."
                if works
                else "Masih sekolah tetapi sering bolos membantu orang tua."
            ),
            "health_notes": "Sering sakit punggung dan batuk." if profile.hazards else "",
            "psychosocial_notes": "Tampak takut dan menarik diri." if profile.worst_forms else "",
            "family_economy_notes": "Penghasilan keluarga tidak tetap; belum menerima PKH.",
            "safety_notes": "Perlu penanganan segera." if profile.worst_forms else "",
            "risk_level": risk,
            **{f"score_{name}": score for name, score in zip(names, scores, strict=True)},
        }
        story.assessment = services.assessment_create(
            actor=story.worker, case_id=story.case.pk, **values
        )

    def _review_assessment(self, story: _Story, *, approve: bool, comment: str = "") -> None:
        from casework import services

        services.assessment_review(
            actor=self.supervisor,
            case_id=story.case.pk,
            assessment_id=story.assessment.pk,
            approve=approve,
            comment=comment,
        )

    def _services_for(self, profile: Profile, story: _Story) -> list[str]:
        if story.spec.case_type == "prevention":
            return ["tutoring", "family_economic"]
        chosen = ["school_return" if self.rng.random() < 0.6 else "non_formal"]
        if profile.worst_forms:
            chosen += ["counselling", "advocacy_legal"]
        elif profile.hazards:
            chosen.append("health")
        chosen.append(self.rng.choice(["family_economic", "counselling", "vocational"]))
        return list(dict.fromkeys(chosen))

    def _provider(self, kind: str, story: _Story) -> str:
        household: Household = story.case.child.household  # type: ignore[assignment]  # demo children have one
        regency = next(r.name for r in self.regencies if r.code == household.regency_code)
        template = INTERVENTIONS[kind][0]
        return template.format(
            n=self.rng.randint(1, 5),
            village=household.village,
            district=household.district,
            regency=regency.removeprefix("Kabupaten ").removeprefix("Kota "),
            ngo=self.ngo_name,
        )

    def _plan(self, story: _Story, day: date, profile: Profile, *, submit: bool) -> None:
        from casework import services

        kinds = self._services_for(profile, story)
        story.services = kinds
        target = day + timedelta(days=self.rng.choice([60, 90, 120]))
        goals = [
            {
                "description": (
                    "Anak tetap bersekolah dan keluarga lebih kuat ekonominya"
                    if story.spec.case_type == "prevention"
                    else "Anak berhenti bekerja dan kembali belajar"
                ),
                "target_date": target,
                "services": [
                    {
                        "type": kind,
                        "provider_kind": "own" if kind == "tutoring" else "agency",
                        "provider_name": self._provider(kind, story),
                        "responsible_worker_id": story.worker.pk,
                        "due_on": day + timedelta(days=14 * (number + 1)),
                    }
                    for number, kind in enumerate(kinds)
                ],
            }
        ]
        services.plan_save(
            actor=story.worker,
            case_id=story.case.pk,
            summary=f"{len(kinds)} layanan; ditinjau setiap {FOLLOWUP_DAYS} hari.",
            goals=goals,
            submit=submit,
        )

    def _review_plan(self, story: _Story, *, approve: bool, comment: str = "") -> None:
        from casework import services

        services.plan_review(
            actor=self.supervisor, case_id=story.case.pk, approve=approve, comment=comment
        )

    def _service(self, story: _Story, day: date, profile: Profile) -> None:
        from casework import services

        kinds = story.services or self._services_for(profile, story)
        kind = kinds[story.delivered % len(kinds)]
        story.delivered += 1
        services.intervention_record(
            actor=story.worker,
            case_id=story.case.pk,
            delivered_on=day,
            type=kind,
            provider=self._provider(kind, story),
            notes=INTERVENTIONS[kind][1],
            outcome=self.rng.choice(["", "Berjalan baik.", "Anak hadir dan aktif."]),
        )

    def _handover(self, story: _Story) -> None:
        from casework import services

        other = next(worker for worker in self.workers if worker.pk != story.worker.pk)
        services.case_assign(
            actor=self.supervisor,
            case_id=story.case.pk,
            worker_id=other.pk,
            shared_with_ids=[story.worker.pk],
        )
        story.worker = other

    def _schedule(self, story: _Story, day: date, days: int, kind: str) -> None:
        from casework import services

        purpose = {
            "visit": "Kunjungan rumah dan cek kehadiran sekolah",
            "verification": "Verifikasi: apakah anak sudah berhenti bekerja?",
        }[kind]
        followup = services.followup_schedule(
            actor=story.worker,
            case_id=story.case.pk,
            due_on=day + timedelta(days=days),
            kind=kind,
            purpose=purpose,
        )
        story.followup_id = followup.pk

    def _complete(self, story: _Story, day: date) -> None:
        from casework import services

        services.followup_complete(
            actor=story.worker,
            case_id=story.case.pk,
            followup_id=story.followup_id,
            completed_on=day,
            notes=self.rng.choice(["Anak ada di rumah; orang tua kooperatif.", "Anak di sekolah."]),
        )

    def _verify(self, story: _Story, day: date, *, relapse: bool) -> None:
        from casework import services

        services.verification_record(
            actor=story.worker,
            case_id=story.case.pk,
            visited_on=day,
            left_work=not relapse,
            in_school_or_training=not relapse,
            seen_back_at_work=relapse,
            notes=(
                "Anak terlihat kembali bekerja pada jam sekolah."
                if relapse
                else "Anak tidak bekerja lagi; hadir di sekolah (dicek dengan wali kelas)."
            ),
        )

    def _request_closure(self, story: _Story, reason: str) -> None:
        from casework import services

        services.case_closure_request(
            actor=story.worker,
            case_id=story.case.pk,
            reason=reason,
            outcome=CLOSURE_OUTCOMES[reason],
        )

    def _review_closure(self, story: _Story, *, approve: bool, comment: str) -> None:
        from casework import services

        services.case_closure_review(
            actor=self.supervisor, case_id=story.case.pk, approve=approve, comment=comment
        )

    def _reopen(self, story: _Story, reason: str) -> None:
        from casework import services

        # Reopening, like closing, is the supervisor's decision.
        services.case_reopen(actor=self.supervisor, case_id=story.case.pk, reason=reason)


def synthetic_nik(regency_code: str, date_of_birth: date, sex: str) -> str:
    """A NIK-shaped number that can never be a real one: real NIKs have a district code from
    01 and a serial from 0001; this one has district 00 and serial 0000."""
    day = date_of_birth.day + (40 if sex == "female" else 0)
    return f"{regency_code.replace('.', '')}00{day:02d}{date_of_birth:%m%y}0000"
