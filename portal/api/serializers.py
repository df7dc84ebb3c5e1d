"""Serializers for the member endpoints. Identity fields the member must not change are read-only."""

from rest_framework import serializers

from portal.members.models import Member, Nominee


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


class MemberDashboardSerializer(serializers.Serializer):
    """What the member sees first; balances join when the ledger exists."""

    membership_number = serializers.CharField()
    full_name = serializers.CharField()
    join_date = serializers.DateField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
