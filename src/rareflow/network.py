"""The Network: every component of the value chain as a table, in the spirit of PyPSA.

A `Network` is what the optimiser reads. It is built from the reference data
(`rareflow.network_builder.build_network`) or by hand in tests. Each component is a pandas
DataFrame with the columns listed in `COMPONENTS`; quantities are tonnes, rates are
t/yr, money is USD. Time-varying inputs are given by calendar year and the engine expands them
onto its periods (month, quarter or year).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rareflow.cache import Kept
from rareflow.errors import UserError
from rareflow.tables import Column, Table, frame_hash, table


def _f(name: str, unit: str = "") -> Column:
    return Column(name, "float", unit=unit)


def _year() -> Column:
    return Column("year", "int", description="calendar year")


# Each component table: its columns, typed, with units; the first column(s) form the key.
COMPONENTS: dict[str, Table] = {
    t.name: t
    for t in (
        table(
            "regions",
            "region",
            "name",
            "kind",
            Column("lat", "float", required=False, unit="degree"),
            Column("lon", "float", required=False, unit="degree"),
            key=("region",),
            description="code, name, kind: country|group; lat, lon: where its trade leaves or "
            "arrives (trade arcs' freight grows with the distance between them)",
        ),
        table(
            "materials",
            "material",
            "form",
            "element",
            Column("tradable", "bool"),
            key=("material",),
            description="form, element ('' if none); tradable: may cross borders",
        ),
        table(
            "supply",
            "step",
            "region",
            "material",
            _f("cost", "USD/t"),
            "facility",
            key=("step",),
            description=(
                "a mine (or a country's residual mining) or a bulk input market: produces "
                "`material` at `cost` up to the capacity of its year in `supply_capacity`"
            ),
        ),
        table("supply_capacity", "step", _year(), _f("capacity", "t/yr"), key=("step", "year")),
        table(
            "process_coefficients",
            "process",
            "material",
            _f("coefficient", "t per t of activity"),
            key=("process", "material"),
            description="inputs negative, outputs positive",
        ),
        table("processes", "process", "stage", _f("cost", "USD/t of activity"), key=("process",)),
        table(
            "facilities",
            "facility",
            "region",
            "process",
            "owner",
            key=("facility",),
            description=(
                "optional column capacity_group: rows of one group are alternative recipes"
                " of one plant and share its capacity"
            ),
        ),
        table(
            "facility_capacity",
            "facility",
            _year(),
            _f("capacity", "t/yr of activity"),
            key=("facility", "year"),
        ),
        table(
            "arcs",
            "arc",
            "origin",
            "destination",
            "material",
            _f("cost", "USD/t"),
            _f("lead_time_months", "months"),
            key=("arc",),
        ),
        table(
            "demand",
            "region",
            "sector",
            "material",
            Column("base_year", "int"),
            _f("quantity", "t/yr"),
            _f("ref_price", "USD/t"),
            _f("elasticity"),
            _f("choke_price", "USD/t"),
            key=("region", "sector", "material"),
            description=(
                "reference quantity in base_year at the reference price, elasticity (<0), "
                "choke price (willingness to pay is capped there: substitutes take over)"
            ),
        ),
        table(
            "demand_growth",
            "region",
            "sector",
            "material",
            _year(),
            _f("index"),
            key=("region", "sector", "material", "year"),
            description="multiplier on the base-year quantity by calendar year",
        ),
        table(
            "stocks",
            "region",
            "material",
            _f("initial", "t"),
            _f("capacity", "t"),
            _f("holding_cost", "USD/t/yr"),
            Column("target", "float", required=False, default=0.0, unit="t"),
            Column("reserve", "float", required=False, default=0.0, unit="t"),
            key=("region", "material"),
            description=(
                "capacity may be inf; optional columns target: the working stock its "
                "holder values at the price it expects (see EXPECTED_PRICES); reserve: t a"
                " state reserve may buy at its floor; strategic stockpiles have neither"
            ),
        ),
        table(
            "agreements",
            "agreement",
            "seller_region",
            "buyer_region",
            "material",
            Column("start", "date"),
            Column("end", "date"),
            _f("volume_min", "t/yr"),
            _f("volume_max", "t/yr"),
            key=("agreement",),
            description=(
                "contracted flow of `material` from seller to buyer (facility or region), "
                "in force from start to end (end may be NaT)"
            ),
        ),
    )
}


# Network.meta keys: the market's behaviour rules (policy_rules.csv) and the price path the
# planning stage expects by node and year (JSON records node, year, price in USD/t), at which
# holders value their working stocks
WORKING_STOCK_DAYS = "working_stock_days"
BUFFER_RELEASE_PREMIUM = "buffer_release_premium"
CHINA_RESERVE_FLOOR = "china_reserve_floor"
PRECAUTIONARY_STOCK_SHARE = "precautionary_stock_share"
# how buyers pay (policy_rules.csv): the share of their volume on term contracts and the lag of
# the index those contracts are priced at (rareflow.metrics.traded_prices)
CONTRACT_SHARE = "contract_share"
CONTRACT_PRICE_LAG_MONTHS = "contract_price_lag_months"
EXPECTED_PRICES = "expected_prices"


class NetworkError(UserError, ValueError):
    """A network that cannot be solved as given (raised in strict mode or on bad tables)."""


@dataclass
class ConsistencyIssue:
    """One finding of a named consistency check."""

    check: str
    message: str


def _empty(name: str) -> pd.DataFrame:
    """No rows, the component's required columns (optional ones are added where used)."""
    spec = COMPONENTS[name]
    return spec.empty()[list(spec.required)]


