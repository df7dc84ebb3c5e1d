"""Second-factor gate: after a password sign-in, staff and enrolled members must pass OTP before going on."""

from urllib.parse import urlencode

from django.contrib import messages
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from .form_stash import form_stash_keep
from .otp import otp_is_fresh, otp_required_for

GUARDED_PREFIXES = ("/portal/", "/admin/", "/accounts/")
OPEN_PREFIXES = (
    "/accounts/otp/",
    "/accounts/logout/",
    "/accounts/login/",
    "/accounts/password/reset/",
    "/accounts/invitation/",
    "/accounts/unlock/",
)


def _is_approval_action(request) -> bool:
    """A POST that approves or rejects in a Wagtail workflow (edit-form action or the dashboard's action URL)."""
    if request.method != "POST" or not request.path.startswith("/admin/"):
        return False
    return "/workflow/action/" in request.path or bool(request.POST.get("workflow-action-name"))


def _is_decision_page(request) -> bool:
    """The approval decision page (portal/workflows/views.py `decision_view`): its POST comes back to itself."""
    try:
        return resolve(request.path_info).url_name == "workflows_decide"
    except Resolver404:
        return False


class SecondFactorMiddleware:
    """Sends a signed-in but unverified user to verify (or, for staff without a device, to enrol), and asks
    for a fresh code before a workflow approval or rejection (a sensitive action)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        path = request.path
        if (
            user is not None
            and user.is_authenticated
            and path.startswith(GUARDED_PREFIXES)
            and not path.startswith(OPEN_PREFIXES)
            and not user.is_verified()
            and otp_required_for(user)
        ):
            from django_otp import user_has_device

            target = "otp_verify" if user_has_device(user, confirmed=True) else "otp_setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        if user is not None and user.is_authenticated and _is_approval_action(request):
            if not otp_is_fresh(request):
                # This runs before the view's CSRF check: a forged decision POST must not plant a comment in the
                # approver's kept answers (nor send them a code), so the token is checked here first.
                refused = CsrfViewMiddleware(self.get_response).process_view(request, None, (), {})
                if refused is not None:
                    return refused
                if _is_decision_page(request):
                    # The comment typed waits in the session; the decision page hands it back after the code.
                    form_stash_keep(request=request)
                    back = request.get_full_path()
                else:
                    back = request.META.get("HTTP_REFERER") or reverse("wagtailadmin_home")
                messages.info(request, "Approvals need a fresh code. Enter it, then press the button again.")
                return redirect(f"{reverse('otp_verify')}?{urlencode({'next': back, 'fresh': 1})}")
        return self.get_response(request)
