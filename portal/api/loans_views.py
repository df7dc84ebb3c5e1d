"""/api/loans/… and /api/members/<pk>/loans/ (L2, L3, L5, L6, L7). A member sees and applies only for themselves
(404 for anyone else's loan); staff act by permission. `…/loans/<pk>/disburse/` takes the approved application's
id: the loan comes into being when it is paid out."""

import logging

from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from portal.loans.affordability import payslip_parse
from portal.loans.approval import loan_review_act
from portal.loans.eligibility import loan_eligibility
from portal.loans.models import (
    Guarantee,
    GuaranteeStatus,
    Loan,
    LoanApplication,
    LoanInstalment,
    LoanProduct,
    LoanRepayment,
    LoanStatus,
)
from portal.loans.reminders import payment_reminders_send
from portal.loans.selectors import applications_visible_to, due_payments, guarantees_visible_to, loans_visible_to
from portal.loans.services import (
    GuarantorRequest,
    RepaymentResult,
    application_submit,
    disbursement_date_check,
    guarantee_accept,
    guarantee_decline,
    loan_disburse,
    loan_repay,
)
from portal.loans.statements import loan_statement, loan_statement_pdf
from portal.members.models import Member
from portal.members.otp import OtpDeliveryError, otp_email_challenge, otp_is_fresh, otp_verify
from portal.members.selectors import member_for_user
from portal.society.serializer_fields import MONEY_HELP, MoneyField, MoneyTextField

from .lookups import BankAccountField, members_by_label
from .member_views import member_visible_to
from .params import query_int, query_uuid
from .permissions import HasModelPermission

logger = logging.getLogger(__name__)

VIEW_APPLICATIONS = "loans.view_loanapplication"
VIEW_LOANS = "loans.view_loan"


def _product(value) -> LoanProduct | None:
    """A product by its slug or numeric id; None when it names none (an id too long for the column included)."""
    value = str(value or "").strip()
    if value.isascii() and value.isdigit():
        return LoanProduct.objects.filter(pk=int(value)).first() if len(value) <= 9 else None
    return LoanProduct.objects.filter(slug=value[:100]).first()


class RuleSerializer(serializers.Serializer):
    code = serializers.CharField()
    passed = serializers.BooleanField()
    detail = serializers.CharField()


class EligibilitySerializer(serializers.Serializer):
    product = serializers.CharField(source="product.slug")
    eligible = serializers.BooleanField()
    max_amount = MoneyField(read_only=True)
    deposits = MoneyField(read_only=True)
    outstanding = MoneyField(read_only=True)
    rules = RuleSerializer(many=True)


class EligibilityAmountSerializer(serializers.Serializer):
    """?amount=: optional; when given, read like any amount in a body."""

    amount = MoneyField(required=False, default=None)


