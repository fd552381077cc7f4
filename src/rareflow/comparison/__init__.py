"""Compare two solved scenarios side by side: B minus A.

`rareflow compare A B` takes scenario files (solved with `rareflow.pipeline.run`, the
results cached by a hash of everything they depend on) or result directories (`Result.to_dir`)
and reports, over the periods both cover:

- shortfall (unserved demand, t) by region, by sector, by material and in detail;
- prices (USD/kg) of key materials inside China and outside it, the outside price being the
  demand-weighted mean of the other regions (weights: A's reference final demand plus A's use
  as a process input, over the periods compared, so A and B are weighted alike);
- trade re-routing: for each importer and material, the change of inflow by origin (t), and
  who replaces whom;
- self-sufficiency (domestic output / domestic use, `rareflow.metrics.reliance`) by region and
  stage of the value chain.

`Comparison.write(out)` writes every table as CSV and Parquet and the charts as one HTML file
with plotly.js embedded (works offline).

modules: common (error, horizon override, periods), runs (solving and the disk cache),
measures (the tables, pure); the charts live with the reports (rareflow.report.compare_charts).
"""

from rareflow.comparison.common import (
    CHINA,
    KEY_MATERIALS,
    TRADE_TOLERANCE_T,
    CompareError,
    Progress,
    common_periods,
    finite,
    mean_price,
    period_mid,
    period_start,
    period_years,
    prices_at,
    result_periods,
    years_of,
)
from rareflow.comparison.measures import (
    Comparison,
    compare_results,
    expand_materials,
    price_change,
    replacements,
    self_sufficiency_change,
    shortfall_change,
    trade_change,
    use_weights,
)
from rareflow.comparison.runs import (
    Loaded,
    default_cache_dir,
    load_input,
    run_cached,
    scenario_horizon,
)

__all__ = [
    "CHINA",
    "KEY_MATERIALS",
    "TRADE_TOLERANCE_T",
    "CompareError",
    "Comparison",
    "Loaded",
    "Progress",
    "common_periods",
    "compare_results",
    "default_cache_dir",
    "expand_materials",
    "finite",
    "load_input",
    "mean_price",
    "period_mid",
    "period_start",
    "period_years",
    "price_change",
    "prices_at",
    "replacements",
    "result_periods",
    "run_cached",
    "scenario_horizon",
    "self_sufficiency_change",
    "shortfall_change",
    "trade_change",
    "use_weights",
    "years_of",
]
