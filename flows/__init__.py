"""Flows: what ippbot does on the portal, one module per journey; page objects (`flows.pages`) say how.

Flows import only the top of `bot/` (settings, errors, logs, retry, locators, browser, models,
files) and never the ledger, the queue or the run machinery: they are handed a `FlowContext` and
return what the portal said. Playwright's errors become ippbot's at this boundary (`boundary`).
"""
