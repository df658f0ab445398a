"""Registering a child: NIK handling, names, birth dates, regions, duplicate checks and the
household, through casework.services.child_register and selectors.child_duplicates."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from casework import crypto, selectors, services
from casework.models import Case, Child, Household, HouseholdMember
from core.errors import ApplicationError, PermissionDeniedError
from tests.casework.conftest import registration_payload

pytestmark = pytest.mark.django_db

NIK = "3374015203130004"
OTHER_NIK = "3374015203130005"


@pytest.fixture
def team(ngo_a, team_a):
    """NGO A's staff users, with NGO A's schema active for the test."""
    with schema_context(ngo_a.ngo.schema_name):
        yield {role: staff.user for role, staff in team_a.items()}


def _today():
    return timezone.localdate()


def _register(actor, name="Siti Rahayu", *, household=None, **child) -> Case:
    values = {
        "full_name": name,
        "sex": "female",
        "school_status": "dropped_out",
        "birth_year": _today().year - 13,
        "birth_year_estimated": True,
    }
    values.update(child)
    household_values = {
        "guardian_name": "Ibu Rahayu",
        "guardian_relationship": "mother",
        "province_code": "33",
        "regency_code": "33.74",
        "village": "Tanjung Mas",
    }
    household_values.update(household or {})
    return services.child_register(
        actor=actor,
        child=services.ChildInput(**values),
        household=services.HouseholdInput(**household_values),
    )


def _invalid(callable_, *args, **kwargs) -> dict:
    with pytest.raises(ApplicationError) as caught:
        callable_(*args, **kwargs)
    return caught.value.fields


def _counts() -> tuple[int, int, int, int]:
    return (
        Child.objects.count(),
        Household.objects.count(),
        HouseholdMember.objects.count(),
        Case.objects.count(),
    )


@pytest.fixture
def nothing_saved(team):
    """Asserts, when called, that no child, household, member or case was added."""
    before = _counts()
    return lambda: _counts() == before


# --- NIK ---------------------------------------------------------------------------------------


def test_nik_stored_encrypted_with_hash_and_last_digits(team):
    """The NIK column holds ciphertext only; decrypting gives the NIK back."""
    case = _register(team["worker"], nik=NIK)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nik_encrypted, nik_hash, nik_last4 FROM casework_child WHERE id = %s",
            [case.child_id],
        )
        encrypted, nik_hash, last4 = cursor.fetchone()
    assert NIK not in encrypted
    assert NIK not in nik_hash
    assert crypto.decrypt(encrypted) == NIK
    assert nik_hash == crypto.lookup_hash(NIK)
    assert last4 == "0004"


def test_nik_encryption_is_randomised(team):
    """Two children with the same NIK get different ciphertexts but the same lookup hash."""
    first = Child.objects.get(pk=_register(team["worker"], nik=NIK).child_id)
    second = Child.objects.get(pk=_register(team["worker"], "Sri", nik=NIK).child_id)
    assert first.nik_encrypted != second.nik_encrypted
    assert first.nik_hash == second.nik_hash


def test_nik_hash_lookup_finds_the_child(team):
    """A keyed hash of the NIK finds the child without decrypting anything."""
    case = _register(team["worker"], nik=f"  {NIK} ")
    _register(team["worker"], "Budi", nik=OTHER_NIK)
    found = Child.objects.filter(nik_hash=crypto.lookup_hash(NIK))
    assert list(found.values_list("pk", flat=True)) == [case.child_id]


def test_nik_masked_shows_last_four_digits(team):
    """nik_masked hides all but the last four digits; no NIK, no mask."""
    with_nik = Child.objects.get(pk=_register(team["worker"], nik=NIK).child_id)
    without = Child.objects.get(pk=_register(team["worker"], "Budi").child_id)
    assert with_nik.nik_masked == "•" * 12 + "0004"
    assert without.nik_masked == ""
    assert (without.nik_encrypted, without.nik_hash, without.nik_last4) == ("", "", "")


@pytest.mark.parametrize(
    "nik",
    [
        pytest.param(NIK[:15], id="15-digits"),
        pytest.param(NIK + "1", id="17-digits"),
        pytest.param("33740152031300AB", id="letters"),
        pytest.param("3374 0152 0313 0004", id="inner-spaces"),
        pytest.param(
            "３３７４０１５２０３１３０００４",
            id="full-width-digits",
        ),
        pytest.param("٣٣٧٤٠١٥٢٠٣١٣٠٠٠٤", id="arabic-indic-digits"),
    ],
)
def test_invalid_nik_is_a_field_error(team, nik, nothing_saved):
    """Anything but exactly 16 ASCII digits is refused on the nik field; nothing is saved."""
    assert _invalid(_register, team["worker"], nik=nik) == {"nik": ["A NIK has exactly 16 digits."]}
    assert nothing_saved()


def test_nik_masked_in_case_and_child_lists(team_a, team):
    """Lists show the masked NIK to staff who may see identity, never the NIK itself."""
    case = _register(team["worker"], nik=NIK)
    client = team_a["worker"].client()
    cases = client.get("/api/v1/cases/")
    children = client.get("/api/v1/children/")
    assert cases.status_code == children.status_code == 200
    assert NIK not in cases.content.decode()
    assert NIK not in children.content.decode()
    assert cases.json()["results"][0]["child"]["nik_masked"] == "•" * 12 + "0004"
    assert children.json()["results"][0]["nik_masked"] == "•" * 12 + "0004"
    assert children.json()["results"][0]["id"] == case.child_id


def test_nik_hidden_from_me_officer_lists(team_a, team):
    """M&E officers see cases without the child's name or masked NIK."""
    _register(team["worker"], nik=NIK)
    response = team_a["me"].client().get("/api/v1/cases/")
    assert response.status_code == 200
    child = response.json()["results"][0]["child"]
    assert (child["full_name"], child["nik_masked"]) == (None, None)


