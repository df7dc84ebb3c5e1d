"""Banking: the SACCO's bank and M-Pesa accounts, each backed by a ledger account."""
