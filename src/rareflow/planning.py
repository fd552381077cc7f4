"""Plan, then operate: capacity built in an annual planning stage with foresight.

Capacity-expansion models decide investment on a coarse time grid with foresight and let the
market clear on what was built. Here the planning stage is one perfect-foresight LP over the
calendar years of the run: the market LP of `optimize.model` plus, for every expansion
candidate (a stage in a region, from `expansion_options.csv`), a non-decreasing capacity
`built[candidate, year]` that costs its annualised capital cost every year it stands and
cannot exist before its lead time has passed. The monthly (or quarterly) market then clears
myopically on the capacities the plan built, which enter the network as ordinary plants and
mine steps named `plan:<region>:<process>`.

Information set: the plan is made on the network before a scenario's events, i.e. on the
outlook of the base year. A shock does not trigger investment in this version; that is a
stated limitation (docs/model.md).

China's mines and separation plants are not candidates: they follow the quota rule
(network_builder.china_quota_index).

The plan's prices (duals of its annual balances) are the price path the market expects:
holders value their working stocks at it (`with_expected_prices`, optimize.inputs).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from rareflow.cache import PlanStore, default_plan_store
from rareflow.network import EXPECTED_PRICES, Network
from rareflow.network_builder import QUOTA_STAGES, complete_network
from rareflow.optimize import Horizon, Levers, SolveOptions
from rareflow.optimize.inputs import NODE_SEP, Inputs, build_inputs
from rareflow.optimize.model import build_model, check_optimal
from rareflow.results import TABLES

PREFIX = "plan:"
PLAN_FORMAT = 4  # bump when what `plan` computes changes: older cached plans are not reused
# an upper bound on any one candidate's capacity, t/yr: large enough never to bind, small
# enough to keep the LP well scaled
CANDIDATE_CEILING = 1.0e6
# capacity below this (t/yr) is not built: solver noise, not a plant
MIN_BUILD = 1.0
PLAN_COLUMNS = TABLES["investments"].names


def annuity_factor(rate: float, years: int) -> float:
    """Capital recovery factor: the yearly payment per USD of capital over `years` at `rate`."""
    if years <= 0:
        raise ValueError("life_years must be positive")
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def _option(options: pd.DataFrame, stage: str, region: str) -> pd.Series | None:
    rows = options[options["stage"] == stage]
    own = rows[rows["region"] == region]
    if len(own):
        return own.iloc[0]
    anywhere = rows[rows["region"] == "*"]
    return anywhere.iloc[0] if len(anywhere) else None


def candidates(network: Network, options: pd.DataFrame, first_year: int) -> pd.DataFrame:
    """One row per expansion candidate: a stage's process in a region that already has a
    plant of it (brownfield), or a deposit type a country already mines (outside China).
    Columns: candidate, kind (facility|step), region, stage, process, material, cost
    (operating, USD/t), capex, annuity (USD per t/yr per year), first_year."""
    rows: list[dict[str, object]] = []
    stage_of = network.processes.set_index("process")["stage"]
    cost_of = network.processes.set_index("process")["cost"]
    coef = network.process_coefficients
    plain = network.facilities[~network.facilities["facility"].str.contains("~", regex=False)]
    pairs = plain[["region", "process"]].drop_duplicates().sort_values(["region", "process"])
    for region, process in pairs.itertuples(index=False):
        stage = str(stage_of.get(process, ""))
        if str(region) == "CHN" and stage in QUOTA_STAGES:
            continue  # China's separation follows its quota
        option = _option(options, stage, str(region))
        if option is None:
            continue
        outputs = coef[(coef["process"] == process) & (coef["coefficient"] > 0)]
        material = (
            str(outputs.sort_values("coefficient").iloc[-1]["material"]) if len(outputs) else ""
        )
        rows.append(
            _row(
                option,
                first_year,
                "facility",
                str(region),
                stage,
                str(process),
                material,
                float(cost_of.get(process, 0.0)),
            )
        )
    mines = network.supply[network.supply["material"].str.startswith("concentrate:")]
    for keys, group in mines.groupby(["region", "material"]):
        region, material = (str(k) for k in keys)
        if str(region) == "CHN":
            continue  # China's mines follow its quota
        deposit = material.split(":", 1)[1]
        option = _option(options, f"mining:{deposit}", region)
        if option is None:
            option = _option(options, "mining", region)
        if option is None:
            continue
        rows.append(
            _row(
                option,
                first_year,
                "step",
                str(region),
                "mining",
                f"mine:{material}",
                str(material),
                float(group["cost"].astype(float).median()),
            )
        )
    columns = [
        "candidate",
        "kind",
        "region",
        "stage",
        "process",
        "material",
        "cost",
        "capex",
        "annuity",
        "first_year",
    ]
    return pd.DataFrame(rows, columns=columns)


def _row(
    option: pd.Series,
    first_year: int,
    kind: str,
    region: str,
    stage: str,
    process: str,
    material: str,
    cost: float,
) -> dict[str, object]:
    capex = float(option["capex"])
    return {
        "candidate": f"{PREFIX}{region}:{process}",
        "kind": kind,
        "region": region,
        "stage": stage,
        "process": process,
        "material": material,
        "cost": cost,
        "capex": capex,
        "annuity": capex
        * annuity_factor(float(option["discount_rate"]), int(option["life_years"])),
        "first_year": first_year + int(option["lead_years"]),
    }


def with_capacity(
    network: Network, cands: pd.DataFrame, capacity: pd.DataFrame, base_year: int
) -> Network:
    """`network` plus the candidates as plants and mine steps with `capacity` rows
    (candidate, year, capacity t/yr); trade routes, stocks and recipe variants completed."""
    out = network.copy()
    plants = cands[cands["kind"] == "facility"]
    steps = cands[cands["kind"] == "step"]
    cap = capacity.rename(columns={"candidate": "key"})
    if len(plants):
        out.facilities = pd.concat(
            [
                out.facilities,
                pd.DataFrame(
                    {
                        "facility": plants["candidate"],
                        "region": plants["region"],
                        "process": plants["process"],
                        "owner": "planned",
                        "capacity_group": plants["candidate"],
                    }
                ),
            ],
            ignore_index=True,
        )
        rows = cap[cap["key"].isin(plants["candidate"])].rename(columns={"key": "facility"})
        out.facility_capacity = pd.concat([out.facility_capacity, rows], ignore_index=True)
    if len(steps):
        out.supply = pd.concat(
            [
                out.supply,
                pd.DataFrame(
                    {
                        "step": steps["candidate"],
                        "region": steps["region"],
                        "material": steps["material"],
                        "cost": steps["cost"],
                        "facility": "",
                    }
                ),
            ],
            ignore_index=True,
        )
        rows = cap[cap["key"].isin(steps["candidate"])].rename(columns={"key": "step"})
        out.supply_capacity = pd.concat([out.supply_capacity, rows], ignore_index=True)
    return complete_network(out, base_year)


@dataclass(frozen=True)
class Expansion:
    """The expansion family of the planning LP."""

    candidates: pd.DataFrame  # index candidate
    available: xr.DataArray  # [candidate, period] 1 where the lead time has passed


def add_expansion(m: linopy.Model, inp: Inputs, exp: Expansion) -> linopy.Variable:
    """built[candidate, period] t/yr, non-decreasing, 0 before the lead time; each
    candidate's activity (all its recipe variants) or mining <= built x period length; its
    annuity enters the objective for every period it stands."""
    cidx = pd.Index(list(exp.candidates.index), name="candidate", dtype=object)
    upper = exp.available * CANDIDATE_CEILING
    built = m.add_variables(lower=0.0, upper=upper, name="built")
    m.add_constraints(built - built.shift(period=1).fillna(0) >= 0, name="built_grows")
    kinds = exp.candidates["kind"]
    plants = list(kinds.index[kinds == "facility"])
    if plants:
        fac = inp.facilities
        members = fac[fac["capacity_group"].isin(plants)]
        group = xr.DataArray(
            members["capacity_group"].to_numpy(dtype=object),
            coords={"facility": list(members.index)},
            dims="facility",
            name="candidate",
        )
        used = m.variables["activity"].sel(facility=list(members.index)).groupby(group).sum()
        m.add_constraints(used <= built.sel(candidate=plants) * inp.length, name="built_plants")
    mines = list(kinds.index[kinds == "step"])
    if mines:
        mined = m.variables["supply"].sel(step=mines).rename(step="candidate")
        m.add_constraints(mined <= built.sel(candidate=mines) * inp.length, name="built_mines")
    annuity = xr.DataArray(
        exp.candidates["annuity"].to_numpy(dtype=float),
        coords={"candidate": cidx},
        dims="candidate",
    )
    cost = (built * (annuity * inp.length * inp.discount)).sum()
    m.add_objective(m.objective.expression + cost, overwrite=True)
    return built


def plan(
    network: Network,
    cands: pd.DataFrame,
    first_year: int,
    last_year: int,
    options: SolveOptions | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Solve the annual planning LP over [first_year, last_year] and return what is built
    (one row per candidate and year with capacity > MIN_BUILD, columns PLAN_COLUMNS) and the
    prices it clears at (node, year, price in USD/t)."""
    if cands.empty or last_year < first_year:
        return pd.DataFrame(columns=list(PLAN_COLUMNS)), _no_prices()
    base_year = int(network.meta.get("base_year", first_year - 1))
    years = list(range(first_year, last_year + 1))
    ceiling = pd.DataFrame(
        [
            {"candidate": c, "year": y, "capacity": CANDIDATE_CEILING}
            for c, start in zip(cands["candidate"], cands["first_year"], strict=True)
            for y in years
            if y >= int(start)
        ],
        columns=["candidate", "year", "capacity"],
    )
    open_net = with_capacity(network, cands, ceiling, base_year)
    # every year must balance on its own capacity: with perfect foresight, stocks would let
    # the plan carry material between years that the myopic market cannot, and build less
    open_net.stocks["capacity"] = 0.0
    open_net.stocks["initial"] = 0.0
    horizon = Horizon(start=dt.date(first_year, 1, 1), end=dt.date(last_year, 12, 1), step="year")
    inp = build_inputs(open_net, horizon, Levers(), options or SolveOptions())
    table = cands.set_index(pd.Index(cands["candidate"], name="candidate"))
    period_year = inp.periods["year"].to_numpy()
    available = xr.DataArray(
        (period_year[None, :] >= table["first_year"].to_numpy(dtype=int)[:, None]).astype(float),
        coords={"candidate": list(table.index), "period": inp.period_index},
        dims=["candidate", "period"],
    )
    m = build_model(inp)
    built = add_expansion(m, inp, Expansion(table, available))
    status, termination = m.solve(solver_name="highs", io_api="direct", output_flag=False)
    check_optimal(inp, str(status), str(termination))
    capacity = built.solution.to_pandas()
    prices = (m.constraints["balance"].dual / inp.discount).to_pandas()
    expected = prices.set_axis(period_year, axis=1).stack().rename("price").reset_index()
    expected.columns = ["node", "year", "price"]
    return _plan_table(table, capacity, prices / 1000.0, period_year), expected


