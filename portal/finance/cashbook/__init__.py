"""SACCO expenses and income (T2) and transaction batches (T3)."""
