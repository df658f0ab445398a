"""The keyed hash that counts children served by two or more NGOs: its name normalisation
(case, spacing, punctuation, the old Indonesian spellings) and its per-consortium key."""

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from network.reporting.linkage import child_link_hash, linkage_key, name_normalize

VARIANT_PAIRS = [
    ("Soekarno", "Sukarno"),  # oe / u
    ("Oemar Bakri", "Umar Bakri"),
    ("Djoko Susilo", "Joko Susilo"),  # dj / j
    ("Ratna Djuwita", "Ratna Juwita"),
    ("Tjahjo Kumolo", "Cahyo Kumolo"),  # tj / c (and the old j, today's y)
    ("Soenjoto", "Sunyoto"),  # nj / ny
    ("Sjahrir", "Syahrir"),  # sj / sy
    ("Chairul Anwar", "Khairul Anwar"),  # ch / kh
    ("Jusuf", "Yusuf"),  # the old j is today's y
    ("Tjoet Nja' Dhien", "Cut Nya Dhien"),
    ("NUR AINI", "nur aini"),  # case
    ("  Siti   Nurhaliza ", "Siti Nurhaliza"),  # spacing
    ("Nur'aini", "Nur Aini"),  # punctuation and spacing
    ("Siti-Nurhaliza", "siti nurhaliza"),
    ("Muhammad Rizki", "Muhamad Rizki"),  # doubled letters
    ("Déwi Sartika", "Dewi Sartika"),  # accents
]


@pytest.mark.parametrize(("written", "other"), VARIANT_PAIRS)
def test_spelling_variants_normalise_alike(written, other):
    """Two NGOs writing the same name differently get the same normal form."""
    assert name_normalize(written) == name_normalize(other)


def test_normal_forms_are_exact():
    """The normal form of a few names, letter by letter."""
    assert name_normalize("Soetjipto") == "sucipto"
    assert name_normalize("Tjoet Nja' Dhien") == "cutnyadhien"
    assert name_normalize("Muhammad") == "muhamad"
    assert name_normalize("Achmad Djunaedi") == "akhmadyunaedi"
    assert name_normalize("") == ""


@pytest.mark.parametrize(
    ("name", "other"),
    [("Budi", "Badu"), ("Siti", "Sita"), ("Agus", "Bagus"), ("Rizki", "Rizky")],
)
def test_different_names_stay_different(name, other):
    """The normalisation does not merge names that differ by more than spelling convention
    (an i for a y at the end is a different spelling it leaves alone)."""
    assert name_normalize(name) != name_normalize(other)


@pytest.mark.parametrize(
    ("written", "other"),
    [
        ("Ibu Sri Wahyuni", "Sri Wahyuni"),
        ("Bapak H. Ahmad", "Ahmad"),
        ("Pak Budi", "BUDI"),
        ("Hj. Siti Aminah", "Siti Aminah"),
    ],
)
def test_a_guardians_form_of_address_is_dropped(written, other):
    """ "Ibu", "Bapak", "Pak", "Hj." before a guardian's name do not stop a match; the child's
    own name keeps every word, and a name that is only a title stays as it is."""
    assert name_normalize(written, strip_titles=True) == name_normalize(other, strip_titles=True)
    assert name_normalize("Ibu", strip_titles=True) == "ibu"
    assert name_normalize("Ibu Sri") == "ibusri"


def _expected(consortium_id: int, secret: str, message: bytes) -> str:
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"terpadu-child-linkage:" + str(consortium_id).encode(),
    ).derive(secret.encode())
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def test_hash_is_hmac_sha256_with_a_per_consortium_hkdf_key(settings):
    """HMAC-SHA256 of "name|birth year|guardian" (normalised) under HKDF(secret, consortium)."""
    settings.CONSORTIUM_LINKAGE_SECRET = "a-linkage-secret-for-tests"
    value = child_link_hash(
        consortium_id=7, full_name="Soekarno", birth_year=2012, guardian_name="Ibu Idayu"
    )
    assert value == _expected(7, "a-linkage-secret-for-tests", b"sukarno|2012|idayu")
    assert linkage_key(7) == linkage_key(7, "a-linkage-secret-for-tests")


def test_same_child_written_two_ways_links(settings):
    """The same child at two NGOs, spelled the old way at one: the same hash."""
    settings.CONSORTIUM_LINKAGE_SECRET = "a-linkage-secret-for-tests"
    first = child_link_hash(
        consortium_id=1, full_name="Djoko Soesilo", birth_year=2011, guardian_name="Tjahjani"
    )
    second = child_link_hash(
        consortium_id=1, full_name="JOKO SUSILO", birth_year=2011, guardian_name="Cahyani"
    )
    assert first == second


def test_birth_year_consortium_and_secret_change_the_hash(settings):
    """Another birth year, another consortium or another secret: another hash."""
    settings.CONSORTIUM_LINKAGE_SECRET = "a-linkage-secret-for-tests"
    child = {"full_name": "Sukarno", "guardian_name": "Idayu"}
    base = child_link_hash(consortium_id=1, birth_year=2012, **child)
    assert child_link_hash(consortium_id=1, birth_year=2013, **child) != base
    assert child_link_hash(consortium_id=2, birth_year=2012, **child) != base
    assert child_link_hash(consortium_id=1, birth_year=2012, secret="other", **child) != base
    assert len(base) == 64
