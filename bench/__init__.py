"""ippbot's benchmarks (issue 5): `make bench`, or `python -m bench`, writes docs/BENCHMARKS.md.

Each benchmark is a module that runs alone (`python -m bench.floor --entries 20`) and prints
ratios measured side by side in one run, against its own mock portal on 127.0.0.1:

    floor        1. ippbot's runner against the protocol floor (plain HTTP)
    reuse        2. one browser a run against a browser per entry
    shell        3. chromium-headless-shell against full Chromium (time and memory)
    night        4. memory over a long run
    evidence     5. the cost of traces, HAR and the confirmation screenshot
    bookkeeping  6. enqueue, status and --help at 10,000 entries

and what they share: `harness` (the served portal, accounts, runs, timing, PSS), `http_client`
(the protocol floor, proven by tests/portal/test_http_floor.py), `bare` (the least a browser
can do: benchmark 1's lower bound), `results` (tables and goals as JSON and Markdown).
"""