class EligibilityView(APIView):
    """GET /api/loans/eligibility/?product=<slug or id>[&amount=][&member=<id> for staff][&term_months=&basic_pay=
    &total_deductions=: with an amount, the two-thirds rule on those payslip figures]."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("product", str),
            OpenApiParameter("amount", str),
            OpenApiParameter("member", str),
            OpenApiParameter("term_months", int, description="With amount and the payslip: the two-thirds rule."),
            OpenApiParameter("basic_pay", str, description="Basic pay a month (payslip). " + MONEY_HELP),
            OpenApiParameter("total_deductions", str, description="Deductions a month today (payslip). " + MONEY_HELP),
            OpenApiParameter(
                "top_up_of", str, description="A top-up: the member's active loan it clears (it does not count)."
            ),
        ],
        responses={200: EligibilitySerializer},
    )
    def get(self, request):
        product = _product(request.query_params.get("product"))
        if product is None:
            return Response({"product": ["Choose a loan product (its slug or id)."]}, status=400)
        member_id = query_uuid(request.query_params, "member")
        if member_id:
            member = member_visible_to(request.user, member_id)
        else:
            member = getattr(request.user, "member", None)
            if member is None:
                return Response({"member": ["Staff must say which member (?member=<id>)."]}, status=400)
        amount = request.query_params.get("amount")
        wanted = EligibilityAmountSerializer(data={} if amount in (None, "") else {"amount": amount})
        wanted.is_valid(raise_exception=True)
        amount = wanted.validated_data["amount"]
        clearing = None
        top_up_of = query_uuid(request.query_params, "top_up_of")
        if top_up_of:
            clearing = Loan.objects.filter(pk=top_up_of, member=member, status=LoanStatus.ACTIVE).first()
            if clearing is None:
                return Response({"top_up_of": ["Choose one of the member's active loans."]}, status=400)
        term_months = query_int(request.query_params, "term_months", min_value=1, max_value=600)
        basic_pay, total_deductions = payslip_parse(
            basic_pay=request.query_params.get("basic_pay"),
            total_deductions=request.query_params.get("total_deductions"),
        )
        eligibility = loan_eligibility(
            member=member,
            product=product,
            amount=amount,
            term_months=term_months,
            basic_pay=basic_pay,
            total_deductions=total_deductions,
            clearing=clearing,
        )
        return Response(EligibilitySerializer(eligibility).data)


class ApplicationSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    membership_number = serializers.CharField(source="member.membership_number", read_only=True)

    class Meta:
        model = LoanApplication
        fields = [
            "id",
            "member",
            "membership_number",
            "product",
            "amount",
            "term_months",
            "purpose",
            "annual_rate",
            "method",
            "status",
            "decision_reason",
            "decided_at",
            "created_at",
            "basic_pay",
            "total_deductions",
            "top_up_of",
        ]
        read_only_fields = fields


class GuarantorInSerializer(serializers.Serializer):
    member = serializers.CharField(help_text="Membership number or member id.")
    amount = MoneyTextField(help_text="The amount this guarantor is asked to guarantee. " + MONEY_HELP)


class ApplicationInSerializer(serializers.Serializer):
    product = serializers.CharField()
    amount = MoneyTextField()
    term_months = serializers.CharField()
    purpose = serializers.CharField(allow_blank=True)
    guarantors = GuarantorInSerializer(many=True, required=False, default=list)
    basic_pay = MoneyTextField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Basic pay a month, from the member's payslip (with total_deductions: the two-thirds rule). "
        + MONEY_HELP,
    )
    total_deductions = MoneyTextField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text='Everything deducted from pay a month today, from the same payslip ("0" when none). ' + MONEY_HELP,
    )
    top_up_of = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A top-up: the id of your own active loan that this loan clears when paid out (issue 16).",
    )


class ApplicationListView(generics.ListAPIView):
    """GET: your applications (staff with permission: all, ?status=). POST: apply (members, for themselves)."""

    serializer_class = ApplicationSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LoanApplication.objects.none()
        queryset = applications_visible_to(user=self.request.user).select_related("member", "product")
        wanted = self.request.query_params.get("status")
        return queryset.filter(status=wanted) if wanted else queryset

    @extend_schema(request=ApplicationInSerializer, responses={201: ApplicationSerializer})
    def post(self, request):
        member = getattr(request.user, "member", None)
        if member is None:
            return Response({"detail": "Only members apply for loans."}, status=status.HTTP_403_FORBIDDEN)
        data = ApplicationInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = _product(data.validated_data["product"])
        if product is None:
            return Response({"product": ["No such loan product."]}, status=400)
        top_up_of = None
        if data.validated_data["top_up_of"] is not None:
            top_up_of = Loan.objects.filter(pk=data.validated_data["top_up_of"], member=member).first()
            if top_up_of is None:  # another member's loan reads as none at all
                return Response({"top_up_of": ["Choose one of your own active loans."]}, status=400)
        application = application_submit(
            member=member,
            product=product,
            amount=data.validated_data["amount"],
            term_months=data.validated_data["term_months"],
            purpose=data.validated_data["purpose"],
            guarantors=_guarantors(data.validated_data["guarantors"]),
            basic_pay=data.validated_data.get("basic_pay"),
            total_deductions=data.validated_data.get("total_deductions"),
            top_up_of=top_up_of,
        )
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)


def _guarantors(rows) -> list[GuarantorRequest]:
    """The guarantors asked for; one named by nobody goes on as None for the service to name in its errors."""
    members = members_by_label(row["member"] for row in rows)
    return [
        GuarantorRequest(members.get(str(row["member"])), row["amount"], str(row["member"]).strip()) for row in rows
    ]


class ReviewSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="The application's status after this action.")
    step = serializers.CharField(help_text="The workflow step now waiting, or empty when decided.")
    approvals = serializers.IntegerField(help_text="Committee approvals given at this step.")
    required = serializers.IntegerField(help_text="Approvals this step needs.")
    voters = serializers.ListField(child=serializers.CharField())


class StateConflictSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Why the object's state does not allow this (already decided, closed…).")


CONFLICT = OpenApiResponse(StateConflictSerializer, description="The object's state does not allow this.")


class ApproveInSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=255, help_text="An optional comment."
    )


_REASON_NEEDED = "Say why the application is rejected; the member reads it."


class RejectInSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=255,
        help_text="Why: the member reads it.",
        error_messages={"required": _REASON_NEEDED, "blank": _REASON_NEEDED, "null": _REASON_NEEDED},
    )


class _DecisionView(APIView):
    """Acts at the "Loan approval" workflow's current step as the caller: the loans officer appraises, each
    committee member votes once; the applicant and guarantors are refused (403), as is anyone outside the step's
    groups. The response says where the application now stands."""

    permission_classes = [HasModelPermission("loans.decide_loanapplication")]
    action = ""
    in_serializer = ApproveInSerializer

    def post(self, request, pk):
        application = get_object_or_404(LoanApplication, pk=pk)
        data = self.in_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        progress = loan_review_act(
            application=application, user=request.user, action=self.action, reason=data.validated_data["reason"]
        )
        return Response(progress.as_dict())


class ApplicationApproveView(_DecisionView):
    """POST …/applications/<id>/approve/ {"reason": optional comment}."""

    action = "approve"
    in_serializer = ApproveInSerializer

    @extend_schema(request=ApproveInSerializer, responses={200: ReviewSerializer, 409: CONFLICT})
    def post(self, request, pk):
        return super().post(request, pk)


class ApplicationRejectView(_DecisionView):
    """POST …/applications/<id>/reject/ {"reason": required}."""

    action = "reject"
    in_serializer = RejectInSerializer

    @extend_schema(request=RejectInSerializer, responses={200: ReviewSerializer, 409: CONFLICT})
    def post(self, request, pk):
        return super().post(request, pk)


class InstalmentSerializer(serializers.ModelSerializer):
    amount = MoneyField(read_only=True)
    outstanding = MoneyField(read_only=True)

    class Meta:
        model = LoanInstalment
        fields = ["number", "due_date", "principal", "interest", "penalty", "amount", "paid_fields", "outstanding"]

    paid_fields = serializers.SerializerMethodField()

    def get_paid_fields(self, obj) -> dict:
        return {
            "principal": str(obj.principal_paid),
            "interest": str(obj.interest_paid),
            "penalty": str(obj.penalty_paid),
        }


class LoanSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    membership_number = serializers.CharField(source="member.membership_number", read_only=True)

    class Meta:
        model = Loan
        fields = [
            "id",
            "application",
            "member",
            "membership_number",
            "product",
            "principal",
            "amount_paid_out",
            "processing_fee",
            "insurance_fee",
            "application_fee",
            "annual_rate",
            "method",
            "term_months",
            "disbursed_on",
            "status",
            "closed_on",
        ]
        read_only_fields = fields


def _loans_for(user):
    return loans_visible_to(user=user).select_related("member", "product")


class LoanListView(generics.ListAPIView):
    """GET /api/loans/loans/: your loans, or every loan for staff (?status=)."""

    serializer_class = LoanSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Loan.objects.none()
        queryset = _loans_for(self.request.user)
        wanted = self.request.query_params.get("status")
        return queryset.filter(status=wanted) if wanted else queryset


class RepaymentScheduleSerializer(serializers.Serializer):
    loan = LoanSerializer()
    instalments = InstalmentSerializer(many=True)


class RepaymentScheduleView(APIView):
    """GET …/loans/<id>/repayment-schedule/: every instalment with what is paid and what is left."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: RepaymentScheduleSerializer})
    def get(self, request, pk):
        loan = get_object_or_404(_loans_for(request.user), pk=pk)
        return Response(
            {
                "loan": LoanSerializer(loan).data,
                "instalments": InstalmentSerializer(loan.instalments.all(), many=True).data,
            }
        )