@dataclass
class Network:
    """Components of the rare earth value chain as tables (see COMPONENTS)."""

    regions: pd.DataFrame = field(default_factory=lambda: _empty("regions"))
    materials: pd.DataFrame = field(default_factory=lambda: _empty("materials"))
    supply: pd.DataFrame = field(default_factory=lambda: _empty("supply"))
    supply_capacity: pd.DataFrame = field(default_factory=lambda: _empty("supply_capacity"))
    processes: pd.DataFrame = field(default_factory=lambda: _empty("processes"))
    process_coefficients: pd.DataFrame = field(
        default_factory=lambda: _empty("process_coefficients")
    )
    facilities: pd.DataFrame = field(default_factory=lambda: _empty("facilities"))
    facility_capacity: pd.DataFrame = field(default_factory=lambda: _empty("facility_capacity"))
    arcs: pd.DataFrame = field(default_factory=lambda: _empty("arcs"))
    demand: pd.DataFrame = field(default_factory=lambda: _empty("demand"))
    demand_growth: pd.DataFrame = field(default_factory=lambda: _empty("demand_growth"))
    stocks: pd.DataFrame = field(default_factory=lambda: _empty("stocks"))
    agreements: pd.DataFrame = field(default_factory=lambda: _empty("agreements"))
    # provenance of the build: data vintage, base year, input hashes
    meta: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, spec in COMPONENTS.items():
            frame = getattr(self, name)
            missing = [c for c in spec.required if c not in frame.columns]
            if missing:
                raise NetworkError(f"component '{name}' lacks columns {missing}")

    def component(self, name: str) -> pd.DataFrame:
        table: pd.DataFrame = getattr(self, name)
        return table

    def hashes(self) -> dict[str, str]:
        """A sha256 of each component table (frame_hash): what a cached result or array of
        this network is keyed by, and what a result's summary records."""
        return {name: frame_hash(self.component(name)) for name in COMPONENTS}

    def copy(self) -> Network:
        kwargs = {name: self.component(name).copy() for name in COMPONENTS}
        return Network(**kwargs, meta=dict(self.meta))

    # -- consistency checks -------------------------------------------------------------

    def consistency(self) -> list[ConsistencyIssue]:
        """Run every named check; return what they found."""
        issues: list[ConsistencyIssue] = []
        for name, check in CHECKS.items():
            issues.extend(ConsistencyIssue(name, msg) for msg in check(self))
        return issues

    def check_before_solve(self, hashes: dict[str, str] | None = None) -> list[ConsistencyIssue]:
        """Every check, by its SEVERITY: errors raise one NetworkError naming them all, the
        warnings are returned for the result to keep. The findings are kept by the tables'
        hashes (`hashes`: self.hashes(), when the caller has them): an ensemble's samples and
        a comparison's variants check networks whose tables repeat, and hashing them costs a
        fifth of checking them."""
        key = tuple((hashes if hashes is not None else self.hashes()).items())
        issues = list(_FINDINGS.get(key, lambda: tuple(self.consistency())))
        errors = [i for i in issues if SEVERITY.get(i.check, "error") == "error"]
        if errors:
            text = "; ".join(f"[{i.check}] {i.message}" for i in errors)
            raise NetworkError(f"the network cannot be solved: {text}")
        return issues

    def check(self, strict: bool = False) -> list[ConsistencyIssue]:
        """Warn about (or, in strict mode, raise on) every consistency finding."""
        issues = self.consistency()
        if issues and strict:
            text = "; ".join(f"[{i.check}] {i.message}" for i in issues)
            raise NetworkError(f"network is inconsistent: {text}")
        for issue in issues:
            warnings.warn(f"[{issue.check}] {issue.message}", stacklevel=2)
        return issues


