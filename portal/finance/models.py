"""Finance models, one module per domain; imported here so Django registers them under the `finance` label."""

from .banking.models import BankAccount, BankAccountKind  # noqa: F401
from .cashbook.models import (  # noqa: F401
    BatchItem,
    ExpenseCategory,
    IncomeCategory,
    SaccoExpense,
    SaccoIncome,
    TransactionBatch,
)
from .ledger.models import Account, AccountType, JournalEntry, JournalLine  # noqa: F401
from .periods.models import AccountingPeriod, PeriodState  # noqa: F401
from .yearend.models import AppropriationPosting, SurplusAppropriation, YearClose  # noqa: F401
