"""`Page`: what one dashboard page shows (its charts, its own tables and what else its template
needs), the record every page builder returns (`sped.dashboards.pages`, `spp_page`) and the web
routes render and serve downloads from."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from sped.dashboards.charts import Chart


@dataclass
class Page:
    """What one dashboard page shows."""

    slug: str
    title: str
    intro: str
    charts: list[Chart]
    school_year: str | None = None
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def chart(self, chart_id: str) -> Chart | None:
        return next((c for c in self.charts if c.id == chart_id), None)

    def table(self, table_id: str) -> pl.DataFrame | None:
        """A download: a chart's table or one of the page's own tables."""
        if table_id in self.tables:
            return self.tables[table_id]
        chart = self.chart(table_id)
        return chart.table if chart is not None else None
