"""API authentication under /api/auth/: password then second factor, then a JWT pair.

There is no password-only token: `otp-login` checks the password (and the lockout) and starts a second-factor
challenge; `verify-otp` checks the code and issues the JWT pair.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.core import signing
from django.shortcuts import get_object_or_404
from django_otp import devices_for_user
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from portal.members.invitations import InvitationError, invitation_accept, invitation_create
from portal.members.kyc import kyc_document_upload, kyc_review_act
from portal.members.lockout import lockout_response
from portal.members.lockout_services import lockout_password_success, lockout_unlock_link_send
from portal.members.models import KycDocument, User
from portal.members.otp import OtpDeliveryError, otp_email_challenge, otp_email_enrol, otp_verify
from portal.members.password_reset import password_reset_complete, password_reset_request
from portal.members.tokens import user_token_pair_issue

from .permissions import HasModelPermission, IsMember

OTP_SESSION_SALT = "portal.api.otp-login"
OTP_SESSION_MAX_AGE = 300


class AuthThrottle(AnonRateThrottle):
    scope = "auth"


def _is_locked(request, email: str) -> bool:
    return AxesProxyHandler.is_locked(request._request, {"email": email})


class OtpLoginSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class OtpLoginResponseSerializer(serializers.Serializer):
    otp_required = serializers.BooleanField()
    otp_session = serializers.CharField(help_text="Send it back to verify-otp with the code; valid 5 minutes.")
    methods = serializers.ListField(child=serializers.ChoiceField(choices=["totp", "email", "backup"]))


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)


class OtpLoginView(APIView):
    """Step 1: email and password. Answers with an `otp_session` for verify-otp; emails a code when the
    account uses emailed codes. A member without any device is enrolled for emailed codes; a staff account without
    one is refused (403), as on the web: staff set up an authenticator app at their first admin sign-in."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthThrottle]

    @extend_schema(
        request=OtpLoginSerializer,
        responses={
            200: OtpLoginResponseSerializer,
            401: OpenApiResponse(DetailSerializer, description="Email or password not correct."),
            403: OpenApiResponse(
                DetailSerializer, description="A staff account with no authenticator app yet: set it up on the web."
            ),
            429: OpenApiResponse(DetailSerializer, description="Throttled, or the account is locked."),
            503: OpenApiResponse(DetailSerializer, description="The emailed code could not be sent; try again."),
        },
    )
    def post(self, request):
        data = OtpLoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].strip().lower()
        if _is_locked(request, email):
            return lockout_response(request._request)
        user = authenticate(request._request, email=email, password=data.validated_data["password"])
        if user is None:
            if _is_locked(request, email):
                return lockout_response(request._request)
            return Response({"detail": "Email or password is not correct."}, status=status.HTTP_401_UNAUTHORIZED)
        lockout_password_success(request=request._request, email=email)
        devices = list(devices_for_user(user, confirmed=True))
        if not any(isinstance(d, (TOTPDevice, EmailDevice)) for d in devices):
            if user.is_staff:  # the web never enrols staff for emailed codes (otp_setup_email_view); nor does the API
                return Response(
                    {
                        "detail": "Staff accounts use an authenticator app: set it up by signing in to the admin.",
                        "code": "authenticator_required",
                    },
                    status=status.HTTP_403_FORBIDDEN,
                )
            devices.append(otp_email_enrol(user=user, request=request._request))
        methods = []
        if any(isinstance(d, TOTPDevice) for d in devices):
            methods.append("totp")
        if any(isinstance(d, EmailDevice) for d in devices):
            methods.append("email")
            if "totp" not in methods:
                try:
                    otp_email_challenge(user=user)
                except OtpDeliveryError as exc:  # kept here: this endpoint's 503 has a code and Retry-After
                    return Response(
                        {"detail": str(exc), "code": "email_unavailable"},
                        status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": "60"},
                    )
        if any(isinstance(d, StaticDevice) for d in devices):
            methods.append("backup")
        otp_session = signing.dumps({"uid": str(user.pk)}, salt=OTP_SESSION_SALT)
        return Response({"otp_required": True, "otp_session": otp_session, "methods": methods})