def _producible_materials(net: Network) -> set[str]:
    """Materials that some supply step or some facility's process can make."""
    made = set(net.supply["material"])
    processes_with_facility = set(net.facilities["process"])
    coef = net.process_coefficients
    outputs = coef[(coef["coefficient"] > 0) & coef["process"].isin(processes_with_facility)]
    return made | set(outputs["material"])


def _check_demand_without_supplier(net: Network) -> list[str]:
    made = _producible_materials(net)
    orphan = net.demand[~net.demand["material"].isin(made)]
    return [
        f"demand for {row.material} in {row.region} ({row.sector}) has no possible supplier"
        for row in orphan.itertuples()
    ]


def _check_process_inputs(net: Network) -> list[str]:
    made = _producible_materials(net)
    coef = net.process_coefficients
    used = coef[(coef["coefficient"] < 0) & coef["process"].isin(set(net.facilities["process"]))]
    missing = used[~used["material"].isin(made)]
    return [
        f"process {row.process} needs {row.material}, which nobody makes"
        for row in missing.itertuples()
    ]


def _check_facility_regions(net: Network) -> list[str]:
    known = set(net.regions["region"])
    bad = net.facilities[~net.facilities["region"].isin(known)]
    return [
        f"facility {row.facility} is in unknown region {row.region}" for row in bad.itertuples()
    ]


def _check_facility_processes(net: Network) -> list[str]:
    known = set(net.processes["process"])
    bad = net.facilities[~net.facilities["process"].isin(known)]
    return [
        f"facility {row.facility} runs unknown process {row.process}" for row in bad.itertuples()
    ]


def _check_agreement_parties(net: Network) -> list[str]:
    known = set(net.regions["region"])
    out = []
    for row in net.agreements.itertuples():
        for role in ("seller_region", "buyer_region"):
            if getattr(row, role) not in known:
                out.append(f"agreement {row.agreement} has unknown {role} {getattr(row, role)}")
    return out


def _check_arc_endpoints(net: Network) -> list[str]:
    known = set(net.regions["region"])
    materials = set(net.materials["material"])
    arcs = net.arcs
    bad = arcs[
        ~arcs["origin"].isin(known)
        | ~arcs["destination"].isin(known)
        | ~arcs["material"].isin(materials)
    ]
    return [f"arc {row.arc} has an unknown region or material" for row in bad.itertuples()]


def _check_unknown_materials(net: Network) -> list[str]:
    materials = set(net.materials["material"])
    out = []
    for name in ("supply", "process_coefficients", "demand", "stocks", "agreements"):
        table = net.component(name)
        bad = sorted(set(table["material"]) - materials)
        if bad:
            out.append(f"{name} refers to unknown materials {bad}")
    return out


# -- values: numbers, keys and signs the LP needs ------------------------------------------

# numeric columns per component (optional ones only where present) and the columns that
# identify a row: both read from the declarations (COMPONENTS)
NUMERIC: dict[str, tuple[str, ...]] = {
    name: cols for name, t in COMPONENTS.items() if (cols := t.of_type("float", "int"))
}
KEYS: dict[str, tuple[str, ...]] = {name: t.key for name, t in COMPONENTS.items() if t.key}


def _numbers(net: Network, name: str) -> pd.DataFrame:
    """The component's numeric columns as floats (NaN where a value is not a number)."""
    table = net.component(name)
    cols = [c for c in NUMERIC[name] if c in table]
    return table[cols].apply(pd.to_numeric, errors="coerce").astype(float)


def _first_bad(ok: pd.Series) -> int:
    return int(np.flatnonzero(~ok.to_numpy())[0])


def _check_numbers(net: Network) -> list[str]:
    out = []
    for name in NUMERIC:
        table = net.component(name).reset_index(drop=True)
        values = _numbers(net, name).reset_index(drop=True)
        for col in values:
            ok = values[col].notna() | table[col].isna()
            if not ok.all():
                row = _first_bad(ok)
                out.append(
                    f"{name}, row {row}, column '{col}': expected a number, got "
                    f"{table[col].iloc[row]!r}"
                )
    return out


