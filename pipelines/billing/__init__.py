"""Provider billing reports: read from <landing>/billing/, reconciled against the ledger."""
