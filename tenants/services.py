"""Write operations of the platform layer: consortia, NGO provisioning and NGO status."""

from __future__ import annotations

import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, schema_exists

from core.audit import AuditAction, changes, snapshot
from core.errors import ApplicationError, ConflictError, InvalidTransitionError
from tenants import error_codes, schemas
from tenants.audit import platform_audit_record
from tenants.db import connection
from tenants.models import NGO, Consortium, ConsortiumMembership, Domain

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
# Host labels that must never become an NGO's address.
RESERVED_SLUGS = frozenset(
    {
        "www",
        "public",
        "api",
        "admin",
        "static",
        "media",
        "mail",
        "smtp",
        "ftp",
        "app",
        "docs",
        "status",
        "healthz",
        "operator",
        "consortium",
        "network",
        "template",
        "ngo-template",
        "postgres",
        "pg-catalog",
        "information-schema",
    }
)
# replay: run the migrations' collected SQL (fast, chosen by bench/provision.py); clone:
# django-tenants' clone_schema of the template; migrate: run the migrations one by one.
PROVISION_METHODS = ("replay", "clone", "migrate")
STATUS_TRANSITIONS = {
    NGO.Status.ACTIVE: [NGO.Status.SUSPENDED, NGO.Status.ARCHIVED],
    NGO.Status.SUSPENDED: [NGO.Status.ACTIVE, NGO.Status.ARCHIVED],
    NGO.Status.ARCHIVED: [NGO.Status.ACTIVE],
}


@dataclass(frozen=True)
class ProvisionResult:
    ngo: NGO
    domain: str
    admin_username: str
    admin_password: str
    method: str


def slug_validate(slug: str, *, field: str = "slug") -> str:
    """Return `slug` if it is usable as a host label and schema name; raise with a clear reason."""
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        raise ApplicationError(
            _(
                "The slug must be 1-40 characters of lowercase letters, digits and hyphens, "
                "starting and ending with a letter or digit."
            ),
            code=error_codes.SLUG_INVALID,
            fields={
                field: [
                    _(
                        "Use lowercase letters, digits and hyphens only (no spaces or capitals), "
                        "1-40 characters."
                    )
                ]
            },
        )
    if slug in RESERVED_SLUGS or slug.startswith(("pg-", "ngo-template")):
        raise ApplicationError(
            _("The slug '%(slug)s' is reserved.") % {"slug": slug},
            code=error_codes.SLUG_RESERVED,
            fields={field: [_("'%(slug)s' is reserved; choose another.") % {"slug": slug}]},
        )
    return slug


def schema_name_for(slug: str) -> str:
    """The PostgreSQL schema of the NGO with this slug."""
    return "ngo_" + slug.replace("-", "_")


def host_for(slug: str) -> str:
    """The host name of the NGO with this slug."""
    return f"{slug}.{settings.BASE_DOMAIN}"


def _email_validate(email: str, field: str) -> str:
    try:
        validate_email(email)
    except ValidationError as error:
        raise ApplicationError(
            _("Enter a valid email address."), fields={field: list(error.messages)}
        ) from None
    return email.strip().lower()


def _password_or_generated(password: str | None, field: str, email: str) -> str:
    if not password:
        return secrets.token_urlsafe(12)
    user_model = get_user_model()
    try:
        validate_password(password, user=user_model(username=email, email=email))
    except ValidationError as error:
        raise ApplicationError(
            _("The password is too weak."), fields={field: list(error.messages)}
        ) from None
    return password


