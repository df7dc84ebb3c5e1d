"""Member portal: my receipts and dividend advices as PDFs (issue 18), each with the QR code of its signed
reference. A member reaches only their own: another member's payment or dividend is a 404, as is a payment that
was reversed (it has no receipt)."""

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from portal.dividends.advice import dividend_advice_pdf
from portal.dividends.models import MemberDividend
from portal.finance.receipts import receipt_of, receipt_pdf
from portal.members.selectors import member_for_user


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def receipt_pdf_view(request, entry_id):
    """The receipt for one of my payments (a journal entry that brought money in to my accounts)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    member = member_for_user(user=request.user)
    if member is None:
        raise Http404
    receipt = receipt_of(entry_id=entry_id, member_id=member.pk)
    if receipt is None:
        raise Http404
    content = receipt_pdf(
        receipt=receipt,
        member_name=request.user.get_full_name(),
        membership_number=member.membership_number,
        base_url=request.build_absolute_uri("/"),
    )
    return _pdf(content, f"receipt-{receipt.date}-{str(receipt.entry_id)[:8]}.pdf")


def dividend_advice_pdf_view(request, pk):
    """The advice for one of my dividends."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    member = member_for_user(user=request.user)
    member_dividend = get_object_or_404(
        MemberDividend.objects.select_related("declaration", "entry", "member__user"), pk=pk, member=member
    )
    content = dividend_advice_pdf(member_dividend=member_dividend, base_url=request.build_absolute_uri("/"))
    return _pdf(content, f"dividend-advice-{member_dividend.declaration.financial_year}.pdf")
