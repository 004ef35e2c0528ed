"""The rows behind every dashboard chart and every `GET /api/v1/figures/{name}`, read from the
published snapshot with the marts' own column names.

Figures, one function each for six of them (`out_of_district`, `proportionate_share`,
`monitoring_coverage`, `child_find`, `lre_environments`, `submission_status`), all through
`figure()`: the table is chosen by the scope (marts for the state team and for a district's own
LEAs, the suppressed `shared.shr_*` table for auditors; `sped.dashboards.scope`), then narrowed
by the filters (school year, fiscal year, LEA, LEA type, county). Nothing is recomputed here:
the numbers are the marts' (dbt), so a chart, a download and the API agree with the warehouse.

The snapshot is opened read-only (`snapshot()`), so pages keep answering while a pipeline run
writes the warehouse; it is replaced atomically after each build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from sped.config.settings import Installation
from sped.dashboards.scope import Filters, Scope, ScopeError
from sped.warehouse.schema import has_table


@dataclass(frozen=True)
class FigureSource:
    """Where a figure's rows live and which of its columns the filters apply to."""

    name: str
    mart: str
    title: str
    keys: tuple[str, ...]
    school_year_column: str | None = None
    fiscal_year_column: str | None = None
    period_column: str | None = None  # submission_status: school year or fiscal year

    @property
    def shared(self) -> str:
        """The suppressed table auditors read, if the warehouse has one (`shared.shr_<name>`)."""
        return f"shared.shr_{self.name}"


SOURCES: dict[str, FigureSource] = {
    s.name: s
    for s in (
        FigureSource(
            "out_of_district",
            "marts.fct_out_of_district",
            "Out-of-district placements",
            ("school_year", "lea_id"),
            school_year_column="school_year",
        ),
        FigureSource(
            "proportionate_share",
            "marts.fct_proportionate_share",
            "Proportionate share (34 CFR 300.133)",
            ("fiscal_year", "lea_id"),
            school_year_column="count_school_year",
            fiscal_year_column="fiscal_year",
        ),
        FigureSource(
            "monitoring_coverage",
            "marts.fct_monitoring_coverage",
            "Monitoring of out-of-district students (603 CMR 28.06(3)(b))",
            ("school_year", "lea_id"),
            school_year_column="school_year",
        ),
        FigureSource(
            "child_find",
            "marts.fct_child_find",
            "Child find for parentally placed children (34 CFR 300.131)",
            ("school_year", "lea_id"),
            school_year_column="school_year",
        ),
        FigureSource(
            "lre_environments",
            "marts.fct_lre_environments",
            "Educational environments (LRE)",
            ("school_year", "lea_id", "age_group", "educational_environment"),
            school_year_column="school_year",
        ),
        FigureSource(
            "submission_status",
            "marts.fct_submission_status",
            "Submissions in force, missing and late",
            ("period", "lea_id", "collection"),
            period_column="period",
        ),
        FigureSource(
            "spp_indicators",
            "marts.fct_spp_indicators",
            "SPP/APR Indicators 5 and 6 (educational environments against the state's targets)",
            ("school_year", "lea_id", "indicator"),
            school_year_column="school_year",
        ),
        FigureSource(
            "significant_disproportionality",
            "marts.fct_significant_disproportionality",
            "Significant disproportionality by race and ethnicity (34 CFR 300.646-647)",
            ("school_year", "lea_id", "category", "race_ethnicity"),
            school_year_column="school_year",
        ),
    )
}
FIGURE_NAMES: tuple[str, ...] = tuple(SOURCES)


def snapshot(inst: Installation) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the installation's published snapshot."""
    path = inst.published_warehouse
    if not path.exists():
        raise FileNotFoundError(
            f"no published snapshot at {path}: run `sped pipeline` on this installation first"
        )
    return duckdb.connect(str(path), read_only=True)


def table_for(con: duckdb.DuckDBPyConnection, source: FigureSource, scope: Scope) -> str:
    """The table the scope may read for a figure: the mart, or for auditors its shared table."""
    if scope.role != "auditor":
        return source.mart
    if not has_table(con, source.shared):
        raise ScopeError(
            f"{source.name} is not among the suppressed aggregates auditors may see (schema shared)"
        )
    return source.shared


def where_clause(
    source: FigureSource, scope: Scope, filters: Filters, *, alias: str = "t"
) -> tuple[str, list]:
    """SQL conditions and parameters for the scope and the filters (identifiers are this
    module's own; every value is a parameter)."""
    scope.check_lea(filters.lea_id)
    conds: list[str] = []
    params: list = []
    if source.period_column:
        periods = [p for p in (filters.school_year, filters.fiscal_year) if p is not None]
        if periods:
            conds.append(f"{alias}.{source.period_column} IN ({', '.join('?' * len(periods))})")
            params += [str(p) for p in periods]
    else:
        if filters.school_year is not None and source.school_year_column:
            conds.append(f"{alias}.{source.school_year_column} = ?")
            params.append(filters.school_year)
        if filters.fiscal_year is not None and source.fiscal_year_column:
            conds.append(f"{alias}.{source.fiscal_year_column} = ?")
            params.append(int(filters.fiscal_year))
    if filters.lea_id is not None:
        conds.append(f"{alias}.lea_id = ?")
        params.append(filters.lea_id)
    directory = []
    if filters.lea_type is not None:
        directory.append("lea_type = ?")
        params.append(filters.lea_type)
    if filters.county is not None:
        directory.append("county = ?")
        params.append(filters.county)
    if directory:
        conds.append(
            f"{alias}.lea_id IN (SELECT lea_id FROM marts.dim_lea WHERE {' AND '.join(directory)})"
        )
    if scope.role == "district":
        leas = sorted(scope.lea_ids)
        conds.append(f"{alias}.lea_id IN ({', '.join('?' * len(leas))})")
        params += leas
    return (" AND ".join(conds) or "true"), params


