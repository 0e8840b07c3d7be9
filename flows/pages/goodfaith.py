"""Page object of the Good Faith Program page: the account's takedown and counter-notice success rates."""

from __future__ import annotations

from bot.errors import PortalChanged
from bot.models import Standing
from flows.pages.base import PortalPage


class GoodFaith(PortalPage):
    """`/goodfaith`: the figures over the last 3 months and whether the account qualifies."""

    name = "goodfaith"

    def read(self) -> Standing:
        """The figures as the page shows them (rates in per cent)."""
        self.open()
        status = self.el("status").inner_text().strip()
        return Standing(takedown_rate=self._number("takedown_rate", "rate"),
                        counter_notice_success_rate=self._number("counter_notice_rate", "rate"),
                        qualifies=status == self.sel.option("standing", "qualifies"),
                        listings=int(self._number("decided", "count")), status=status)

    def _number(self, key: str, pattern: str) -> float:
        text = self.el(key).inner_text()
        found = self.sel.pattern(pattern).search(text)
        if not found:
            raise PortalChanged(self.sel.file, f"patterns.{pattern}", f"no figure in {text!r}")
        return float(found.group(pattern))