def test_registration_api_never_returns_the_nik(team_a, team):
    """Registering over the API with a NIK answers with the masked form only."""
    payload = registration_payload(nik=NIK)
    response = (
        team_a["worker"]
        .client()
        .post("/api/v1/children/", payload, content_type="application/json")
    )
    assert response.status_code == 201, response.content
    assert NIK not in response.content.decode()
    assert response.json()["child"]["nik_masked"] == "•" * 12 + "0004"


def test_child_update_replaces_and_clears_the_nik(team):
    """Correcting the NIK re-encrypts it; an empty NIK clears all three columns."""
    case = _register(team["worker"], nik=NIK)
    services.child_update(actor=team["worker"], case_id=case.pk, nik=OTHER_NIK)
    child = Child.objects.get(pk=case.child_id)
    assert crypto.decrypt(child.nik_encrypted) == OTHER_NIK
    assert (child.nik_hash, child.nik_last4) == (crypto.lookup_hash(OTHER_NIK), "0005")
    services.child_update(actor=team["worker"], case_id=case.pk, nik="")
    child.refresh_from_db()
    assert (child.nik_encrypted, child.nik_hash, child.nik_last4) == ("", "", "")


# --- Names and birth dates ---------------------------------------------------------------------


def test_one_name_child(team):
    """A child with a single name registers without any family name."""
    case = _register(team["worker"], "Sutrisno")
    child = Child.objects.get(pk=case.child_id)
    assert (child.full_name, child.known_as, child.normalized_name) == ("Sutrisno", "", "sutrisno")
    assert str(child) == "Sutrisno"


def test_full_name_is_required(team, nothing_saved):
    """A blank name is a field error on full_name."""
    assert list(_invalid(_register, team["worker"], "   ")) == ["full_name"]
    assert nothing_saved()


