"""/api/contributions/… and the savings paths under /api/members/<pk>/ (C1–C7).

Staff with the savings permissions see and post for everyone; a member sees only their own (404 for others).
Posting goes through the same services as the admin: all or nothing, idempotent by reference."""

import uuid

from django.db import DataError
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.contributions.models import MonthlyContribution, PaymentSource, ShareCapitalPayment
from portal.contributions.periods import LAST_YEAR, InvalidPeriod, format_period, parse_period, period_of
from portal.contributions.reminders import reminders_send
from portal.contributions.reports import REPORT_FORMATS, report_periods, report_response
from portal.contributions.rules import default_share_capital_term, share_capital_progress, share_capital_target
from portal.contributions.selectors import (
    contribution_report,
    contributions_visible_to,
    incomplete_share_capital,
    member_balances,
    missing_contributions,
    share_capital_payments_visible_to,
)
from portal.contributions.services import (
    MONTHLY,
    SHARE_CAPITAL,
    PaymentItem,
    PaymentsInvalid,
    payments_record,
    share_capital_term_set,
    shares_recalculate,
)
from portal.members.models import Member
from portal.reports.exports import CONTENT_TYPES
from portal.society.serializer_fields import MoneyField, MoneyTextField

from .lookups import BankAccountField, members_by_label
from .member_views import member_visible_to
from .params import query_int
from .permissions import HasModelPermission

READ_PERM = "contributions.view_monthlycontribution"
POST_PERM = "contributions.post_payments"


class PaymentSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    member = serializers.UUIDField(source="member_id", read_only=True)
    membership_number = serializers.CharField(source="member.membership_number", read_only=True)
    amount = MoneyField(read_only=True)
    date = serializers.DateField(read_only=True)
    reference = serializers.CharField(read_only=True)
    source = serializers.CharField(read_only=True)
    bank_account = serializers.CharField(source="bank_account.name", read_only=True)
    journal_entry = serializers.UUIDField(source="entry_id", read_only=True)
    reversed = serializers.BooleanField(source="is_reversed", read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)


class ContributionSerializer(PaymentSerializer):
    period = serializers.CharField(source="period_label", read_only=True)
    below_minimum_reason = serializers.CharField(read_only=True)


class PaymentInSerializer(serializers.Serializer):
    """One payment to post. Amount and period are strings so that the service can name what is wrong with them."""

    member = serializers.CharField(help_text="Member id or membership number.")
    amount = MoneyTextField()
    period = serializers.CharField(required=False, allow_blank=True, default="", help_text="YYYY-MM (contributions)")
    date = serializers.DateField(required=False, allow_null=True, default=None)
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    below_minimum_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class PaymentPostSerializer(PaymentInSerializer):
    """One payment posted on its own, optionally into a given bank account."""

    bank_account = BankAccountField(
        lenient=True,
        required=False,
        allow_null=True,
        default=None,
        help_text="Receive into this account; default the primary one.",
    )


class ContributionsPostedSerializer(serializers.Serializer):
    """What a post of contributions answers: 201 when anything was posted, 200 when every reference was already
    posted (a safe retry)."""

    created = serializers.IntegerField(help_text="Payments posted by this request.")
    already_posted = serializers.IntegerField(help_text="Payments whose reference was posted before (not again).")
    results = ContributionSerializer(many=True)


class SharePaymentsPostedSerializer(ContributionsPostedSerializer):
    results = PaymentSerializer(many=True)


def _posted_responses(kind: str) -> dict:
    body = ContributionsPostedSerializer if kind == MONTHLY else SharePaymentsPostedSerializer
    return {201: body, 200: body}


class BulkInSerializer(serializers.Serializer):
    items = PaymentInSerializer(many=True, allow_empty=False)
    bank_account = BankAccountField(required=False, allow_null=True, default=None)


