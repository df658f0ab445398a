"""Cases and everything recorded on them: /api/v1/cases/..."""

from collections.abc import Callable

from django.db.models import Model
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from casework import exports, selectors, services
from casework.api import serializers as s
from casework.api.base import IsNGOStaff, NewestFirstCursorPagination, validated
from casework.models import Assessment, Case, FollowUp, Intervention, Note, Verification

LIST_FILTERS = [
    OpenApiParameter("status", str, description="Comma-separated statuses"),
    OpenApiParameter("risk", str, description="Comma-separated risk levels"),
    OpenApiParameter("worker", int, description="Assigned worker id"),
    OpenApiParameter("province", str, description="Province code, e.g. 33"),
    OpenApiParameter("regency", str, description="Regency/city code, e.g. 33.74"),
    OpenApiParameter("overdue", bool, description="Only cases with overdue follow-ups"),
    OpenApiParameter("type", str, description="child_labour or prevention"),
    OpenApiParameter("search", str, description="Child's name, known-as name or case reference"),
]


def _filters(request) -> dict:
    params = request.query_params
    overdue = params.get("overdue")
    worker = params.get("worker")
    return {
        "status": params.get("status") or None,
        "risk": params.get("risk") or None,
        "worker_id": int(worker) if worker and worker.isdigit() else None,
        "province_code": params.get("province") or None,
        "regency_code": params.get("regency") or None,
        "overdue": None if overdue in (None, "") else overdue.lower() in ("1", "true", "yes"),
        "case_type": params.get("type") or None,
        "search": params.get("search") or None,
    }


class CaseListView(GenericAPIView):
    permission_classes = [IsNGOStaff]
    queryset = Case.objects.none()  # names the model for the OpenAPI document only
    pagination_class = NewestFirstCursorPagination
    serializer_class = s.CaseListSerializer

    @extend_schema(
        parameters=LIST_FILTERS,
        responses=s.CaseListSerializer(many=True),
        tags=["cases"],
        summary="List cases",
        operation_id="cases_list",
    )
    def get(self, request):
        queryset = selectors.case_list(actor=request.user, **_filters(request))
        page = self.paginate_queryset(queryset.values(*s.CASE_LIST_VALUES))
        return self.get_paginated_response(s.case_list_rows(page or []))


class CaseExportView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        parameters=LIST_FILTERS,
        responses={(200, "text/csv"): OpenApiTypes.STR},
        tags=["cases"],
        summary="Export cases as CSV, without names, NIK, photos or addresses",
    )
    def get(self, request):
        queryset = selectors.case_export(actor=request.user, filters=_filters(request))
        content, count = exports.as_csv(exports.case_rows(queryset.iterator(chunk_size=2000)))
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="cases.csv"'
        selectors.case_export_record(
            actor=request.user, rows=count, filters=dict(request.query_params)
        )
        return response


class CaseDetailView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(responses=s.CaseDetailSerializer, tags=["cases"], summary="A case in full")
    def get(self, request, case_id: int):
        case = selectors.case_detail(actor=request.user, case_id=case_id)
        return Response(s.CaseDetailSerializer(case).data)


def _detail_response(request, case_id: int, status_code=status.HTTP_200_OK) -> Response:
    case = selectors.case_detail(actor=request.user, case_id=case_id, audit_view=False)
    return Response(s.CaseDetailSerializer(case).data, status=status_code)


class CaseAssignView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.AssignInputSerializer,
        responses=s.CaseDetailSerializer,
        tags=["cases"],
        summary="Assign the case to a worker and share it",
    )
    def post(self, request, case_id: int):
        data = validated(s.AssignInputSerializer, request)
        services.case_assign(actor=request.user, case_id=case_id, **data)
        return _detail_response(request, case_id)


class _CaseChildrenView(APIView):
    """GET lists the case's rows, POST records one through a service.

    Subclasses name the model, the serializers and the service, and carry their own OpenAPI
    annotations (`_documented`): annotating the shared methods would describe every subclass
    with the last one's serializers.
    """

    permission_classes = [IsNGOStaff]
    # Set by each subclass.
    model: type[Model]
    output: type[Serializer]
    input: type[Serializer]
    service: Callable[..., Model]

    def get(self, request, case_id: int):
        rows = selectors.case_children_of(actor=request.user, case_id=case_id, model=self.model)
        related = [
            field.name
            for field in self.model._meta.concrete_fields
            if field.is_relation and field.name != "case"
        ]
        return Response(self.output(rows.select_related(*related), many=True).data)

    def post(self, request, case_id: int):
        data = validated(self.input, request)
        row = type(self).service(actor=request.user, case_id=case_id, **data)
        return Response(self.output(row).data, status=status.HTTP_201_CREATED)


