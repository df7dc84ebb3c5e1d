"""GET/PUT /api/members/message-preferences/: how the caller wants each kind of message, email, SMS or both (issue 15).

Only the caller's own choices: there is no id in the path, so no member can read or set another's. PUT takes any of
the kinds (those left out keep their channel); an unknown kind or channel is a 400 naming it, and nothing is saved.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.notifications.models import CHOOSABLE_KINDS, Channel, MessageKind
from portal.notifications.selectors import member_phone, message_preferences
from portal.notifications.services import message_preferences_set

from .permissions import IsMember


def _kind_field(kind: str, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=Channel.choices, help_text=str(MessageKind(kind).label), **kwargs)


class MessagePreferencesUpdateSerializer(serializers.Serializer):
    """Any of the kinds, each "email", "sms" or "both"; nothing else."""

    def get_fields(self):
        return {kind: _kind_field(kind, required=False) for kind in CHOOSABLE_KINDS}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        unknown = sorted(str(key) for key in data if key not in CHOOSABLE_KINDS)
        if unknown:
            raise serializers.ValidationError(
                {key: [f"Not a kind of message; choose from: {', '.join(CHOOSABLE_KINDS)}."] for key in unknown}
            )
        return value


class MessagePreferencesSerializer(serializers.Serializer):
    """Every kind with its channel, and whether SMS can reach the member at all (a phone number on the profile)."""

    def get_fields(self):
        fields = {kind: _kind_field(kind) for kind in CHOOSABLE_KINDS}
        fields["has_phone"] = serializers.BooleanField(
            help_text="False: no mobile number on the profile, so SMS cannot be sent until one is added."
        )
        return fields


def _answer(user) -> Response:
    data = {**message_preferences(user=user), "has_phone": bool(member_phone(user=user))}
    return Response(MessagePreferencesSerializer(data).data)


class MessagePreferencesView(APIView):
    permission_classes = [IsMember]

    @extend_schema(responses={200: MessagePreferencesSerializer})
    def get(self, request):
        return _answer(request.user)

    @extend_schema(request=MessagePreferencesUpdateSerializer, responses={200: MessagePreferencesSerializer})
    def put(self, request):
        checked = MessagePreferencesUpdateSerializer(data=request.data)
        checked.is_valid(raise_exception=True)
        message_preferences_set(user=request.user, preferences=dict(checked.validated_data))
        return _answer(request.user)
