"""Risk measures: concentration, import reliance, days of cover, criticality scores (EU method,
USGS-style) and single points of failure, from the reference data or from any Result."""

from rareflow.metrics.common import MetricsError
from rareflow.metrics.concentration import (
    concentration,
    hhi,
    reference_concentration,
    result_concentration,
)
from rareflow.metrics.cover import days_of_cover
from rareflow.metrics.criticality import (
    eu_comparison,
    eu_economic_importance,
    eu_supply_risk,
    hhi_wgi_t,
    region_criticality,
    usgs_style_supply_risk,
)
from rareflow.metrics.reliance import balance, group_reliance, reliance

__all__ = [
    "MetricsError",
    "balance",
    "concentration",
    "days_of_cover",
    "eu_comparison",
    "eu_economic_importance",
    "eu_supply_risk",
    "group_reliance",
    "hhi",
    "hhi_wgi_t",
    "reference_concentration",
    "region_criticality",
    "reliance",
    "result_concentration",
    "usgs_style_supply_risk",
]
