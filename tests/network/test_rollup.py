"""Rollups against hand-counted fixtures: three children of NGO A over September to November
2026, every tenant-counted indicator checked month by month, with its breakdown where it
matters; idempotence; a failed run keeps the previous rows; isolation between NGOs.

The fixture (dates chosen so each rule is exercised; counts worked out by hand below):

- Ani, girl, born 2014-03-01 (12 in the window: 12_14), case C1 child_labour opened 09-10 in
  33.74, risk high. Approved assessments 09-15 (perikanan, ILO hazardous, BPS child labour,
  education 2) and 11-05 (perikanan, ILO child labour, BPS child labour, education 4); a third
  one 11-20 only submitted (never counted). Services: counselling 09-20 (first: 10 days),
  school return 10-03. Follow-ups: due 10-01 done 09-30 (on time), due 11-10 not done
  (overdue). Verification 11-20: left work, in school, not seen back (withdrawn; back in
  school: no earlier visit and she had dropped out).
- Budi, boy, birth year 2010 only (16: 15_17), case C2 prevention opened 10-02, risk low, no
  approved assessment (sector and status unknown), closed 11-15 as prevented. Service: health
  10-12 (first: 10 days). Verifications 10-20 in school, not seen back (prevented; back in
  school) and 11-10 seen back at work, not in school (relapsed).
- Citra, girl, birth year 2016 (10: 5_11), case C3 child_labour opened 08-20 (before the
  window), approved assessment 08-25 (pemulung: street work; ILO child labour, BPS hazardous).
- Referrals of NGO A: one sent 10-05 (counselling); one received 10-07 and accepted 10-09
  (counselling, urgent); one received 11-01, due 11-10, never answered (health).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from casework.models import Assessment, Case, Child, FollowUp, Household, Intervention, Verification
from network.referrals.models import Referral, ReferralEvent
from network.reporting import rollup
from network.reporting.models import AggregateCell, LinkageHash, Rollup

pytestmark = pytest.mark.django_db

SEP, OCT, NOV = dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)
MONTHS = [SEP, OCT, NOV]


def _at(day: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T10:00"))


def _child(name, sex, *, birth_year, date_of_birth=None, household, worker):
    return Child.objects.create(
        created_by=worker,
        full_name=name,
        normalized_name=name.lower(),
        sex=sex,
        birth_year=birth_year,
        date_of_birth=date_of_birth,
        household=household,
        school_status="dropped_out",
    )


def _case(reference, child, case_type, opened_on, *, risk="", worker):
    return Case.objects.create(
        reference=reference,
        child=child,
        case_type=case_type,
        status=Case.Status.IN_SERVICE,
        opened_on=dt.date.fromisoformat(opened_on),
        risk_level=risk,
        province_code="33",
        regency_code="33.74",
        assigned_worker=worker,
    )


def _assessment(case, on, *, sector, ilo, bps, education=3, status="approved", worker):
    return Assessment.objects.create(
        case=case,
        assessed_on=dt.date.fromisoformat(on),
        assessor=worker,
        age_at_assessment=12,
        works=True,
        sector=sector,
        hours_per_week=20,
        hazards=[],
        worst_forms=[],
        score_education=education,
        score_health=3,
        score_psychosocial=3,
        score_safety=3,
        score_family_economy=3,
        risk_level="medium",
        status_ilo=ilo,
        status_bps=bps,
        status=status,
    )


RECEIVER = uuid.UUID("5e1f0000-0000-4000-8000-000000000001")  # the outgoing referral's


def _referral(
    direction, service, *, sent, created, due, urgency="normal", events=(), to_agency=None
):
    referral = Referral.objects.create(
        direction=direction,
        from_agency_uuid=uuid.uuid4(),
        to_agency_uuid=to_agency or uuid.uuid4(),
        agreement_uuid=uuid.uuid4(),
        counterpart_name="LPA",
        service_type=service,
        urgency=urgency,
        state_changed_at=_at(sent),
        sent_at=_at(sent),
        response_due_on=dt.date.fromisoformat(due),
    )
    Referral.objects.filter(pk=referral.pk).update(created_at=_at(created))
    for state, on in (("sent", sent), *events):
        ReferralEvent.objects.create(
            referral=referral, state=state, by_agency_uuid=uuid.uuid4(), at=_at(on)
        )
    return referral


@pytest.fixture
def fixture_a(ngo_a, team_a):
    worker = team_a["worker"].user
    with schema_context(ngo_a.ngo.schema_name):
        household = Household.objects.create(
            guardian_name="Ibu Rahayu",
            guardian_relationship="ibu",
            province_code="33",
            regency_code="33.74",
            village="Tanjung Mas",
        )
        ani = _child(
            "Ani",
            "female",
            birth_year=2014,
            date_of_birth=dt.date(2014, 3, 1),
            household=household,
            worker=worker,
        )
        budi = _child("Budi", "male", birth_year=2010, household=household, worker=worker)
        citra = _child("Citra", "female", birth_year=2016, household=household, worker=worker)
        c1 = _case("T-C1", ani, "child_labour", "2026-09-10", risk="high", worker=worker)
        c2 = _case("T-C2", budi, "prevention", "2026-10-02", risk="low", worker=worker)
        c3 = _case("T-C3", citra, "child_labour", "2026-08-20", worker=worker)
        _assessment(
            c1, "2026-09-15", sector="perikanan", ilo="hazardous", bps="child_labour",
            education=2, worker=worker,
        )  # fmt: skip
        _assessment(
            c1, "2026-11-05", sector="perikanan", ilo="child_labour", bps="child_labour",
            education=4, worker=worker,
        )  # fmt: skip
        _assessment(
            c1, "2026-11-20", sector="pemulung", ilo="worst_form", bps="worst_form",
            status="submitted", worker=worker,
        )  # fmt: skip
        _assessment(
            c2, "2026-10-05", sector="perikanan", ilo="hazardous", bps="hazardous",
            status="submitted", worker=worker,
        )  # fmt: skip
        _assessment(
            c3, "2026-08-25", sector="pemulung", ilo="child_labour", bps="hazardous", worker=worker
        )
        Case.objects.filter(pk=c2.pk).update(
            status=Case.Status.CLOSED,
            closed_on=dt.date(2026, 11, 15),
            closure_reason=Case.ClosureReason.PREVENTED,
        )
        for case, on, kind in (
            (c1, "2026-09-20", "counselling"),
            (c1, "2026-10-03", "school_return"),
            (c2, "2026-10-12", "health"),
        ):
            Intervention.objects.create(
                case=case, delivered_on=dt.date.fromisoformat(on), type=kind, recorded_by=worker
            )
        FollowUp.objects.create(
            case=c1,
            due_on=dt.date(2026, 10, 1),
            completed_on=dt.date(2026, 9, 30),
            assigned_worker=worker,
        )
        FollowUp.objects.create(case=c1, due_on=dt.date(2026, 11, 10), assigned_worker=worker)
        for case, on, left, school, back in (
            (c1, "2026-11-20", True, True, False),
            (c2, "2026-10-20", False, True, False),
            (c2, "2026-11-10", False, False, True),
        ):
            Verification.objects.create(
                case=case,
                visited_on=dt.date.fromisoformat(on),
                left_work=left,
                in_school_or_training=school,
                seen_back_at_work=back,
                verified_by=worker,
            )
        _referral(
            "outgoing", "counselling", sent="2026-10-05", created="2026-10-05", due="2026-10-12",
            to_agency=RECEIVER,
        )  # fmt: skip
        _referral(
            "incoming", "counselling", sent="2026-10-06", created="2026-10-07", due="2026-10-13",
            urgency="urgent", events=(("accepted", "2026-10-09"),),
        )  # fmt: skip
        _referral("incoming", "health", sent="2026-11-01", created="2026-11-01", due="2026-11-10")
    connection.set_schema_to_public()
    return ngo_a.ngo


def _totals(ngo, indicator, *dimensions):
    """{(month, *dimension values): summed value} of the NGO's rows of `indicator`."""
    totals: dict[tuple, int] = defaultdict(int)
    for row in AggregateCell.objects.filter(ngo=ngo, indicator=indicator).values():
        totals[(row["month"], *(row[name] for name in dimensions))] += row["value"]
    return dict(totals)


