"""Guarantor substitution (issue 16): a guarantor of a paid-out, active loan is replaced by another member.

The borrower (or staff with *substitute guarantor*) proposes the new guarantor; a new guarantee for the same amount
is requested from them and waits like any request (they accept or decline in their portal or the API, behind a
fresh second-factor code: services.guarantee_accept routes the answer here). The new guarantor must be able to
guarantee, by the same rules as at application (services._guarantees_check: an active member, not the borrower,
the amount within their free deposits, under the society's limit of loans guaranteed).

On acceptance, in one transaction: the new guarantee is accepted and the old one released. Nothing is posted: a
guarantee is a promise over deposits, not a ledger movement."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from portal.audit.services import POST, audit_log
from portal.members.models import Member
from portal.notifications.models import MessageKind
from portal.notifications.services import notify
from portal.society.money import format_money

from .eligibility import free_deposits
from .messages import guarantor_request_sms
from .models import Guarantee, GuaranteeStatus, GuaranteeSubstitution, LoanStatus
from .services import ZERO, GuarantorRequest, LoanStateError, _guarantees_check

SUBSTITUTE = "loans.substitute_guarantor"


def substitution_of(guarantee: Guarantee) -> GuaranteeSubstitution | None:
    """The substitution this guarantee was requested for, if any."""
    return GuaranteeSubstitution.objects.filter(new_guarantee_id=guarantee.pk).first()


def _active_loan(application):
    loan = getattr(application, "loan", None)
    if loan is None or loan.status != LoanStatus.ACTIVE:
        raise LoanStateError("Guarantors are substituted only on an active, paid-out loan.")
    return loan


@transaction.atomic
def guarantor_substitute(*, guarantee: Guarantee, new_guarantor: Member | None, by) -> GuaranteeSubstitution:
    """Propose `new_guarantor` in place of the guarantor of `guarantee` (accepted, on an active loan)."""
    locked = (
        Guarantee.objects.select_for_update(of=("self",))
        .select_related("application__member__user", "application__product", "guarantor")
        .get(pk=guarantee.pk)
    )
    application = locked.application
    borrower = application.member
    if by is None or (borrower.user_id != by.pk and not by.has_perm(SUBSTITUTE)):
        raise PermissionDenied("Only the borrower or the loans office proposes a substitute guarantor.")
    if locked.status != GuaranteeStatus.ACCEPTED:
        raise LoanStateError(
            f"This guarantee is {locked.get_status_display().lower()}; only an accepted one is replaced."
        )
    _active_loan(application)
    if GuaranteeSubstitution.objects.filter(
        old_guarantee=locked, new_guarantee__status=GuaranteeStatus.REQUESTED
    ).exists():
        raise LoanStateError("A substitute for this guarantor is already waiting for an answer.")
    if new_guarantor is not None and application.guarantees.filter(guarantor=new_guarantor).exists():
        raise ValidationError({"guarantor": ["This member is or was already a guarantor of this loan."]})
    label = new_guarantor.membership_number if new_guarantor is not None else ""
    try:
        ((member, amount),), _cover = _guarantees_check(
            member=borrower,
            product=application.product,
            amount=ZERO,  # no cover rule: the loan is paid out; only the new guarantor's own limits apply
            guarantors=[GuarantorRequest(new_guarantor, str(locked.amount), label)],
        )
    except ValidationError as exc:
        raise ValidationError({"guarantor": exc.message_dict["guarantors"]}) from exc
    new = Guarantee.objects.create(application=application, guarantor=member, amount=amount)
    substitution = GuaranteeSubstitution.objects.create(old_guarantee=locked, new_guarantee=new, proposed_by=by)
    name = borrower.user.get_full_name()
    notify(
        user=member.user,
        subject=format_lazy(gettext_lazy("{name} asks you to guarantee a loan"), name=name),
        template="generic",
        context={
            "body": format_lazy(
                gettext_lazy(
                    "{name} ({number}) asks you to guarantee {guaranteed} of their {product} of {amount} in place "
                    "of another guarantor. Accept or decline in your portal."
                ),
                name=name,
                number=borrower.membership_number,
                product=application.product.name,
                amount=format_money(application.amount),
                guaranteed=format_money(amount),
            )
        },
        link=reverse("member_area:guarantees"),
        kind=MessageKind.GUARANTOR_REQUEST,
        sms_text=guarantor_request_sms(
            guarantor=member,
            borrower=borrower,
            product=application.product,
            amount=application.amount,
            guaranteed=amount,
        ),
    )
    audit_log(
        instance=substitution,
        action=POST,
        by=by,
        summary=f"Substitute guarantor {member.membership_number} proposed for {locked.guarantor.membership_number} "
        f"(KES {amount:,.2f}) on the loan of {borrower.membership_number}",
    )
    return substitution


def substitution_respond(*, guarantee: Guarantee, by_member: Member, accept: bool) -> Guarantee:
    """The proposed guarantor answers; on acceptance the old guarantee is released and the new one holds."""
    with transaction.atomic():
        substitution = GuaranteeSubstitution.objects.select_for_update().get(new_guarantee_id=guarantee.pk)
        new = (
            Guarantee.objects.select_for_update(of=("self",))
            .select_related("application__member__user", "application__loan")
            .get(pk=guarantee.pk)
        )
        old = (
            Guarantee.objects.select_for_update(of=("self",))
            .select_related("guarantor__user")
            .get(pk=substitution.old_guarantee_id)
        )
        if new.guarantor_id != by_member.pk:
            raise LoanStateError("Only the guarantor answers a guarantee request.")
        if new.status != GuaranteeStatus.REQUESTED:
            raise LoanStateError(f"This request is already {new.get_status_display().lower()}.")
        _active_loan(new.application)
        if accept and old.status != GuaranteeStatus.ACCEPTED:
            raise LoanStateError("The guarantee this one replaces is no longer held.")
        if accept:
            available = free_deposits(member=by_member) + new.amount  # this request already counts against them
            if new.amount > available:
                raise ValidationError(
                    {"amount": [f"Your free deposits ({format_money(available)}) no longer cover it."]}
                )
        now = timezone.now()
        new.status = GuaranteeStatus.ACCEPTED if accept else GuaranteeStatus.DECLINED
        new.responded_at = now
        new.save(update_fields=["status", "responded_at"])
        if accept:
            old.status = GuaranteeStatus.RELEASED
            old.responded_at = now
            old.save(update_fields=["status", "responded_at"])
            notify(
                user=old.guarantor.user,
                subject=gettext_lazy("You no longer guarantee a loan"),
                template="generic",
                context={
                    "body": format_lazy(
                        gettext_lazy("{name} guarantees the loan of {borrower} in your place: you are released."),
                        name=by_member.user.get_full_name(),
                        borrower=new.application.member.user.get_full_name(),
                    )
                },
                link=reverse("member_area:guarantees"),
            )
        name = by_member.user.get_full_name()
        notify(
            user=new.application.member.user,
            subject=format_lazy(
                gettext_lazy("{name} accepted to guarantee your loan")
                if accept
                else gettext_lazy("{name} declined to guarantee your loan"),
                name=name,
            ),
            template="generic",
            context={
                "body": format_lazy(gettext_lazy("{name}: {amount}."), name=name, amount=format_money(new.amount))
            },
            link=reverse("member_area:loans"),
        )
        audit_log(
            instance=substitution,
            action=POST,
            by=by_member.user,
            summary=f"Substitute guarantor {by_member.membership_number} "
            + ("accepted; the old guarantee is released" if accept else "declined"),
        )
    guarantee.refresh_from_db()
    return guarantee
