"""Serializers for the member endpoints. Identity fields the member must not change are read-only."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from portal.contributions.selectors import MemberBalances, member_balances
from portal.loans.member_position import MemberLoanPosition, member_loan_position
from portal.members.models import Member, Nominee
from portal.notifications.selectors import unread_notifications_count


class NomineeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Nominee
        fields = ["full_name", "relationship", "national_id", "phone_number", "share_percent"]


class MemberProfileSerializer(serializers.ModelSerializer):
    nominees = NomineeSerializer(many=True, read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "membership_number",
            "email",
            "first_name",
            "last_name",
            "join_date",
            "status",
            "phone_number",
            "national_id",
            "employer",
            "payroll_number",
            "date_of_birth",
            "postal_address",
            "bank_name",
            "bank_branch",
            "bank_account_name",
            "bank_account_number",
            "nominees",
        ]
        read_only_fields = fields


def _money(**kwargs):
    """An amount as a decimal string with two places ("7061.02"), as every amount in the API."""
    return serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True, read_only=True, **kwargs)


class NextInstalmentSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    due_date = serializers.DateField()
    amount = _money(help_text="What is still to pay on this instalment.")


class ArrearsSerializer(serializers.Serializer):
    amount = _money(help_text="Principal, interest and penalties of instalments past their due date, unpaid.")
    days = serializers.IntegerField(help_text="Days since the oldest unpaid due date.")
    since = serializers.DateField()
    instalments = serializers.IntegerField()


class DashboardLoanSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    product = serializers.CharField()
    principal = _money()
    disbursed_on = serializers.DateField()
    outstanding_principal = _money(help_text="Principal not yet repaid: the ledger's loan book for this loan.")
    still_to_pay = _money(help_text="The schedule left: principal, interest and penalties.")
    next_instalment = NextInstalmentSerializer(allow_null=True, help_text="Null when no instalment falls due ahead.")
    arrears = ArrearsSerializer(allow_null=True, help_text="Null when nothing is overdue.")


class DashboardGuaranteeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    borrower = serializers.CharField()
    borrower_number = serializers.CharField()
    product = serializers.CharField()
    loan_amount = _money()
    amount = _money(help_text="What the member promised.")
    status = serializers.ChoiceField(choices=["requested", "accepted"])
    status_display = serializers.CharField()
    held = _money(
        help_text="What it still holds of the member's deposits: all of it until released, or its share of the "
        "principal still owed when the society's guarantees shrink."
    )
    loan_outstanding = _money(allow_null=True, help_text="The borrower's outstanding principal; null before payout.")


class DashboardApplicationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    product = serializers.CharField()
    amount = _money()
    term_months = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["submitted", "approved"])
    status_display = serializers.CharField()
    stage = serializers.ChoiceField(choices=["guarantors", "review", "cover", "disbursement"])
    waiting_for = serializers.CharField()


@dataclass(frozen=True)
class MemberDashboard:
    """What the member's dashboard shows, read once: the serializer's fields take their sources from it."""

    member: Member
    balances: MemberBalances
    position: MemberLoanPosition
    unread_messages: int

    @classmethod
    def read(cls, member: Member) -> "MemberDashboard":
        today = timezone.localdate()
        return cls(
            member=member,
            balances=member_balances(member=member),
            position=member_loan_position(member=member, today=today),
            unread_messages=unread_notifications_count(user=member.user),
        )


class MemberDashboardSerializer(serializers.Serializer):
    """What the member sees first, the same figures as the portal's dashboard; amounts are decimal strings."""

    membership_number = serializers.CharField(source="member.membership_number")
    full_name = serializers.CharField(source="member.full_name")
    join_date = serializers.DateField(source="member.join_date")
    status = serializers.CharField(source="member.status")
    status_display = serializers.CharField(source="member.get_status_display")
    deposits = _money(source="balances.deposits")
    share_capital = _money(source="balances.share_capital")
    share_capital_target = _money(source="balances.share_capital_progress.target")
    monthly_contribution_due = _money(source="balances.monthly_due")
    loans_outstanding = _money(source="position.outstanding_principal", help_text="Σ outstanding principal.")
    arrears = _money(source="position.arrears", help_text="Σ overdue on all loans.")
    next_payment = NextInstalmentSerializer(
        source="position.next_payment", allow_null=True, help_text="The earliest next instalment of any loan."
    )
    loans = DashboardLoanSerializer(source="position.loans", many=True, help_text="Active loans.")
    guarantees_held = _money(source="position.guaranteed_held", help_text="Σ held by the guarantees below.")
    guarantees = DashboardGuaranteeSerializer(
        source="position.guarantees", many=True, help_text="Guarantees given for others, not yet released."
    )
    applications = DashboardApplicationSerializer(
        source="position.applications", many=True, help_text="Applications submitted or approved, not paid out."
    )
    unread_messages = serializers.IntegerField()
    messages_url = serializers.SerializerMethodField()

    def get_messages_url(self, dashboard) -> str:
        return reverse("member_area:notifications")

    def to_representation(self, instance):
        if isinstance(instance, Member):  # the view hands over the caller's member
            instance = MemberDashboard.read(instance)
        return super().to_representation(instance)
