"""Benchmark 6 still measures what it says: its batches enqueue (a complaint's IPR is known to the call) and
`status --json` then lists every entry. A rule added to `ippbot enqueue` once made every run of it fail."""

from __future__ import annotations

from bench import bookkeeping


def test_the_bookkeeping_benchmark_enqueues_its_batches_and_counts_them() -> None:
    listings = 200
    result = bookkeeping.measure(listings)
    labels = [row[0] for row in result.rows[1:]]
    assert labels == [f"ippbot enqueue: {listings} listings in 2 complaints",
                      f"ippbot enqueue: {listings} listings, each its own complaint",
                      f"ippbot status --json over {listings + bookkeeping.IPRS} entries",
                      "ippbot --help"]
    assert len(result.goals) == 4
