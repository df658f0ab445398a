"""One audit vocabulary: the actions are one enum that both trails use, every caller names them
through it, and `changed_fields` has one shape, {field: [old, new]}."""

import ast
from pathlib import Path

import pytest

from casework.models import AuditEvent
from core.audit import AuditAction, changes, event_values, search_text_redact
from tenants.models import PlatformAuditEvent

ROOT = Path(__file__).resolve().parents[2]
AUDIT_WRITERS = {"audit_record", "platform_audit_record", "event_values"}


def test_both_trails_use_the_one_action_enum():
    """The NGO trail and the platform trail store the same actions with the same labels."""
    for model in (AuditEvent, PlatformAuditEvent):
        assert model._meta.get_field("action").choices == AuditAction.choices
    assert AuditEvent.Action is AuditAction


def _audit_calls_with_literal_action():
    for package in ("casework", "tenants", "core", "ngo_platform", "network", "demo"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in AUDIT_WRITERS:
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                        yield f"{path.relative_to(ROOT)}:{node.lineno}"


def test_every_caller_names_its_action_through_the_enum():
    """No audit call passes a bare string as its action ("create"): AuditAction.CREATE."""
    assert list(_audit_calls_with_literal_action()) == []


def test_unknown_action_is_refused():
    """An action outside the enum never reaches a trail."""
    with pytest.raises(ValueError, match="frobnicate"):
        event_values(actor=None, action="frobnicate", object_type="case", object_id=1)


@pytest.mark.parametrize(
    "changed_fields",
    [{"reason": "Kembali bekerja"}, {"goals": 2}, {"status": ["a", "b", "c"]}, {"rows": 10}],
    ids=["text", "count", "triple", "export-rows"],
)
def test_changed_fields_must_be_old_new_pairs(changed_fields):
    """Anything but {field: [old, new]} is refused: such facts go in `details`."""
    with pytest.raises(ValueError, match=r"must be \[old, new\]"):
        event_values(
            actor=None,
            action=AuditAction.UPDATE,
            object_type="case",
            object_id=1,
            changed_fields=changed_fields,
        )


def test_reads_change_no_field():
    """A view, list, search, export or login carries its facts in `details`, never as a change."""
    for action in ("view", "list", "search", "export", "login", "login_failed"):
        with pytest.raises(ValueError, match="changes no field"):
            event_values(
                actor=None, action=action, object_type="child", changed_fields={"x": [1, 2]}
            )


def test_actor_none_or_a_name_is_recorded_as_such():
    """None is 'system'; a string names a non-user actor; neither is a user foreign key."""
    assert event_values(actor=None, action="view")["actor_username"] == "system"
    values = event_values(actor="seed", action="view")
    assert (values["actor"], values["actor_username"]) == (None, "seed")


def test_changes_covers_fields_missing_on_either_side():
    """A field present only before (a delete) or only after (a create) is [old, None] or
    [None, new]; sensitive values are redacted either way."""
    assert changes({"name": "A", "password": "x"}, {}) == {
        "name": ["A", None],
        "password": ["<redacted>", "<redacted>"],
    }
    assert changes({}, {"name": "B"}) == {"name": [None, "B"]}


def test_search_text_never_keeps_a_nik():
    """Runs of 10 or more digits are redacted; references and short numbers stay."""
    assert search_text_redact(" siti 3374015203130004 ") == "siti <redacted>"
    assert search_text_redact("2026-00014") == "2026-00014"
