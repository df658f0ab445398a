"""Capacity building on the public host, for coordinators: /api/v1/trainings/,
/api/v1/mentoring-visits/ (with their agreed actions) and /api/v1/self-assessments/.

Thin views over `network.capacity` (the selectors the console pages read, the services they
write through); funders and readers get a 403 (`IsCoordinator`), another consortium's records a
404. The input serializers check types and shapes; the rules and their messages are the
services'.
"""

from __future__ import annotations

from django.utils.functional import lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.base import NewestFirstCursorPagination, validated
from network import access as network_access
from network.api.base import CONSORTIUM, IsCoordinator, flag
from network.capacity import access, selectors, services
from network.capacity.models import (
    AREA_FIELDS,
    SCORE_MAX,
    SCORE_MIN,
    SCORECARD,
    AgreedAction,
    MentoringVisit,
    SelfAssessment,
    Training,
)
from tenants.models import NGO

TAG = "capacity building"

# --- Serializers --------------------------------------------------------------------------------


class NGORefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class ParticipationSerializer(serializers.Serializer):
    ngo = NGORefSerializer()
    participant_count = serializers.IntegerField()
    staff = serializers.CharField(help_text="Names and roles of the staff who came, one per line")


class TrainingSerializer(serializers.ModelSerializer):
    consortium = serializers.CharField(source="consortium.slug", read_only=True)
    participants = ParticipationSerializer(source="participations", many=True, read_only=True)
    total_participants = serializers.IntegerField(read_only=True)

    class Meta:
        model = Training
        fields = [
            "uuid",
            "consortium",
            "topic",
            "held_on",
            "trainer",
            "location",
            "notes",
            "participants",
            "total_participants",
            "created_at",
            "updated_at",
        ]


class ConsortiumInputSerializer(serializers.Serializer):
    consortium = serializers.SlugField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed only by an account that coordinates several consortia.",
    )


class ParticipationInputSerializer(serializers.Serializer):
    ngo = serializers.SlugField(help_text="The NGO's slug; a partner NGO of the consortium")
    participant_count = serializers.IntegerField(
        min_value=0, max_value=10_000, help_text="0 leaves the NGO out"
    )
    staff = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class TrainingInputSerializer(ConsortiumInputSerializer):
    topic = serializers.CharField(max_length=1000)
    held_on = serializers.DateField(help_text="The day it was held: not in the future")
    trainer = serializers.CharField(max_length=1000)
    location = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)
    participants = serializers.ListField(child=ParticipationInputSerializer(), max_length=1000)


class AgreedActionSerializer(serializers.ModelSerializer):
    is_overdue = serializers.BooleanField(read_only=True, help_text="Open past its due date")

    class Meta:
        model = AgreedAction
        fields = [
            "uuid",
            "description",
            "due_on",
            "status",
            "done_on",
            "follow_up_note",
            "is_overdue",
            "created_at",
            "updated_at",
        ]


class MentoringVisitSerializer(serializers.ModelSerializer):
    consortium = serializers.CharField(source="consortium.slug", read_only=True)
    ngo = NGORefSerializer(read_only=True)
    actions = AgreedActionSerializer(many=True, read_only=True)
    open_actions = serializers.IntegerField(read_only=True)
    overdue_actions = serializers.IntegerField(read_only=True)

    class Meta:
        model = MentoringVisit
        fields = [
            "uuid",
            "consortium",
            "ngo",
            "visited_on",
            "mentor",
            "topics",
            "findings",
            "actions",
            "open_actions",
            "overdue_actions",
            "created_at",
            "updated_at",
        ]


class ActionInputSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=2000)
    due_on = serializers.DateField(help_text="On or after the visit, at most three years later")


class MentoringVisitInputSerializer(ConsortiumInputSerializer):
    ngo = serializers.SlugField(help_text="The visited NGO's slug")
    visited_on = serializers.DateField(help_text="Not in the future")
    mentor = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    topics = serializers.CharField(max_length=2000)
    findings = serializers.CharField(max_length=20_000)
    actions = serializers.ListField(
        child=ActionInputSerializer(), required=False, default=list, max_length=100
    )


class ActionDoneInputSerializer(serializers.Serializer):
    done_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Default today"
    )
    follow_up_note = serializers.CharField(max_length=10_000)


# The service's message for a score out of range, in the language of the request.
SCORE_MESSAGE = lazy(services.score_message, str)()


