"""The ledger (states, records, queries, moves, known IPRs, corrections, schema and migrations; SQLite or
PostgreSQL), the queue, and batch reading and validation. No Playwright."""