def test_every_tenant_indicator_matches_the_hand_count(fixture_a):
    result = rollup.ngo_rollup(ngo=fixture_a, months=MONTHS)
    assert result.status == Rollup.Status.OK
    assert (result.first_month, result.last_month) == (SEP, NOV)
    ngo = fixture_a

    assert _totals(ngo, "active_cases") == {(SEP,): 2, (OCT,): 3, (NOV,): 2}
    assert _totals(ngo, "active_cases", "age_band", "sex") == {
        (SEP, "12_14", "female"): 1,
        (SEP, "5_11", "female"): 1,
        (OCT, "12_14", "female"): 1,
        (OCT, "5_11", "female"): 1,
        (OCT, "15_17", "male"): 1,
        (NOV, "12_14", "female"): 1,
        (NOV, "5_11", "female"): 1,
    }
    assert _totals(ngo, "active_cases", "sector") == {
        (SEP, "fishing"): 1,
        (SEP, "street_work"): 1,
        (OCT, "fishing"): 1,
        (OCT, "street_work"): 1,
        (OCT, "unknown"): 1,  # Budi: only a submitted assessment
        (NOV, "fishing"): 1,
        (NOV, "street_work"): 1,
    }
    assert _totals(ngo, "active_cases", "province", "regency", "risk_level") == {
        (SEP, "33", "33.74", "high"): 1,
        (SEP, "33", "33.74", "unknown"): 1,
        (OCT, "33", "33.74", "high"): 1,
        (OCT, "33", "33.74", "low"): 1,
        (OCT, "33", "33.74", "unknown"): 1,
        (NOV, "33", "33.74", "high"): 1,
        (NOV, "33", "33.74", "unknown"): 1,
    }
    assert _totals(ngo, "active_cases", "status_ilo", "status_bps") == {
        (SEP, "hazardous", "child_labour"): 1,
        (SEP, "child_labour", "hazardous"): 1,
        (OCT, "hazardous", "child_labour"): 1,
        (OCT, "child_labour", "hazardous"): 1,
        (OCT, "unknown", "unknown"): 1,
        (NOV, "child_labour", "child_labour"): 1,  # Ani's second approved assessment
        (NOV, "child_labour", "hazardous"): 1,
    }
    by_standard = {(m, s): 2 for m in MONTHS for s in ("ilo", "bps")}
    assert _totals(ngo, "children_in_child_labour", "standard") == by_standard
    assert _totals(ngo, "children_in_hazardous_work", "standard") == {
        (SEP, "ilo"): 1,
        (OCT, "ilo"): 1,
        (SEP, "bps"): 1,
        (OCT, "bps"): 1,
        (NOV, "bps"): 1,
    }
    assert _totals(ngo, "children_in_worst_forms") == {}  # the worst form was never approved

    assert _totals(ngo, "new_cases", "case_type") == {
        (SEP, "child_labour"): 1,
        (OCT, "prevention"): 1,
    }
    assert _totals(ngo, "children_identified") == {(SEP,): 1, (OCT,): 1}
    assert _totals(ngo, "closed_cases", "closure_reason", "sex") == {(NOV, "prevented", "male"): 1}

    assert _totals(ngo, "children_withdrawn") == {(NOV,): 1}
    assert _totals(ngo, "children_prevented") == {(OCT,): 1}
    assert _totals(ngo, "children_relapsed", "sex") == {(NOV, "male"): 1}
    assert _totals(ngo, "children_back_in_school", "sex") == {
        (OCT, "male"): 1,
        (NOV, "female"): 1,
    }

    scores = {
        (row["month"], row["domain"]): (row["value"], row["total"])
        for row in AggregateCell.objects.filter(ngo=ngo, indicator="domain_score_change").values()
    }
    assert scores == {
        (NOV, "education"): (1, 2.0),
        (NOV, "health"): (1, 0.0),
        (NOV, "psychosocial"): (1, 0.0),
        (NOV, "safety"): (1, 0.0),
        (NOV, "family_economy"): (1, 0.0),
    }

    assert _totals(ngo, "services_delivered", "service_type") == {
        (SEP, "counselling"): 1,
        (OCT, "school_return"): 1,
        (OCT, "health"): 1,
    }
    assert _totals(ngo, "children_served", "service_type") == {
        (SEP, "counselling"): 1,
        (OCT, "school_return"): 1,
        (OCT, "health"): 1,
    }
    assert _totals(ngo, "days_to_first_service", "days") == {(SEP, 10): 1, (OCT, 10): 1}
    assert _totals(ngo, "followups", "timeliness") == {(OCT, "on_time"): 1, (NOV, "overdue"): 1}

    assert _totals(ngo, "referrals_sent", "service_type") == {(OCT, "counselling"): 1}
    # By receiving agency: the referral flow between agencies (only sent referrals have one).
    assert _totals(ngo, "referrals_sent", "to_agency") == {(OCT, str(RECEIVER)): 1}
    assert _totals(ngo, "referrals_received", "to_agency") == {(OCT, ""): 1, (NOV, ""): 1}
    assert _totals(ngo, "referrals_received", "service_type") == {
        (OCT, "counselling"): 1,
        (NOV, "health"): 1,
    }
    assert _totals(ngo, "referrals_accepted", "urgency") == {(OCT, "urgent"): 1}
    assert _totals(ngo, "referrals_declined") == {}
    assert _totals(ngo, "referrals_completed") == {}
    assert _totals(ngo, "referrals_overdue", "service_type") == {(NOV, "health"): 1}

    # Every child with a case open in the window has one keyed hash, with the months a case
    # was open on at least one day (Budi: October and November, closed on 11-15).
    hashes = {len(row.months): row.hash for row in LinkageHash.objects.filter(ngo=ngo)}
    assert sorted(
        len(m) for m in LinkageHash.objects.filter(ngo=ngo).values_list("months", flat=True)
    ) == [2, 3, 3]
    assert all(len(value) == 64 and "Ani" not in value for value in hashes.values())