@transaction.atomic
def consortium_create(
    *,
    actor: User | str | None,
    slug: str,
    name: str,
    coordinator_email: str,
    coordinator_password: str | None = None,
) -> tuple[Consortium, str]:
    """Create a consortium and its first coordinator account (public schema).

    Returns the consortium and the coordinator's password (generated when not given). `actor`
    is the acting user, or None for commands and seeding; every write is in the platform trail.
    """
    slug_validate(slug)
    if not name or not name.strip():
        raise ApplicationError(
            _("A name is required."), fields={"name": [_("This field is required.")]}
        )
    email = _email_validate(coordinator_email, "coordinator_email")
    password = _password_or_generated(coordinator_password, "coordinator_password", email)
    if Consortium.objects.filter(slug=slug).exists():
        raise ConflictError(
            _("A consortium with slug '%(slug)s' already exists.") % {"slug": slug},
            code=error_codes.SLUG_TAKEN,
            fields={"slug": [_("This slug is already taken.")]},
        )
    connection.set_schema_to_public()
    consortium = Consortium(slug=slug, name=name.strip())
    consortium.full_clean()
    consortium.save()
    user_model = get_user_model()
    platform_audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=consortium,
        changed_fields=changes({}, snapshot(consortium)),
    )
    user = user_model.objects.filter(username=email).first()
    if user is None:
        user = user_model.objects.create_user(username=email, email=email, password=password)
        platform_audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            instance=user,
            changed_fields={"username": [None, email]},
        )
    else:
        user.set_password(password)
        user.save(update_fields=["password"])
        platform_audit_record(
            actor=actor,
            action=AuditAction.PASSWORD_CHANGE,
            instance=user,
            changed_fields=changes({"password": None}, {"password": user.password}),
        )
    membership = ConsortiumMembership.objects.create(
        consortium=consortium, user=user, role=ConsortiumMembership.Role.COORDINATOR
    )
    platform_audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=membership,
        changed_fields=changes({}, snapshot(membership, ["consortium_id", "user_id", "role"])),
    )
    return consortium, password


def template_ensure() -> NGO:
    """Return the registered template tenant, creating and migrating its schema if missing.

    The template is a real tenant row (never ready, no domain) so `migrate_schemas` keeps it
    current; an unregistered template would go stale silently and clones would lie.
    """
    template_schema = settings.TENANT_TEMPLATE_SCHEMA
    connection.set_schema_to_public()
    template = NGO.objects.filter(schema_name=template_schema).first()
    if template is not None and schema_exists(template_schema):
        return template
    with transaction.atomic():
        if template is None:
            template = NGO.objects.create(
                schema_name=template_schema,
                slug="ngo-template",
                name="Template (not an NGO)",
                is_template=True,
                is_ready=False,
            )
        schemas.schema_create_by_migrating(template_schema)
        schemas.clone_function_install()
    return template


@transaction.atomic
def ngo_provision(
    *,
    actor: User | str | None,
    consortium: Consortium,
    slug: str,
    name: str,
    admin_email: str,
    admin_password: str | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    region: str = "",
    method: str | None = None,
) -> ProvisionResult:
    """Create an NGO: its schema, its host and its first admin account, all or nothing.

    Everything runs in one transaction (PostgreSQL DDL is transactional), so a failure at any
    step leaves no tenant row, no domain and no schema behind. The NGO is marked ready last.
    `actor` is the acting user, or None for commands and seeding (recorded as "system").
    """
    slug_validate(slug)
    if not name or not name.strip():
        raise ApplicationError(
            _("A name is required."), fields={"name": [_("This field is required.")]}
        )
    email = _email_validate(admin_email, "admin_email")
    password = _password_or_generated(admin_password, "admin_password", email)
    method = method or settings.TENANT_PROVISION_METHOD
    if method not in PROVISION_METHODS:
        raise ApplicationError(
            _("Unknown provisioning method '%(method)s'.") % {"method": method},
            fields={"method": [", ".join(PROVISION_METHODS)]},
        )
    schema_name = schema_name_for(slug)
    connection.set_schema_to_public()
    if NGO.objects.filter(slug=slug).exists() or schema_exists(schema_name, case_sensitive=False):
        raise ConflictError(
            _("An NGO with slug '%(slug)s' already exists.") % {"slug": slug},
            code=error_codes.SLUG_TAKEN,
            fields={"slug": [_("This slug is already taken.")]},
        )
    # Password hashing is deliberately slow (~0.4 s) and releases the GIL: run it while
    # PostgreSQL builds the schema instead of after it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        password_hash = pool.submit(make_password, password)
        ngo = _ngo_create_with_schema(
            consortium=consortium,
            slug=slug,
            schema_name=schema_name,
            name=name.strip(),
            email=email,
            contact_name=contact_name,
            contact_phone=contact_phone,
            region=region,
            method=method,
        )
        with schema_context(schema_name):
            get_user_model().objects.create(
                username=email,
                email=email,
                password=password_hash.result(),
                is_staff=True,
                is_superuser=True,
            )
            _tenant_initialize(ngo)

    connection.set_schema_to_public()
    ngo.is_ready = True
    ngo.save(update_fields=["is_ready"])
    platform_audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=ngo,
        changed_fields=changes({}, snapshot(ngo)),
        details={"domain": host_for(slug), "admin_username": email, "method": method},
    )
    return ProvisionResult(
        ngo=ngo,
        domain=host_for(slug),
        admin_username=email,
        admin_password=password,
        method=method,
    )


