"""/api/reports/… (R1 now; the rest of issue 6 adds to it). Financial statements: staff who may read them see every
pack; members see approved packs only. Preparing needs the prepare permission; approving acts at the workflow's
step as the caller (two distinct approvers, never the preparer)."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.members.selectors import member_for_user
from portal.reports.backups import backup_create
from portal.reports.exports import CONTENT_TYPES, FORMATS, statements_response
from portal.reports.member_statement import member_statement, member_statement_email, member_statement_pdf
from portal.reports.models import Backup, FinancialStatement
from portal.reports.selectors import financial_statements_visible_to
from portal.reports.services import financial_statement_approve, financial_statement_prepare

from .member_views import member_visible_to
from .params import query_uuid
from .permissions import HasModelPermission
from .schema import NOT_FOUND


class FinancialStatementSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="approval_status", read_only=True)

    class Meta:
        model = FinancialStatement
        fields = ["id", "title", "period_start", "period_end", "status", "live", "prepared_at", "data"]
        read_only_fields = fields


class PrepareSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    title = serializers.CharField(required=False, allow_blank=True, max_length=150)


class FinancialStatementListView(generics.ListAPIView):
    """GET: statement packs (members: approved only). POST {period_start, period_end, title?}: prepare a pack and
    send it for approval. `?output=csv|xlsx|pdf&pk=<id>` downloads one pack."""

    serializer_class = FinancialStatementSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FinancialStatement.objects.none()
        return financial_statements_visible_to(user=self.request.user).select_related("prepared_by")

    @extend_schema(
        parameters=[
            OpenApiParameter("output", str, enum=list(FORMATS), required=False),
            OpenApiParameter("pk", OpenApiTypes.UUID, required=False, description="The pack to download with ?output="),
        ],
        responses={
            (200, "application/json"): FinancialStatementSerializer(many=True),
            **{(200, CONTENT_TYPES[output]): OpenApiTypes.BINARY for output in FORMATS},
        },
    )
    def get(self, request, *args, **kwargs):
        output = request.query_params.get("output")
        if output:
            if output not in FORMATS:
                return Response({"output": [f"Use one of: {', '.join(FORMATS)}."]}, status=400)
            pk = query_uuid(request.query_params, "pk", required=True)
            statement = get_object_or_404(self.get_queryset(), pk=pk)
            return statements_response(data=statement.data, title=statement.title, output=output)
        return super().get(request, *args, **kwargs)

    @extend_schema(request=PrepareSerializer, responses={201: FinancialStatementSerializer})
    def post(self, request):
        if not request.user.has_perm("reports.prepare_financialstatement"):
            return Response({"detail": "Your role does not prepare statements."}, status=status.HTTP_403_FORBIDDEN)
        data = PrepareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement = financial_statement_prepare(
            start=data.validated_data["period_start"],
            end=data.validated_data["period_end"],
            title=data.validated_data.get("title", ""),
            by=request.user,
        )
        return Response(FinancialStatementSerializer(statement).data, status=status.HTTP_201_CREATED)


class ApproveSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["approve", "reject"], default="approve")
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required to reject.")


class FinancialStatementApproveView(APIView):
    """POST {"action": "approve" (default) or "reject", "reason": required to reject}: one approver's vote."""

    permission_classes = [HasModelPermission("reports.change_financialstatement")]

    @extend_schema(request=ApproveSerializer, responses={200: FinancialStatementSerializer})
    def post(self, request, pk):
        statement = get_object_or_404(FinancialStatement, pk=pk)
        vote = ApproveSerializer(data=request.data)
        vote.is_valid(raise_exception=True)
        statement = financial_statement_approve(
            statement=statement,
            user=request.user,
            action=vote.validated_data["action"],
            reason=vote.validated_data["reason"],
        )
        return Response(FinancialStatementSerializer(statement).data)


class BackupSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    vendor = serializers.CharField()
    status = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    error = serializers.CharField()


class BackupListView(generics.ListAPIView):
    """GET /api/reports/backups/: administrators only (a backup holds everyone's data). Downloads are in the admin,
    behind a fresh second-factor code."""

    serializer_class = BackupSerializer
    permission_classes = [HasModelPermission("reports.view_backup")]

    def get_queryset(self):
        return Backup.objects.all()


