"""The bulk path: many cases loaded over COPY, all or nothing, derived fields and audit."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from casework import crypto
from casework.bulk import BulkCase, cases_bulk_load
from casework.models import Assessment, AuditEvent, Case, Child, FollowUp, Intervention
from core.errors import ApplicationError, PermissionDeniedError

pytestmark = pytest.mark.django_db


def _row(name: str, **overrides) -> BulkCase:
    today = timezone.localdate()
    values = {
        "full_name": name,
        "sex": "male",
        "birth_year": today.year - 13,
        "school_status": "dropped_out",
        "guardian_name": "Ibu Sri",
        "guardian_relationship": "ibu",
        "opened_on": today - timedelta(days=60),
        "status": Case.Status.IN_SERVICE,
        "province_code": "33",
        "regency_code": "3374",
        "nik": "3374011201130001",
        "assessment": {"hours_per_week": 20, "night_work": True, "score_safety": 2},
        "interventions": [
            {"delivered_on": today - timedelta(days=30), "type": "tutoring", "provider": "PKBM"}
        ],
        "followups": [
            {"due_on": today - timedelta(days=3)},
            {"due_on": today + timedelta(days=10)},
            {"due_on": today - timedelta(days=20), "completed_on": today - timedelta(days=19)},
        ],
    }
    values.update(overrides)
    return BulkCase(**values)


def test_bulk_load_writes_every_row_with_derived_fields(ngo_a, team_a):
    """Cases, children, assessments, services, follow-ups and one audit event per case."""
    supervisor = team_a["supervisor"].user
    with schema_context(ngo_a.ngo.schema_name):
        before_audit = AuditEvent.objects.filter(action="create", object_type="case").count()
        loaded = cases_bulk_load(
            actor=supervisor, rows=[_row("Agus Salim"), _row("Dewi", assessment=None)]
        )
        assert loaded == 2
        cases = {
            case.child.full_name: case
            for case in Case.objects.filter(reference__startswith="IMP-").select_related("child")
        }
        agus = cases["Agus Salim"]
        assert agus.reference == f"IMP-{agus.pk}"
        assert agus.regency_code == "33.74"
        assert agus.assigned_worker_id == supervisor.pk
        # 13 years old, 20 h/week, night work (hazardous under both standards).
        assert agus.child_labour_status == "hazardous"
        assert agus.risk_level == "high"
        assessment = Assessment.objects.get(case=agus)
        assert (assessment.status_bps, assessment.status_ilo) == ("hazardous", "hazardous")
        assert assessment.status == Assessment.Status.APPROVED
        today = timezone.localdate()
        assert agus.next_due_on == today - timedelta(days=3)
        assert agus.has_overdue is True
        assert FollowUp.objects.filter(case=agus, is_overdue=True).count() == 1
        assert Intervention.objects.filter(case=agus).count() == 1
        child = Child.objects.get(pk=agus.child_id)
        assert "3374011201130001" not in child.nik_encrypted
        assert crypto.decrypt(child.nik_encrypted) == "3374011201130001"
        assert child.nik_masked.endswith("0001")
        dewi = cases["Dewi"]
        assert dewi.risk_level == ""
        assert not Assessment.objects.filter(case=dewi).exists()
        after_audit = AuditEvent.objects.filter(action="create", object_type="case").count()
        assert after_audit == before_audit + 2
        event = AuditEvent.objects.get(object_type="case", object_id=str(agus.pk))
        assert event.changed_fields == {
            "reference": [None, agus.reference],
            "status": [None, "in_service"],
        }
        assert event.details == {"via": "bulk_load"}


def test_invalid_row_is_reported_and_nothing_is_written(ngo_a, team_a):
    """A bad row names its index and field; no row of the batch is written."""
    with schema_context(ngo_a.ngo.schema_name):
        before = Case.objects.count()
        with pytest.raises(ApplicationError) as caught:
            cases_bulk_load(
                actor=team_a["supervisor"].user,
                rows=[_row("Baik"), _row("Salah", nik="12345")],
            )
        assert caught.value.fields == {"rows[1].nik": ["A NIK has exactly 16 digits."]}
        assert Case.objects.count() == before


def test_bulk_load_needs_the_edit_capability(ngo_a, team_a):
    """An M&E officer cannot load cases."""
    with schema_context(ngo_a.ngo.schema_name):
        with pytest.raises(PermissionDeniedError):
            cases_bulk_load(actor=team_a["me"].user, rows=[_row("Tono")])
        assert not Child.objects.filter(full_name="Tono").exists()
