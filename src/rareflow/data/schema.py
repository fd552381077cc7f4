"""Declarative description of every reference table.

One `TableSpec` per concept. The loader (`rareflow.data.loader`) checks every CSV against its
spec with one general mechanism: required columns, types, allowed values, units, uniqueness of
the key, references to other tables. Adding a table means adding a spec here, not code.

Conventions shared by all tables:
- every row carries `source` (one or more ids of `sources.csv`, separated by `;`) and `vintage`
  (the edition or year of the source, e.g. `MCS2025`, `2024`);
- a row that is estimated rather than published has a non-empty `estimate_method` saying how;
- quantities carry a `unit` column whose value must be one of the spec's allowed units.
"""

from __future__ import annotations

from dataclasses import dataclass

from rareflow.tables import Column, Table


@dataclass(frozen=True)
class TableSpec(Table):
    """A reference table (a `Table` read from `<name>.csv`): its columns, key, the values its
    `unit` column may take and whether it carries provenance columns."""

    units: tuple[str, ...] = ()  # allowed values of the `unit` column, if the table has one
    provenance: bool = True  # adds source / vintage / estimate_method columns

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def all_columns(self) -> tuple[Column, ...]:
        if not self.provenance:
            return self.columns
        return (*self.columns, *PROVENANCE_COLUMNS)

    def column(self, name: str) -> Column:
        for col in self.all_columns():
            if col.name == name:
                return col
        raise KeyError(name)


PROVENANCE_COLUMNS: tuple[Column, ...] = (
    Column(
        "source",
        references="sources.source_id",
        description="ids of sources.csv, separated by ';'",
    ),
    Column("vintage", description="edition or year of the source, e.g. MCS2025"),
    Column(
        "estimate_method",
        required=False,
        description="empty when published as is; otherwise how the value was estimated",
    ),
)

STAGES = (
    "mining",
    "cracking",
    "separation",
    "reduction",
    "alloying",
    "magnet",
    "recycling",
    "bulk",
)
FORMS = ("concentrate", "mixed", "oxide", "metal", "alloy", "magnet", "scrap", "bulk")
FACILITY_STATUS = ("operating", "ramping", "construction", "planned", "suspended", "closed")
SOURCE_TAGS = ("P", "S", "T", "D", "A")  # primary, secondary, tertiary, derived, assumption
MARKETS = ("CHN", "exCHN", "world")
PLAUSIBILITY_INDICATORS = (
    "mine_output",
    "china_share_separation",
    "china_share_magnet",
    "china_ndfeb_blanks",
    "china_ndfeb_exports",
    "dy_oxide_output",
    "china_ndpr_oxide_output",
    "tb_oxide_output",
    "china_oxide_output",
    "demand_scaling",
    "choke_price_reached",
    "lynas_ndpr",
    "japan_china_share_ndpr",
    "japan_china_share_magnet",
    "shortage_share",
    "oxide_price_ratio_chn",
    "oxide_price_ratio_exchn",
    "india_ndpr_exports_to_china",
    "india_feed_imports",
    "aus_mys_ndpr",
)

SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "sources",
        "Every cited source; other tables refer to source_id.",
        (
            Column("source_id"),
            Column("title"),
            Column("publisher"),
            Column("year", "int"),
            Column("url", required=False),
            Column(
                "tag",
                choices=SOURCE_TAGS,
                description="P primary, S secondary, T tertiary, D derived, A assumption",
            ),
            Column("note", required=False),
        ),
        key=("source_id",),
        provenance=False,
    ),
    TableSpec(
        "regions",
        "Countries (ISO 3166 alpha-3) and named groups (EU27 = rest of EU, ROW = rest of world).",
        (
            Column("code"),
            Column("name"),
            Column("kind", choices=("country", "group")),
            Column("iso_numeric", "int", required=False, nonnegative=True),
            Column("eu_member", "bool"),
            Column(
                "lat",
                "float",
                required=False,
                description="degrees north of where the region's rare earth trade leaves or "
                "arrives (its main port, or the mining area where the trade goes overland); "
                "empty for a group without one place",
            ),
            Column("lon", "float", required=False, description="degrees east, as lat"),
        ),
        key=("code",),
    ),
    TableSpec(
        "elements",
        "Rare earth elements (and the remainder bucket Oth) with oxide chemistry.",
        (
            Column("symbol"),
            Column("name"),
            Column("group", choices=("light", "heavy", "other")),
            Column("atomic_number", "int", required=False, nonnegative=True),
            Column("oxide_formula", required=False),
            Column(
                "metal_per_oxide",
                "float",
                nonnegative=True,
                description="t metal per t oxide (stoichiometric)",
            ),
        ),
        key=("symbol",),
    ),
    TableSpec(
        "deposits",
        "Deposit types (bastnaesite, monazite, ionic clay, xenotime/other).",
        (Column("deposit"), Column("name"), Column("description")),
        key=("deposit",),
    ),
    TableSpec(
        "materials",
        "Materials: form and, where it applies, element or deposit; mass unit and basis.",
        (
            Column("material"),
            Column("form", choices=FORMS),
            Column("element", required=False, references="elements.symbol"),
            Column("deposit", required=False, references="deposits.deposit"),
            Column("unit", choices=("t",)),
            Column("basis", choices=("REO", "metal", "product")),
            Column("description"),
        ),
        key=("material",),
    ),
    TableSpec(
        "deposit_assays",
        "Element distribution of each deposit type, as share of total REO (sums to 1).",
        (
            Column("deposit", references="deposits.deposit"),
            Column("element", references="elements.symbol"),
            Column("share", "float", nonnegative=True),
        ),
        key=("deposit", "element"),
    ),
    TableSpec(
        "region_deposits",
        "Which deposit types each producing country mines, as share of its mine output.",
        (
            Column("region", references="regions.code"),
            Column("deposit", references="deposits.deposit"),
            Column("share", "float", nonnegative=True),
        ),
        key=("region", "deposit"),
    ),
    TableSpec(
        "mine_production",
        "USGS Mineral Commodity Summaries mine production by country, per edition (vintage).",
        (
            Column("edition", description="MCS2024 or MCS2025"),
            Column("region", references="regions.code"),
            Column("year", "int"),
            Column("quantity", "float", nonnegative=True),
            Column("unit"),
            Column("usgs_estimate", "bool", description="USGS marks the year 'e'"),
            Column("note", required=False),
        ),
        key=("edition", "region", "year"),
        units=("t REO",),
    ),
    TableSpec(
        "reserves",
        "USGS reserves by country, per edition. Countries USGS lists as NA have no row.",
        (
            Column("edition"),
            Column("region", references="regions.code"),
            Column("quantity", "float", nonnegative=True),
            Column("unit"),
            Column("note", required=False),
        ),
        key=("edition", "region"),
        units=("t REO",),
    ),
    TableSpec(
        "world_totals",
        "USGS world totals with the rounding USGS states, to reconcile with the country rows.",
        (
            Column("edition"),
            Column("measure", choices=("production", "reserves")),
            Column("year", "int"),
            Column("quantity", "float", nonnegative=True),
            Column("unit"),
            Column("qualifier", required=False, choices=("", ">", "~")),
            Column("rounding", "float", nonnegative=True, description="rounding step, t"),
        ),
        key=("edition", "measure", "year"),
        units=("t REO",),
    ),
    TableSpec(
        "processes",
        "Processes; activity is measured in t of reference_material (coefficient +1 or -1).",
        (
            Column("process"),
            Column("stage", choices=STAGES),
            Column("reference_material", references="materials.material"),
            Column("cost", "float", nonnegative=True, description="USD per t of activity"),
            Column("unit"),
            Column("description"),
            Column(
                "variant_of",
                required=False,
                references="processes.process",
                description="a plant running that process may run this recipe instead, "
                "sharing its capacity",
            ),
        ),
        key=("process",),
        units=("USD/t",),
    ),
    TableSpec(
        "process_coefficients",
        "t of material per t of activity: inputs negative, outputs positive.",
        (
            Column("process", references="processes.process"),
            Column("material", references="materials.material"),
            Column("coefficient", "float"),
        ),
        key=("process", "material"),
    ),
    TableSpec(
        "facilities",
        "Named mines and plants (or producer groups where plant detail is unknown).",
        (
            Column("facility"),
            Column("name"),
            Column("region", references="regions.code"),
            Column("owner"),
            Column("process", references="processes.process"),
            Column("status", choices=FACILITY_STATUS),
            Column("start_year", "int", required=False),
            Column("note", required=False),
        ),
        key=("facility",),
    ),
    TableSpec(
        "facility_capacity",
        "Capacity by year, in t/yr of the process's reference material.",
        (
            Column("facility", references="facilities.facility"),
            Column("year", "int"),
            Column("capacity", "float", nonnegative=True),
            Column("unit"),
        ),
        key=("facility", "year"),
        units=("t/yr",),
    ),
    TableSpec(
        "agreements",
        "Contracted flows between facilities, companies or regions.",
        (
            Column("agreement"),
            Column("name"),
            Column("seller", description="facility id or region code"),
            Column("buyer", description="facility id or region code"),
            Column(
                "destination",
                references="regions.code",
                description="region the contracted material is delivered to",
            ),
            Column("material", references="materials.material"),
            Column("start", "date"),
            Column("end", "date", required=False),
            Column("volume_min", "float", nonnegative=True),
            Column("volume_max", "float", nonnegative=True),
            Column("unit"),
            Column("note", required=False),
        ),
        key=("agreement",),
        units=("t/yr",),
    ),
    TableSpec(
        "trade",
        "Baseline bilateral trade by material (or form) and region pair.",
        (
            Column("year", "int"),
            Column("exporter", references="regions.code"),
            Column("importer", references="regions.code"),
            Column("material", references="materials.material", extra_values=FORMS),
            Column("quantity", "float", nonnegative=True),
            Column("unit"),
            Column("basis", choices=("REO", "metal", "product")),
        ),
        key=("year", "exporter", "importer", "material"),
        units=("t",),
    ),
    TableSpec(
        "sectors",
        "End-use sectors of demand, with the multiple of the reference price at which each "
        "sector's buyers turn to substitutes (its choke price): sectors that can substitute give "
        "up first, so a shortage falls on the lowest-value uses.",
        (
            Column("sector"),
            Column("name"),
            Column("description"),
            Column(
                "choke_multiple",
                "float",
                required=False,
                description="choke price / reference price; empty: BuildOptions.choke_multiple",
            ),
        ),
        key=("sector",),
    ),
    TableSpec(
        "demand",
        "Demand by region, sector and material for the base year.",
        (
            Column("year", "int"),
            Column("region", references="regions.code"),
            Column("sector", references="sectors.sector"),
            Column("material", references="materials.material"),
            Column("quantity", "float", nonnegative=True),
            Column("unit"),
            Column(
                "closes_world_total",
                "bool",
                required=False,
                description=(
                    "true: this region's total is a world estimate less the other regions' "
                    "(which rest on customs data); the base-year calibration scales these rows "
                    "of the material only"
                ),
            ),
        ),
        key=("year", "region", "sector", "material"),
        units=("t",),
    ),
    TableSpec(
        "demand_growth",
        "Annual growth of demand by sector (region WORLD applies to every region).",
        (
            Column("region", references="regions.code", extra_values=("WORLD",)),
            Column("sector", references="sectors.sector"),
            Column("start_year", "int"),
            Column("end_year", "int"),
            Column("growth", "float", description="annual growth rate, fraction"),
        ),
        key=("region", "sector", "start_year"),
    ),
    TableSpec(
        "intensities",
        "Material intensity of applications (magnet per EV motor, per MW of wind, ...).",
        (
            Column("application"),
            Column("sector", references="sectors.sector"),
            Column("material", references="materials.material"),
            Column("value", "float", nonnegative=True),
            Column("low", "float", required=False, nonnegative=True),
            Column("high", "float", required=False, nonnegative=True),
            Column("unit"),
        ),
        key=("application", "material"),
        units=("kg/unit", "t/MW", "kg/MW", "g/unit"),
    ),
    TableSpec(
        "prices",
        "Reference prices by material, market and year.",
        (
            Column("material", references="materials.material"),
            Column("market", choices=MARKETS),
            Column("year", "int"),
            Column("price", "float", nonnegative=True),
            Column("unit"),
        ),
        key=("material", "market", "year"),
        units=("USD/kg",),
    ),
    TableSpec(
        "elasticities",
        "Price elasticities; where the literature gives no number, a marked assumption.",
        (
            Column("side", choices=("demand", "supply")),
            Column("horizon", choices=("short", "long")),
            Column("scope", description="material, form, element group or 'all'"),
            Column("value", "float"),
            Column("low", "float"),
            Column("high", "float"),
            Column("assumption", "bool"),
        ),
        key=("side", "horizon", "scope"),
    ),
    TableSpec(
        "costs",
        "Cost parameters: mining by deposit and region, transport by route class, holding, "
        "and the cost of leaving an established trade relationship.",
        (
            Column("kind", choices=("mining", "transport", "holding", "bulk", "relationship")),
            Column("key", description="region, deposit, route class or material"),
            Column("value", "float", nonnegative=True),
            Column("unit"),
            Column("note", required=False),
        ),
        key=("kind", "key"),
        units=("USD/t", "USD/t/yr", "fraction/yr", "fraction"),
    ),
    TableSpec(
        "reported_figures",
        "Published figures kept as published, side by side where sources disagree.",
        (
            Column("subject"),
            Column("metric"),
            Column("period"),
            Column("value", "float"),
            Column("unit"),
            Column("note", required=False),
        ),
        key=("subject", "metric", "period", "source"),
        units=("t", "t REO", "t/yr", "USD", "INR crore", "USD/kg", "t magnet", "fraction", "ratio"),
    ),
    TableSpec(
        "governance",
        "Governance by region: mean of the six World Bank WGI estimates and the EU criticality "
        "scaling of it (0-10, 10 = worst governance).",
        (
            Column("region", references="regions.code"),
            Column("year", "int", description="year the WGI estimates refer to"),
            Column("wgi_mean", "float", description="mean of the six WGI estimates, -2.5..2.5"),
            Column(
                "wgi_scaled",
                "float",
                nonnegative=True,
                description="2 x (2.5 - wgi_mean): 0 best, 10 worst (EU supply-risk scaling)",
            ),
        ),
        key=("region", "year"),
    ),
    TableSpec(
        "criticality_inputs",
        "Parameters and results of the EU criticality assessment for rare earths, as published.",
        (
            Column("material", description="LREE, HREE or an element symbol"),
            Column(
                "stage",
                choices=("assessment", "extraction", "processing"),
                description="stage the value refers to; 'assessment' = the material's final value",
            ),
            Column(
                "parameter",
                choices=(
                    "supply_risk",
                    "economic_importance",
                    "import_reliance",
                    "eol_rir",
                    "si_sr",
                    "si_ei",
                    "end_use_share",
                    "value_added",
                ),
            ),
            Column("value", "float", nonnegative=True),
            Column("unit"),
            Column("note", required=False),
        ),
        key=("material", "stage", "parameter"),
        units=("index", "fraction", "EUR bn"),
    ),
    TableSpec(
        "china_quotas",
        "China's annual total-volume control quotas (MIIT/MNR) for rare earth mining and for "
        "smelting/separation, as published; REO made from imported feed was outside them.",
        (
            Column("year", "int"),
            Column("quota", choices=("mining", "separation")),
            Column("value", "float", nonnegative=True),
            Column(
                "ionic_clay",
                "float",
                required=False,
                nonnegative=True,
                description="part of the mining quota for ionic (medium/heavy) clays, when given",
            ),
            Column("unit"),
            Column("note", required=False),
        ),
        key=("year", "quota"),
        units=("t REO",),
    ),
    TableSpec(
        "policy_rules",
        "Stated rules of policy the model follows where no decision is published (China's "
        "quota growth after its last published quota) and the market's behaviour rules (working "
        "stocks and when they are drawn); a scenario overrides a rule with a "
        "`parameter` event on `value`.",
        (
            Column(
                "rule",
                choices=(
                    "china_quota_growth",
                    "working_stock_days",
                    "buffer_release_premium",
                    "china_reserve_tonnes",
                    "china_reserve_floor",
                    "precautionary_stock_share",
                    "contract_share",
                    "contract_price_lag_months",
                ),
            ),
            Column("value", "float"),
            Column("low", "float"),
            Column("high", "float"),
            Column("unit"),
            Column("note", required=False),
        ),
        key=("rule",),
        units=("fraction/yr", "days", "fraction", "t", "months"),
    ),
    TableSpec(
        "expansion_options",
        "What new capacity costs and how long it takes, by stage and region, for the annual "
        "planning stage (rareflow.planning). Region '*' applies to every region with a plant of "
        "the stage (or, for mining, a deposit); a region's own row replaces it. Stages under "
        "China's quota rule have no China row: China's mines and separation follow the quota.",
        (
            Column(
                "stage",
                choices=(
                    "mining",
                    "mining:ionic_clay",
                    "cracking",
                    "separation",
                    "reduction",
                    "alloying",
                    "magnet",
                ),
                description="a stage, or mining:<deposit> for one deposit type's mines",
            ),
            Column("region", description="ISO code, or '*' for every region with such a plant"),
            Column("capex", "float", nonnegative=True, description="USD per t/yr of capacity"),
            Column(
                "lead_years",
                "int",
                nonnegative=True,
                description="from the plan's first year to first output",
            ),
            Column("life_years", "int", description="years the capital is recovered over"),
            Column("discount_rate", "float", nonnegative=True),
            Column("unit"),
            Column("note", required=False),
        ),
        key=("stage", "region"),
        units=("USD per t/yr",),
    ),
    TableSpec(
        "trade_limits",
        "Routes closed by law or by an integrated chain, as data: no flow of `material` from "
        "`origin` to `destination` (selectors: '*', ';'-lists, wildcards) except to "
        "`except_destination`, from `start` to `end` (empty: always). An undated row removes "
        "the route from the network; a dated one closes it from its start.",
        (
            Column("origin"),
            Column("destination"),
            Column("material"),
            Column("except_destination", required=False),
            Column("start", required=False, description="YYYY-MM; empty: always"),
            Column("end", required=False, description="YYYY-MM; empty: open-ended"),
            Column("note"),
        ),
        key=("origin", "destination", "material"),
    ),
    TableSpec(
        "contracts",
        "Contracts with price terms, settled on a run's results (rareflow.metrics.contracts): "
        "a `floor` pays the seller the shortfall of the market price under `floor` on its sales "
        "of `materials` (all of them when `volume` is empty, else up to `volume` t/yr); an "
        "`offtake` has the buyer take `volume` t/yr at the market price but not below `floor` "
        "(nor above `ceiling`, when given), and pay for at least `take_or_pay` of `volume` "
        "whether it takes it or not. Above `upside_above` the seller hands back "
        "`upside_share` of the excess, up to `upside_cap` USD a year.",
        (
            Column("contract"),
            Column("kind", choices=("floor", "offtake")),
            Column("seller_region"),
            Column("buyer_region"),
            Column("materials", description="';'-list of materials, priced together"),
            Column("floor", "float", nonnegative=True, description="USD/kg"),
            Column(
                "ceiling",
                "float",
                required=False,
                nonnegative=True,
                description="USD/kg; the contract price never exceeds it (empty: no ceiling)",
            ),
            Column("volume", "float", required=False, nonnegative=True, description="t/yr"),
            Column(
                "take_or_pay",
                "float",
                required=False,
                nonnegative=True,
                maximum=1.0,
                description="share of `volume` an offtake's buyer pays for if not taken",
            ),
            Column("upside_share", "float", required=False, nonnegative=True),
            Column("upside_above", "float", required=False, nonnegative=True),
            Column("upside_cap", "float", required=False, nonnegative=True),
            Column("start", description="YYYY-MM"),
            Column("end", description="YYYY-MM"),
            Column("note"),
        ),
        key=("contract",),
    ),
    TableSpec(
        "plausibility_ranges",
        "Sourced ranges the baseline is checked against by `rareflow check-model`.",
        (
            Column("indicator", choices=PLAUSIBILITY_INDICATORS),
            Column("scope", description="ISO code, 'world', or a material the indicator reads"),
            Column("low", "float", required=False, description="empty = no lower bound"),
            Column("high", "float", required=False, description="empty = no upper bound"),
            Column("unit"),
            Column(
                "horizon",
                choices=("base", "every_year"),
                description="base = first simulated year against 2024; every_year = each year",
            ),
            Column("note", required=False),
        ),
        key=("indicator", "scope"),
        units=("t/yr", "fraction", "ratio", "count"),
    ),
)

SPECS_BY_NAME: dict[str, TableSpec] = {spec.name: spec for spec in SPECS}
TABLE_NAMES: tuple[str, ...] = tuple(SPECS_BY_NAME)