def test_a_second_run_gives_the_same_rows(fixture_a):
    rollup.ngo_rollup(ngo=fixture_a, months=MONTHS)
    fields = [f.name for f in AggregateCell._meta.concrete_fields if f.name != "id"]
    first = sorted(AggregateCell.objects.filter(ngo=fixture_a).values_list(*fields))
    rollup.ngo_rollup(ngo=fixture_a, months=MONTHS)
    assert sorted(AggregateCell.objects.filter(ngo=fixture_a).values_list(*fields)) == first
    assert LinkageHash.objects.filter(ngo=fixture_a).count() == 3


def test_a_failed_run_keeps_the_previous_rows_and_says_so(fixture_a, monkeypatch):
    rollup.ngo_rollup(ngo=fixture_a, months=MONTHS)
    before = AggregateCell.objects.filter(ngo=fixture_a).count()
    assert before > 0

    def broken(cells, params):
        raise RuntimeError("the disk is full")

    from network.reporting import counting

    monkeypatch.setattr(counting, "COUNTERS", (*counting.COUNTERS, broken))
    with pytest.raises(RuntimeError):
        rollup.ngo_rollup(ngo=fixture_a, months=MONTHS)
    assert AggregateCell.objects.filter(ngo=fixture_a).count() == before
    state = Rollup.objects.get(ngo=fixture_a)
    assert state.status == Rollup.Status.FAILED
    assert "the disk is full" in state.error
    assert state.rolled_up_at is not None
    assert state.rolled_up_at <= state.attempted_at