class VerifyOtpSerializer(serializers.Serializer):
    otp_session = serializers.CharField()
    code = serializers.CharField(max_length=12)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class VerifyOtpView(APIView):
    """Step 2: the code from the app, the email, or a backup code. Answers with the JWT pair."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthThrottle]

    @extend_schema(request=VerifyOtpSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        data = VerifyOtpSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            payload = signing.loads(
                data.validated_data["otp_session"], salt=OTP_SESSION_SALT, max_age=OTP_SESSION_MAX_AGE
            )
        except signing.SignatureExpired:
            return Response({"otp_session": ["Expired: sign in again."]}, status=status.HTTP_400_BAD_REQUEST)
        except signing.BadSignature:
            return Response({"otp_session": ["Not valid: sign in again."]}, status=status.HTTP_400_BAD_REQUEST)
        user = User.objects.filter(pk=payload.get("uid"), is_active=True).first()
        if user is None:
            return Response({"otp_session": ["Not valid: sign in again."]}, status=status.HTTP_400_BAD_REQUEST)
        device = otp_verify(user=user, token=data.validated_data["code"], request=request._request)
        if device is None:
            return Response({"code": ["That code is not right or has expired."]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(user_token_pair_issue(user=user, device=device))


class InviteSerializer(serializers.Serializer):
    email = serializers.EmailField()
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    phone_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    employer = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    payroll_number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")


class InvitationOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    status = serializers.CharField()
    expires_at = serializers.DateTimeField()


class InviteView(APIView):
    """POST /api/auth/invite/: staff invite one person by email (M1)."""

    permission_classes = [HasModelPermission("members.add_invitation")]

    @extend_schema(request=InviteSerializer, responses={201: InvitationOutSerializer})
    def post(self, request):
        data = InviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = invitation_create(invited_by=request.user, request=request._request, **data.validated_data)
        return Response(InvitationOutSerializer(invitation).data, status=status.HTTP_201_CREATED)


class CompleteRegistrationSerializer(serializers.Serializer):
    token = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)
    national_id = serializers.CharField(max_length=9)
    phone_number = serializers.CharField(max_length=20)
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    accept_bylaws = serializers.BooleanField()


class RegisteredSerializer(serializers.Serializer):
    membership_number = serializers.CharField()
    email = serializers.EmailField(source="user.email")


class InvitationRefusedSerializer(serializers.Serializer):
    token = serializers.ListField(child=serializers.CharField(), help_text="Why the invitation cannot be used.")
    reason = serializers.ChoiceField(choices=["unknown", "used", "expired", "revoked"])


class CompleteRegistrationView(APIView):
    """POST /api/auth/complete-registration/: accept an invitation (creates the account and the member)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthThrottle]

    @extend_schema(
        request=CompleteRegistrationSerializer,
        responses={
            201: RegisteredSerializer,
            400: OpenApiResponse(description="A field is missing or not valid; the body names it."),
            404: OpenApiResponse(InvitationRefusedSerializer, description="No invitation has this token."),
            410: OpenApiResponse(InvitationRefusedSerializer, description="Used, expired or revoked."),
        },
    )
    def post(self, request):
        data = CompleteRegistrationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            member = invitation_accept(request=request._request, **data.validated_data)
        except InvitationError as error:  # kept here: 404 or 410 by reason, a body this endpoint documents
            code = status.HTTP_404_NOT_FOUND if error.reason == "unknown" else status.HTTP_410_GONE
            return Response({"token": [str(error)], "reason": error.reason}, status=code)
        return Response(RegisteredSerializer(member).data, status=status.HTTP_201_CREATED)


class ResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()


class ResetPasswordSerializer(serializers.Serializer):
    token = serializers.CharField()
    new_password = serializers.CharField(trim_whitespace=False)
    otp_code = serializers.CharField(required=False, allow_blank=True, default="")


class ResetPasswordRequestView(APIView):
    """POST /api/auth/reset-password-request/: emails a reset token. Same answer for every address."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthThrottle]

    @extend_schema(request=ResetRequestSerializer, responses={202: dict})
    def post(self, request):
        data = ResetRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password_reset_request(email=data.validated_data["email"], request=request._request)
        return Response(
            {"detail": "If the address has an account, a reset token is on its way."}, status=status.HTTP_202_ACCEPTED
        )


class UnlockRequestView(APIView):
    """POST /api/auth/unlock-request/: the owner of a locked account asks for an emailed unlock link (issue 12).
    Same answer for every address; see portal/members/lockout.py."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthThrottle]

    @extend_schema(request=ResetRequestSerializer, responses={202: DetailSerializer})
    def post(self, request):
        data = ResetRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lockout_unlock_link_send(email=data.validated_data["email"], request=request._request)
        return Response(
            {"detail": "If the address has a locked account, an unlock link is on its way.", "code": "unlock_sent"},
            status=status.HTTP_202_ACCEPTED,
        )


class ResetPasswordView(APIView):
    """POST /api/auth/reset-password/: token from the email, new password, and the app code if enrolled."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthThrottle]

    @extend_schema(request=ResetPasswordSerializer, responses={200: dict})
    def post(self, request):
        data = ResetPasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password_reset_complete(request=request._request, **data.validated_data)
        return Response({"detail": "Password changed. Sign in with the new password."})


class DocumentUploadSerializer(serializers.Serializer):
    document_type = serializers.CharField()
    file = serializers.FileField()


class DocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    document_type = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()
    review_status = serializers.CharField()
    reason = serializers.SerializerMethodField()

    def get_reason(self, document) -> str:
        decision = getattr(document, "decision", None)
        return decision.reason if decision else ""


class UploadDocumentView(APIView):
    """POST /api/auth/upload-document/ (multipart): the caller uploads one of their KYC documents."""

    permission_classes = [IsMember]

    @extend_schema(request={"multipart/form-data": DocumentUploadSerializer}, responses={201: DocumentSerializer})
    def post(self, request):
        document = kyc_document_upload(
            member=request.user.member,
            document_type=request.data.get("document_type", ""),
            upload=request.FILES.get("file"),
            by=request.user,
            request=request._request,
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class VerifyDocumentSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class VerifyDocumentView(APIView):
    """POST /api/auth/admin/verify-document/<id>/: approve or reject through the same Wagtail workflow."""

    permission_classes = [HasModelPermission("members.change_kycdocument")]

    @extend_schema(request=VerifyDocumentSerializer, responses={200: DocumentSerializer})
    def post(self, request, document_id):
        document = get_object_or_404(KycDocument, pk=document_id)
        data = VerifyDocumentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kyc_review_act(document=document, user=request.user, **data.validated_data)
        document = KycDocument.objects.select_related("decision").get(pk=document.pk)
        return Response(DocumentSerializer(document).data)
