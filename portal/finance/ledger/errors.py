"""The ledger's base exception, in a module of its own so that guards the posting services call (the accounting
periods, portal.finance.periods.guard) can subclass it without importing the services."""


class LedgerError(ValueError):
    """A posting that must not happen: unbalanced, bad amount, unknown or inactive account, double reversal."""
