"""/api/reports/sasra-returns/ (issue 18): the five SASRA returns at a month end, for staff who read the ledger;
`?output=xlsx` downloads them in the returns' layout (one sheet per return, typed cells)."""

import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.reports.models import SasraReturn
from portal.reports.sasra import is_month_end, sasra_returns, sasra_sections
from portal.reports.services import sasra_return_approve, sasra_return_prepare
from portal.society.replica import reads_from_replica
from portal.society.tabular import CONTENT_TYPES, TabularReport, tabular_response

from .permissions import HasModelPermission

VIEW_LEDGER = "finance.view_journalentry"
_MONEY = {"max_digits": 16, "decimal_places": 2}
_PERCENT = {"max_digits": 12, "decimal_places": 2}


class SasraAccountSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    amount = serializers.DecimalField(**_MONEY, help_text="As it counts in the figure (a contra account negative).")


class SasraFigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    amount = serializers.DecimalField(**_MONEY)
    accounts = SasraAccountSerializer(many=True, help_text="The drill-down: the accounts summing to the figure.")


class SasraRatioSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    numerator = serializers.CharField(help_text="The key of the figure on top.")
    denominator = serializers.CharField(help_text="The key of the figure below.")
    percent = serializers.DecimalField(**_PERCENT, allow_null=True, help_text="Null when the denominator is nil.")
    minimum = serializers.DecimalField(**_PERCENT)
    meets = serializers.BooleanField()


class SasraCheckSerializer(serializers.Serializer):
    label = serializers.CharField()
    figure = serializers.DecimalField(**_MONEY)
    trial_balance = serializers.DecimalField(**_MONEY)
    ties = serializers.BooleanField()


class SasraRatiosReturnSerializer(serializers.Serializer):
    figures = SasraFigureSerializer(many=True)
    ratios = SasraRatioSerializer(many=True)
    checks = SasraCheckSerializer(many=True)


class SasraDepositBandSerializer(serializers.Serializer):
    band = serializers.CharField()
    lower = serializers.DecimalField(**_MONEY)
    upper = serializers.DecimalField(**_MONEY, allow_null=True)
    depositors = serializers.IntegerField()
    amount = serializers.DecimalField(**_MONEY)
    accounts = SasraAccountSerializer(many=True)


class SasraDepositReturnSerializer(serializers.Serializer):
    bands = SasraDepositBandSerializer(many=True)
    unattributed = serializers.DecimalField(**_MONEY)
    total_depositors = serializers.IntegerField()
    total_amount = serializers.DecimalField(**_MONEY)
    accounts = SasraAccountSerializer(many=True)
    checks = SasraCheckSerializer(many=True)


class SasraClassSerializer(serializers.Serializer):
    classification = serializers.CharField()
    label = serializers.CharField()
    loans = serializers.IntegerField()
    outstanding = serializers.DecimalField(**_MONEY)
    rate = serializers.DecimalField(**_PERCENT)
    provision_required = serializers.DecimalField(**_MONEY)
    accounts = SasraAccountSerializer(many=True)


class SasraRiskClassificationSerializer(serializers.Serializer):
    classes = SasraClassSerializer(many=True)
    total_loans = serializers.IntegerField()
    total_outstanding = serializers.DecimalField(**_MONEY, help_text="Equal to the 1100 balance at as_of.")
    provision_required = serializers.DecimalField(**_MONEY)
    provision_held = serializers.DecimalField(**_MONEY)
    provision_shortfall = serializers.DecimalField(**_MONEY)
    unattributed = serializers.DecimalField(**_MONEY)
    accounts = SasraAccountSerializer(many=True)
    provision_accounts = SasraAccountSerializer(many=True)
    checks = SasraCheckSerializer(many=True)


class SasraInsiderLoanSerializer(serializers.Serializer):
    loan = serializers.UUIDField()
    product = serializers.CharField()
    disbursed_on = serializers.DateField()
    outstanding = serializers.DecimalField(**_MONEY)
    classification = serializers.CharField()
    accounts = SasraAccountSerializer(many=True)


class SasraInsiderGuaranteeSerializer(serializers.Serializer):
    loan = serializers.UUIDField()
    borrower = serializers.CharField()
    borrower_outstanding = serializers.DecimalField(**_MONEY)
    amount = serializers.DecimalField(**_MONEY)


class SasraInsiderSerializer(serializers.Serializer):
    member = serializers.UUIDField()
    membership_number = serializers.CharField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    loans = SasraInsiderLoanSerializer(many=True)
    outstanding = serializers.DecimalField(**_MONEY)
    guarantees = SasraInsiderGuaranteeSerializer(many=True)
    guaranteed = serializers.DecimalField(**_MONEY)


