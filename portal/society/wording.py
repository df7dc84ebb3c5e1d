"""Small helpers for sentences shown to people: counted nouns and articles, so messages never read
"1 guarantors", "payment(s)" or "a emergency loan"."""

from django.utils.translation import ngettext


def counted(count: int, singular: str, plural: str) -> str:
    """ "1 guarantor", "3 guarantors": the number and the right form of the noun (translatable through ngettext
    when the caller passes marked strings)."""
    return f"{count} {ngettext(singular, plural, count)}"


def with_article(noun: str) -> str:
    """ "an emergency loan", "a development loan": the indefinite article English wants before `noun` (by its first
    letter; the few exceptions such as "a unit" or "an hour" do not occur in loan product names)."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
