"""Public-host API for the operator and consortium coordinators: list, provision, set status."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError, PermissionDeniedError
from tenants import services
from tenants.models import NGO, Consortium
from tenants.selectors import consortia_for_user, ngos_for_user


class IsOperatorOrCoordinator(BasePermission):
    """Public-schema accounts that run the platform or coordinate a consortium."""

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (user.is_superuser or consortia_for_user(user).exists())
        )


class NGOOutputSerializer(serializers.ModelSerializer):
    consortium: serializers.SlugRelatedField[Consortium] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    domain = serializers.SerializerMethodField()

    class Meta:
        model = NGO
        fields = [
            "slug",
            "name",
            "consortium",
            "contact_name",
            "contact_email",
            "contact_phone",
            "region",
            "status",
            "is_ready",
            "created_at",
            "domain",
        ]

    def get_domain(self, ngo) -> str:
        return services.host_for(ngo.slug)


class NGOProvisionInputSerializer(serializers.Serializer):
    consortium = serializers.SlugField()
    slug = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=200)
    admin_email = serializers.EmailField()
    admin_password = serializers.CharField(required=False, allow_blank=True, write_only=True)
    contact_name = serializers.CharField(required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(required=False, allow_blank=True, default="")
    region = serializers.CharField(required=False, allow_blank=True, default="")


class NGOProvisionOutputSerializer(serializers.Serializer):
    ngo = NGOOutputSerializer()
    domain = serializers.CharField()
    admin_username = serializers.CharField()
    admin_password = serializers.CharField(help_text="Shown once; generated when not given.")


class NGOStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=NGO.Status.choices)


class NGOListCreateView(APIView):
    permission_classes = [IsOperatorOrCoordinator]

    @extend_schema(responses=NGOOutputSerializer(many=True), tags=["ngos"], summary="List NGOs")
    def get(self, request):
        ngos = ngos_for_user(request.user).order_by("name")
        return Response(NGOOutputSerializer(ngos, many=True).data)

    @extend_schema(
        request=NGOProvisionInputSerializer,
        responses={201: NGOProvisionOutputSerializer},
        tags=["ngos"],
        summary="Provision a new NGO (schema, host and first admin)",
    )
    def post(self, request):
        serializer = NGOProvisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        consortium = consortia_for_user(request.user).filter(slug=data.pop("consortium")).first()
        if consortium is None:
            raise ApplicationError(
                "Unknown consortium, or you do not coordinate it.",
                fields={"consortium": ["Choose a consortium you coordinate."]},
            )
        result = services.ngo_provision(actor=request.user, consortium=consortium, **data)
        output = NGOProvisionOutputSerializer(
            {
                "ngo": result.ngo,
                "domain": result.domain,
                "admin_username": result.admin_username,
                "admin_password": result.admin_password,
            }
        )
        return Response(output.data, status=status.HTTP_201_CREATED)


class NGOStatusView(APIView):
    permission_classes = [IsOperatorOrCoordinator]

    @extend_schema(
        request=NGOStatusInputSerializer,
        responses=NGOOutputSerializer,
        tags=["ngos"],
        summary="Suspend, archive or reactivate an NGO",
    )
    def post(self, request, slug: str):
        ngo = get_object_or_404(ngos_for_user(request.user), slug=slug)
        serializer = NGOStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        requested = serializer.validated_data["status"]
        if not request.user.is_superuser and NGO.Status.ARCHIVED in (ngo.status, requested):
            # As in the console: coordinators suspend and reactivate; archiving (which they
            # could not undo) and restoring are the operator's.
            raise PermissionDeniedError(
                _("Only the platform operator can archive an NGO or restore an archived one.")
            )
        ngo = services.ngo_set_status(
            actor=request.user, ngo=ngo, status=serializer.validated_data["status"]
        )
        return Response(NGOOutputSerializer(ngo).data)


class ConsortiumOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consortium
        fields = ["slug", "name", "created_at"]


class ConsortiumListView(APIView):
    permission_classes = [IsOperatorOrCoordinator]

    @extend_schema(
        responses=ConsortiumOutputSerializer(many=True), tags=["consortia"], summary="Consortia"
    )
    def get(self, request):
        return Response(
            ConsortiumOutputSerializer(consortia_for_user(request.user), many=True).data
        )