class SasraInsiderLendingSerializer(serializers.Serializer):
    insiders = SasraInsiderSerializer(many=True)
    total_outstanding = serializers.DecimalField(**_MONEY)
    total_guaranteed = serializers.DecimalField(**_MONEY)
    share_of_loans = serializers.DecimalField(**_PERCENT, allow_null=True)
    share_of_core_capital = serializers.DecimalField(**_PERCENT, allow_null=True)
    checks = SasraCheckSerializer(many=True)


class SasraReturnsSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    capital_adequacy = SasraRatiosReturnSerializer()
    liquidity = SasraRatiosReturnSerializer()
    deposit_return = SasraDepositReturnSerializer()
    risk_classification = SasraRiskClassificationSerializer()
    insider_lending = SasraInsiderLendingSerializer()
    ties = serializers.BooleanField(help_text="Every return's checks tie to the trial balance.")


class SasraReturnRecordSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="approval_status", read_only=True)
    data = SasraReturnsSerializer(read_only=True)

    class Meta:
        model = SasraReturn
        fields = ["id", "title", "as_of", "status", "live", "prepared_at", "data"]
        read_only_fields = fields


class SasraApproveSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["approve", "reject"], default="approve")
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required to reject.")


def month_end_parse(value) -> datetime.date:
    """`as_of` from a query or a form: a date (YYYY-MM-DD) that is the last day of its month."""
    field = serializers.DateField()
    if not value:
        raise serializers.ValidationError({"as_of": ["Give the month end, as YYYY-MM-DD."]})
    try:
        day = field.to_internal_value(value)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({"as_of": exc.detail}) from None
    if not is_month_end(day):
        raise serializers.ValidationError(
            {"as_of": [f"{day.isoformat()} is not a month end; SASRA returns are for the last day of a month."]}
        )
    return day


class SasraReturnsView(APIView):
    """GET ?as_of=YYYY-MM-DD (a month end): capital adequacy, liquidity, deposit return, risk classification and
    insider lending, each figure with the accounts that make it and each return checked against the trial balance.
    `&output=xlsx`: the same as a workbook, one sheet per return. POST ?as_of=: prepare them for approval (a frozen
    snapshot; `…/<id>/approve/` takes the votes)."""

    permission_classes = [HasModelPermission(VIEW_LEDGER)]

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter("as_of", OpenApiTypes.DATE, required=True, description="The last day of a month."),
        ],
        responses={201: SasraReturnRecordSerializer},
        description="Prepare the returns at as_of for approval: a frozen snapshot, approved by two others.",
    )
    def post(self, request):
        if not request.user.has_perm("reports.prepare_sasrareturn"):
            return Response({"detail": "Your role does not prepare SASRA returns."}, status=status.HTTP_403_FORBIDDEN)
        as_of = month_end_parse(request.query_params.get("as_of"))
        record = sasra_return_prepare(as_of=as_of, by=request.user)
        return Response(SasraReturnRecordSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("as_of", OpenApiTypes.DATE, required=True, description="The last day of a month."),
            OpenApiParameter("output", str, enum=["json", "xlsx"], required=False),
        ],
        responses={
            (200, "application/json"): SasraReturnsSerializer,
            (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
        },
    )
    def get(self, request):
        output = request.query_params.get("output", "json") or "json"
        if output not in ("json", "xlsx"):
            raise serializers.ValidationError({"output": ["Use json or xlsx."]})
        as_of = month_end_parse(request.query_params.get("as_of"))
        with reads_from_replica():
            data = sasra_returns(as_of=as_of)
        if output == "xlsx":
            report = TabularReport("SASRA returns", f"as of {as_of:%d %b %Y}", sasra_sections(data), timezone.now())
            return tabular_response(report, output="xlsx", filename=f"sasra-returns-{as_of.isoformat()}")
        return Response(data)


class SasraReturnApproveView(APIView):
    """POST {"action": "approve" (default) or "reject", "reason": required to reject}: one approver's vote on a
    prepared SASRA returns snapshot (two distinct approvers, never the preparer)."""

    permission_classes = [HasModelPermission("reports.change_sasrareturn")]

    @extend_schema(request=SasraApproveSerializer, responses={200: SasraReturnRecordSerializer})
    def post(self, request, pk):
        record = get_object_or_404(SasraReturn, pk=pk)
        vote = SasraApproveSerializer(data=request.data)
        vote.is_valid(raise_exception=True)
        record = sasra_return_approve(
            record=record, user=request.user, action=vote.validated_data["action"], reason=vote.validated_data["reason"]
        )
        return Response(SasraReturnRecordSerializer(record).data)
