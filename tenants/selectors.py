"""Read queries of the platform layer."""

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


def consortia_for_user(user) -> QuerySet[Consortium]:
    """Consortia where `user` (a public-schema account) is a coordinator; all for the operator."""
    if user.is_superuser:
        return Consortium.objects.all()
    return Consortium.objects.filter(
        members__user=user, members__role=ConsortiumMembership.Role.COORDINATOR
    ).distinct()


def ngos_for_user(user) -> QuerySet[NGO]:
    """NGOs visible to a public-schema account: all for the operator, its consortia's otherwise."""
    queryset = NGO.objects.filter(is_template=False).select_related("consortium")
    if user.is_superuser:
        return queryset
    return queryset.filter(consortium__in=consortia_for_user(user))
