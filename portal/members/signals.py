"""Auth signal handlers: each records one activity entry (M5) and does nothing else."""

from allauth.account.signals import password_changed, password_reset
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .activity import activity_record
from .models import ActivityAction


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs):
    activity_record(action=ActivityAction.LOGIN, request=request, user=user)


@receiver(user_logged_out)
def record_logout(sender, request, user, **kwargs):
    if user is not None:
        activity_record(action=ActivityAction.LOGOUT, request=request, user=user)


@receiver(user_login_failed)
def record_login_failure(sender, credentials, request=None, **kwargs):
    from .models import User

    email = (credentials.get("email") or credentials.get("username") or "").strip().lower()
    user = User.objects.filter(email__iexact=email).first() if email else None
    activity_record(action=ActivityAction.LOGIN_FAILED, request=request, user=user, email=email)


@receiver(user_locked_out)
def record_lockout(sender, request, username, ip_address, **kwargs):
    from .models import User

    user = User.objects.filter(email__iexact=username).first() if username else None
    activity_record(action=ActivityAction.LOCKED_OUT, request=request, user=user, email=username or "")


@receiver(password_reset)
def record_password_reset(sender, request, user, **kwargs):
    activity_record(action=ActivityAction.PASSWORD_RESET, request=request, user=user, detail={"via": "email link"})


@receiver(password_changed)
def record_password_change(sender, request, user, **kwargs):
    activity_record(action=ActivityAction.PASSWORD_CHANGED, request=request, user=user)
