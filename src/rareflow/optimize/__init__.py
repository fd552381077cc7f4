"""The market equilibrium engine: one welfare-maximising LP per solve (linopy + HiGHS).

`solve(network, horizon, levers=None, foresight="perfect", window=None, progress=None,
options=None) -> Result`.

- Horizon(start="2025-01", end="2030-12", step="month" | "quarter" | "year") (rareflow.horizon):
  capacities and demand are t/yr in the Network and t per period in the LP (x period length,
  month = 1/12 yr).
- Variables (all >= 0): supply[step, period], activity[facility, period], trade[arc, period],
  consumption[dem, block, period], stock_level[node, period], disposal[node, period] and,
  for contracted minimums, agreement_shortfall[arc, period] (penalised).
- Regional material balance at every node (region|material) and period:
  supply + process outputs + arrivals + stock release
  = consumption + process inputs + departures + stock build + disposal;
  its dual / 1000 / discount factor is the price in USD/kg.
- Demand: blocks of willingness to pay with upper breakpoints `SolveOptions.demand_breakpoints`
  (fractions of the reference quantity); a block's WTP is min(choke, p0 * x^(1/e)) at its upper
  breakpoint x. Unserved demand = reference - consumed (never forced, so always feasible).
- Lead times: a shipment arrives after d = lead time / period length periods, split between
  floor(d) and ceil(d); what would arrive after the horizon is reported in transit.
- Foresight: perfect (one LP), myopic (one period at a time) or window N (N periods, keep the
  first, roll); rolling windows are widened to the longest delivery lag + 1 so that shipments
  have a market; stocks, in-transit shipments and used quotas are carried between solves.
- Mass balance is checked after every solve (tolerance 1e-6 x max(1, largest flow)).
"""

from rareflow.horizon import Horizon
from rareflow.optimize.balance import MassBalanceError
from rareflow.optimize.banner import quiet_highs_banner
from rareflow.optimize.inputs import DEFAULT_BREAKPOINTS, SolveOptions
from rareflow.optimize.levers import LEVER_TABLES, LeverError, Levers
from rareflow.optimize.model import SolveError
from rareflow.optimize.solve import Foresight, Progress, solve

quiet_highs_banner()  # before any solve: HiGHS's banner would land in the commands' output

__all__ = [
    "DEFAULT_BREAKPOINTS",
    "LEVER_TABLES",
    "Foresight",
    "Horizon",
    "LeverError",
    "Levers",
    "MassBalanceError",
    "Progress",
    "SolveError",
    "SolveOptions",
    "solve",
]
