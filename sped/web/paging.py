"""Long tables paged on the server: a page of rows, and the links to the others that keep the
page's filters (the audit trail, the suppressed aggregates)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

PER_PAGE = 100


@dataclass(frozen=True)
class Paged:
    rows: list
    page: int
    pages: int
    total: int
    per_page: int
    query: str  # the page's other query parameters, for the links

    @property
    def first(self) -> int:
        """The 1-based number of the first row shown (0 when there is none)."""
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * self.per_page, self.total)

    def href(self, page: int) -> str:
        sep = "&" if self.query else ""
        return f"?{self.query}{sep}page={page}"


def paged(rows: list, page: int, params, per_page: int = PER_PAGE) -> Paged:
    """Page `page` (1-based, clamped to the pages there are) of `rows`; `params` are the
    request's query parameters (the `page` one is replaced in the links)."""
    total = len(rows)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    query = urlencode([(k, v) for k, v in params.multi_items() if k != "page" and v])
    return Paged(rows[start : start + per_page], page, pages, total, per_page, query)
