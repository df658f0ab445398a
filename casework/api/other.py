"""Consents, audit, staff, NGO settings, notifications and attachments."""

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import selectors, services
from casework.api import serializers as s
from casework.api.base import IsNGOStaff, NewestFirstCursorPagination
from casework.api.cases import _valid
from casework.audit import audit_listed
from casework.models import Attachment
from core.audit import AuditAction
from core.errors import NotFoundError


class ConsentListView(GenericAPIView):
    permission_classes = [IsNGOStaff]
    pagination_class = NewestFirstCursorPagination
    serializer_class = s.ConsentOutputSerializer

    @extend_schema(
        parameters=[OpenApiParameter("child", int)],
        tags=["consents"],
        summary="Consents",
        operation_id="consents_list",
    )
    def get(self, request):
        child = request.query_params.get("child")
        child_id = int(child) if child and child.isdigit() else None
        queryset = selectors.consent_list(actor=request.user, child_id=child_id)
        page = self.paginate_queryset(queryset)
        audit_listed(
            actor=request.user,
            object_type="consent",
            rows=page,
            filters={"child": child_id} if child_id else None,
        )
        return self.get_paginated_response(s.ConsentOutputSerializer(page, many=True).data)

    @extend_schema(
        request=s.ConsentCreateInputSerializer,
        responses={201: s.ConsentOutputSerializer},
        tags=["consents"],
        summary="Record consent and assent (registers identified cases)",
    )
    def post(self, request):
        data = _valid(s.ConsentCreateInputSerializer, request)
        child_id = data.pop("child")
        if not selectors.child_list(actor=request.user).filter(pk=child_id).exists():
            raise NotFoundError(_("Child not found."))
        consent = services.consent_record(
            actor=request.user, child_id=child_id, data=services.ConsentInput(**data)
        )
        return Response(s.ConsentOutputSerializer(consent).data, status=status.HTTP_201_CREATED)


class ConsentWithdrawView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.ConsentWithdrawInputSerializer,
        responses=s.ConsentOutputSerializer,
        tags=["consents"],
        summary="Withdraw a consent",
    )
    def post(self, request, consent_id: int):
        data = _valid(s.ConsentWithdrawInputSerializer, request)
        if not selectors.consent_list(actor=request.user).filter(pk=consent_id).exists():
            raise NotFoundError(_("Consent not found."))
        consent = services.consent_withdraw(actor=request.user, consent_id=consent_id, **data)
        return Response(s.ConsentOutputSerializer(consent).data)


class AuditListView(GenericAPIView):
    permission_classes = [IsNGOStaff]
    pagination_class = NewestFirstCursorPagination
    serializer_class = s.AuditEventSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("actor", str),
            OpenApiParameter("action", str, enum=AuditAction.values),
            OpenApiParameter("object_type", str),
            OpenApiParameter("case", int),
            OpenApiParameter("since", OpenApiTypes.DATE),
            OpenApiParameter("until", OpenApiTypes.DATE),
        ],
        tags=["audit"],
        summary="Audit events (admins)",
        operation_id="audit_list",
    )
    def get(self, request):
        from rest_framework import serializers as drf

        class Query(drf.Serializer):
            actor = drf.CharField(required=False)
            action = drf.ChoiceField(choices=AuditAction.choices, required=False)
            object_type = drf.CharField(required=False)
            case = drf.IntegerField(required=False)
            since = drf.DateField(required=False)
            until = drf.DateField(required=False)

        query = Query(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        queryset = selectors.audit_events(
            actor=request.user,
            actor_username=params.get("actor"),
            action=params.get("action"),
            object_type=params.get("object_type"),
            case_id=params.get("case"),
            since=params.get("since"),
            until=params.get("until"),
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.AuditEventSerializer(page, many=True).data)


class StaffListView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(responses=s.StaffOutputSerializer(many=True), tags=["staff"], summary="Staff")
    def get(self, request):
        profiles = selectors.staff_profiles(actor=request.user)
        return Response(s.StaffOutputSerializer(profiles, many=True).data)

    @extend_schema(
        request=s.StaffInputSerializer,
        responses={201: s.StaffOutputSerializer},
        tags=["staff"],
        summary="Create a staff account",
    )
    def post(self, request):
        data = _valid(s.StaffInputSerializer, request)
        profile = services.staff_create(actor=request.user, **data)
        return Response(s.StaffOutputSerializer(profile).data, status=status.HTTP_201_CREATED)


class StaffDetailView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.StaffUpdateInputSerializer,
        responses=s.StaffOutputSerializer,
        tags=["staff"],
        summary="Change role, deactivate or set a new password",
    )
    def patch(self, request, user_id: int):
        serializer = s.StaffUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile = services.staff_update(
            actor=request.user, user_id=user_id, **serializer.validated_data
        )
        return Response(s.StaffOutputSerializer(profile).data)


class SettingsView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(responses=s.NGOSettingsSerializer, tags=["settings"], summary="NGO settings")
    def get(self, request):
        return Response(s.NGOSettingsSerializer(selectors.ngo_settings_get()).data)

    @extend_schema(
        request=s.NGOSettingsSerializer,
        responses=s.NGOSettingsSerializer,
        tags=["settings"],
        summary="Change NGO settings (admins)",
    )
    def patch(self, request):
        serializer = s.NGOSettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        row = services.ngo_settings_update(actor=request.user, **serializer.validated_data)
        return Response(s.NGOSettingsSerializer(row).data)


class NotificationListView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        responses=s.NotificationSerializer(many=True),
        tags=["notifications"],
        summary="Your unread notifications",
    )
    def get(self, request):
        rows = selectors.dashboard(actor=request.user)["notifications"][:100]
        return Response(s.NotificationSerializer(rows, many=True).data)


class NotificationReadView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(request=None, responses=s.NotificationSerializer, tags=["notifications"])
    def post(self, request, notification_id: int):
        row = services.notification_mark_read(actor=request.user, notification_id=notification_id)
        return Response(s.NotificationSerializer(row).data)


class AttachmentListView(APIView):
    permission_classes = [IsNGOStaff]
    parser_classes = [MultiPartParser]

    @extend_schema(
        responses=s.AttachmentOutputSerializer(many=True),
        tags=["cases"],
        summary="Attachments of the case's child",
    )
    def get(self, request, case_id: int):
        rows = selectors.attachment_list(actor=request.user, case_id=case_id)
        return Response(s.AttachmentOutputSerializer(rows, many=True).data)

    @extend_schema(
        request={"multipart/form-data": s.AttachmentInputSerializer},
        responses={201: s.AttachmentOutputSerializer},
        tags=["cases"],
        summary="Upload a consent form, document or photo (PDF/JPEG/PNG/WebP, 5 MB max)",
    )
    def post(self, request, case_id: int):
        data = _valid(s.AttachmentInputSerializer, request)
        attachment = services.attachment_upload(
            actor=request.user, case_id=case_id, kind=data["kind"], uploaded_file=data["file"]
        )
        return Response(
            s.AttachmentOutputSerializer(attachment).data, status=status.HTTP_201_CREATED
        )


class AttachmentDownloadView(APIView):
    """Files are never served from a public URL: every download is access-checked."""

    permission_classes = [IsNGOStaff]

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY}, tags=["cases"]
    )
    def get(self, request, attachment_uuid):
        attachment = selectors.attachment_for_download(
            actor=request.user, attachment_uuid=attachment_uuid
        )
        return FileResponse(
            attachment.file.open("rb"),
            content_type=attachment.content_type,
            as_attachment=attachment.kind != Attachment.Kind.PHOTO,
            filename=attachment.original_name,
        )
