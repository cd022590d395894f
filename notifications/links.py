"""Where a mail points: the web pages `hamkor serve` answers, under `HAMKOR_BASE_URL`.

Without a base URL there are no links (mail then names the agreement's reference
and where to find it). Actions are POST forms on the agreement page; a link to
one opens the page with that action's form unfolded (`?act=EVENT#act-EVENT`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Links:
    base_url: str | None = None

    def _url(self, path: str) -> str | None:
        return f"{self.base_url}{path}" if self.base_url else None

    def agreement(self, ref: str) -> str | None:
        return self._url(f"/agreements/{quote(ref)}")

    def action(self, ref: str, event: str) -> str | None:
        """The agreement page opened at the form of `event` (renew, give_notice, ...)."""
        return self._url(f"/agreements/{quote(ref)}?act={quote(event)}#act-{quote(event)}")

    def edit(self, ref: str) -> str | None:
        return self._url(f"/agreements/{quote(ref)}/edit")

    def dashboard(self) -> str | None:
        return self._url("/")

    def calendar(self, token: str) -> str | None:
        return self._url(f"/calendar/{quote(token)}.ics")
