"""The double-entry ledger: the only writer of money. See ../../../docs and shared/spec/domain.md."""
