"""Member portal pages for loans: what I can borrow (L2), apply (L3, behind a fresh second factor), my loans and
each loan's schedule (L6). A member reaches only their own loans; anyone else's is a 404."""

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from portal.loans.eligibility import figures_annotations, free_deposits, products_eligibility
from portal.loans.models import Guarantee, GuaranteeStatus, Loan, LoanApplication, LoanProduct
from portal.loans.services import (
    LoanStateError,
    application_submit,
    application_withdraw,
    guarantee_accept,
    guarantee_decline,
)
from portal.loans.settlement import settlement_quote_of
from portal.loans.statements import loan_statement, loan_statement_pdf
from portal.members.form_stash import form_stash_take
from portal.members.otp_views import fresh_otp_required
from portal.members.selectors import member_for_user
from portal.society.policy import sacco_settings

from .forms import (
    GUARANTOR_ROWS,
    GUARANTOR_SEARCH_LIMIT,
    GUARANTOR_SEARCH_MIN,
    ApplicationForm,
    guarantor_candidate,
    guarantor_candidates,
    guarantor_free_row,
    guarantor_lookup_allowed,
    guarantor_row_of,
)
from .mixins import MemberAreaMixin


def _member(context):
    member = context["member"]
    if member is None:
        raise Http404("Loan pages are for members.")
    return member


# The application's answers a link may carry (the guarantor search sends the member back with them filled in).
APPLY_FIELDS = ["product", "amount", "term_months", "purpose", "top_up_of", "basic_pay", "total_deductions"] + [
    f"{kind}_{n}" for n in range(1, GUARANTOR_ROWS + 1) for kind in ("guarantor", "guarantee")
]
# The application form's own guarantor search (issue 14): its buttons re-render the form, they never submit it.
FIND_BUTTON = "find_guarantor"
ADD_BUTTON = "add_guarantor"


def _apply_initial(params) -> dict:
    """The application's fields found in a query string, as a new form's starting values (never checked here)."""
    return {name: params[name][:255] for name in APPLY_FIELDS if params.get(name)}


class LoansView(MemberAreaMixin, TemplateView):
    """My loans, my applications, and how much I can borrow on each product."""

    template_name = "portal/loans.html"

    def member_annotations(self) -> dict:
        return figures_annotations()  # eligibility's own figures of the member, read with the member

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = _member(context)
        loans = list(Loan.objects.filter(member=member).select_related("product").prefetch_related("instalments"))
        # Every product's limit from one reading of the member's figures, the loans' sums from the rows shown below.
        context["eligibility"] = products_eligibility(
            member=member, products=LoanProduct.objects.filter(active=True), loans=loans
        )
        context["loans"] = loans
        context["applications"] = member.loan_applications.select_related("product").order_by("-created_at")[:10]
        return context