def figure(
    con: duckdb.DuckDBPyConnection, name: str, scope: Scope, filters: Filters | None = None
) -> pl.DataFrame:
    """The rows of figure `name` the scope may see, narrowed by `filters`, in key order."""
    if name not in SOURCES:
        raise KeyError(f"no figure named {name!r}; figures: {', '.join(FIGURE_NAMES)}")
    source = SOURCES[name]
    filters = filters or Filters()
    table = table_for(con, source, scope)
    where, params = where_clause(source, scope, filters)
    order = ", ".join(source.keys)
    return con.sql(
        f"SELECT t.* FROM {table} AS t WHERE {where} ORDER BY {order}", params=params
    ).pl()


def _one(name: str) -> Callable[..., pl.DataFrame]:
    def read(
        con: duckdb.DuckDBPyConnection, scope: Scope, filters: Filters | None = None
    ) -> pl.DataFrame:
        return figure(con, name, scope, filters)

    read.__name__ = name
    read.__doc__ = (
        f"Rows of {SOURCES[name].mart} (or its shared table for auditors): {SOURCES[name].title}."
    )
    return read


out_of_district = _one("out_of_district")
proportionate_share = _one("proportionate_share")
monitoring_coverage = _one("monitoring_coverage")
child_find = _one("child_find")
lre_environments = _one("lre_environments")
submission_status = _one("submission_status")


# --- what the pages need beside the six figures ------------------------------------------


def leas(con: duckdb.DuckDBPyConnection, scope: Scope) -> pl.DataFrame:
    """The LEA directory (marts.dim_lea) the scope may see: names, types and counties."""
    if scope.role == "district":
        ids = sorted(scope.lea_ids)
        return con.sql(
            f"SELECT * FROM marts.dim_lea WHERE lea_id IN ({', '.join('?' * len(ids))}) "
            "ORDER BY lea_id",
            params=ids,
        ).pl()
    return con.sql("SELECT * FROM marts.dim_lea ORDER BY lea_id").pl()


def school_years(con: duckdb.DuckDBPyConnection) -> list[str]:
    """School years with a roster in the snapshot, oldest first."""
    rows = con.execute(
        "SELECT DISTINCT school_year FROM marts.fct_out_of_district ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def fiscal_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    rows = con.execute(
        "SELECT DISTINCT fiscal_year FROM marts.fct_proportionate_share ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def counties(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT DISTINCT county FROM marts.dim_lea WHERE county IS NOT NULL ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def national_lre(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The nation's educational-environment distribution (marts.dim_national_lre), with the
    source it names; empty when the reference file was never loaded."""
    if not has_table(con, "marts.dim_national_lre"):
        return pl.DataFrame()
    return con.sql(
        "SELECT * FROM marts.dim_national_lre WHERE is_national_total "
        "ORDER BY age_group, educational_environment"
    ).pl()


MONITORING_FLAGS = (
    "OUT_OF_DISTRICT_WITHOUT_MONITORING_PLAN",
    "OUT_OF_DISTRICT_WITHOUT_COUNTABLE_MONITORING",
)


def monitoring_gaps(
    con: duckdb.DuckDBPyConnection, scope: Scope, filters: Filters | None = None
) -> pl.DataFrame:
    """The out-of-district students without a plan or countable monitoring
    (marts.fct_compliance_flags: student-level, so the state team and the student's own
    district only; refused for auditors)."""
    if scope.role == "auditor":
        raise ScopeError("student-level findings are not shown to auditors")
    filters = filters or Filters()
    source = FigureSource(
        "compliance_flags",
        "marts.fct_compliance_flags",
        "",
        ("school_year", "lea_id", "flag", "student_id"),
        school_year_column="school_year",
    )
    where, params = where_clause(source, scope, filters)
    flags = ", ".join(f"'{f}'" for f in MONITORING_FLAGS)
    return con.sql(
        f"SELECT t.* FROM marts.fct_compliance_flags AS t WHERE {where} AND t.flag IN ({flags}) "
        "ORDER BY t.school_year, t.lea_id, t.flag, t.student_id",
        params=params,
    ).pl()


def published_at(inst: Installation) -> float | None:
    """When the snapshot was last replaced (POSIX time), for "figures as of" on each page."""
    path: Path = inst.published_warehouse
    return path.stat().st_mtime if path.exists() else None
