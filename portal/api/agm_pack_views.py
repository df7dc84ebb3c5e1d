"""GET /api/reports/agm-pack/?year=YYYY: the year's AGM pack as a PDF (issue 18). Every part of it is a document
already approved for the members — the statements, the appropriation, the dividend resolution, the returns — so
any signed-in member may download it; a year whose parts are not all approved is a 400 naming `year`."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from portal.reports.agm_pack import AgmPackNotReady
from portal.reports.agm_pack_admin import agm_pack_response


class AgmPackQuery(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class AgmPackView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, required=True, description="The financial year")],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request):
        query = AgmPackQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            return agm_pack_response(year=query.validated_data["year"])
        except AgmPackNotReady as error:
            raise serializers.ValidationError(error.message_dict) from error
