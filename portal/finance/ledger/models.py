"""Chart of accounts and the journal. Journal rows are immutable: the database refuses UPDATE and DELETE on them
(triggers from a migration), and on PostgreSQL it also refuses an unbalanced entry at commit."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.society.money_fields import MoneyField
from portal.society.ordered_ids import ordered_uuid


class AccountType(models.TextChoices):
    ASSET = "asset", "Asset"
    LIABILITY = "liability", "Liability"
    EQUITY = "equity", "Equity"
    INCOME = "income", "Income"
    EXPENSE = "expense", "Expense"


# Accounts whose normal balance is a debit; the others are credit-normal.
DEBIT_NORMAL = {AccountType.ASSET, AccountType.EXPENSE}


class Account(models.Model):
    """One account of the chart (domain.md's starter chart is loaded by a migration)."""

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=120)
    type = models.CharField(max_length=10, choices=AccountType.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_contra = models.BooleanField(default=False, help_text="A contra account, e.g. the loan loss provision.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def debit_normal(self) -> bool:
        return (self.type in DEBIT_NORMAL) != self.is_contra


class JournalEntry(models.Model):
    """One business event, posted once: its lines balance and its idempotency key is unique."""

    # Time-ordered (portal/society/ordered_ids.py): entries posted together sit together in every index.
    id = models.UUIDField(primary_key=True, default=ordered_uuid, editable=False)
    date = models.DateField(default=timezone.localdate)
    memo = models.CharField(max_length=255)
    source = models.CharField(max_length=100, blank=True, help_text="The document behind it, e.g. a file or receipt.")
    idempotency_key = models.CharField(max_length=200, unique=True)
    # Nullable only so that adding the column keeps SQLite's guard triggers (a NOT NULL column makes Django rebuild
    # the table, dropping them); every entry has one: the posting services set it, migration 0010 backfilled it.
    content_hash = models.CharField(  # noqa: DJ001
        max_length=64,
        null=True,
        editable=False,
        help_text="SHA-256 of the entry's lines (accounts, member, loan, amounts): the same idempotency key with "
        "other content is refused instead of being silently 'already posted'. See ledger.services.lines_content_hash.",
    )
    reversal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(default=timezone.now)

    # The journal references no page, image or document, and the bulk paths never save through the ORM anyway:
    # indexing each entry saved one by one cost a task and several queries per posting.
    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-date", "-posted_at"]
        verbose_name_plural = "journal entries"
        indexes = [models.Index(fields=["date"])]

    def __str__(self):
        return f"{self.date} {self.memo}"


class JournalLine(models.Model):
    """A debit or a credit on one account, optionally for one member (sub-ledger)."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    # No index of its own: the (account, member) index serves it, one index less to write per line (issue 17).
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines", db_index=False)
    debit = MoneyField(default=0)
    credit = MoneyField(default=0)
    # Member and loan: indexed only where set (Meta.indexes) — every bank line has neither, most lines are not a
    # loan's, and a NULL in an index is one more entry to write per line (issue 17).
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_lines", db_index=False
    )
    loan = models.ForeignKey(
        "loans.Loan", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_lines", db_index=False
    )
    description = models.CharField(max_length=255, blank=True)
    date = models.DateField(
        null=True,
        editable=False,
        help_text="The entry's date, copied when posted: statements over millions of lines filter and group lines "
        "by date without joining the entries. Always set by the posting services; `ledger_check` verifies it.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)),
                name="journalline_one_positive_side",
            )
        ]
        indexes = [
            models.Index(fields=["account", "member"]),
            models.Index(fields=["date", "account"]),
            models.Index(fields=["member"], name="journalline_member_set", condition=Q(member__isnull=False)),
            models.Index(fields=["loan"], name="journalline_loan_set", condition=Q(loan__isnull=False)),
        ]

    def __str__(self):
        side = f"Dr {self.debit}" if self.debit else f"Cr {self.credit}"
        return f"{self.account.code} {side}"


class ChainLink(models.Model):
    """The journal's hash chain (issue 18): one link per entry, in posting order, numbered 1, 2, 3… without gaps.

    A link's hash is SHA-256 over its sequence, the previous link's hash (64 zeros before the first), the entry's
    fields and a hash of its lines (see `ledger.chain.link_hash`), so changing any posted figure, memo or date — or
    removing, inserting or reordering entries — breaks every hash after it. The posting services write the link in
    the posting's own transaction; `ledger_check` recomputes the chain; the AGM pack prints each month's last hash,
    which members can later check against the books. Immutable like the journal (triggers from the migration).

    A table of its own rather than columns on JournalEntry: adding a NOT NULL column makes SQLite rebuild the
    journal table, which drops its guard triggers (why `content_hash` is nullable), and a link is written after its
    entry and lines, which the journal's triggers would refuse to UPDATE."""

    sequence = models.PositiveBigIntegerField(primary_key=True)
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="chain_link")
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    linked_at = models.DateTimeField(
        help_text="When it was chained: the entry's posting time, never earlier than the previous link's (so a month "
        "end splits the chain in two). A month's last hash is that of the last link chained on or before it."
    )

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["linked_at", "sequence"])]

    def __str__(self):
        return f"#{self.sequence} {self.hash[:12]}…"
