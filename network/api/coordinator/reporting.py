"""Consortium reports on the public host: /api/v1/indicators/, /api/v1/aggregates/.

Coordinators read the consortium's publication (network.reporting.publication):
fixed tables per indicator and calendar year, suppressed together, a filter a slice of one of
them; never a tenant schema, never a count below the consortium's threshold. Coordinators may
also ask for fresh figures (/api/v1/aggregates/refresh/). Funders see the dashboard and the
funder report only (issue 10): pages, not this API.
"""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from network import access
from network.api.base import CONSORTIUM, IsCoordinator
from network.reporting import publication, selectors
from network.reporting.indicators import DIMENSIONS, INDICATORS, Indicator
from network.reporting.rollup import rollups_request
from network.reporting.suppression import unmarked


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
    tables = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="The groupings it is published by (group_by takes one of them)",
    )
    filters = serializers.ListField(
        child=serializers.CharField(), help_text="The filters (one at a time) it may be sliced by"
    )


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
        "tables": [list(grouping) for grouping in publication.base_groupings(indicator)],
        "filters": list(publication.filters_of(indicator)),
    }


class IndicatorListView(APIView):
    permission_classes = [IsCoordinator]

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
    fixed = serializers.DictField(
        required=False,
        help_text="The slice of a published table this is: the filter, the standard, the month "
        "a stock is counted at ({dimension: value})",
    )
    period = serializers.CharField(help_text="The calendar year")
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


FILTER_PARAMETERS = publication.FILTERS
TABLE_PARAMETERS = (
    "consortium",
    "indicator",
    "group_by",
    "year",
    "period_from",
    "period_to",
    *FILTER_PARAMETERS,
    "standard",
)


def _codes(dimension: str) -> list[str]:
    return [value.code for value in DIMENSIONS[dimension].values or ()]


def table_from_params(params, consortium) -> dict:
    """The published table asked for by `indicator`, `group_by`, the year (`year`, or
    `period_from` / `period_to` naming a whole year), one filter (`ngo`, `province`, `sex`,
    `age_band`) and `standard`: a 400 naming the parameter for anything wrong (a parameter
    given twice included: the last value would silently win)."""
    repeated = {
        name: [gettext("Give this parameter once.")]
        for name in TABLE_PARAMETERS
        if hasattr(params, "getlist") and len(params.getlist(name)) > 1
    }
    if repeated:
        raise ValidationError(repeated)
    code = (params.get("indicator") or "").strip()
    if not code:
        raise ValidationError({"indicator": [gettext("This parameter is required.")]})
    indicator = INDICATORS.get(code)
    if indicator is None:
        message = gettext("Unknown indicator: %(code)s.") % {"code": code[:60]}
        raise ValidationError({"indicator": [message]})
    raw = params.get("group_by")
    if raw is None or not raw.strip():
        group_by = publication.base_groupings(indicator)[0]
    else:
        group_by = tuple(part.strip() for part in raw.split(",") if part.strip())
    if len(set(group_by)) != len(group_by):
        raise ValidationError({"group_by": [gettext("A dimension is named twice.")]})
    if "standard" in group_by:
        message = gettext("Choose the standard with the standard parameter (ilo or bps).")
        raise ValidationError({"group_by": [message]})
    if params.get("year") and (params.get("period_from") or params.get("period_to")):
        message = gettext("Give the year, or period_from and period_to: not both.")
        raise ValidationError({"year": [message]})
    if params.get("year"):
        period = publication.period_for(params.get("year"))
    else:
        period = publication.period_from_months(params.get("period_from"), params.get("period_to"))
    where = {name: params[name].strip() for name in FILTER_PARAMETERS if params.get(name)}
    if "," in where.get("ngo", ""):
        message = gettext(
            "One NGO at a time: tables are published for the consortium and each NGO."
        )
        raise ValidationError({"ngo": [message]})
    return publication.published_table(
        consortium=consortium,
        indicator=code,
        period=period,
        group_by=group_by,
        where=where,
        standard=(params.get("standard") or "ilo").strip(),
    )


class AggregateView(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(
        parameters=[
            CONSORTIUM,
            OpenApiParameter(
                "indicator",
                str,
                required=True,
                enum=list(INDICATORS),
                description="An indicator code (/indicators/)",
            ),
            OpenApiParameter(
                "group_by",
                str,
                description=(
                    "Comma-separated dimension codes: one of the indicator's published "
                    "groupings (`tables` in /indicators/; default: its first)"
                ),
            ),
            OpenApiParameter("year", str, description="A calendar year (default: this year)"),
            OpenApiParameter(
                "period_from",
                str,
                description="Instead of year: YYYY-01, the first month of a published year",
            ),
            OpenApiParameter(
                "period_to",
                str,
                description="Instead of year: YYYY-12 (or this month in this year)",
            ),
            OpenApiParameter("ngo", str, description="One member NGO's slug (a filter)"),
            OpenApiParameter("province", str, description="A province code (a filter)"),
            OpenApiParameter("sex", str, enum=_codes("sex"), description="A sex (a filter)"),
            OpenApiParameter(
                "age_band", str, enum=_codes("age_band"), description="An age band (a filter)"
            ),
            OpenApiParameter(
                "standard",
                str,
                enum=list(publication.STANDARDS),
                description="ilo (default) or bps, for status indicators",
            ),
        ],
        responses=TableSerializer,
        tags=["reports"],
        summary="One published table of an indicator, small cells and their complements suppressed",
        operation_id="aggregates_table",
    )
    def get(self, request):
        params = request.query_params
        consortium = access.consortium_for_request(request.user, params.get("consortium"))
        table = unmarked(table_from_params(params, consortium))
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