def _no_prices() -> pd.DataFrame:
    return pd.DataFrame({"node": pd.Series(dtype=object), "year": [], "price": []})


def _plan_table(
    table: pd.DataFrame, capacity: pd.DataFrame, prices: pd.DataFrame, years: np.ndarray
) -> pd.DataFrame:
    rows = []
    for key, row in table.iterrows():
        cand = str(key)
        path = capacity.loc[cand].to_numpy(dtype=float)
        node = f"{row['region']}{NODE_SEP}{row['material']}"
        price = prices.loc[node].to_numpy(dtype=float) if node in prices.index else None
        before = 0.0
        for i, year in enumerate(years):
            level = float(path[i])
            if level <= MIN_BUILD:
                before = level
                continue
            rows.append(
                {
                    "candidate": cand,
                    "region": row["region"],
                    "stage": row["stage"],
                    "process": row["process"],
                    "material": row["material"],
                    "year": int(year),
                    "capacity": round(level, 3),
                    "added": round(max(0.0, level - before), 3),
                    "capex": float(row["capex"]),
                    "annuity": float(row["annuity"]),
                    # what the output sold for in the plan that year, USD/kg: the price that
                    # made the investment worth its annuity
                    "incentive_price": float(price[i]) if price is not None else float("nan"),
                }
            )
            before = level
    return pd.DataFrame(rows, columns=list(PLAN_COLUMNS))


