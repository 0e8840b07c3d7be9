"""ippbot: files IPRs and takedown complaints on Alibaba's IP Protection portal with a real browser.

The folders are the layers, and imports go one way only, down (import-linter holds the rule:
`[tool.importlinter]` in pyproject.toml, run by `make lint` and CI)::

    bot/commands/   the CLI (`cli`) and one module per command: enqueue, run, status, sync, worker,
         |          account, demo, replay, report, selectors, retry, resolve, cancel, history,
         |          standing, counter_notices, respond, withdraw, ledger, fleet_status (and
         |          `stopping`: Ctrl-C for the commands that only talk to the portal). "Where is `ippbot sync`?" is
         |          bot/commands/sync.py, which calls the machinery below.
         v
    bot/run/        what drives the flows: the runner and the dry run (`dryrun`), accounts in turns
         |          (`turns`), one entry's attempt and the one path after an unknown submit
         |          (`attempt`), answers and withdrawals (`answers`), safe points for signals
         |          (`interrupts`), back-off across runs (`backoff`), flow contexts and step timings
         |          (`contexts`), the run's artifacts, the operator hand-over (`pause`, `screen`),
         |          the HAR and trace scrubbers, the HAR player and replay, sync, account set-up,
         |          the report, the selectors check.
         +-----------------------------+
         v                             v
    flows/          Playwright flows,  bot/store/   the ledger (its state table, records, moves,
                    one per journey,                queries, known IPRs, corrections, leases with
                    and page objects                fencing tokens and heartbeats; SQLite or
                                                    PostgreSQL), the queue protocol (huey embedded,
                                                    procrastinate for a fleet), and batch reading
                                                    and validation. Imports no Playwright.
         |                             |
         +-------------+---------------+
                       v
    bot/ (top)      settings, accounts, errors, logs, retry, locators, browser, models, files: what `flows/`
                    may use. The top imports no flow and no subpackage of bot; `errors`, `models`
                    and `settings` import no Playwright either.

Why the store sits beside the flows rather than under them: a flow never reads or writes the
ledger (it is handed a page and an entry, and returns what the portal said), and the store never
touches a browser, so neither may import the other; only `bot/run/` joins them.
"""

__version__ = "0.1.0"