def test_birth_year_or_date_of_birth_required(team, nothing_saved):
    """Neither a date of birth nor a birth year: field error on birth_year."""
    assert _invalid(_register, team["worker"], birth_year=None) == {
        "birth_year": ["Give the date of birth or an estimated birth year."]
    }
    assert nothing_saved()


def test_future_date_of_birth_rejected(team, nothing_saved):
    """A date of birth after today is a field error."""
    tomorrow = _today() + timedelta(days=1)
    assert _invalid(_register, team["worker"], date_of_birth=tomorrow) == {
        "date_of_birth": ["The date of birth cannot be in the future."]
    }
    assert nothing_saved()


def test_date_of_birth_sets_birth_year_and_is_not_estimated(team):
    """With a date of birth the birth year follows it and is never 'estimated'."""
    born = _today().replace(year=_today().year - 9, month=3, day=1)
    case = _register(team["worker"], date_of_birth=born, birth_year=1990, birth_year_estimated=True)
    child = Child.objects.get(pk=case.child_id)
    assert (child.date_of_birth, child.birth_year, child.birth_year_estimated) == (
        born,
        born.year,
        False,
    )


@pytest.mark.parametrize("estimated", [True, False])
def test_birth_year_only_keeps_the_estimated_flag(team, estimated):
    """A bare birth year is stored with the worker's 'estimated' flag."""
    year = _today().year - 11
    case = _register(team["worker"], birth_year=year, birth_year_estimated=estimated)
    child = Child.objects.get(pk=case.child_id)
    assert (child.date_of_birth, child.birth_year, child.birth_year_estimated) == (
        None,
        year,
        estimated,
    )


@pytest.mark.parametrize(
    "offset", [pytest.param(26, id="26-years-ago"), pytest.param(-1, id="next")]
)
def test_birth_year_out_of_range(team, offset, nothing_saved):
    """Birth years more than 25 years ago or in the future are refused."""
    year = _today().year
    fields = _invalid(_register, team["worker"], birth_year=year - offset)
    assert fields == {"birth_year": [f"The birth year must be between {year - 25} and now."]}
    assert nothing_saved()


# --- Regions -----------------------------------------------------------------------------------


def test_unknown_province_is_a_field_error(team, nothing_saved):
    """Province 99 does not exist."""
    fields = _invalid(
        _register, team["worker"], household={"province_code": "99", "regency_code": ""}
    )
    assert fields == {"province_code": ["Unknown province code '99'."]}
    assert nothing_saved()


def test_regency_in_another_province_is_a_field_error(team, nothing_saved):
    """Surabaya (35.78) is not in Central Java (33)."""
    fields = _invalid(
        _register, team["worker"], household={"province_code": "33", "regency_code": "35.78"}
    )
    assert fields == {
        "regency_code": [
            "Regency 35.78 (Kota Surabaya) is in province 35 (Jawa Timur), not in 33 (Jawa Tengah)."
        ]
    }
    assert nothing_saved()


def test_unknown_regency_is_a_field_error(team):
    """A well-formed but unknown regency code is refused."""
    fields = _invalid(
        _register, team["worker"], household={"province_code": "33", "regency_code": "33.99"}
    )
    assert fields == {"regency_code": ["Unknown regency code '33.99'."]}


def test_unknown_province_with_regency_is_reported_on_province(team):
    """The province's own error lands on province_code even when a regency is also given."""
    fields = _invalid(
        _register, team["worker"], household={"province_code": "99", "regency_code": "33.74"}
    )
    assert fields == {"province_code": ["Unknown province code '99'."]}


def test_undotted_regency_code_is_normalised(team):
    """'3374' is stored as '33.74' on the household and the case."""
    case = _register(team["worker"], household={"regency_code": "3374"})
    case = Case.objects.select_related("child__household").get(pk=case.pk)
    assert case.child.household.regency_code == "33.74"
    assert (case.province_code, case.regency_code) == ("33", "33.74")