# years the plan looks ahead at least: investment outlives a short run
PLAN_OUTLOOK = 11


def plan_years(network: Network, end_year: int) -> tuple[int, int]:
    """The plan's years: from the year after the base year (decided on the base year's
    outlook) to the run's end, at least PLAN_OUTLOOK years; so cutting a run short with
    --until does not change what was built."""
    base_year = int(network.meta.get("base_year", 2024))
    return base_year + 1, max(end_year, base_year + PLAN_OUTLOOK)


def planned_network(
    network: Network,
    tables: Mapping[str, pd.DataFrame],
    first_year: int,
    last_year: int,
    store: PlanStore | None = None,
    options: SolveOptions | None = None,
) -> Network:
    """`network` with the capacity its plan over [first_year, last_year] builds. The plan is
    looked up in `store` (default: the on-disk cache) and solved only when absent;
    `meta["investment_plan"]` holds it as JSON records, `meta["planning_s"]` its time."""
    cands = candidates(network, tables["expansion_options"], first_year)
    store = store if store is not None else default_plan_store()
    options = options or SolveOptions()
    key = _plan_key(network, cands, first_year, last_year, options)
    found, expected = store.get(key), store.get(f"{key}-prices")
    spent = 0.0
    if found is None or expected is None:
        start = time.perf_counter()
        found, expected = plan(network, cands, first_year, last_year, options)
        spent = time.perf_counter() - start
        store.put(key, found)
        store.put(f"{key}-prices", expected)
    built = cands[cands["candidate"].isin(set(found["candidate"]))]
    capacity = found[["candidate", "year", "capacity"]]
    base_year = int(network.meta.get("base_year", first_year - 1))
    out = with_capacity(network, built, capacity, base_year) if len(built) else network.copy()
    out.meta["investment_plan"] = found.to_json(orient="records")
    out.meta["planning_s"] = f"{spent:.3f}"
    return with_expected_prices(out, expected)


