"""The run machinery: what drives `flows/` for an entry, and what a run leaves."""
