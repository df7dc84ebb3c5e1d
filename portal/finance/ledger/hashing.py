"""The content hash of an entry's lines: what an entry does with money, in one canonical spelling.

Its own module because the posting services (services.py), the bulk writers (journal_rows.py) and the hash chain's
check (chain.py, which services.py imports) all need it: here it sits below all three."""

import hashlib
import uuid
from collections.abc import Iterable
from decimal import Decimal


def id_text(value) -> str:
    """A member or loan id in one spelling, whether it came as a UUID, its text (with or without hyphens) or an
    integer."""
    if value is None or value == "":
        return ""
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


def lines_content_hash(lines: Iterable[tuple]) -> str:
    """SHA-256 of what an entry does with money: for each line (account code, member id, loan id, debit, credit),
    in a canonical spelling, sorted so that the order the caller listed the lines in does not matter.

    Deliberately not part of the content:
    - the date: a posting without an explicit date is dated the day it is posted, so a retry of the same event on
      another day (a job re-run after midnight, a client retrying a timed-out request) must still match; and some
      callers date the same event differently (interest accrued by the daily job on its due date, or by a
      repayment on the payment date);
    - memo, source and line descriptions: wording, not money; a retry may phrase them differently;
    - who posted it.
    Two different events with the same key, the same lines and only another date are therefore one posting;
    callers that need more (the cashbook compares the payee) compare their own records too."""
    canonical = sorted(
        f"{code}|{id_text(member_id)}|{id_text(loan_id)}|{Decimal(debit):.2f}|{Decimal(credit):.2f}"
        for code, member_id, loan_id, debit, credit in lines
    )
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()