def with_expected_prices(network: Network, expected: pd.DataFrame) -> Network:
    """`network` whose working stocks start full and are valued at the `expected` price path
    (node, year, price USD/t; meta EXPECTED_PRICES): a holder keeps its stock while the spot
    price is near what it expected and draws it when a shock lifts the price."""
    out = network.copy()
    out.meta[EXPECTED_PRICES] = expected.to_json(orient="records")
    if "target" in out.stocks and len(expected):
        node = out.stocks["region"].astype(str) + NODE_SEP + out.stocks["material"].astype(str)
        # a stock without an expected price has no value to hold it at: it stays empty
        target = (
            out.stocks["target"]
            .fillna(0.0)
            .astype(float)
            .where(node.isin(set(expected["node"])), 0.0)
        )
        out.stocks["target"] = target
        out.stocks["initial"] = np.maximum(out.stocks["initial"].fillna(0.0), target)
    return out


def _plan_key(
    network: Network, cands: pd.DataFrame, first_year: int, last_year: int, options: SolveOptions
) -> str:
    digest = hashlib.sha256()
    digest.update(f"format {PLAN_FORMAT}".encode())
    digest.update(network.meta.get("reference_hash", "").encode())
    digest.update(network.meta.get("options", "").encode())
    digest.update(network.meta.get("demand_calibration", "").encode())
    digest.update(pd.util.hash_pandas_object(cands, index=False).to_numpy().tobytes())
    digest.update(f"{first_year}-{last_year}".encode())
    digest.update(repr(sorted(options.to_dict().items())).encode())
    return digest.hexdigest()[:32]
