"""The borrower proposes a new guarantor in place of one on their active loan (issue 16), from the loan's page: the
new guarantor answers under their *Guarantees*, and on acceptance the old guarantee is released
(portal/loans/guarantor_substitution.py)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from portal.loans.guarantor_substitution import guarantor_substitute
from portal.loans.models import Guarantee
from portal.loans.services import LoanStateError
from portal.members.models import Member
from portal.members.selectors import member_for_user


def guarantor_substitute_view(request, pk):
    """POST {"guarantor": membership number}: another member's guarantee is a 404."""
    if request.method != "POST" or not request.user.is_authenticated:
        return redirect("member_area:loans")
    member = member_for_user(user=request.user)
    guarantee = get_object_or_404(
        Guarantee.objects.select_related("application__loan"),
        pk=pk,
        application__member=member,
        application__loan__isnull=False,  # a guarantee of a loan paid out; else a 404
    )
    back = redirect("member_area:loan_detail", pk=guarantee.application.loan.pk)
    number = (request.POST.get("guarantor") or "").strip().upper()[:64]
    new_guarantor = Member.objects.filter(membership_number=number).first() if number else None
    try:
        guarantor_substitute(guarantee=guarantee, new_guarantor=new_guarantor, by=request.user)
    except LoanStateError as exc:
        messages.error(request, exc.messages[0])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("We asked %(number)s to guarantee in their place.") % {"number": number})
    return back
