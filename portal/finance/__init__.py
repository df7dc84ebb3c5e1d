"""Finance: the ledger and everything that moves money (savings, loans, dividends, banking, reports)."""
