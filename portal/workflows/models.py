"""Workflow tasks used by the approval objects (KYC review now; loans and statements later)."""

from django import forms
from wagtail.models import AbstractGroupApprovalTask


class ReasonRequiredForm(forms.Form):
    comment = forms.CharField(
        label="Reason (the member sees it)", widget=forms.Textarea(attrs={"rows": 3}), required=True, max_length=1000
    )


class ReviewTask(AbstractGroupApprovalTask):
    """A group approval where "request changes" (reject) must say why, because the member is told the reason."""

    def get_actions(self, obj, user):
        if user.is_superuser or self._user_in_groups(user):
            return [("reject", "Reject", True), ("approve", "Approve", False)]
        return []

    def get_form_for_action(self, action):
        if action == "reject":
            return ReasonRequiredForm
        return super().get_form_for_action(action)

    @classmethod
    def get_description(cls):
        return "Members of the chosen groups approve, or reject with a reason the member will see."

    class Meta:
        verbose_name = "review task (reason required to reject)"
