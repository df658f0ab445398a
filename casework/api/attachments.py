"""Files on a child's record: /api/v1/cases/<id>/attachments/ and /api/v1/attachments/<uuid>/"""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import selectors, services
from casework.api import serializers as s
from casework.api.base import IsNGOStaff, validated
from casework.models import Attachment
from casework.services import ATTACHMENT_TYPES


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
        data = validated(s.AttachmentInputSerializer, request)
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
        responses={(200, content_type): OpenApiTypes.BINARY for content_type in ATTACHMENT_TYPES},
        tags=["cases"],
        summary="Download an attachment",
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
