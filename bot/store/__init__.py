"""The ledger (states, records, queries, moves, schema), the queue, and batch reading and validation. No Playwright."""