def _check_keys(net: Network) -> list[str]:
    out = []
    for name, key in KEYS.items():
        table = net.component(name)
        if not all(k in table for k in key):
            continue
        dup = table.duplicated(list(key))
        if dup.any():
            first = table[dup].iloc[0]
            label = "/".join(str(first[k]) for k in key)
            out.append(f"{name}: duplicate {'/'.join(key)} '{label}'")
    return out


def _check_arcs(net: Network) -> list[str]:
    arcs = net.arcs.reset_index(drop=True)
    out = [
        f"arcs: arc '{a}' has origin == destination"
        for a in arcs.loc[arcs["origin"] == arcs["destination"], "arc"].head(1)
    ]
    lead = _numbers(net, "arcs")["lead_time_months"].reset_index(drop=True)
    negative = lead < 0
    if negative.any():
        out.append(
            f"arcs: arc '{arcs['arc'].iloc[_first_bad(~negative)]}': lead_time_months must be >= 0"
        )
    return out


def _check_demand_values(net: Network) -> list[str]:
    dem = _numbers(net, "demand").reset_index(drop=True)
    rules = [
        ("quantity", dem["quantity"] >= 0, "a quantity >= 0 t/yr"),
        ("ref_price", dem["ref_price"] > 0, "a reference price > 0 USD/t"),
        ("elasticity", dem["elasticity"] < 0, "an elasticity < 0"),
        ("choke_price", dem["choke_price"].isna() | (dem["choke_price"] > 0), "a price > 0"),
    ]
    out = []
    for col, ok, expected in rules:
        if not ok.all():
            row = _first_bad(ok)
            out.append(
                f"demand, row {row}, column '{col}': expected {expected}, got {dem[col].iloc[row]}"
            )
    return out


def _check_stock_levels(net: Network) -> list[str]:
    st = _numbers(net, "stocks").reset_index(drop=True)
    over = st["initial"].fillna(0.0) > st["capacity"].fillna(np.inf)
    if not over.any():
        return []
    row = net.stocks.reset_index(drop=True).iloc[_first_bad(~over)]
    return [f"stocks: initial level above capacity at {row['region']}|{row['material']}"]


def _check_agreement_routes(net: Network) -> list[str]:
    out = []
    arcs = set(zip(net.arcs["origin"], net.arcs["destination"], net.arcs["material"], strict=True))
    known = set(net.regions["region"])
    for row in net.agreements.to_dict("records"):
        seller, buyer, material = row["seller_region"], row["buyer_region"], row["material"]
        if seller not in known or buyer not in known:
            continue  # reported by agreement_unknown_party
        if seller == buyer:
            out.append(
                f"agreement {row['agreement']}: seller_region equals buyer_region; an agreement "
                "is a flow between two regions"
            )
        elif (seller, buyer, material) not in arcs:
            out.append(f"agreement {row['agreement']}: no arc {seller} -> {buyer} for {material}")
    return out


# what a finding means for a solve (optimize.solve runs every check first): "error" stops it
# with a NetworkError (the LP would be built on something that does not exist), "warning" is
# kept in the result's summary (`consistency`) and the solve goes on (the LP shows the
# consequence: unserved demand, an idle plant)
SEVERITY: dict[str, str] = {
    "demand_without_supplier": "warning",
    "process_input_not_made": "warning",
    "facility_unknown_region": "error",
    "facility_unknown_process": "error",
    "agreement_unknown_party": "error",
    "arc_unknown_endpoint": "error",
    "unknown_material": "error",
    "non_numeric_value": "error",
    "duplicate_key": "error",
    "arc_loop_or_lead_time": "error",
    "demand_value": "error",
    "stock_over_capacity": "error",
    "agreement_route": "error",
}

# the named checks' findings of the last networks checked, by their tables' hashes
_FINDINGS: Kept[tuple[tuple[str, str], ...], tuple[ConsistencyIssue, ...]] = Kept(32)

CHECKS: dict[str, Callable[[Network], list[str]]] = {
    "demand_without_supplier": _check_demand_without_supplier,
    "process_input_not_made": _check_process_inputs,
    "facility_unknown_region": _check_facility_regions,
    "facility_unknown_process": _check_facility_processes,
    "agreement_unknown_party": _check_agreement_parties,
    "arc_unknown_endpoint": _check_arc_endpoints,
    "unknown_material": _check_unknown_materials,
    "non_numeric_value": _check_numbers,
    "duplicate_key": _check_keys,
    "arc_loop_or_lead_time": _check_arcs,
    "demand_value": _check_demand_values,
    "stock_over_capacity": _check_stock_levels,
    "agreement_route": _check_agreement_routes,
}