class BackupCreateView(APIView):
    """POST /api/reports/backups/create-backup/: queue a backup; 202 with its record."""

    permission_classes = [HasModelPermission("reports.add_backup")]

    @extend_schema(request=None, responses={202: BackupSerializer})
    def post(self, request):
        backup = backup_create(by=request.user)
        backup.refresh_from_db()
        return Response(BackupSerializer(backup).data, status=status.HTTP_202_ACCEPTED)


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class StatementEmailSerializer(PeriodSerializer):
    member = serializers.UUIDField(required=False, help_text="Staff: whose statement (members: their own).")


class SentSerializer(serializers.Serializer):
    detail = serializers.CharField()


_MONEY = {"max_digits": 14, "decimal_places": 2}
MemberStatementSerializer = inline_serializer(
    "MemberStatement",
    {
        "member": serializers.UUIDField(),
        "membership_number": serializers.CharField(),
        "start": serializers.DateField(),
        "end": serializers.DateField(),
        "sections": inline_serializer(
            "MemberStatementSection",
            {
                "title": serializers.CharField(),
                "opening": serializers.DecimalField(**_MONEY),
                "closing": serializers.DecimalField(**_MONEY),
                "rows": inline_serializer(
                    "MemberStatementRow",
                    {
                        "date": serializers.DateField(),
                        "description": serializers.CharField(),
                        "reference": serializers.CharField(),
                        "in": serializers.DecimalField(**_MONEY),
                        "out": serializers.DecimalField(**_MONEY),
                        "balance": serializers.DecimalField(**_MONEY),
                    },
                    many=True,
                ),
            },
            many=True,
        ),
    },
)


class MemberStatementView(APIView):
    """GET /api/reports/member-statements/?start=YYYY-MM-DD&end=YYYY-MM-DD[&member=<id>][&output=pdf]: a statement
    for a period (members: their own — another member's id is 404; staff who read the register: anyone's).
    POST the same fields: email it to the member as a PDF."""

    permission_classes = [IsAuthenticated]

    def _member_and_period(self, data):
        if not hasattr(data, "get"):
            raise serializers.ValidationError({"non_field_errors": ["Send an object with start and end."]})
        member_id = query_uuid(data, "member")
        if member_id:
            member = member_visible_to(self.request.user, member_id)
        else:
            member = member_for_user(user=self.request.user)
        if member is None:
            raise Http404
        period = PeriodSerializer(data=data)
        period.is_valid(raise_exception=True)
        return member, period.validated_data["start"], period.validated_data["end"]

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True),
            OpenApiParameter("member", OpenApiTypes.UUID, required=False, description="Staff: whose statement"),
            OpenApiParameter("output", str, enum=["json", "pdf"], required=False),
        ],
        responses={
            (200, "application/json"): MemberStatementSerializer,
            (200, "application/pdf"): OpenApiTypes.BINARY,
            404: NOT_FOUND,
        },
    )
    def get(self, request):
        member, start, end = self._member_and_period(request.query_params)
        statement = member_statement(member=member, start=start, end=end)
        if request.query_params.get("output") == "pdf":
            response = HttpResponse(
                member_statement_pdf(statement, base_url=request.build_absolute_uri("/")),
                content_type="application/pdf",
            )
            response["Content-Disposition"] = f'attachment; filename="statement-{start}-{end}.pdf"'
            return response
        return Response(
            {
                "member": str(member.pk),
                "membership_number": member.membership_number,
                "start": start,
                "end": end,
                "sections": [
                    {
                        "title": section["title"],
                        "opening": f"{section['opening']:.2f}",
                        "closing": f"{section['closing']:.2f}",
                        "rows": [
                            {
                                **row,
                                "in": f"{row['in']:.2f}",
                                "out": f"{row['out']:.2f}",
                                "balance": f"{row['balance']:.2f}",
                            }
                            for row in section["rows"]
                        ],
                    }
                    for section in statement["sections"]
                ],
            }
        )

    @extend_schema(request=StatementEmailSerializer, responses={202: SentSerializer, 404: NOT_FOUND})
    def post(self, request):
        member, start, end = self._member_and_period(request.data)
        member_statement_email(member=member, start=start, end=end)
        return Response({"detail": f"Sent to {member.user.email}."}, status=status.HTTP_202_ACCEPTED)
