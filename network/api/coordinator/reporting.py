"""Consortium reports on the public host: /api/v1/indicators/, /api/v1/aggregates/.

Coordinators and funders read suppressed tables of the aggregate table (network.reporting):
never a tenant schema, never a count below the consortium's threshold. Coordinators may also
ask for fresh figures (/api/v1/aggregates/refresh/).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from network import access
from network.api.base import CONSORTIUM, IsCoordinator, IsReader
from network.reporting import selectors
from network.reporting.indicators import DIMENSIONS, INDICATORS, Indicator
from network.reporting.rollup import month_start, months_back, rollup_window, rollups_request
from network.reporting.tables import MAX_DIMENSIONS
from tenants.models import NGO


class DimensionValueSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DimensionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    values = DimensionValueSerializer(many=True, allow_null=True, help_text="null: open list")


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    unit = serializers.CharField()
    kind = serializers.ChoiceField(choices=["count", "mean", "median"])
    # DRF's metaclass takes declared fields out of the class: no clash with Field.source.
    source = serializers.CharField()  # type: ignore[assignment]
    dimensions = DimensionSerializer(many=True)
    required = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    non_additive = serializers.ListField(child=serializers.CharField())
    basis = serializers.CharField(allow_null=True)
    computation = serializers.CharField()


def indicator_json(indicator: Indicator) -> dict:
    return {
        "code": indicator.code,
        "name": str(indicator.name),
        "description": str(indicator.description),
        "unit": str(indicator.unit.label),
        "kind": indicator.kind.value,
        "source": indicator.source.value,
        "dimensions": [
            {
                "code": code,
                "name": str(DIMENSIONS[code].name),
                "values": None
                if DIMENSIONS[code].values is None
                else [
                    {"code": value.code, "name": str(value.name)}
                    for value in DIMENSIONS[code].values or ()
                ],
            }
            for code in indicator.dimensions
        ],
        "required": list(indicator.required),
        "non_additive": list(indicator.non_additive),
        "basis": indicator.basis,
        "computation": indicator.computation,
    }


class IndicatorListView(APIView):
    permission_classes = [IsReader]

    @extend_schema(
        responses=IndicatorSerializer(many=True),
        tags=["reports"],
        summary="The indicator registry: what each published figure counts, and its dimensions",
        operation_id="indicators_list",
    )
    def get(self, request):
        return Response([indicator_json(indicator) for indicator in INDICATORS.values()])


class TableSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    group_by = serializers.ListField(child=serializers.CharField())
    threshold = serializers.IntegerField()
    rounding = serializers.IntegerField(
        required=False, allow_null=True, help_text="The base published values are rounded to"
    )
    non_additive = serializers.ListField(child=serializers.CharField(), required=False)
    period_from = serializers.CharField()
    period_to = serializers.CharField()
    at_period_end = serializers.BooleanField(
        help_text="True: counted at the end of the period's last month, not summed over it"
    )
    figures_as_of = serializers.DateTimeField(allow_null=True)
    cells = serializers.ListField(
        child=serializers.DictField(),
        help_text=(
            "One object per combination of the group_by dimensions' values, every margin and "
            "the grand total included (a dimension null = all): {<dimension>: <value or null>, "
            '..., "value": <int or null>, "suppressed": <bool>}; a suppressed cell has "value": '
            'null. Means and medians add "mean" / "median", null unless the count is published.'
        ),
    )


def _ngo_ids(consortium, value: str | None) -> tuple[int, ...]:
    if not value:
        return ()
    slugs = [slug.strip() for slug in value.split(",") if slug.strip()]
    found = dict(
        NGO.objects.filter(consortium=consortium, slug__in=slugs, is_template=False).values_list(
            "slug", "pk"
        )
    )
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise ValidationError(
            {"ngo": [f"Not a member NGO of this consortium: {', '.join(missing)}"]}
        )
    return tuple(found[slug] for slug in slugs)


def query_from_params(params, consortium) -> selectors.Query:
    """The table asked for by `indicator`, `group_by`, `period_from`, `period_to`, `ngo`:
    a 400 naming the parameter for anything wrong."""
    code = (params.get("indicator") or "").strip()
    if not code:
        raise ValidationError({"indicator": ["This parameter is required."]})
    indicator = INDICATORS.get(code)
    if indicator is None:
        raise ValidationError({"indicator": [f"Unknown indicator: {code}."]})
    raw = params.get("group_by")
    if raw is None or not raw.strip():
        group_by = tuple(indicator.required) or ("month",)
    else:
        group_by = tuple(part.strip() for part in raw.split(",") if part.strip())
    window = rollup_window()
    last = (
        selectors.month_parse(params["period_to"], field_name="period_to")
        if params.get("period_to")
        else window[-1]
    )
    first = (
        selectors.month_parse(params["period_from"], field_name="period_from")
        if params.get("period_from")
        else months_back(last, 12)[0]
    )
    return selectors.Query(
        indicator=code,
        group_by=group_by,
        first=month_start(first),
        last=month_start(last),
        ngo_ids=_ngo_ids(consortium, params.get("ngo")),
    )


class AggregateView(APIView):
    permission_classes = [IsReader]

    @extend_schema(
        parameters=[
            CONSORTIUM,
            OpenApiParameter(
                "indicator", str, required=True, description="An indicator code (/indicators/)"
            ),
            OpenApiParameter(
                "group_by",
                str,
                description=(
                    f"1 to {MAX_DIMENSIONS} comma-separated dimension codes of the indicator "
                    "(default: its required dimensions, else month)"
                ),
            ),
            OpenApiParameter(
                "period_from", str, description="First month, YYYY-MM (default: 11 months back)"
            ),
            OpenApiParameter(
                "period_to", str, description="Last month, YYYY-MM (default: the current month)"
            ),
            OpenApiParameter("ngo", str, description="Comma-separated member NGO slugs"),
        ],
        responses=TableSerializer,
        tags=["reports"],
        summary="One indicator's table, small cells and their complements suppressed",
        operation_id="aggregates_table",
    )
    def get(self, request):
        params = request.query_params
        consortium = access.consortium_for_reader_request(request.user, params.get("consortium"))
        query = query_from_params(params, consortium)
        table = selectors.consortium_table(consortium=consortium, query=query)
        table["figures_as_of"] = selectors.oldest_figures(consortium.pk)
        return Response(TableSerializer(table).data)


class RefreshSerializer(serializers.Serializer):
    queued = serializers.IntegerField(help_text="NGOs whose figures will be recounted")


class AggregateRefreshView(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(
        parameters=[CONSORTIUM],
        request=None,
        responses={202: RefreshSerializer},
        tags=["reports"],
        summary="Recount every ready, active NGO's figures now (queued)",
        operation_id="aggregates_refresh",
    )
    def post(self, request):
        consortium = access.consortium_for_request(
            request.user, request.query_params.get("consortium")
        )
        queued = rollups_request(actor=request.user, consortium=consortium)
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)