def _score_field(label) -> serializers.IntegerField:
    """A score, its bounds in the OpenAPI document and the service's message when outside."""
    return serializers.IntegerField(
        min_value=SCORE_MIN,
        max_value=SCORE_MAX,
        help_text=label,
        error_messages={"min_value": SCORE_MESSAGE, "max_value": SCORE_MESSAGE},
    )


class SelfAssessmentSerializer(serializers.ModelSerializer):
    ngo = NGORefSerializer(read_only=True)
    mean_score = serializers.FloatField(read_only=True, help_text="Of the five scores")

    class Meta:
        model = SelfAssessment
        fields = [
            "uuid",
            "ngo",
            "year",
            *AREA_FIELDS,
            "mean_score",
            "comment",
            "created_at",
            "updated_at",
        ]


class SelfAssessmentInputSerializer(ConsortiumInputSerializer):
    ngo = serializers.SlugField(help_text="The NGO's slug")
    year = serializers.IntegerField(help_text="At most one self-assessment per NGO and year")
    case_management = _score_field(SCORECARD[0].label)
    information_system = _score_field(SCORECARD[1].label)
    referral_network = _score_field(SCORECARD[2].label)
    child_safeguarding = _score_field(SCORECARD[3].label)
    data_protection = _score_field(SCORECARD[4].label)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)


# --- Helpers ------------------------------------------------------------------------------------

NGO_FILTER = OpenApiParameter("ngo", str, description="Only this NGO's (its slug)")


def _ngo_filter(consortium, slug: str | None) -> NGO | None:
    """The NGO a list is filtered by: none asked, or a member of the consortium (else 400)."""
    if not slug:
        return None
    ngo = access.member_ngos(consortium).filter(slug=slug).first()
    if ngo is None:
        raise ValidationError({"ngo": [services.unknown_ngo_message()]})
    return ngo


def _consortium(request, slug: str | None):
    return network_access.consortium_for_request(request.user, slug)


def _visit_response(request, visit_uuid, status_code=status.HTTP_200_OK) -> Response:
    visit = access.visit_coordinated(request.user, visit_uuid)
    visit = selectors.visits_in(consortium=visit.consortium).get(pk=visit.pk)
    return Response(MentoringVisitSerializer(visit).data, status=status_code)


# --- Trainings ----------------------------------------------------------------------------------


