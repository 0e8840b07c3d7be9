"""The mock portal's HTTP tests. A package, so its module names (test_faults, ...) never clash with tests/e2e's."""
