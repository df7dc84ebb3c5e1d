"""Year-end reads (issue 18)."""

from .models import AppropriationPosting, SurplusAppropriation, YearClose


def year_closed(*, financial_year: int) -> YearClose | None:
    return YearClose.objects.filter(financial_year=financial_year).first()


def approved_appropriation(*, financial_year: int) -> SurplusAppropriation | None:
    """The year's approved and posted appropriation, or None (what a dividend declaration is held to)."""
    posting = AppropriationPosting.objects.filter(financial_year=financial_year).select_related("appropriation").first()
    return posting.appropriation if posting is not None else None
