"""One way for an admin edit form to change a record: through a service.

Wagtail's EditView saves the model form directly, which puts a second copy of the business rules (which
fields may change, validation, logging) in the admin. A `ServiceEditView` validates the form's *shape* (types,
choices, the money parser) and hands the cleaned data to `call_service`, which calls the app's service. The
service owns the rules and the audit/activity log; this view never calls `form.save()` and logs nothing.
A `ValidationError` from the service becomes form errors on the fields it names.

It lives in `society` (the bottom layer) so every app may subclass it; it names no app.
"""

from django.core.exceptions import ValidationError
from wagtail.snippets.views.snippets import CreateView, EditView

# Set on the request by a service-backed view: the generic "record before/after of every snippet edit" hook
# (portal/audit/wagtail_hooks.py) then leaves the entry to the service, so one edit is logged once.
AUDITED_BY_SERVICE = "_audit_logged_by_service"


class _ServiceFormMixin:
    """Subclasses implement `call_service(*, instance, data, by)` and return the saved instance
    (`instance` is None when creating)."""

    def call_service(self, *, instance, data: dict, by):
        raise NotImplementedError(f"{type(self).__name__} must call a service")

    def save_instance(self):
        setattr(self.request, AUDITED_BY_SERVICE, True)
        instance = self.call_service(
            instance=getattr(self, "object", None), data=self.form.cleaned_data, by=self.request.user
        )
        self.has_content_changes = self.form.has_changed()
        return instance

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            setattr(self.request, AUDITED_BY_SERVICE, False)
            # The model form already copied the posted values onto the edited object; show the form as
            # posted, but forget those values so nothing else reads them as saved.
            if getattr(self, "object", None) is not None and self.object.pk:
                self.object.refresh_from_db()
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
            self.produced_error_code = "invalid"
            self.produced_error_message = " ".join(exc.messages)
            return self.form_invalid(form)


class ServiceEditView(_ServiceFormMixin, EditView):
    """An admin edit view whose save is one service call."""


class ServiceCreateView(_ServiceFormMixin, CreateView):
    """An admin add view whose save is one service call (`instance` is None)."""