def test_no_address_at_all_is_allowed(team):
    """A household without province or regency registers (address unknown yet)."""
    case = _register(team["worker"], household={"province_code": "", "regency_code": ""})
    assert (case.province_code, case.regency_code) == ("", "")


# --- Household -----------------------------------------------------------------------------------


def test_household_and_members_saved(team):
    """The household with its members is saved and linked to the child."""
    members = [
        {
            "name": "Pak Rahayu",
            "relationship": "father",
            "birth_year": 1980,
            "occupation": "nelayan",
        },
        {"name": "Dewi", "relationship": "sister"},
    ]
    case = _register(
        team["worker"],
        household={"members": members, "member_count": 4, "monthly_income_band": "lt_1m"},
    )
    household = Child.objects.get(pk=case.child_id).household
    assert (household.guardian_name, household.member_count, household.monthly_income_band) == (
        "Ibu Rahayu",
        4,
        "lt_1m",
    )
    rows = list(
        HouseholdMember.objects.filter(household=household)
        .order_by("id")
        .values_list("name", "relationship", "birth_year", "occupation")
    )
    assert rows == [("Pak Rahayu", "father", 1980, "nelayan"), ("Dewi", "sister", None, "")]


def test_invalid_household_member_saves_nothing(team, nothing_saved):
    """A member without a name is a field error; no household, child or case is left."""
    fields = _invalid(
        _register, team["worker"], household={"members": [{"name": "", "relationship": "uncle"}]}
    )
    assert list(fields) == ["name"]
    assert nothing_saved()


def test_household_income_band_must_be_known(team, nothing_saved):
    """An unknown income band is a field error on monthly_income_band."""
    fields = _invalid(_register, team["worker"], household={"monthly_income_band": "rich"})
    assert list(fields) == ["monthly_income_band"]
    assert nothing_saved()


# --- Duplicate check -----------------------------------------------------------------------------


def _duplicates(actor, name, **kwargs):
    return [
        (child.full_name, reasons)
        for child, reasons in selectors.child_duplicates(actor=actor, full_name=name, **kwargs)
    ]


@pytest.fixture
def siti(team):
    """Siti Rahayu, born 13 years ago, NIK known, guardian Ibu Rahayu in Tanjung Mas."""
    return _register(team["worker"], nik=NIK)


@pytest.mark.parametrize(
    "query",
    [
        "Siti Rahayu",
        "SITI RAHAYU",
        "  siti   rahayu ",
        "Sití Ráhayu.",
        "Siti-Rahayu",
        "Siti, Rahayu!",
    ],
)
def test_duplicate_same_name_ignores_case_accents_punctuation(team, siti, query):
    """The normalised name with the birth year within one year is a likely duplicate."""
    year = _today().year - 13
    assert _duplicates(team["worker"], query, birth_year=year) == [
        ("Siti Rahayu", ["name", "birth_year"])
    ]


@pytest.mark.parametrize(("offset", "found"), [(-1, True), (1, True), (-2, False), (2, False)])
def test_duplicate_birth_year_within_one_year(team, siti, offset, found):
    """Birth years one apart still match; two apart do not."""
    year = _today().year - 13 + offset
    expected = [("Siti Rahayu", ["name", "birth_year"])] if found else []
    assert _duplicates(team["worker"], "Siti Rahayu", birth_year=year) == expected


def test_duplicate_by_nik_alone(team, siti):
    """The same NIK matches whatever the name and year."""
    assert _duplicates(team["worker"], "Budi Santoso", birth_year=1990, nik=NIK) == [
        ("Siti Rahayu", ["nik"])
    ]
    assert _duplicates(team["worker"], "Budi Santoso", birth_year=1990, nik=OTHER_NIK) == []