class ApplyView(MemberAreaMixin, TemplateView):
    """Apply for a loan; submitting needs a second-factor code from the last few minutes (M2). Finding and adding a
    guarantor are POSTs of the same form that only re-render it with the answers kept: nothing is saved, so they
    need no fresh code and show no mistakes yet."""

    template_name = "portal/loan_apply.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        _member(context)
        context.setdefault("form", ApplicationForm(initial=_apply_initial(self.request.GET), member=self.member))
        context.setdefault("search", {"min_length": GUARANTOR_SEARCH_MIN})
        context["products"] = LoanProduct.objects.filter(active=True)  # each one's fees, shown before applying
        return context

    def get(self, request, *args, **kwargs):
        """Back from the code page: the answers kept at submit, checked again, for the member to send."""
        kept = form_stash_take(request=request)
        if kept is None:
            return super().get(request, *args, **kwargs)
        form = ApplicationForm(kept, member=member_for_user(user=request.user))
        form.is_valid()  # any mistake shows beside its field now, not after the next press
        messages.info(request, _("Your answers are kept. Check them and press “Submit the application” to send."))
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        if FIND_BUTTON in request.POST or ADD_BUTTON in request.POST:
            return self._guarantor_step(request)
        return self._submit(request, *args, **kwargs)

    @method_decorator(fresh_otp_required)
    def _submit(self, request, *args, **kwargs):
        context = self.get_context_data()
        member = _member(context)
        form = ApplicationForm(request.POST, member=member)
        if form.is_valid():
            data = form.cleaned_data
            try:
                application_submit(
                    member=member,
                    product=data["product"],
                    amount=data["amount"],
                    term_months=data["term_months"],
                    purpose=data["purpose"],
                    guarantors=form.guarantor_requests(),
                    basic_pay=data.get("basic_pay"),
                    total_deductions=data.get("total_deductions"),
                    top_up_of=data.get("top_up_of"),
                )
            except ValidationError as exc:
                form.service_errors_add(exc)
            else:
                messages.success(
                    request, _("Your application is in. The loans office will review it; you will be notified.")
                )
                return redirect("member_area:loans")
        context["form"] = form
        # Over the guarantor lookup limit the rows were not read: 429, with the reason beside the guarantor field.
        return self.render_to_response(context, status=429 if form.lookups_refused else 400)

    def _guarantor_step(self, request):
        """The "Find" button lists members who can guarantee under the search; "Add" fills the next empty row. The form
        comes back unbound, filled with the answers as typed, so no field is checked (or complained about) yet."""
        member = self.member
        if member is None:
            raise Http404("Loan pages are for members.")
        values = _apply_initial(request.POST)
        query = request.POST.get("guarantor_query", "").strip()[:60]
        search = {"query": query, "min_length": GUARANTOR_SEARCH_MIN}
        found_rows = {}
        adding = ADD_BUTTON in request.POST
        searching = len(query) >= GUARANTOR_SEARCH_MIN
        status = 200
        if not adding and not searching:
            search["too_short"] = bool(query)
        elif not guarantor_lookup_allowed(user_pk=request.user.pk):
            search["throttled"] = True
            status = 429
        else:
            if adding:
                row, problem, added = _guarantor_add(member, values, request.POST.get(ADD_BUTTON, "")[:60])
                if added is not None:
                    found_rows[row] = added
                    search["added"] = (row, added)
                search["add_problem"] = problem
            if searching:
                results = guarantor_candidates(member=member, query=query, limit=GUARANTOR_SEARCH_LIMIT + 1)
                search["more"] = len(results) > GUARANTOR_SEARCH_LIMIT
                search["results"] = [
                    (found, guarantor_row_of(values, found.membership_number))
                    for found in results[:GUARANTOR_SEARCH_LIMIT]
                ]
                search["searched"] = True
        search["free_row"] = guarantor_free_row(values)
        form = ApplicationForm(initial=values, member=member)
        form.guarantor_members = found_rows
        return self.render_to_response(self.get_context_data(form=form, search=search), status=status)


def _guarantor_add(member, values: dict, number: str):
    """Put the member numbered `number` in the first empty guarantor row of `values` if they can guarantee.
    Returns (row, problem, the member added): a problem to show, or the row and member filled in."""
    number = number.strip()
    candidate = guarantor_candidate(member=member, number=number) if number else None
    if candidate is None:
        return None, _("That member cannot guarantee your loan now. Search again, or ask them for their number."), None
    row = guarantor_row_of(values, candidate.membership_number)
    if row is not None:
        return (
            None,
            _("%(number)s is already guarantor %(row)s.") % {"number": candidate.membership_number, "row": row},
            None,
        )
    row = guarantor_free_row(values)
    if row is None:
        return None, _("Your application already names three guarantors; clear one to add another."), None
    values[f"guarantor_{row}"] = candidate.membership_number
    return row, "", candidate


class GuarantorSearchView(MemberAreaMixin, TemplateView):
    """Find a member who can guarantee, by name or number, and add them to the application: a plain GET page (no
    JavaScript needed). Names and numbers only, never balances; never the member; a few results, a few searches a
    minute."""

    template_name = "portal/guarantor_search.html"

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        member = _member(context)
        query = request.GET.get("q", "").strip()[:60]
        carried = _apply_initial(request.GET)
        free_row = next((n for n in range(1, GUARANTOR_ROWS + 1) if not carried.get(f"guarantor_{n}")), None)
        context.update(
            query=query,
            carried=sorted(carried.items()),
            free_row=free_row,
            min_length=GUARANTOR_SEARCH_MIN,
            back_url=f"{reverse('member_area:loan_apply')}?{urlencode(carried)}" if carried else "",
        )
        if len(query) < GUARANTOR_SEARCH_MIN:
            context["too_short"] = bool(query)
            return self.render_to_response(context)
        if not guarantor_lookup_allowed(user_pk=request.user.pk):
            context["throttled"] = True
            return self.render_to_response(context, status=429)
        results = guarantor_candidates(member=member, query=query, limit=GUARANTOR_SEARCH_LIMIT + 1)
        context["more"] = len(results) > GUARANTOR_SEARCH_LIMIT
        context["results"] = [
            (found, _add_url(carried, free_row, found.membership_number) if free_row else "")
            for found in results[:GUARANTOR_SEARCH_LIMIT]
        ]
        return self.render_to_response(context)


