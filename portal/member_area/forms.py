"""The member-facing forms: profile (contacts, nominees, bank details), KYC uploads, and the loan application."""

import re
import time
from urllib.parse import urlencode

from django import forms
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.loans.eligibility import free_deposits
from portal.loans.fees import LoanFees, loan_fees
from portal.loans.models import GuaranteeStatus, Loan, LoanProduct, LoanStatus
from portal.loans.services import GuarantorRequest
from portal.members.models import KycDocumentType, Member, MemberStatus
from portal.members.phone import PhoneNumberField
from portal.society.money import format_money
from portal.society.money_fields import MoneyFormField
from portal.society.policy import sacco_settings

GUARANTOR_ROWS = 3


class ContactsForm(forms.Form):
    phone_number = PhoneNumberField(label=gettext_lazy("Mobile phone number"))
    postal_address = forms.CharField(label=gettext_lazy("Postal address"), max_length=200, required=False)


class BankDetailsForm(forms.Form):
    bank_name = forms.CharField(label=gettext_lazy("Bank name"), max_length=100)
    bank_branch = forms.CharField(label=gettext_lazy("Bank branch"), max_length=100, required=False)
    bank_account_name = forms.CharField(label=gettext_lazy("Account name"), max_length=150)
    bank_account_number = forms.RegexField(
        label=gettext_lazy("Account number"),
        regex=r"^\d{6,20}$",
        max_length=20,
        error_messages={"invalid": gettext_lazy("Use 6 to 20 digits, no spaces.")},
    )


class NomineeForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=150, required=False)
    relationship = forms.CharField(label=gettext_lazy("Relationship"), max_length=50, required=False)
    national_id = forms.CharField(label=gettext_lazy("ID / birth certificate no."), max_length=20, required=False)
    phone_number = PhoneNumberField(label=gettext_lazy("Phone number"), required=False)
    share_percent = forms.DecimalField(label=gettext_lazy("Share (%)"), max_digits=5, decimal_places=2, required=False)


NomineeFormSet = forms.formset_factory(NomineeForm, extra=0, max_num=5, absolute_max=5)