def test_duplicate_guardian_and_village_strengthen(team, siti):
    """The name alone (no birth year) is not enough; the same guardian and village make it."""
    assert _duplicates(team["worker"], "Siti Rahayu") == []
    assert _duplicates(team["worker"], "Siti Rahayu", guardian_name="ibu rahayu") == [
        ("Siti Rahayu", ["name", "guardian"])
    ]
    assert _duplicates(
        team["worker"], "Siti Rahayu", guardian_name="Ibu  Rahayu", village="TANJUNG MAS"
    ) == [("Siti Rahayu", ["name", "guardian", "village"])]


def test_duplicate_similar_name(team, siti):
    """A name contained in the other (one name given of two) is a similar name."""
    year = _today().year - 13
    assert _duplicates(team["worker"], "Siti", birth_year=year) == [
        ("Siti Rahayu", ["similar_name", "birth_year"])
    ]


def test_duplicate_nik_match_sorts_first(team, siti):
    """A NIK match is listed before name-only matches."""
    year = _today().year - 13
    _register(team["worker"], "Siti Rahayu", nik=OTHER_NIK)
    results = _duplicates(team["worker"], "Siti Rahayu", birth_year=year, nik=OTHER_NIK)
    assert results == [
        ("Siti Rahayu", ["nik", "name", "birth_year"]),
        ("Siti Rahayu", ["name", "birth_year"]),
    ]


def test_duplicate_different_child_not_found(team, siti):
    """Another child with the same first name and year but nothing else in common is no match."""
    year = _today().year - 13
    assert _duplicates(team["worker"], "Siti Aminah", birth_year=year) == []


def test_duplicate_ignores_apostrophes(team):
    """'Ma'ruf' and 'Maruf' are the same name spelt with and without the apostrophe."""
    year = _today().year - 13
    _register(team["worker"], "Muhammad Ma'ruf")
    assert _duplicates(team["worker"], "Muhammad Maruf", birth_year=year) == [
        ("Muhammad Ma'ruf", ["name", "birth_year"])
    ]


def test_exact_duplicate_found_among_many_similar_first_names(team):
    """An exact name match is found even when 30+ children share the first name and year."""
    year = _today().year - 13
    Child.objects.bulk_create(
        Child(
            full_name=f"Siti {number}",
            normalized_name=f"siti {number}",
            sex="female",
            birth_year=year,
            school_status="in_school",
            created_by=team["worker"],
        )
        for number in range(40)
    )
    _register(team["worker"], "Siti Rahayu")
    assert _duplicates(team["worker"], "Siti Rahayu", birth_year=year) == [
        ("Siti Rahayu", ["name", "birth_year"])
    ]


def test_duplicates_never_cross_ngos(ngo_b, team_b, team, siti):
    """A child registered in NGO B is never found from NGO A (and vice versa)."""
    year = _today().year - 13
    with schema_context(ngo_b.ngo.schema_name):
        _register(team_b["worker"].user, "Siti Rahayu", nik=NIK)
        assert len(_duplicates(team_b["worker"].user, "Siti Rahayu", birth_year=year, nik=NIK)) == 1
    assert _duplicates(team["worker"], "Siti Rahayu", birth_year=year, nik=NIK) == [
        ("Siti Rahayu", ["nik", "name", "birth_year"])
    ]
    assert Child.objects.filter(normalized_name="siti rahayu").count() == 1


def test_duplicate_check_needs_edit_capability(team, siti):
    """M&E officers cannot run the duplicate check (it reveals identities)."""
    with pytest.raises(PermissionDeniedError):
        selectors.child_duplicates(actor=team["me"], full_name="Siti Rahayu")


def test_duplicate_check_api(team_a, team, siti):
    """GET /api/v1/children/duplicates/ lists the match with its reasons."""
    year = _today().year - 13
    response = (
        team_a["worker"]
        .client()
        .get("/api/v1/children/duplicates/", {"full_name": "siti rahayu", "birth_year": year})
    )
    assert response.status_code == 200
    body = response.json()
    assert [(row["child"]["id"], row["reasons"]) for row in body] == [
        (siti.child_id, ["name", "birth_year"])
    ]