def _add_url(carried: dict, row: int, number: str) -> str:
    return f"{reverse('member_area:loan_apply')}?{urlencode({**carried, f'guarantor_{row}': number})}#guarantors"


class LoanDetailView(MemberAreaMixin, TemplateView):
    """One of my loans: its terms, schedule with what is paid, and repayments."""

    template_name = "portal/loan_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = _member(context)
        loan = get_object_or_404(Loan.objects.select_related("product"), pk=kwargs["pk"], member=member)
        instalments = list(loan.instalments.all())
        context.update(
            loan=loan,
            statement=loan_statement(loan=loan, with_receipts=True),  # issue 18: receipts linked from the rows
            instalments=instalments,
            repayments=loan.repayments.all(),
            outstanding=sum((i.outstanding for i in instalments), Decimal("0.00")),
            # Issue 16: what settles it today (interest not yet due waived by the product rule).
            settlement=settlement_quote_of(loan=loan, instalments=instalments) if loan.status == "active" else None,
            paybill=sacco_settings().mpesa_paybill,
            # Issue 16: the guarantors, each replaceable by another member while the loan is active.
            guarantees=loan.application.guarantees.select_related("guarantor__user").order_by("created_at"),
        )
        return context


def loan_statement_pdf_view(request, pk):
    """The member's own loan statement as a PDF download; anyone else's is a 404."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    member = member_for_user(user=request.user)
    loan = get_object_or_404(Loan.objects.select_related("product", "member__user"), pk=pk, member=member)
    response = HttpResponse(
        loan_statement_pdf(loan=loan, base_url=request.build_absolute_uri("/")), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="loan-statement-{loan.member.membership_number}.pdf"'
    return response


class GuaranteesView(MemberAreaMixin, TemplateView):
    """Requests to guarantee other members' loans, and what I have guaranteed. Accepting needs a fresh code."""

    template_name = "portal/guarantees.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = _member(context)
        context["guarantees"] = member.guarantees_given.select_related(
            "application__member__user", "application__product"
        ).order_by("-created_at")
        context["free_deposits"] = free_deposits(member=member)
        # Issue 16: what the member paid from their deposits for borrowers they guaranteed (their claims on them).
        context["claims"] = member.guarantor_claims.select_related("borrower__user", "repayment").order_by(
            "-created_at"
        )
        return context


@fresh_otp_required
def guarantee_respond_view(request, pk, answer):
    """POST: accept or decline a request to guarantee. GET, back from the code page with the answer kept: a page
    that names the answer and sends it with one press (no state changes on GET)."""
    if answer not in ("accept", "decline"):
        return redirect("member_area:guarantees")
    if request.method != "POST":
        if form_stash_take(request=request) is None:
            return redirect("member_area:guarantees")
        return _guarantee_answer_kept(request, pk, answer)
    member = member_for_user(user=request.user)
    guarantee = get_object_or_404(Guarantee, pk=pk, guarantor=member)
    try:
        (guarantee_accept if answer == "accept" else guarantee_decline)(guarantee=guarantee, by_member=member)
    except (LoanStateError, ValidationError) as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Thank you; the applicant has been told."))
    return redirect("member_area:guarantees")


def _guarantee_answer_kept(request, pk, answer):
    member = member_for_user(user=request.user)
    guarantee = get_object_or_404(
        Guarantee.objects.select_related("application__member__user", "application__product"),
        pk=pk,
        guarantor=member,
    )
    if guarantee.status != GuaranteeStatus.REQUESTED:
        return redirect("member_area:guarantees")
    application = guarantee.application
    verb = _("Accept") if answer == "accept" else _("Decline")
    title = _("Accept this guarantee?") if answer == "accept" else _("Decline this guarantee?")
    return render(
        request,
        "account/form_kept.html",
        {
            "title": title,
            "lead": _("Your answer is kept; press the button to send it."),
            "details": [
                (_("Applicant"), f"{application.member.user.get_full_name()} ({application.member.membership_number})"),
                (_("Loan"), f"{application.product.name}, KES {application.amount:,.2f}"),
                (_("You guarantee"), f"KES {guarantee.amount:,.2f}"),
            ],
            "action": request.path,
            "button": verb,
            "cancel_url": reverse("member_area:guarantees"),
        },
    )


def application_withdraw_view(request, pk):
    """POST: the member withdraws their own undecided application."""
    if request.method != "POST" or not request.user.is_authenticated:
        return redirect("member_area:loans")
    member = member_for_user(user=request.user)
    application = get_object_or_404(LoanApplication, pk=pk, member=member)
    try:
        application_withdraw(application=application, by_member=member)
    except LoanStateError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Your application is withdrawn; your guarantors are released."))
    return redirect("member_area:loans")
