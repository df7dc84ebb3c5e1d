"""Pages for the second factor: verify at sign-in, enrol an app or email codes, backup codes, security page."""

from functools import wraps
from urllib.parse import urlencode

import django_otp
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.notifications.models import SmsDevice

from .form_stash import form_stash_keep, form_stash_waiting
from .otp import (
    OtpDeliveryError,
    otp_backup_codes_regenerate,
    otp_email_challenge,
    otp_email_enrol,
    otp_is_fresh,
    otp_mark_fresh,
    otp_sms_challenge,
    otp_sms_enrol,
    otp_totp_confirm,
    otp_totp_pending,
    otp_totp_qr_svg,
    otp_verify,
)

BACKUP_CODES_SESSION_KEY = "otp_new_backup_codes"


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label="Code",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text="The 6-digit code from your app or email, or one of your 8-digit backup codes.",
    )


def _next_url(request, default="member_area:dashboard"):
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    if default == "member_area:dashboard" and request.user.is_staff and not hasattr(request.user, "member"):
        return reverse("wagtailadmin_home")
    return reverse(default)


def fresh_otp_required(view):
    """For sensitive actions: the second factor must have been proved in the last few minutes.

    A POST without a fresh code keeps its answers (portal.members.form_stash) before the detour to the code page
    (or to set-up, for a member without a second factor), so the view can hand them back on the way back; views
    behind this decorator restore them with form_stash_take on GET."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not otp_is_fresh(request):
            if request.method == "POST":
                form_stash_keep(request=request)
            return redirect(f"{reverse('otp_verify')}?{urlencode({'next': request.get_full_path(), 'fresh': 1})}")
        return view(request, *args, **kwargs)

    return wrapper


@login_required
def otp_verify_view(request):
    user = request.user
    devices = list(devices_for_user(user, confirmed=True))
    if not devices:
        return redirect(f"{reverse('otp_setup')}?{urlencode({'next': _next_url(request)})}")
    has_email = any(isinstance(d, EmailDevice) for d in devices)
    has_sms = any(isinstance(d, SmsDevice) for d in devices)
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST" and "send_sms" in request.POST:
        try:
            if otp_sms_challenge(user=user):
                messages.info(request, _("We texted a code to your phone. It is valid for 5 minutes."))
        except OtpDeliveryError as exc:
            messages.error(request, str(exc))
            status = 503
        form = TokenForm()
    elif request.method == "POST" and "send_email" in request.POST:
        try:
            if otp_email_challenge(user=user):
                messages.info(
                    request, _("We emailed a code to %(email)s. It is valid for 5 minutes.") % {"email": user.email}
                )
        except OtpDeliveryError as exc:
            messages.error(request, str(exc))
            status = 503
        form = TokenForm()
    elif request.method == "POST" and form.is_valid():
        device = otp_verify(user=user, token=form.cleaned_data["otp_token"], request=request)
        if device is not None:
            django_otp.login(request, device)
            otp_mark_fresh(request)
            return redirect(_next_url(request))
        form.add_error("otp_token", "That code is not right or has expired. Try again.")
    return render(
        request,
        "account/otp_verify.html",
        {
            "form": form,
            "has_email": has_email,
            "has_sms": has_sms,
            "has_totp": any(isinstance(d, TOTPDevice) for d in devices),
            "next": _next_url(request),
            "fresh": request.GET.get("fresh"),
            "kept": form_stash_waiting(request=request, path=_next_url(request)),
        },
        status=400 if form.errors else status,
    )


@login_required
def otp_setup_view(request):
    """Enrol an authenticator app: scan the QR code, type the code it shows."""
    user = request.user
    if not request.user.is_verified() and user_has_device(user, confirmed=True):
        # Adding a device requires passing the existing second factor first.
        return redirect(f"{reverse('otp_verify')}?{urlencode({'next': request.get_full_path()})}")
    device = otp_totp_pending(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = otp_totp_confirm(user=user, token=form.cleaned_data["otp_token"], request=request)
        if codes is not None:
            device.refresh_from_db()
            django_otp.login(request, device)
            otp_mark_fresh(request)
            request.session[BACKUP_CODES_SESSION_KEY] = codes
            return redirect(f"{reverse('otp_backup_codes')}?{urlencode({'next': _next_url(request)})}")
        form.add_error("otp_token", "That code is not right. Check the time on your phone and try again.")
    import base64

    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "account/otp_setup.html",
        {
            "form": form,
            "qr_svg": otp_totp_qr_svg(device),
            "secret": secret,
            "next": _next_url(request),
            "kept": form_stash_waiting(request=request, path=_next_url(request)),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def otp_setup_email_view(request):
    """Choose emailed codes instead of an app (members only; staff use an app)."""
    if request.user.is_staff:
        messages.error(request, "Staff accounts must use an authenticator app.")
        return redirect("otp_setup")
    if not request.user.is_verified() and user_has_device(request.user, confirmed=True):
        return redirect("otp_verify")
    device = otp_email_enrol(user=request.user, request=request)
    django_otp.login(request, device)
    otp_mark_fresh(request)
    request.session[BACKUP_CODES_SESSION_KEY] = otp_backup_codes_regenerate(user=request.user)
    return redirect(f"{reverse('otp_backup_codes')}?{urlencode({'next': _next_url(request)})}")


@login_required
@require_POST
def otp_setup_sms_view(request):
    """Choose texted codes instead of an app (members with a mobile number on their profile; staff use an app)."""
    if request.user.is_staff:
        messages.error(request, "Staff accounts must use an authenticator app.")
        return redirect("otp_setup")
    if not request.user.is_verified() and user_has_device(request.user, confirmed=True):
        return redirect("otp_verify")
    try:
        device = otp_sms_enrol(user=request.user, request=request)
    except ValidationError:
        messages.error(request, _("Add your mobile number on your profile first, then choose SMS codes."))
        return redirect("otp_setup")
    django_otp.login(request, device)
    otp_mark_fresh(request)
    request.session[BACKUP_CODES_SESSION_KEY] = otp_backup_codes_regenerate(user=request.user)
    return redirect(f"{reverse('otp_backup_codes')}?{urlencode({'next': _next_url(request)})}")


@login_required
def otp_backup_codes_view(request):
    """Show freshly generated backup codes once; POST generates a new set (needs a fresh second factor)."""
    if request.method == "POST":
        if not otp_is_fresh(request):
            return redirect(
                f"{reverse('otp_verify')}?{urlencode({'next': reverse('member_area:security'), 'fresh': 1})}"
            )
        request.session[BACKUP_CODES_SESSION_KEY] = otp_backup_codes_regenerate(user=request.user)
    codes = request.session.pop(BACKUP_CODES_SESSION_KEY, None)
    if not codes:
        return redirect("member_area:security")
    next_url = _next_url(request)
    return render(
        request,
        "account/otp_backup_codes.html",
        {"codes": codes, "next": next_url, "kept": form_stash_waiting(request=request, path=next_url)},
    )
