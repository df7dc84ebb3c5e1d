"""GET /api/verify/?ref= (issue 18): the public document check, as the /verify/ page answers it.

No sign-in (whoever holds a receipt, statement or dividend advice may ask), throttled per client address. The
answer is decided in portal/society/document_refs.py and says no more than the page: the status, the kind, and
only for a matching document its date or period and (receipts, dividend advices) its amount."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from portal.society.document_refs import MAX_REF_LENGTH, Status, document_kinds, document_verify

STATUSES = [Status.MATCHES, Status.DOES_NOT_MATCH, Status.INVALID]


class DocumentVerifyThrottle(SimpleRateThrottle):
    """Per client address (NUM_PROXIES decides it), signed in or not: 30 checks a minute, as the page."""

    scope = "document_verify"
    rate = "30/minute"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class DocumentVerifyQuerySerializer(serializers.Serializer):
    ref = serializers.CharField(max_length=MAX_REF_LENGTH, help_text="The reference the document's QR code holds.")


class DocumentVerifySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUSES)
    kind = serializers.ChoiceField(
        choices=["receipt", "member_statement", "loan_statement", "dividend_advice"],
        allow_null=True,
        help_text="The kind of document the reference was issued for; null when it is not one we issued.",
    )
    date = serializers.DateField(
        allow_null=True,
        help_text="Matches only: a receipt's or dividend advice's date, a loan statement's 'as of' date.",
    )
    period_start = serializers.DateField(allow_null=True, help_text="Matches only: a member statement's period.")
    period_end = serializers.DateField(allow_null=True)
    financial_year = serializers.IntegerField(allow_null=True, help_text="Matches only: a dividend advice's year.")
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text="Matches only: a receipt's total received, a dividend advice's amount paid (KES).",
    )


class DocumentVerifyView(APIView):
    """Does the document with this reference match the books? Never a name or a balance."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [DocumentVerifyThrottle]

    @extend_schema(
        parameters=[OpenApiParameter("ref", str, required=True, description="The reference from the QR code.")],
        responses={200: DocumentVerifySerializer},
        auth=[],
    )
    def get(self, request):
        query = DocumentVerifyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        verdict = document_verify(query.validated_data["ref"])
        books = verdict.books
        kinds = document_kinds()
        kind = kinds[verdict.kind.code].name if verdict.kind else None
        return Response(
            DocumentVerifySerializer(
                {
                    "status": verdict.status,
                    "kind": kind,
                    "date": books.date if books else None,
                    "period_start": books.period_start if books else None,
                    "period_end": books.period_end if books else None,
                    "financial_year": books.financial_year if books else None,
                    "amount": books.amount if books else None,
                }
            ).data
        )