def test_rows_belong_to_their_ngo_only(fixture_a, ngo_b):
    """NGO B has no cases: its rollup writes nothing, and leaves NGO A's rows alone."""
    rollup.ngo_rollup(ngo=fixture_a, months=MONTHS)
    count_a = AggregateCell.objects.filter(ngo=fixture_a).count()
    rollup.ngo_rollup(ngo=ngo_b.ngo, months=MONTHS)
    assert AggregateCell.objects.filter(ngo=ngo_b.ngo).count() == 0
    assert AggregateCell.objects.filter(ngo=fixture_a).count() == count_a
    assert set(AggregateCell.objects.values_list("consortium_id", flat=True)) == {
        fixture_a.consortium_id
    }


def test_a_child_served_by_two_ngos_is_counted_without_a_name(ngo_a, ngo_b, team_a, team_b):
    """Soetjipto (NGO A) and Sucipto (NGO B), both born 2012, guardian "Ibu Sri Wahyuni" /
    "Sri Wahyuni": one child in two NGOs in November; a different child is not counted."""
    from network.reporting import selectors

    for ngo, team, names in (
        (ngo_a, team_a, ("Soetjipto", "Ibu Sri Wahyuni", "Ani")),
        (ngo_b, team_b, ("Sucipto", "Sri Wahyuni", "Budi")),
    ):
        worker = team["worker"].user
        with schema_context(ngo.ngo.schema_name):
            household = Household.objects.create(
                guardian_name=names[1], guardian_relationship="ibu", village="Tanjung Mas"
            )
            for index, name in enumerate((names[0], names[2])):
                child = _child(name, "male", birth_year=2012, household=household, worker=worker)
                _case(f"L-{ngo.ngo.pk}-{index}", child, "child_labour", "2026-11-03", worker=worker)
        connection.set_schema_to_public()
        rollup.ngo_rollup(ngo=ngo.ngo, months=MONTHS)
    query = selectors.Query(
        indicator="children_served_by_several_ngos", group_by=("month",), first=SEP, last=NOV
    )
    assert selectors.inner_counts(query, ngo_a.ngo.consortium_id)[0] == {("2026-11",): 1}
    stored = set(LinkageHash.objects.values_list("hash", flat=True))
    assert len(stored) == 3  # the shared child once, Ani and Budi
    assert not any(name in value for value in stored for name in ("Sucipto", "sucipto"))
