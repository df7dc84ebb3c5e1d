"""Auth signal handlers: activity entries (M5), and revoking API tokens when the credentials change."""

from allauth.account.signals import password_changed, password_reset
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .activity import activity_record
from .models import ActivityAction, User
from .tokens import user_tokens_revoke

_REVOKE_FLAG = "_api_tokens_to_revoke"


@receiver(pre_save, sender=User)
def note_credential_change(sender, instance, update_fields=None, raw=False, **kwargs):
    """A new password or a disabled login, through any door (allauth change or reset, the API reset, the
    Wagtail user form, user_active_toggle, the shell): the user's API refresh tokens are revoked on save.

    One extra query per User save that may touch those fields; saves of other fields alone (last_login) skip it."""
    if raw or instance._state.adding:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    setattr(
        instance,
        _REVOKE_FLAG,
        before is not None
        and (before["password"] != instance.password or (before["is_active"] and not instance.is_active)),
    )


@receiver(post_save, sender=User)
def revoke_tokens_after_credential_change(sender, instance, raw=False, **kwargs):
    if not raw and getattr(instance, _REVOKE_FLAG, False):
        setattr(instance, _REVOKE_FLAG, False)
        user_tokens_revoke(user=instance)


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs):
    activity_record(action=ActivityAction.LOGIN, request=request, user=user)


@receiver(user_logged_out)
def record_logout(sender, request, user, **kwargs):
    if user is not None:
        activity_record(action=ActivityAction.LOGOUT, request=request, user=user)


@receiver(user_login_failed)
def record_login_failure(sender, credentials, request=None, **kwargs):
    email = (credentials.get("email") or credentials.get("username") or "").strip().lower()
    user = User.objects.filter(email__iexact=email).first() if email else None
    activity_record(action=ActivityAction.LOGIN_FAILED, request=request, user=user, email=email)


@receiver(user_locked_out)
def record_lockout(sender, request, username, ip_address, **kwargs):
    user = User.objects.filter(email__iexact=username).first() if username else None
    activity_record(action=ActivityAction.LOCKED_OUT, request=request, user=user, email=username or "")


@receiver(password_reset)
def record_password_reset(sender, request, user, **kwargs):
    activity_record(action=ActivityAction.PASSWORD_RESET, request=request, user=user, detail={"via": "email link"})


@receiver(password_changed)
def record_password_change(sender, request, user, **kwargs):
    activity_record(action=ActivityAction.PASSWORD_CHANGED, request=request, user=user)
