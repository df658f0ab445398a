"""Children and registration: /api/v1/children/..."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import selectors, services
from casework.api import serializers as s
from casework.api.base import IsNGOStaff, NewestFirstCursorPagination
from casework.api.cases import _valid
from casework.audit import audit_listed
from core.errors import NotFoundError


class ChildListView(GenericAPIView):
    permission_classes = [IsNGOStaff]
    pagination_class = NewestFirstCursorPagination
    serializer_class = s.ChildOutputSerializer

    @extend_schema(
        tags=["children"], summary="Children of the cases you can see", operation_id="children_list"
    )
    def get(self, request):
        search = request.query_params.get("search")
        queryset = selectors.child_list(actor=request.user, search=search)
        page = self.paginate_queryset(queryset)
        # Full identity records are listed: the page shown is audited, like a child's detail.
        audit_listed(actor=request.user, object_type="child", rows=page, query=search)
        return self.get_paginated_response(s.ChildOutputSerializer(page, many=True).data)

    @extend_schema(
        request=s.RegistrationInputSerializer,
        responses={201: s.CaseDetailSerializer},
        tags=["children"],
        summary="Register a child (household, optional consent) and open a case",
    )
    def post(self, request):
        data = _valid(s.RegistrationInputSerializer, request)
        consent = data.pop("consent")
        household = dict(data["household"])
        case = services.child_register(
            actor=request.user,
            child=services.ChildInput(**data["child"]),
            household=services.HouseholdInput(**household),
            consent=services.ConsentInput(**consent) if consent else None,
            case_type=data["case_type"],
            assigned_worker_id=data.get("assigned_worker_id"),
        )
        detail = selectors.case_detail(actor=request.user, case_id=case.pk, audit_view=False)
        return Response(
            s.CaseDetailSerializer(detail).data,
            status=status.HTTP_201_CREATED,
        )


class ChildDetailView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(responses=s.ChildOutputSerializer, tags=["children"], summary="A child")
    def get(self, request, child_id: int):
        child = selectors.child_detail(actor=request.user, child_id=child_id)
        return Response(s.ChildOutputSerializer(child).data)

    @extend_schema(
        request=s.ChildUpdateInputSerializer,
        responses=s.ChildOutputSerializer,
        tags=["children"],
        summary="Correct a child's details",
    )
    def patch(self, request, child_id: int):
        serializer = s.ChildUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        case = (
            selectors.case_list(actor=request.user)
            .filter(child_id=child_id)
            .order_by("-id")
            .first()
        )
        if case is None:
            raise NotFoundError(_("Child not found."))
        child = services.child_update(
            actor=request.user, case_id=case.pk, **serializer.validated_data
        )
        return Response(s.ChildOutputSerializer(child).data)


class DuplicateCheckView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        parameters=[s.DuplicateQuerySerializer],
        responses=s.DuplicateOutputSerializer(many=True),
        tags=["children"],
        summary="Likely matches in this NGO, to show before saving a registration",
    )
    def get(self, request):
        query = s.DuplicateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        matches = selectors.child_duplicates(actor=request.user, **query.validated_data)
        return Response(
            s.DuplicateOutputSerializer(
                [{"child": child, "reasons": reasons} for child, reasons in matches], many=True
            ).data
        )
