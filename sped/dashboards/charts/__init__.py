"""plotly figures for the dashboards, built from the rows `sped.dashboards.figures` returns:
one module per page (`out_of_district`, `share`, `monitoring`, `child_find`, `lre`,
`submissions`, `lea`), the one chart of a figure over the years (`trend`), and what they share
in `base` (the `Chart` record, the palette, the layout helpers). The builders are listed here
so pages call `charts.ood_ranking(...)`.
"""

from sped.dashboards.charts.base import (
    FLAG_COLOURS,
    OKABE_ITO,
    PALETTE,
    PLACEMENT_COLUMNS,
    STATUS_COLOURS,
    Chart,
    write_plotlyjs,
)
from sped.dashboards.charts.child_find import child_find_funnel, child_find_timeliness
from sped.dashboards.charts.lea import disability_label, lea_lre, lea_share
from sped.dashboards.charts.lre import lre_vs_nation
from sped.dashboards.charts.monitoring import monitoring_coverage, monitoring_missing
from sped.dashboards.charts.out_of_district import (
    indicator_5c,
    ood_approval,
    ood_by_placement_type,
    ood_distribution,
    ood_funnel,
    ood_in_out_of_state,
    ood_ranking,
    ood_trend,
)
from sped.dashboards.charts.share import (
    months_between,
    share_carryover_ending,
    share_required_vs_spent,
    share_shortfalls,
    share_state_totals,
)
from sped.dashboards.charts.submissions import TRACKER_STATES, submission_tracker, tracker_state
from sped.dashboards.charts.trend import trend

__all__ = [
    "FLAG_COLOURS",
    "OKABE_ITO",
    "PALETTE",
    "PLACEMENT_COLUMNS",
    "STATUS_COLOURS",
    "TRACKER_STATES",
    "Chart",
    "child_find_funnel",
    "child_find_timeliness",
    "disability_label",
    "indicator_5c",
    "lea_lre",
    "lea_share",
    "lre_vs_nation",
    "monitoring_coverage",
    "monitoring_missing",
    "months_between",
    "ood_approval",
    "ood_by_placement_type",
    "ood_distribution",
    "ood_funnel",
    "ood_in_out_of_state",
    "ood_ranking",
    "ood_trend",
    "share_carryover_ending",
    "share_required_vs_spent",
    "share_shortfalls",
    "share_state_totals",
    "submission_tracker",
    "tracker_state",
    "trend",
    "write_plotlyjs",
]