class DisburseInSerializer(serializers.Serializer):
    date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The day the money goes out; default today. Not in the future, not before the approval.",
    )
    bank_account = BankAccountField(
        required=False, allow_null=True, default=None, help_text="Pay from this account; default the primary one."
    )


class DisburseView(APIView):
    """POST …/loans/<application id>/disburse/ {"date": optional, "bank_account": optional}: pay out once. A retry
    answers the loan already paid out (200), whatever date it names."""

    permission_classes = [HasModelPermission("loans.disburse_loan")]

    @extend_schema(request=DisburseInSerializer, responses={201: LoanSerializer, 200: LoanSerializer, 409: CONFLICT})
    def post(self, request, pk):
        application = get_object_or_404(LoanApplication, pk=pk)
        data = DisburseInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        day = values["date"] or timezone.localdate()
        existing = Loan.objects.filter(application=application).first()
        if existing is None:
            disbursement_date_check(application=application, date=day)
        result = loan_disburse(application=application, by=request.user, date=day, bank_account=values["bank_account"])
        return Response(LoanSerializer(result.loan).data, status=201 if result.created else 200)


class RepaymentInSerializer(serializers.Serializer):
    amount = MoneyField(help_text=MONEY_HELP)
    reference = serializers.CharField(allow_blank=True)
    date = serializers.DateField(required=False, allow_null=True, default=None)
    bank_account = BankAccountField(required=False, allow_null=True, default=None)


class RepaymentOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    amount = MoneyField(read_only=True)
    penalty = MoneyField(read_only=True)
    interest = MoneyField(read_only=True)
    principal = MoneyField(read_only=True)
    overpayment = MoneyField(read_only=True, help_text="Beyond the whole balance: credited to deposits.")
    loan_status = serializers.CharField(
        allow_null=True, help_text="The loan after this payment; null only when it could not be read back."
    )
    created = serializers.BooleanField(help_text="False when this reference was recorded before (nothing posted).")


def _read_back(query):
    """Run a read after a write has committed. A dropped connection is reopened once (outside a transaction);
    the caller decides what a second failure means."""
    try:
        return query()
    except DatabaseError:
        if not connection.in_atomic_block:
            connection.close()
        return query()


def _repayment_committed(loan: Loan, reference: str) -> LoanRepayment | None:
    """After an error from the database, the repayment if it was committed all the same (the error came at or
    after the commit): then the client gets the payment, not a 500 that invites a confusing retry."""
    reference = (reference or "").strip()
    if not reference:
        return None
    try:
        return _read_back(
            lambda: LoanRepayment.objects.filter(loan=loan, entry__idempotency_key=f"repayment:{reference}").first()
        )
    except DatabaseError:
        return None


def _loan_status(pk) -> str | None:
    try:
        return _read_back(lambda: Loan.objects.values_list("status", flat=True).get(pk=pk))
    except DatabaseError:
        logger.warning("Loan %s could not be read back after a repayment was recorded.", pk)
        return None


class AddRepaymentView(APIView):
    """POST …/loans/<id>/add-repayment/ {"amount", "reference", "date"}: once per reference.

    The service commits before this view answers; the loan is read again afterwards for its new status. A database
    error at or after the commit never turns a recorded payment into a 500: the payment is looked up and answered
    (the loan status is null if even that read fails)."""

    permission_classes = [HasModelPermission("loans.record_repayment")]

    @extend_schema(
        request=RepaymentInSerializer,
        responses={201: RepaymentOutSerializer, 200: RepaymentOutSerializer, 409: CONFLICT},
    )
    def post(self, request, pk):
        loan = get_object_or_404(Loan, pk=pk)
        data = RepaymentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            result = loan_repay(
                loan=loan,
                amount=values["amount"],
                reference=values["reference"],
                date=values["date"],
                bank_account=values["bank_account"],
                recorded_by=request.user,
            )
        except DatabaseError:  # kept here: a repayment committed before the error is answered, not a 503/500
            repayment = _repayment_committed(loan, values["reference"])
            if repayment is None:
                raise
            logger.warning("Repayment %s committed but the request then failed; answering the payment.", repayment.pk)
            result = RepaymentResult(repayment, True)
        repayment = result.repayment
        body = {
            "id": repayment.pk,
            "amount": repayment.amount,
            "penalty": repayment.penalty_part,
            "interest": repayment.interest_part,
            "principal": repayment.principal_part,
            "overpayment": repayment.overpayment,
            "loan_status": _loan_status(loan.pk),
            "created": result.created,
        }
        return Response(RepaymentOutSerializer(body).data, status=201 if result.created else 200)


