"""`{{ amount|money }}` → "KES 7,061.02": the one way templates show an amount (society.money.format_money),
half up to the cent from the Decimal itself, never through a float."""

from django import template

from portal.society.money import format_money

register = template.Library()


@register.filter
def money(amount, currency: str = "KES") -> str:
    """An amount as "KES 1,234.50"; empty for None (a figure that does not apply), so a template shows a dash."""
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency)