class KycUploadForm(forms.Form):
    document_type = forms.ChoiceField(label=gettext_lazy("Document"), choices=KycDocumentType.choices)
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("PDF, JPEG or PNG, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


GUARANTOR_SEARCH_MIN = 3
GUARANTOR_SEARCH_LIMIT = 10
GUARANTOR_LOOKUPS_PER_MINUTE = 30


def guarantor_lookup_allowed(*, user_pk) -> bool:
    """Count one guarantor lookup by this user and say whether it is within GUARANTOR_LOOKUPS_PER_MINUTE this clock
    minute. Every door that reads members by name or number (the search page, the form's Find and Add, each guarantor
    read at submit) counts here, so the list of people cannot be harvested through whichever door is not counted."""
    key = f"guarantor-search:{user_pk}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=90)
    try:
        return cache.incr(key) <= GUARANTOR_LOOKUPS_PER_MINUTE
    except ValueError:  # the key expired between add and incr
        return True


def _guarantor_pool(*, member: Member):
    """Members who could guarantee `member`'s loan today, before the ledger is asked about free deposits: active,
    not `member`, under the society's limit of loans guaranteed (the rules `application_submit` checks)."""
    limit_active = sacco_settings().max_active_guarantees
    return (
        Member.objects.filter(status=MemberStatus.ACTIVE)
        .exclude(pk=member.pk)
        .annotate(
            holding=Count(
                "guarantees_given",
                filter=Q(guarantees_given__status__in=[GuaranteeStatus.REQUESTED, GuaranteeStatus.ACCEPTED]),
            )
        )
        .filter(holding__lt=limit_active)
        .select_related("user")
    )


def guarantor_candidates(*, member: Member, query: str, limit: int = GUARANTOR_SEARCH_LIMIT) -> list[Member]:
    """Members who could guarantee `member`'s loan today, matched by membership number or by every word of the
    name: active, not `member`, under the society's limit of loans guaranteed, with free deposits to pledge (the
    rules `application_submit` checks). At most `limit`; the caller shows names and numbers only."""
    words = query.split()
    if len(query.strip()) < GUARANTOR_SEARCH_MIN or not words:
        return []
    match = Q(membership_number__iexact=query.strip()) | Q(membership_number__istartswith=query.strip())
    by_name = Q()
    for word in words:
        by_name &= Q(user__first_name__icontains=word) | Q(user__last_name__icontains=word)
    candidates = (
        _guarantor_pool(member=member)
        .filter(match | by_name)
        .order_by("user__first_name", "user__last_name", "membership_number")
    )
    # Free deposits come from the ledger, member by member: look at a few more than we show, keep those with some.
    found = []
    for candidate in candidates[: limit * 3]:
        if free_deposits(member=candidate) > 0:
            found.append(candidate)
            if len(found) == limit:
                break
    return found


def guarantor_candidate(*, member: Member, number: str) -> Member | None:
    """The member with this membership number if they could guarantee `member`'s loan today (the same rules as
    `guarantor_candidates`), else None: the search's "Add" button names a number, which is checked again here."""
    number = number.strip()
    if not number:
        return None
    found = _guarantor_pool(member=member).filter(membership_number__iexact=number).first()
    return found if found is not None and free_deposits(member=found) > 0 else None


def guarantor_free_row(values) -> int | None:
    """The first guarantor row whose name is empty in `values` (a dict of the form's answers), or None if all are
    named."""
    return next((n for n in range(1, GUARANTOR_ROWS + 1) if not str(values.get(f"guarantor_{n}") or "").strip()), None)


def guarantor_row_of(values, number: str) -> int | None:
    """The guarantor row that already names this membership number in `values`, if any."""
    number = number.strip().lower()
    return next(
        (n for n in range(1, GUARANTOR_ROWS + 1) if str(values.get(f"guarantor_{n}") or "").strip().lower() == number),
        None,
    )


def _top_up_label(loan) -> str:
    return _("%(product)s of %(day)s (KES %(principal)s)") % {
        "product": loan.product.name,
        "day": f"{loan.disbursed_on:%d %b %Y}",
        "principal": f"{loan.principal:,.2f}",
    }


class ApplicationForm(forms.Form):
    """Every field checked at once, each message beside its field; guarantors named by number or by name.

    The service (`application_submit`) checks the same rules again and the eligibility and cover rules besides;
    the view puts what it says beside the field it concerns (`service_errors_add`)."""

    product = forms.ModelChoiceField(
        queryset=LoanProduct.objects.filter(active=True),
        empty_label=None,
        label=gettext_lazy("Loan"),
        error_messages={
            "required": gettext_lazy("Choose a loan."),
            "invalid_choice": gettext_lazy("Choose one of the loans listed."),
        },
    )
    amount = MoneyFormField(
        label=gettext_lazy("Amount (KES)"),
        help_text=gettext_lazy("For example 50,000 or 1,500.50."),
        error_messages={"required": gettext_lazy("Enter the amount you want to borrow.")},
    )
    term_months = forms.IntegerField(
        label=gettext_lazy("Term (months)"),
        min_value=1,
        max_value=600,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": "3"}),
        error_messages={
            "required": gettext_lazy("Enter how many months you need to repay."),
            "invalid": gettext_lazy("Enter a whole number of months, like 12."),
        },
    )
    purpose = forms.CharField(
        label=gettext_lazy("What is the loan for?"),
        max_length=255,
        error_messages={"required": gettext_lazy("Say what the loan is for.")},
    )
    # Issue 16: the payslip, for the two-thirds rule (portal/loans/affordability.py); both or neither.
    basic_pay = MoneyFormField(
        label=gettext_lazy("Basic pay a month (KES)"),
        required=False,
        help_text=gettext_lazy("From your latest payslip. Leave both payslip figures empty if you have no payslip."),
    )
    total_deductions = MoneyFormField(
        label=gettext_lazy("Total deductions a month today (KES)"),
        required=False,
        allow_zero=True,
        help_text=gettext_lazy(
            "Everything your payslip deducts now: tax, NSSF, NHIF, loans and other deductions. 0 if none."
        ),
    )

    def __init__(self, *args, member: Member | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.lookups_refused = False  # over the guarantor lookup limit: no more rows are read this time
        self.guarantor_rows: list[int] = []  # form row of each request sent to the service, in order
        self.guarantor_errors: list[str] = []  # about the guarantors as a whole (cover, how many)
        # Issue 16: a top-up clears one of the member's active loans; offered only to a member who has one.
        own_loans = Loan.objects.filter(member=member, status=LoanStatus.ACTIVE) if member else Loan.objects.none()
        if own_loans.exists():
            self.fields["top_up_of"] = forms.ModelChoiceField(
                queryset=own_loans.select_related("product"),
                required=False,
                empty_label=gettext_lazy("No: a new loan beside the ones I have"),
                label=gettext_lazy("Top up a loan I have?"),
                help_text=gettext_lazy(
                    "The new loan first clears the one you choose (interest not yet due is waived); you receive the "
                    "rest, less the product's top-up fee."
                ),
                error_messages={"invalid_choice": gettext_lazy("Choose one of your active loans.")},
            )
            self.fields["top_up_of"].label_from_instance = _top_up_label
        for n in range(1, GUARANTOR_ROWS + 1):
            self.fields[f"guarantor_{n}"] = forms.CharField(
                label=_("Guarantor %(n)s: name or membership number") % {"n": n},
                max_length=60,
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
            self.fields[f"guarantee_{n}"] = MoneyFormField(
                label=_("Guarantor %(n)s: amount (KES)") % {"n": n}, required=False
            )

    @property
    def problem_count(self) -> int:
        """How many answers need attention: fields with errors, form-wide errors, and the guarantors' cover."""
        fields = sum(1 for name in self.errors if name != NON_FIELD_ERRORS)
        return fields + len(self.non_field_errors()) + len(self.guarantor_errors)

    def carried_query(self) -> str:
        """The answers so far as a query string, for the guarantor search to bring back filled in."""
        values = self.data if self.is_bound else self.initial
        return urlencode({name: str(values.get(name))[:255] for name in self.fields if values.get(name)})

    def guarantor_pairs(self):
        """(row number, name field, amount field, the member the name was read as) for the template's rows."""
        found = getattr(self, "guarantor_members", {})
        return [(n, self[f"guarantor_{n}"], self[f"guarantee_{n}"], found.get(n)) for n in range(1, GUARANTOR_ROWS + 1)]

    def clean(self):
        data = super().clean()
        product, amount, term = data.get("product"), data.get("amount"), data.get("term_months")
        if product and amount is not None and not product.min_amount <= amount <= product.max_amount:
            self.add_error(
                "amount",
                _("The %(product)s lends from %(low)s to %(high)s.")
                % {
                    "product": product.name.lower(),
                    "low": format_money(product.min_amount),
                    "high": format_money(product.max_amount),
                },
            )
        if product and term is not None and not product.min_term_months <= term <= product.max_term_months:
            self.add_error(
                "term_months",
                _("The %(product)s runs from %(low)s to %(high)s months.")
                % {"product": product.name.lower(), "low": product.min_term_months, "high": product.max_term_months},
            )
        if "purpose" in data and not data["purpose"].strip():
            self.add_error("purpose", _("Say what the loan is for."))
        self._clean_guarantors()
        return data

    def _clean_guarantors(self):
        self.guarantor_members: dict[int, Member] = {}
        seen: dict[int, int] = {}
        for n in range(1, GUARANTOR_ROWS + 1):
            name_field, amount_field = f"guarantor_{n}", f"guarantee_{n}"
            if name_field in self.errors or amount_field in self.errors:
                continue
            text = (self.cleaned_data.get(name_field) or "").strip()
            amount = self.cleaned_data.get(amount_field)
            if not text and amount is None:
                continue
            if not text:
                self.add_error(name_field, _("Name the member who guarantees this amount."))
                continue
            if amount is None:
                self.add_error(amount_field, _("Enter how much this guarantor covers."))
            guarantor = self._guarantor_find(text, name_field)
            if guarantor is None:
                continue
            if self.member is not None and guarantor.pk == self.member.pk:
                self.add_error(name_field, _("You cannot guarantee your own loan."))
                continue
            if guarantor.pk in seen:
                self.add_error(
                    name_field,
                    _("%(number)s is already guarantor %(row)s.")
                    % {"number": guarantor.membership_number, "row": seen[guarantor.pk]},
                )
                continue
            seen[guarantor.pk] = n
            self.guarantor_members[n] = guarantor

    def _guarantor_find(self, text: str, field: str) -> Member | None:
        """The member who can guarantee that `text` names: a membership number, or a name that matches exactly one.
        Read from the same pool as the search and counted against the same limit, so a failed lookup says no more
        than the search would (a number of a member who cannot guarantee reads as one that matches nobody)."""
        if self.member is not None and text.lower() == self.member.membership_number.lower():
            self.add_error(field, _("You cannot guarantee your own loan."))
            return None
        nobody = _("No member who can guarantee matches “%(text)s”. Check the name or use their number.") % {
            "text": text
        }
        if self.member is None:
            self.add_error(field, nobody)
            return None
        if self.lookups_refused or not guarantor_lookup_allowed(user_pk=self.member.user_id):
            self.lookups_refused = True
            self.add_error(
                field,
                _("Too many guarantor look-ups in the last minute. Wait a minute, then send the form again."),
            )
            return None
        found = guarantor_candidate(member=self.member, number=text)
        if found is not None:
            return found
        matches = guarantor_candidates(member=self.member, query=text, limit=4)
        if len(matches) == 1:
            return matches[0]
        if not matches:
            self.add_error(field, nobody)
        else:
            names = ", ".join(f"{m.user.get_full_name()} ({m.membership_number})" for m in matches[:3])
            self.add_error(
                field,
                _("More than one member matches “%(text)s”: %(names)s. Type the membership number.")
                % {"text": text, "names": names},
            )
        return None

    @property
    def fees_preview(self) -> LoanFees | None:
        """The fees and the net payout of the loan as filled in so far (fees.py), shown before the member sends it."""
        data = getattr(self, "cleaned_data", None) or {}
        product, amount = data.get("product"), data.get("amount")
        if product is None or amount is None or "amount" in self.errors:
            return None
        return loan_fees(product=product, amount=amount)

    def guarantor_requests(self) -> list[GuarantorRequest]:
        """The rows for `application_submit`, remembering which form row each came from."""
        rows, self.guarantor_rows = [], []
        for n, guarantor in sorted(self.guarantor_members.items()):
            amount = self.cleaned_data.get(f"guarantee_{n}")
            rows.append(GuarantorRequest(guarantor, "" if amount is None else amount, guarantor.membership_number))
            self.guarantor_rows.append(n)
        return rows

    def service_errors_add(self, error: ValidationError) -> None:
        """Put what `application_submit` refused beside the field it concerns: its own fields by name, each
        guarantor's problem on that guarantor's row, the rest (eligibility, cover) above the form or the rows."""
        for field, messages in error.message_dict.items():
            if field == "guarantors":
                for message in messages:
                    self._guarantor_error_add(message)
            elif field in self.fields:
                self.add_error(field, messages)
            else:
                self.add_error(None, messages)

    def _guarantor_error_add(self, message: str) -> None:
        found = _GUARANTOR_MESSAGE.match(message)
        if not found or not 1 <= int(found["index"]) <= len(self.guarantor_rows):
            self.guarantor_errors.append(message)
            return
        row = self.guarantor_rows[int(found["index"]) - 1]
        detail = found["detail"]
        if "free deposits" in detail:  # the service names the guarantor's free deposits: a balance, not for us to show
            self.add_error(
                f"guarantee_{row}",
                _("More than this member can guarantee now. Ask them how much they can cover."),
            )
        elif any(reason in detail for reason in _PRIVATE_REASONS):  # changed since the lookup: say no more than it
            self.add_error(f"guarantor_{row}", _("This member cannot guarantee your loan now."))
        else:
            about_amount = "amount" in detail or "at most" in detail
            self.add_error(f"guarantee_{row}" if about_amount else f"guarantor_{row}", detail[:1].upper() + detail[1:])


# What `application_submit` may say about a guarantor that the search never says (their status, how many loans they
# guarantee, whether the number exists): the lookup filters these out, so they appear only if something changed.
_PRIVATE_REASONS = ("only active members", "already guarantees", "no such member")

# How `application_submit` names a guarantor in its messages: "Guarantor 2 (M0012): …", counted over the rows sent.
_GUARANTOR_MESSAGE = re.compile(r"^Guarantor (?P<index>\d+)(?: \([^)]*\))?: (?P<detail>.+)$", re.S)