class MemberLoansView(generics.ListAPIView):
    """GET /api/members/<pk>/loans/."""

    serializer_class = LoanSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Loan.objects.none()
        member: Member = member_visible_to(self.request.user, self.kwargs["pk"], VIEW_LOANS)
        return _loans_for(self.request.user).filter(member=member)


class StatementRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    description = serializers.CharField()
    reference = serializers.CharField()
    charged = MoneyField(read_only=True)
    paid = MoneyField(read_only=True)
    balance = MoneyField(read_only=True)


class LoanStatementSerializer(serializers.Serializer):
    loan = LoanSerializer()
    rows = StatementRowSerializer(many=True)


class GenerateStatementView(APIView):
    """GET …/loans/<id>/generate-statement/[?output=pdf]: the statement with its running balance (own loan or staff)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("output", str, enum=["json", "pdf"], description="json (default) or pdf")],
        responses={(200, "application/json"): LoanStatementSerializer, (200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk):
        loan = get_object_or_404(_loans_for(request.user).select_related("member__user"), pk=pk)
        if request.query_params.get("output") == "pdf":
            response = HttpResponse(
                loan_statement_pdf(loan=loan, base_url=request.build_absolute_uri("/")), content_type="application/pdf"
            )
            response["Content-Disposition"] = (
                f'attachment; filename="loan-statement-{loan.member.membership_number}.pdf"'
            )
            return response
        rows = [
            {
                "date": r.date,
                "description": r.description,
                "reference": r.reference,
                "charged": str(r.debit),
                "paid": str(r.credit),
                "balance": str(r.balance),
            }
            for r in loan_statement(loan=loan)
        ]
        return Response({"loan": LoanSerializer(loan).data, "rows": rows})


class DuePaymentSerializer(serializers.Serializer):
    loan = serializers.UUIDField(source="loan_id")
    membership_number = serializers.CharField(source="loan.member.membership_number")
    name = serializers.CharField(source="loan.member.user.get_full_name")
    product = serializers.CharField(source="loan.product.name")
    number = serializers.IntegerField()
    due_date = serializers.DateField()
    outstanding = MoneyField(read_only=True)
    days_past_due = serializers.SerializerMethodField()

    def get_days_past_due(self, obj) -> int:
        return max((timezone.localdate() - obj.due_date).days, 0)


class DuePaymentsView(generics.ListAPIView):
    """GET /api/loans/loans/due-payments/[?days=7]: instalments overdue or due within the next days."""

    serializer_class = DuePaymentSerializer
    permission_classes = [HasModelPermission(VIEW_LOANS)]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LoanInstalment.objects.none()
        days = query_int(self.request.query_params, "days", min_value=0, max_value=366)
        return due_payments(today=timezone.localdate(), days_ahead=7 if days is None else days)


class SendPaymentRemindersView(APIView):
    """POST /api/loans/loans/send-payment-reminders/: before-due and overdue reminders (never twice)."""

    permission_classes = [HasModelPermission("loans.record_repayment")]

    @extend_schema(
        request=None,
        responses={200: inline_serializer("PaymentRemindersSent", {"sent": serializers.IntegerField()})},
    )
    def post(self, request):
        return Response({"sent": payment_reminders_send()})


class GuaranteeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    application = serializers.UUIDField(source="application_id")
    applicant = serializers.CharField(source="application.member.membership_number")
    applicant_name = serializers.CharField(source="application.member.user.get_full_name")
    product = serializers.CharField(source="application.product.name")
    loan_amount = MoneyField(source="application.amount", read_only=True)
    term_months = serializers.IntegerField(source="application.term_months")
    amount = MoneyField(read_only=True, help_text="What you are asked to guarantee (or guarantee).")
    status = serializers.ChoiceField(choices=GuaranteeStatus.choices)
    created_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField(allow_null=True)


def _guarantees_of(user):
    return guarantees_visible_to(user=user).select_related("application__member__user", "application__product")


class GuaranteeListView(generics.ListAPIView):
    """GET /api/loans/guarantees/[?status=requested]: requests to guarantee other members' loans, and the answers
    you gave. Answer one with …/<id>/accept/ or …/<id>/decline/."""

    serializer_class = GuaranteeSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=list(GuaranteeStatus.values), required=False)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Guarantee.objects.none()
        queryset = _guarantees_of(self.request.user).order_by("-created_at")
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in GuaranteeStatus.values:
                raise serializers.ValidationError({"status": [f"Use one of: {', '.join(GuaranteeStatus.values)}."]})
            queryset = queryset.filter(status=wanted)
        return queryset


class SecondFactorInSerializer(serializers.Serializer):
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text="A code from your authenticator app, an emailed code or a backup code. Required unless this is a "
        "browser session that proved the second factor in the last few minutes.",
    )


MAIL_DOWN = OpenApiResponse(
    inline_serializer("CodeNotSent", {"detail": serializers.CharField()}),
    description="The emailed code could not be sent; try again or use another second factor.",
)


class SecondFactorThrottle(UserRateThrottle):
    """Guessing codes is slow: the same budget as signing in, per user (django-otp also slows each device)."""

    scope = "auth"


class _GuaranteeAnswerView(APIView):
    """The guarantor answers a request, with the portal's rule for it: the second factor proved just now.

    The portal asks for a code from the last five minutes (`fresh_otp_required`). A JWT proves the second factor
    only at sign-in, and a refreshed token is new without a new code, so the token's age says nothing: the API asks
    for the code in the body and checks it against the caller's devices (TOTP, email or backup code). A browser
    session that passed a code within the portal's fresh window needs none, as in the portal. Without a valid
    code: 403, and nothing changes. Another member's guarantee is a 404."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [SecondFactorThrottle]
    accept = True

    @staticmethod
    def _code_needed(user) -> Response:
        """403 asking for a code; a member whose only second factor is email gets one emailed (503 if the mail
        server fails), since the API has no other way to send them a code."""
        detail = "This needs a fresh second-factor code: send it as `code`."
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            try:
                if otp_email_challenge(user=user):
                    detail = f"This needs a fresh second-factor code: we emailed one to {user.email}; send it as code."
            except OtpDeliveryError as exc:  # kept here: the mail server, not the database, is away
                return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response({"detail": detail, "code": ["Send a current code."]}, status=status.HTTP_403_FORBIDDEN)

    def post(self, request, pk):
        guarantee = get_object_or_404(_guarantees_of(request.user), pk=pk)
        data = SecondFactorInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        code = data.validated_data["code"].strip()
        session_fresh = isinstance(request.successful_authenticator, SessionAuthentication) and otp_is_fresh(
            request._request
        )
        if not session_fresh:
            if not code:
                return self._code_needed(request.user)
            if otp_verify(user=request.user, token=code, request=request._request) is None:
                return Response(
                    {"detail": "The second-factor code is not valid.", "code": ["That code is not valid."]},
                    status=status.HTTP_403_FORBIDDEN,
                )
        member = member_for_user(user=request.user)
        answer = guarantee_accept if self.accept else guarantee_decline
        guarantee = answer(guarantee=guarantee, by_member=member)
        return Response(GuaranteeSerializer(_guarantees_of(request.user).get(pk=guarantee.pk)).data)


class GuaranteeAcceptView(_GuaranteeAnswerView):
    """POST /api/loans/guarantees/<id>/accept/ {"code"}: promise your free deposits to cover part of the loan."""

    accept = True

    @extend_schema(
        request=SecondFactorInSerializer,
        responses={200: GuaranteeSerializer, 409: CONFLICT, 503: MAIL_DOWN},
    )
    def post(self, request, pk):
        return super().post(request, pk)


class GuaranteeDeclineView(_GuaranteeAnswerView):
    """POST /api/loans/guarantees/<id>/decline/ {"code"}: say no (the portal asks for the same fresh code)."""

    accept = False

    @extend_schema(
        request=SecondFactorInSerializer,
        responses={200: GuaranteeSerializer, 409: CONFLICT, 503: MAIL_DOWN},
    )
    def post(self, request, pk):
        return super().post(request, pk)
