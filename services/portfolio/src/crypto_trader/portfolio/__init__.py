"""Portfolio service: the double-entry ledger, positions and equity of each account."""