class TrainingListView(GenericAPIView):
    permission_classes = [IsCoordinator]
    queryset = Training.objects.none()  # names the model for the OpenAPI document only
    pagination_class = NewestFirstCursorPagination
    serializer_class = TrainingSerializer

    @extend_schema(
        parameters=[CONSORTIUM, NGO_FILTER],
        responses=TrainingSerializer(many=True),
        tags=[TAG],
        summary="The consortium's trainings with their participants per NGO",
        operation_id="trainings_list",
    )
    def get(self, request):
        params = request.query_params
        consortium = _consortium(request, params.get("consortium"))
        queryset = selectors.trainings_in(
            consortium=consortium, ngo=_ngo_filter(consortium, params.get("ngo"))
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(TrainingSerializer(page, many=True).data)

    @extend_schema(
        request=TrainingInputSerializer,
        responses={201: TrainingSerializer},
        tags=[TAG],
        summary="Record a training and how many staff of each NGO attended",
    )
    def post(self, request):
        data = validated(TrainingInputSerializer, request)
        consortium = _consortium(request, data["consortium"])
        training = services.training_create(
            actor=request.user,
            consortium=consortium,
            data=services.TrainingInput(
                topic=data["topic"],
                held_on=data["held_on"],
                trainer=data["trainer"],
                location=data["location"],
                notes=data["notes"],
                participants=[services.ParticipationInput(**row) for row in data["participants"]],
            ),
        )
        training = selectors.trainings_in(consortium=consortium).get(pk=training.pk)
        return Response(TrainingSerializer(training).data, status=status.HTTP_201_CREATED)


# --- Mentoring visits ---------------------------------------------------------------------------


class MentoringVisitListView(GenericAPIView):
    permission_classes = [IsCoordinator]
    queryset = MentoringVisit.objects.none()  # names the model for the OpenAPI document only
    pagination_class = NewestFirstCursorPagination
    serializer_class = MentoringVisitSerializer

    @extend_schema(
        parameters=[
            CONSORTIUM,
            NGO_FILTER,
            OpenApiParameter("overdue", bool, description="Only visits with an overdue action"),
        ],
        responses=MentoringVisitSerializer(many=True),
        tags=[TAG],
        summary="The consortium's mentoring visits with their agreed actions",
        operation_id="mentoring_visits_list",
    )
    def get(self, request):
        params = request.query_params
        consortium = _consortium(request, params.get("consortium"))
        queryset = selectors.visits_in(
            consortium=consortium,
            ngo=_ngo_filter(consortium, params.get("ngo")),
            overdue=flag(params.get("overdue"), "overdue"),
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(MentoringVisitSerializer(page, many=True).data)

    @extend_schema(
        request=MentoringVisitInputSerializer,
        responses={201: MentoringVisitSerializer},
        tags=[TAG],
        summary="Record a mentoring visit to an NGO, with the actions agreed there",
    )
    def post(self, request):
        data = validated(MentoringVisitInputSerializer, request)
        consortium = _consortium(request, data["consortium"])
        visit = services.mentoring_visit_create(
            actor=request.user,
            consortium=consortium,
            data=services.VisitInput(
                ngo=data["ngo"],
                visited_on=data["visited_on"],
                topics=data["topics"],
                findings=data["findings"],
                mentor=data["mentor"],
            ),
            actions=[services.ActionInput(**row) for row in data["actions"]],
        )
        return _visit_response(request, visit.uuid, status.HTTP_201_CREATED)


class MentoringVisitDetailView(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(responses=MentoringVisitSerializer, tags=[TAG], summary="One mentoring visit")
    def get(self, request, visit_uuid):
        return _visit_response(request, visit_uuid)


class AgreedActionListView(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(
        request=ActionInputSerializer,
        responses={201: AgreedActionSerializer},
        tags=[TAG],
        summary="Add an action agreed on a visit",
    )
    def post(self, request, visit_uuid):
        data = validated(ActionInputSerializer, request)
        visit = access.visit_coordinated(request.user, visit_uuid)
        action = services.agreed_action_add(
            actor=request.user, visit_uuid=visit.uuid, data=services.ActionInput(**data)
        )
        return Response(AgreedActionSerializer(action).data, status=status.HTTP_201_CREATED)


class AgreedActionDoneView(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(
        request=ActionDoneInputSerializer,
        responses=AgreedActionSerializer,
        tags=[TAG],
        summary="Mark an open action done, with how it was followed up",
    )
    def post(self, request, visit_uuid, action_uuid):
        data = validated(ActionDoneInputSerializer, request)
        visit = access.visit_coordinated(request.user, visit_uuid)
        action = access.action_coordinated(request.user, action_uuid, visit)
        action = services.agreed_action_complete(
            actor=request.user,
            action_uuid=action.uuid,
            done_on=data["done_on"],
            follow_up_note=data["follow_up_note"],
        )
        return Response(AgreedActionSerializer(action).data)


# --- Self-assessments ---------------------------------------------------------------------------


class SelfAssessmentListView(GenericAPIView):
    permission_classes = [IsCoordinator]
    queryset = SelfAssessment.objects.none()  # names the model for the OpenAPI document only
    pagination_class = NewestFirstCursorPagination
    serializer_class = SelfAssessmentSerializer

    @extend_schema(
        parameters=[CONSORTIUM, NGO_FILTER, OpenApiParameter("year", int, description="One year")],
        responses=SelfAssessmentSerializer(many=True),
        tags=[TAG],
        summary="The NGOs' yearly self-assessments (scores 1 to 5 per area)",
        operation_id="self_assessments_list",
    )
    def get(self, request):
        params = request.query_params
        consortium = _consortium(request, params.get("consortium"))
        year = params.get("year") or None
        if year is not None and not (year.isascii() and year.isdigit() and len(year) == 4):
            raise ValidationError({"year": [services.year_problem(None)]})
        queryset = selectors.self_assessments_in(
            consortium=consortium,
            ngo=_ngo_filter(consortium, params.get("ngo")),
            year=int(year) if year else None,
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(SelfAssessmentSerializer(page, many=True).data)

    @extend_schema(
        request=SelfAssessmentInputSerializer,
        responses={201: SelfAssessmentSerializer},
        tags=[TAG],
        summary="Record an NGO's self-assessment of a year (one per NGO and year)",
    )
    def post(self, request):
        data = validated(SelfAssessmentInputSerializer, request)
        consortium = _consortium(request, data["consortium"])
        assessment = services.self_assessment_create(
            actor=request.user,
            consortium=consortium,
            ngo=data["ngo"],
            year=data["year"],
            scores={name: data[name] for name in AREA_FIELDS},
            comment=data["comment"],
        )
        assessment = access.self_assessment_coordinated(request.user, assessment.uuid)
        return Response(SelfAssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)
