"""/api/members/<pk>/dividends/ (D2): a member's dividend history with the balances behind each year's amounts.
Members see their own (404 for anyone else's); staff with the dividend read permission see anyone's."""

from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated

from portal.dividends.models import MemberDividend
from portal.dividends.selectors import member_dividends_visible_to

from .member_views import member_visible_to


class MemberDividendSerializer(serializers.ModelSerializer):
    financial_year = serializers.IntegerField(source="declaration.financial_year", read_only=True)
    share_capital_rate = serializers.DecimalField(
        source="declaration.share_capital_rate", max_digits=7, decimal_places=4, read_only=True
    )
    deposit_rate = serializers.DecimalField(
        source="declaration.deposit_rate", max_digits=7, decimal_places=4, read_only=True
    )
    withholding_tax_rate = serializers.DecimalField(
        source="declaration.withholding_tax_rate", max_digits=7, decimal_places=4, read_only=True
    )
    gross = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = MemberDividend
        fields = [
            "financial_year",
            "share_capital_basis",
            "share_capital_rate",
            "dividend",
            "deposits_basis",
            "deposit_rate",
            "interest",
            "gross",
            "withholding_tax_rate",
            "tax",
            "net",
        ]
        read_only_fields = fields


class MemberDividendsView(generics.ListAPIView):
    """GET /api/members/<pk>/dividends/."""

    serializer_class = MemberDividendSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MemberDividend.objects.none()
        user = self.request.user
        member = member_visible_to(user, self.kwargs["pk"], "dividends.view_memberdividend")
        return member_dividends_visible_to(user=user).filter(member=member).select_related("declaration")
