"""Read queries of the platform layer."""

from django.contrib.auth.models import User
from django.db.models import QuerySet

from tenants.models import NGO, Consortium, ConsortiumMembership, Domain


def ngo_for_host(hostname: str) -> NGO | None:
    """The ready NGO routed at `hostname`, or None (unknown hosts and unready tenants alike)."""
    domain = (
        Domain.objects.select_related("tenant")
        .filter(domain=hostname, tenant__is_ready=True, tenant__is_template=False)
        .first()
    )
    return domain.tenant if domain else None


def ngos_ready() -> QuerySet[NGO]:
    """NGOs whose provisioning finished, active or not (never the template)."""
    return NGO.objects.filter(is_ready=True, is_template=False)


def ngos_active() -> QuerySet[NGO]:
    """NGOs that beat tasks and routing serve: ready and active."""
    return ngos_ready().filter(status=NGO.Status.ACTIVE)


def consortia_for_user(user: User) -> QuerySet[Consortium]:
    """Consortia where `user` (a public-schema account) is a coordinator; all for the operator."""
    if user.is_superuser:
        return Consortium.objects.all()
    return Consortium.objects.filter(
        members__user=user, members__role=ConsortiumMembership.Role.COORDINATOR
    ).distinct()


def ngos_for_user(user: User) -> QuerySet[NGO]:
    """NGOs visible to a public-schema account: all for the operator, its consortia's otherwise."""
    queryset = NGO.objects.filter(is_template=False).select_related("consortium")
    if user.is_superuser:
        return queryset
    return queryset.filter(consortium__in=consortia_for_user(user))


def ngo_schema_summary(ngo: NGO) -> dict[str, int]:
    """Row counts of the NGO's own tables: what the operator sees of an NGO, never the rows."""
    from django.db import connection

    from tenants.schemas import quote

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY 1",
            [ngo.schema_name],
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(
                f'SELECT count(*) FROM {quote(ngo.schema_name)}."{table}"'  # noqa: S608 - catalog names
            )
            counts[table] = cursor.fetchone()[0]
    return counts
