"""The ledger, its schema, the queue, and batch reading: what ippbot keeps. Imports no Playwright."""
