"""ippbot: files IPRs and takedown complaints on Alibaba's IP Protection portal with a real browser.

Foundations live here, one module per concern: `settings`, `logs`, `errors`, `retry`,
`browser`, `locators` and the `cli`. What the bot does on the portal lives in `flows/`.
"""

__version__ = "0.1.0"