def _post(request, kind: str, rows: list[dict], bank_account=None) -> Response:
    members = members_by_label(r["member"] for r in rows)
    items = [
        PaymentItem(
            members.get(str(r["member"])),
            r["amount"],
            r.get("period") or None,
            r.get("date"),
            r.get("reference", ""),
            r.get("below_minimum_reason", ""),
            row=number,
            member_label=str(r["member"]),
        )
        for number, r in enumerate(rows, start=1)
    ]
    try:
        results = payments_record(
            kind=kind, items=items, recorded_by=request.user, source=PaymentSource.API, bank_account=bank_account
        )
    except PaymentsInvalid as exc:  # kept here: a ValidationError answered row by row ("Nothing was posted.")
        return Response(
            {
                "detail": "Nothing was posted.",
                "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in exc.row_errors],
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    except DataError:
        # Each amount fits its column (the parser checks), but a member's running total may not: nothing was posted.
        return Response(
            {"amount": ["This amount would take a member's total past what the books can hold."]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    serializer = ContributionSerializer if kind == MONTHLY else PaymentSerializer
    model = MonthlyContribution if kind == MONTHLY else ShareCapitalPayment
    created = any(r.created for r in results)
    # Read back what was stored: a bulk insert leaves the instances without what the database filled in (the time
    # each was recorded), and the answer shows the rows as they are.
    stored = model.objects.select_related("member", "bank_account", "entry__reversed_by").in_bulk(
        [r.record.pk for r in results]
    )
    return Response(
        {
            "created": sum(1 for r in results if r.created),
            "already_posted": sum(1 for r in results if not r.created),
            "results": serializer([stored.get(r.record.pk, r.record) for r in results], many=True).data,
        },
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


class _PaymentListView(generics.ListAPIView):
    """GET: staff see all (filter ?member=, ?year=); a member sees their own. POST (staff): post one payment."""

    permission_classes = [IsAuthenticated]
    kind = MONTHLY
    visible_to = staticmethod(contributions_visible_to)

    def get_queryset(self):
        queryset = self.visible_to(user=self.request.user).select_related(
            "member", "bank_account", "entry__reversed_by"
        )
        member_id = self.request.query_params.get("member")
        if member_id:
            queryset = queryset.filter(
                Q(member__membership_number=member_id.upper()) | Q(member_id__in=_uuid_or_none(member_id))
            )
        year = query_int(self.request.query_params, "year", min_value=1900, max_value=9999)
        if year is not None:
            field = "period__year" if self.kind == MONTHLY else "date__year"
            queryset = queryset.filter(**{field: year})
        return queryset

    def post(self, request):
        if not request.user.has_perm(POST_PERM):
            return Response({"detail": "Your role does not allow this."}, status=status.HTTP_403_FORBIDDEN)
        data = PaymentPostSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _post(request, self.kind, [data.validated_data], data.validated_data["bank_account"])


def _uuid_or_none(text):
    try:
        return [uuid.UUID(text)]
    except ValueError:
        return []


class MonthlyContributionListView(_PaymentListView):
    serializer_class = ContributionSerializer
    kind = MONTHLY
    visible_to = staticmethod(contributions_visible_to)

    def get_queryset(self):
        queryset = super().get_queryset()
        period = self.request.query_params.get("period")
        if period:
            queryset = queryset.filter(period=_period_param(self.request, period))
        return queryset.order_by("-period", "-date")

    @extend_schema(request=PaymentPostSerializer, responses=_posted_responses(MONTHLY))
    def post(self, request):
        return super().post(request)


class ShareCapitalListView(_PaymentListView):
    serializer_class = PaymentSerializer
    kind = SHARE_CAPITAL
    visible_to = staticmethod(share_capital_payments_visible_to)

    def get_queryset(self):
        return super().get_queryset().order_by("-date")

    @extend_schema(request=PaymentPostSerializer, responses=_posted_responses(SHARE_CAPITAL))
    def post(self, request):
        return super().post(request)


class _BulkCreateView(APIView):
    permission_classes = [HasModelPermission(POST_PERM)]
    kind = MONTHLY

    def post(self, request):
        data = BulkInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _post(request, self.kind, data.validated_data["items"], data.validated_data["bank_account"])


class MonthlyBulkCreateView(_BulkCreateView):
    """POST /api/contributions/monthly/bulk-create/: many contributions, all or nothing; references make it safe
    to retry."""

    kind = MONTHLY

    @extend_schema(request=BulkInSerializer, responses=_posted_responses(MONTHLY))
    def post(self, request):
        return super().post(request)


class ShareCapitalBulkCreateView(_BulkCreateView):
    """POST /api/contributions/share-capital/bulk-create/."""

    kind = SHARE_CAPITAL

    @extend_schema(request=BulkInSerializer, responses=_posted_responses(SHARE_CAPITAL))
    def post(self, request):
        return super().post(request)


def _period_param(request, text=None):
    text = text or request.query_params.get("period") or format_period(period_of(timezone.localdate()))
    try:
        return parse_period(text)
    except InvalidPeriod as exc:
        raise serializers.ValidationError({"period": [str(exc)]}) from exc


class MissingMemberSerializer(serializers.Serializer):
    member = serializers.UUIDField(source="pk")
    membership_number = serializers.CharField()
    name = serializers.CharField(source="user.get_full_name")
    employer = serializers.CharField()
    due = MoneyField(read_only=True)
    paid = MoneyField(read_only=True)


class MissingContributionsView(generics.ListAPIView):
    """GET /api/contributions/monthly/missing-contributions/?period=YYYY-MM."""

    serializer_class = MissingMemberSerializer
    permission_classes = [HasModelPermission(READ_PERM)]

    @extend_schema(parameters=[OpenApiParameter("period", str, description="YYYY-MM; default this month")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Member.objects.none()
        return missing_contributions(period=_period_param(self.request))


class RemindersInSerializer(serializers.Serializer):
    period = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=7, help_text="YYYY-MM; default this month"
    )


class RemindersSentSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="YYYY-MM")
    sent = serializers.IntegerField(help_text="Reminders sent now (a member is reminded once per period).")


class SendRemindersView(APIView):
    """POST /api/contributions/monthly/send-reminders/ {"period": "YYYY-MM"}: once per member and period."""

    permission_classes = [HasModelPermission("contributions.add_contributionreminder")]

    @extend_schema(request=RemindersInSerializer, responses={200: RemindersSentSerializer})
    def post(self, request):
        data = RemindersInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        period = _period_param(request, data.validated_data["period"])
        return Response({"period": format_period(period), "sent": reminders_send(period=period)})


class ReportRowSerializer(serializers.Serializer):
    membership_number = serializers.CharField()
    name = serializers.CharField()
    amounts = serializers.DictField(child=MoneyField(read_only=True), help_text="Amount paid per month (YYYY-MM).")
    total = MoneyField(read_only=True)
    due = MoneyField(read_only=True)
    months_short = serializers.IntegerField()


class ContributionReportSerializer(serializers.Serializer):
    title = serializers.CharField()
    periods = serializers.ListField(child=serializers.CharField())
    totals = serializers.DictField(child=MoneyField(read_only=True), help_text="Total per month (YYYY-MM).")
    grand_total = MoneyField(read_only=True)
    share_capital_total = MoneyField(read_only=True)
    members_missing = serializers.IntegerField()
    rows = ReportRowSerializer(many=True)


class GenerateReportView(APIView):
    """GET /api/contributions/monthly/generate-report/?kind=monthly&period=YYYY-MM (or kind=quarterly&year=&quarter=)
    &output=json|csv|xlsx|pdf."""

    permission_classes = [HasModelPermission(READ_PERM)]

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, description="monthly (default) or quarterly"),
            OpenApiParameter("period", str),
            OpenApiParameter("year", int),
            OpenApiParameter("quarter", int),
            OpenApiParameter("output", str, enum=["json", *REPORT_FORMATS], description="json (default)"),
        ],
        responses={
            (200, "application/json"): ContributionReportSerializer,
            **{(200, CONTENT_TYPES[output]): OpenApiTypes.BINARY for output in REPORT_FORMATS},
        },
    )
    def get(self, request):
        params = request.query_params
        quarterly = params.get("kind") == "quarterly"
        periods, title = report_periods(
            kind=params.get("kind", "monthly"),
            period=params.get("period") or format_period(period_of(timezone.localdate())),
            year=query_int(params, "year", required=quarterly, min_value=1990, max_value=LAST_YEAR),
            quarter=query_int(params, "quarter", required=quarterly, min_value=1, max_value=4),
        )
        report = contribution_report(periods=periods, title=title)
        output = params.get("output", "json")
        if output in REPORT_FORMATS:
            return report_response(report=report, output=output)
        if output != "json":
            return Response({"output": [f"{output!r} is not a format; use json, csv, xlsx or pdf."]}, status=400)
        return Response(
            {
                "title": report.title,
                "periods": report.period_labels,
                "totals": {format_period(p): str(t) for p, t in report.totals.items()},
                "grand_total": str(report.grand_total),
                "share_capital_total": str(report.share_capital_total),
                "members_missing": report.members_missing,
                "rows": [
                    {
                        "membership_number": r.membership_number,
                        "name": r.name,
                        "amounts": {format_period(p): str(a) for p, a in r.periods.items()},
                        "total": str(r.total),
                        "due": str(r.due),
                        "months_short": r.missing_periods,
                    }
                    for r in report.rows
                ],
            }
        )


class IncompleteMemberSerializer(serializers.Serializer):
    member = serializers.UUIDField()
    membership_number = serializers.CharField()
    name = serializers.CharField()
    paid = MoneyField(read_only=True)
    target = MoneyField(read_only=True)
    completion_percent = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    term_months = serializers.IntegerField()
    monthly_instalment = MoneyField(read_only=True)


class IncompleteShareCapitalSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    target = MoneyField(read_only=True)
    results = IncompleteMemberSerializer(many=True)


class IncompleteShareCapitalView(APIView):
    """GET /api/contributions/share-capital/incomplete-share-capital/: members below the target, lowest first."""

    permission_classes = [HasModelPermission(READ_PERM)]

    @extend_schema(responses={200: IncompleteShareCapitalSerializer})
    def get(self, request):
        target = share_capital_target()
        default_term = default_share_capital_term()
        rows = []
        for member in incomplete_share_capital():
            schedule = getattr(member, "contribution_schedule", None)
            progress = share_capital_progress(
                paid=member.paid,
                term_months=schedule.share_capital_term_months if schedule else default_term,
                target=target,
            )
            rows.append(
                {
                    "member": str(member.pk),
                    "membership_number": member.membership_number,
                    "name": member.user.get_full_name(),
                    "paid": str(progress.paid),
                    "target": str(progress.target),
                    "completion_percent": str(progress.completion_percent),
                    "term_months": progress.term_months,
                    "monthly_instalment": str(progress.instalment),
                }
            )
        return Response({"count": len(rows), "target": str(target), "results": rows})


class RecalculateSharesView(APIView):
    """POST /api/contributions/recalculate-shares/: rebuild every member's summary from the ledger."""

    permission_classes = [HasModelPermission("contributions.reverse_payments")]

    @extend_schema(
        request=None,
        responses={200: inline_serializer("SharesRecalculated", {"members_recalculated": serializers.IntegerField()})},
    )
    def post(self, request):
        return Response({"members_recalculated": shares_recalculate()})


class ShareSummarySerializer(serializers.Serializer):
    member = serializers.UUIDField()
    membership_number = serializers.CharField()
    share_capital = MoneyField(read_only=True)
    deposits = MoneyField(read_only=True)
    share_of_pool_percent = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    monthly_contribution_due = MoneyField(read_only=True)
    share_capital_target = MoneyField(read_only=True)
    share_capital_completion_percent = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    share_capital_term_months = serializers.IntegerField()
    share_capital_monthly_instalment = MoneyField(read_only=True)


def _summary(member) -> dict:
    balances = member_balances(member=member)
    progress = balances.share_capital_progress
    return {
        "member": str(member.pk),
        "membership_number": member.membership_number,
        "share_capital": str(balances.share_capital),
        "deposits": str(balances.deposits),
        "share_of_pool_percent": str(balances.pool_percent),
        "monthly_contribution_due": str(balances.monthly_due),
        "share_capital_target": str(progress.target),
        "share_capital_completion_percent": str(progress.completion_percent),
        "share_capital_term_months": progress.term_months,
        "share_capital_monthly_instalment": str(progress.instalment),
    }


def _member_for_savings(request, pk) -> Member:
    return member_visible_to(request.user, pk, READ_PERM)


class MemberContributionsView(generics.ListAPIView):
    """GET /api/members/<pk>/contributions/."""

    serializer_class = ContributionSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MonthlyContribution.objects.none()
        member = _member_for_savings(self.request, self.kwargs["pk"])
        return (
            contributions_visible_to(user=self.request.user)
            .filter(member=member)
            .select_related("member", "bank_account", "entry__reversed_by")
            .order_by("-period", "-date")
        )


class MemberShareCapitalView(generics.ListAPIView):
    """GET /api/members/<pk>/share-capital/: payments, with the progress in the summary endpoint."""

    serializer_class = PaymentSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ShareCapitalPayment.objects.none()
        member = _member_for_savings(self.request, self.kwargs["pk"])
        return (
            share_capital_payments_visible_to(user=self.request.user)
            .filter(member=member)
            .select_related("member", "bank_account", "entry__reversed_by")
            .order_by("-date")
        )


class MemberShareSummaryView(APIView):
    """GET /api/members/<pk>/share-summary/: share capital, deposits, share of the pool, progress (from the ledger)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ShareSummarySerializer})
    def get(self, request, pk):
        return Response(_summary(_member_for_savings(request, pk)))


class TermSerializer(serializers.Serializer):
    term_months = serializers.IntegerField(min_value=1, max_value=600, help_text="12 or 24 (the SACCO's choices).")


class SetShareCapitalTermView(APIView):
    """POST /api/members/<pk>/set-share-capital-term/ {"term_months": 12|24}: the member for themselves, or staff."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=TermSerializer, responses={200: ShareSummarySerializer})
    def post(self, request, pk):
        member = member_visible_to(request.user, pk, "contributions.change_membercontributionschedule")
        data = TermSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        share_capital_term_set(member=member, term_months=data.validated_data["term_months"], updated_by=request.user)
        return Response(_summary(member))