def _documented(summary: str):
    """OpenAPI for one `_CaseChildrenView` subclass, from its own serializers."""

    def decorate(view):
        return extend_schema_view(
            get=extend_schema(responses=view.output(many=True), tags=["cases"], summary=summary),
            post=extend_schema(
                request=view.input,
                responses={201: view.output},
                tags=["cases"],
                summary=f"Record: {summary.lower()}",
            ),
        )(view)

    return decorate


@_documented("Assessments of the case")
class AssessmentListView(_CaseChildrenView):
    model = Assessment
    output = s.AssessmentOutputSerializer
    input = s.AssessmentInputSerializer
    service = staticmethod(services.assessment_create)


@_documented("Services delivered")
class InterventionListView(_CaseChildrenView):
    model = Intervention
    output = s.InterventionOutputSerializer
    input = s.InterventionInputSerializer
    service = staticmethod(services.intervention_record)


@_documented("Follow-ups of the case")
class FollowUpListView(_CaseChildrenView):
    model = FollowUp
    output = s.FollowUpOutputSerializer
    input = s.FollowUpInputSerializer
    service = staticmethod(services.followup_schedule)


@_documented("Verification visits")
class VerificationListView(_CaseChildrenView):
    model = Verification
    output = s.VerificationOutputSerializer
    input = s.VerificationInputSerializer
    service = staticmethod(services.verification_record)


@_documented("Case notes")
class NoteListView(_CaseChildrenView):
    model = Note
    output = s.NoteOutputSerializer
    input = s.NoteInputSerializer
    service = staticmethod(services.note_add)


class AssessmentReviewView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.ReviewInputSerializer,
        responses=s.AssessmentOutputSerializer,
        tags=["approvals"],
        summary="Approve or return an assessment",
    )
    def post(self, request, case_id: int, assessment_id: int):
        data = validated(s.ReviewInputSerializer, request)
        assessment = services.assessment_review(
            actor=request.user, case_id=case_id, assessment_id=assessment_id, **data
        )
        return Response(s.AssessmentOutputSerializer(assessment).data)


class FollowUpCompleteView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.FollowUpCompleteInputSerializer,
        responses=s.FollowUpOutputSerializer,
        tags=["cases"],
        summary="Mark a follow-up done",
    )
    def post(self, request, case_id: int, followup_id: int):
        data = validated(s.FollowUpCompleteInputSerializer, request)
        followup = services.followup_complete(
            actor=request.user, case_id=case_id, followup_id=followup_id, **data
        )
        return Response(s.FollowUpOutputSerializer(followup).data)


class PlanView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(responses=s.CasePlanOutputSerializer, tags=["cases"], summary="The case plan")
    def get(self, request, case_id: int):
        plan = selectors.case_plan(actor=request.user, case_id=case_id)
        return Response(s.CasePlanOutputSerializer(plan).data)

    @extend_schema(
        request=s.PlanInputSerializer,
        responses=s.CasePlanOutputSerializer,
        tags=["cases"],
        summary="Write the plan (replaces goals); submit=true sends it for approval",
    )
    def put(self, request, case_id: int):
        data = validated(s.PlanInputSerializer, request)
        services.plan_save(actor=request.user, case_id=case_id, **data)
        plan = selectors.case_plan(actor=request.user, case_id=case_id)
        return Response(s.CasePlanOutputSerializer(plan).data)


class PlanReviewView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.ReviewInputSerializer,
        responses=s.CasePlanOutputSerializer,
        tags=["approvals"],
        summary="Approve or return the plan",
    )
    def post(self, request, case_id: int):
        data = validated(s.ReviewInputSerializer, request)
        services.plan_review(actor=request.user, case_id=case_id, **data)
        plan = selectors.case_plan(actor=request.user, case_id=case_id)
        return Response(s.CasePlanOutputSerializer(plan).data)


class CloseView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.ClosureRequestInputSerializer,
        responses=s.CaseDetailSerializer,
        tags=["cases"],
        summary="Request closure (reason and outcome); a supervisor approves",
    )
    def post(self, request, case_id: int):
        data = validated(s.ClosureRequestInputSerializer, request)
        services.case_closure_request(actor=request.user, case_id=case_id, **data)
        return _detail_response(request, case_id)


class CloseReviewView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.ReviewInputSerializer,
        responses=s.CaseDetailSerializer,
        tags=["approvals"],
        summary="Approve or reject a closure request",
    )
    def post(self, request, case_id: int):
        data = validated(s.ReviewInputSerializer, request)
        services.case_closure_review(actor=request.user, case_id=case_id, **data)
        return _detail_response(request, case_id)


class ReopenView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.ReopenInputSerializer,
        responses=s.CaseDetailSerializer,
        tags=["cases"],
        summary="Reopen a closed case with a reason",
    )
    def post(self, request, case_id: int):
        data = validated(s.ReopenInputSerializer, request)
        services.case_reopen(actor=request.user, case_id=case_id, **data)
        return _detail_response(request, case_id)