def _ngo_create_with_schema(
    *,
    consortium: Consortium,
    slug: str,
    schema_name: str,
    name: str,
    email: str,
    contact_name: str,
    contact_phone: str,
    region: str,
    method: str,
) -> NGO:
    template = template_ensure() if method in ("replay", "clone") else None
    ngo = NGO(
        schema_name=schema_name,
        slug=slug,
        name=name,
        consortium=consortium,
        contact_name=contact_name,
        contact_email=email,
        contact_phone=contact_phone,
        region=region,
        status=NGO.Status.ACTIVE,
        is_ready=False,
    )
    ngo.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            ngo.save()
    except IntegrityError:
        # The same slug onboarded at the same moment by someone else (the check before the
        # schema work saw neither): their row won; this one is the ordinary "taken" answer.
        raise ConflictError(
            _("An NGO with slug '%(slug)s' already exists.") % {"slug": slug},
            code=error_codes.SLUG_TAKEN,
            fields={"slug": [_("This slug is already taken.")]},
        ) from None
    host = host_for(slug)
    try:
        with transaction.atomic():
            Domain.objects.create(domain=host, tenant=ngo, is_primary=True)
    except IntegrityError:
        raise ConflictError(
            _("The host '%(host)s' is already routed to another tenant.") % {"host": host},
            code=error_codes.PROVISIONING_FAILED,
            fields={"slug": [_("The address %(host)s is already in use.") % {"host": host}]},
        ) from None

    if method == "replay":
        # template_ensure() above ran for "replay" and "clone".
        schemas.schema_create_by_replaying(schema_name, template=template.schema_name)  # type: ignore[union-attr]
    elif method == "clone":
        schemas.schema_create_by_cloning(schema_name, template=template.schema_name)  # type: ignore[union-attr]
        if (NGO.objects.count() % schemas.ANALYZE_EVERY_CLONES) == 0:
            schemas.catalogs_analyze()
    else:
        schemas.schema_create_by_migrating(schema_name)
    return ngo


def _tenant_initialize(ngo: NGO) -> None:
    """Let each app create the NGO's own default rows (called in the NGO's schema context).

    The tenancy layer knows no app above it: apps name their initialisers, callables taking
    `tenant=`, in `settings.TENANT_INITIALIZERS`, run in order in the provisioning transaction.
    """
    for path in settings.TENANT_INITIALIZERS:
        import_string(path)(tenant=ngo)


@transaction.atomic
def ngo_set_status(*, actor: User | str | None, ngo: NGO, status: str) -> NGO:
    """Suspend, archive or reactivate an NGO; takes effect on its very next request.

    Leaving 'active' revokes every API token and session of the NGO; the platform trail records
    the change, who made it and how many tokens and sessions were revoked.
    """
    if status not in NGO.Status.values:
        raise ApplicationError(
            _("Unknown status '%(status)s'.") % {"status": status},
            fields={"status": [_("One of %(choices)s.") % {"choices": NGO.Status.values}]},
        )
    connection.set_schema_to_public()
    ngo = NGO.objects.select_for_update().get(pk=ngo.pk)
    allowed = STATUS_TRANSITIONS[NGO.Status(ngo.status)]
    if status == ngo.status:
        return ngo
    if status not in allowed:
        raise InvalidTransitionError(
            current=ngo.status,
            requested=status,
            allowed=list(allowed),
            labels=dict(NGO.Status.choices),
        )
    before = snapshot(ngo, ["status", "status_changed_at"])
    ngo.status = status
    ngo.status_changed_at = timezone.now()
    ngo.save(update_fields=["status", "status_changed_at"])
    details = {}
    if status != NGO.Status.ACTIVE:
        # Logins are blocked by the middleware; revoke tokens and sessions too so nothing lingers.
        with schema_context(ngo.schema_name):
            from django.contrib.sessions.models import Session
            from rest_framework.authtoken.models import Token

            details["revoked_tokens"] = Token.objects.all().delete()[0]
            details["revoked_sessions"] = Session.objects.all().delete()[0]
    platform_audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=ngo,
        changed_fields=changes(before, snapshot(ngo, list(before))),
        details=details,
    )
    return ngo
