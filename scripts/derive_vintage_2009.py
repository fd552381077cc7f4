"""Write the 2009 data vintage (src/rareflow/data/vintages/2009/) from sourced 2009 figures.

What a forecaster knew at the end of 2009, in the shape of today's reference tables: each
table written here replaces the shipped one when a scenario says `vintage: 2009` (the loader
reads the directory as an override set, with all its checks). Rows are either read at source
(the figure's source id) or derived from today's table by a sourced 2009/2024 ratio; a derived
row says so in `estimate_method`, with the ratio's inputs.

    python scripts/derive_vintage_2009.py        # rewrites the vintage's CSVs

Tables not written here (materials, processes, costs, elasticities, ...) are today's: the
behaviour parameters are the same in every run, as the backtest rules require.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "src" / "rareflow" / "data" / "reference"
OUT = ROOT / "src" / "rareflow" / "data" / "vintages" / "2009"
BASE = 2009
EDITION = "MCS2011"

# --- sourced figures ----------------------------------------------------------------------
SOURCES = [
    # source_id, title, publisher, year, url, tag, note
    (
        "usgs-mcs2011-ree",
        "Mineral Commodity Summaries 2011: Rare Earths (world mine production 2009, 2010e)",
        "U.S. Geological Survey",
        "2011",
        "https://minerals.usgs.gov/minerals/pubs/commodity/rare_earths/mcs-2011-raree.pdf",
        "P",
        "Not reachable from this machine: its 2010 figures are read through IndexMundi's "
        "shares (indexmundi-2010-re-shares); the 2009 column is not re-read in this work",
    ),
    (
        "indexmundi-2010-re-shares",
        "World Production of Rare Earth Metals (2010: China 130,000 t, 97%; India 2%, Brazil "
        "0.42%, Malaysia 0.27%)",
        "IndexMundi blog, after GOOD's infographic of USGS data",
        "2011",
        "https://www.indexmundi.com/blog/index.php/tag/rare-earth-metals/",
        "S",
        "Country figures derived from the shares: India 2% = 2,700 t, Brazil 0.42% = 550 t, "
        "Malaysia 0.27% = 350 t of the 134,000 t total (130,000 / 0.97)",
    ),
    (
        "miningcom-2011-04-china-quota",
        "China bumps up rare earth quota: 2011 output cap 93,800 t (80,400 light, 13,400 "
        "medium and heavy), 4,600 t or 5.16% more than 2010",
        "MINING.COM (International Business Times; Ministry of Land and Resources)",
        "2011",
        "https://mining.com/china-bumps-up-rare-earth-export-quota",
        "S",
        "2010 mining quota derived: 93,800 - 4,600 = 89,200 t",
    ),
    (
        "chinadaily-2013-01-mining-quota",
        "Ministry issues first batch of rare earth mining quotas (2013: 46,900 t, 8,950 t "
        "heavy; half the amount in 2012)",
        "China Daily",
        "2013",
        "http://europe.chinadaily.com.cn/business/2013-01/07/content_16093142.htm",
        "S",
        "2012 quota derived as twice the 2013 first batch: 93,800 t",
    ),
    (
        "usgs-tse-2011",
        "The Facts of China's Rare Earth Industry (technical announcement of Tse, China's "
        "rare-earth industry, USGS Open-File Report 2011-1042)",
        "U.S. Geological Survey",
        "2011",
        "https://archive.usgs.gov/archive/sites/www.usgs.gov/newsroom/article.asp-ID=2712.html",
        "P",
        "China's consumption 73,000 t REO in 2009; magnets 30% of China's use in 2009",
    ),
    (
        "jmb-2010-07-prices",
        "China Export Quota Cut Lifts Rare Earth Oxides Price (July 2010): La oxide US$23.50/kg"
        ", 3.7 times the start of the year; Ce oxide US$22.50, 4.6 times; Dy metal doubled to "
        "near US$370; Nd metal above US$60, twice the start of the year",
        "Japan Metal Bulletin",
        "2010",
        "http://www.japanmetalbulletin.com/?p=4991",
        "S",
        "Start-of-2010 levels derived by division: La oxide 6.35, Ce oxide 4.89, Nd metal 30",
    ),
    (
        "jmb-2010-lynas-plan",
        "Lynas starts concentration plant in West Australia in February 2011 on schedule: "
        "11,000 t/yr from Q3 2011, 22,000 t/yr from Q3 2012",
        "Japan Metal Bulletin",
        "2010",
        "http://www.japanmetalbulletin.com/?p=4347",
        "S",
        "Lynas's plan as stated in late 2010 (the end-2009 plan had the same phases)",
    ),
    (
        "afr-2010-08-reuters-rare-earths",
        "Rare earths crucial in drive for green gadgets: demand expected to grow about 10% a "
        "year, 200,000-210,000 t forecast for 2014; Molycorp plans to reopen Mountain Pass in "
        "2012",
        "Australian Financial Review (Reuters)",
        "2010",
        "http://www.afr.com/business/rare-earths-crucial-in-drive-for-green-gadgets-20100812-jjw17",
        "S",
        "The forecasts current around the base date (experts quoted by Reuters, August 2010)",
    ),
    (
        "molycorp-2010-03-testimony",
        "Written testimony of Mark A. Smith, CEO Molycorp Minerals, House Science and "
        "Technology Committee, 16 March 2010",
        "U.S. House of Representatives",
        "2010",
        "https://studylib.net/doc/10723891/mark-a.-smith-chief-executive-officer--molycorp-"
        "minerals-...",
        "P",
        "Mountain Pass restart plan: about 20,000 t REO a year by the end of 2012",
    ),
    (
        "miningcom-2012-pr-oxide",
        "Pr oxide FOB China: $18/kg in 2009, $163/kg in Q1 2012",
        "mining.com",
        "2012",
        "",
        "S",
        "Quoted through the project's facts sheet (section 6A.2)",
    ),
    (
        "peak-2011-guofa-12",
        "State Council's Opinions on Promoting the Sustainable and Healthy Development of the "
        "Rare Earth Industry (Guofa [2011] No. 12)",
        "State Council of the PRC (English translation by Peak Resources)",
        "2011",
        "http://www.peakresources.com.au/news/state-councils-opinions-on-promoting-the-"
        "sustainable-and-healthy-development-of-the-rare-earth-industry/",
        "S",
        "Illegal mining to be stopped, total-volume control of mining, a strategic reserve; "
        "announced at the State Council meeting of 16 February 2011 (china.org.cn, 17 Feb 2011)",
    ),
]

# MCS2011 world mine production (t REO): 2010 estimated, read through IndexMundi's shares;
# 2009 taken as 2010 (MCS2011's 2009 column is not re-read here)
MINE_PRODUCTION: dict[str, tuple[float, float]] = {
    "CHN": (130000, 130000),
    "IND": (2700, 2700),
    "BRA": (550, 550),
    "MYS": (350, 350),
}
WORLD_PRODUCTION: tuple[float, float] = (130000, 130000)
MINE_SOURCE = "usgs-mcs2011-ree;indexmundi-2010-re-shares"
MINE_METHOD = (
    "derived: 2010 estimate of MCS2011 through IndexMundi's shares of the 130,000 t China "
    "figure; 2009 taken as 2010 (MCS2011's 2009 column not re-read in this work)"
)

# China's mining quota (t REO) and its ionic-clay (medium and heavy) part: the production
# policy of the replay; (total, ionic, source, how)
CHINA_MINING_QUOTA: dict[int, tuple[float, float | None, str, str]] = {
    2009: (
        89200,
        None,
        "miningcom-2011-04-china-quota;rareflow-assumption",
        "assumption: 2009 taken as the 2010 quota (the 2009 quota is not confirmed here); "
        "the capacity index therefore starts flat into 2010",
    ),
    2010: (
        89200,
        None,
        "miningcom-2011-04-china-quota;rareflow-derived",
        "derived: 2011 quota 93,800 t less the 4,600 t increase",
    ),
    2011: (93800, 13400, "miningcom-2011-04-china-quota", ""),
    2012: (
        93800,
        None,
        "chinadaily-2013-01-mining-quota;rareflow-derived",
        "derived: twice the 2013 first batch (46,900 t, 'half the amount in 2012')",
    ),
    2013: (
        93800,
        17900,
        "chinadaily-2013-01-mining-quota;rareflow-derived",
        "derived: twice the first batch of 46,900 t (8,950 t heavy)",
    ),
    2014: (105000, 17900, "ibtimes-2014-quota", ""),
}
HEAVY_SHARE = (13400 / 93800, "miningcom-2011-04-china-quota")  # 2011 split, the first found

# oxide prices known at the end of 2009 (USD/kg, FOB China): (value, source, how)
OXIDE_PRICES: dict[str, tuple[float, str, str]] = {
    "oxide:La": (
        6.35,
        "jmb-2010-07-prices;rareflow-derived",
        "derived: US$23.50/kg in July 2010 / 3.7 (its multiple of the start of 2010)",
    ),
    "oxide:Ce": (
        4.89,
        "jmb-2010-07-prices;rareflow-derived",
        "derived: US$22.50/kg in July 2010 / 4.6 (its multiple of the start of 2010)",
    ),
    "oxide:Nd": (
        22.5,
        "jmb-2010-07-prices;rareflow-derived",
        "derived: Nd metal about US$30/kg at the start of 2010 (above US$60 in July 2010, "
        "twice the start of the year), less today's metal conversion cost 3.75 USD/kg, / 1.166 "
        "kg oxide per kg metal",
    ),
    "oxide:Pr": (18.0, "miningcom-2012-pr-oxide", ""),
    "oxide:Sm": (
        5.20,
        "lynas-2011-2012-prices;rareflow-assumption",
        "assumption: the 2008 average (Lynas via mining.com) as the level known in 2009",
    ),
    "oxide:Dy": (91.0, "adamas-2011-dy-oxide", "Jan 2009 FOB China"),
}

# China's use in 2009 (t REO) and its magnet share; the rest of the world's use read as
# China's 2009 exports of rare earths (t product, quota forms; magnets are apart)
CHINA_USE_2009 = (73000.0, "usgs-tse-2011")
CHINA_MAGNET_SHARE_2009 = (0.30, "usgs-tse-2011")
EX_CHINA_USE_2009 = (43900.0, "gac-2010-2013-re-exports")
OXIDE_PER_MAGNET = 0.36  # t oxide per t NdFeB (31% RE metal x 1.166)

# forecasts of the time: demand growth a year from the base year (value, source, note)
GROWTH: dict[str, tuple[float, str, str]] = {
    "default": (
        0.10,
        "afr-2010-08-reuters-rare-earths",
        "forecast of the time: demand expected to grow about 10% a year (experts quoted by "
        "Reuters, August 2010; 200,000-210,000 t by 2014); every sector alike",
    ),
}

# plants outside China at the end of 2009 and the projects announced then:
# facility -> [(year, capacity t/yr, source, how)]
TODAY = "assumption: standing in 2009 at today's capacity (no 2009 figure found)"
LYNAS = (
    "plan as announced: 11,000 t/yr from Q3 2011, 22,000 t/yr from Q3 2012 (half-years "
    "averaged into calendar years)"
)
MP = "plan as announced: Mountain Pass restarts in 2012, about 20,000 t REO/yr by the end of 2012"
KNOWN_PLANTS: dict[str, list[tuple[int, float, str, str]]] = {
    **{
        f: [
            (2011, 5500, "jmb-2010-lynas-plan", LYNAS),
            (2012, 16500, "jmb-2010-lynas-plan", LYNAS),
            (2013, 22000, "jmb-2010-lynas-plan", LYNAS),
        ]
        for f in ("lynas-mt-weld", "lynas-malaysia-cracking", "lynas-malaysia")
    },
    **{
        f: [
            (2012, 10000, "molycorp-2010-03-testimony;afr-2010-08-reuters-rare-earths", MP),
            (2013, 20000, "molycorp-2010-03-testimony;afr-2010-08-reuters-rare-earths", MP),
        ]
        for f in (
            "mp-mountain-pass-mine",
            "mp-mountain-pass-cracking",
            "mp-mountain-pass-separation",
        )
    },
    **{
        f: [
            (
                2009,
                900,
                "usgs-mcs2011-ree;rareflow-derived",
                "derived: India's 2,700 t REO (MCS2011) split equally over IREL's three mines",
            )
        ]
        for f in ("irel-chavara", "irel-manavalakurichi", "irel-chhatrapur-mine")
    },
}
# China's plants that have no 2009 counterpart: end-of-life magnets and imported swarf
# reaching China's recyclers are a flow of the 2020s (the magnets of the 2010s reaching their
# end of life); no 2009 figure was found, so the vintage leaves it out (capacity 0)
NOT_IN_2009 = ("china-scrap-inflow",)
# plants standing in 2009 whose 2009 capacity is taken as today's (facility ids)
STANDING_AS_TODAY = (
    "irel-aluva",
    "neo-silmet",
    "shin-etsu-japan",
    "tdk-japan",
    "proterial-japan",
    "shin-etsu-takefu-separation",
    "japan-alloy-ndpr",
    "japan-metal-nd",
    "japan-metal-pr",
    "japan-metal-dy",
    "neo-korat",
    "russia-lovozero",
)


def read(name: str) -> list[dict[str, str]]:
    with (SHIPPED / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def header(name: str) -> list[str]:
    with (SHIPPED / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


def write(name: str, rows: Iterable[dict[str, object]]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    columns = header(name)
    with (OUT / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def _num(x: float) -> str:
    return f"{x:.6g}" if abs(x) < 1e6 else f"{x:.0f}"


# --- tables --------------------------------------------------------------------------------


def mine_production() -> list[dict[str, object]]:
    rows = []
    for region, (y2009, y2010) in MINE_PRODUCTION.items():
        for year, value in ((2009, y2009), (2010, y2010)):
            rows.append(
                {
                    "edition": EDITION,
                    "region": region,
                    "year": year,
                    "quantity": _num(value),
                    "unit": "t REO",
                    "usgs_estimate": "true",
                    "note": "MCS2011 world mine production table (2010 estimated)",
                    "source": f"{MINE_SOURCE};rareflow-derived",
                    "vintage": EDITION,
                    "estimate_method": MINE_METHOD,
                }
            )
    return rows


def world_totals() -> list[dict[str, object]]:
    return [
        {
            "edition": EDITION,
            "measure": "production",
            "year": year,
            "quantity": _num(value),
            "unit": "t REO",
            "qualifier": "",
            "rounding": 10000,
            "source": f"{MINE_SOURCE};rareflow-derived",
            "vintage": EDITION,
            "estimate_method": "derived: China's 130,000 t is 97% of the world (IndexMundi), "
            "134,000 t, rounded as USGS rounds its world total",
        }
        for year, value in zip((2009, 2010), WORLD_PRODUCTION, strict=True)
    ]


def china_quotas() -> list[dict[str, object]]:
    return [
        {
            "year": year,
            "quota": "mining",
            "value": _num(total),
            "ionic_clay": "" if ionic is None else _num(ionic),
            "unit": "t REO",
            "note": "MLR mining quota (total control index); the production policy of the replay",
            "source": source,
            "vintage": year,
            "estimate_method": how,
        }
        for year, (total, ionic, source, how) in sorted(CHINA_MINING_QUOTA.items())
    ]


def region_deposits() -> list[dict[str, object]]:
    """Today's deposit mix per producing country, China's by its 2011 quota split (the
    first year a light / medium-heavy split was found)."""
    share, source = HEAVY_SHARE
    out: list[dict[str, object]] = []
    for row in read("region_deposits"):
        if row["region"] == "CHN":
            heavy = row["deposit"] == "ionic_clay"
            row = {
                **row,
                "share": _num(share if heavy else 1 - share),
                "source": f"{source};rareflow-derived",
                "vintage": BASE,
                "estimate_method": (
                    f"derived: 2011 mining quota 13,400 t medium and heavy of 93,800 t = "
                    f"{share:.4f} ionic clay; the rest bastnaesite (Bayan Obo, Sichuan)"
                ),
            }
        out.append(row)
    return out


def _china_2024_mine() -> float:
    rows = read("mine_production")
    return next(
        float(r["quantity"])
        for r in rows
        if r["edition"] == "MCS2025" and r["region"] == "CHN" and r["year"] == "2024"
    )


def _magnet_total(rows: Iterable[dict[str, object]]) -> float:
    return sum(float(str(r["quantity"])) for r in rows if str(r["material"]).startswith("magnet:"))


def facility_capacity(demand_2009: list[dict[str, object]]) -> list[dict[str, object]]:
    """China's plants scaled to its 2009 output (magnet makers to 2009's magnet use);
    outside China the plants standing in 2009 and the projects announced then."""
    facilities = {r["facility"]: r for r in read("facilities")}
    stage = {r["process"]: r["stage"] for r in read("processes")}
    china_mine_2009 = MINE_PRODUCTION["CHN"][0]
    k_up = china_mine_2009 / _china_2024_mine()
    mag09 = _magnet_total(demand_2009)
    mag24 = _magnet_total(r for r in read("demand") if r["year"] == "2024")
    k_mag = mag09 / mag24
    today = {r["facility"]: r for r in read("facility_capacity") if r["year"] == "2024"}
    out: list[dict[str, object]] = []
    for facility, row in today.items():
        fac = facilities[facility]
        if fac["region"] != "CHN":
            continue
        st = stage[fac["process"]]
        if st == "mining" or "imported" in facility:
            continue  # China's output is USGS's country figure; no imported feed in 2009
        if facility in NOT_IN_2009:
            continue
        magnet = st in ("magnet", "recycling")
        k = k_mag if magnet else k_up
        basis = (
            f"2009 magnet use {mag09:,.0f} t / 2024's {mag24:,.0f} t (demand tables)"
            if magnet
            else f"China mine output {china_mine_2009:,.0f} t REO (2009) / "
            f"{_china_2024_mine():,.0f} t (2024, MCS2025)"
        )
        out.append(
            {
                "facility": facility,
                "year": BASE,
                "capacity": _num(float(row["capacity"]) * k),
                "unit": row["unit"],
                "source": f"{row['source']};{MINE_SOURCE};usgs-tse-2011;rareflow-derived",
                "vintage": BASE,
                "estimate_method": f"derived: 2024 capacity {float(row['capacity']):,.0f} x "
                f"{k:.3f} ({basis})",
            }
        )
    for facility in STANDING_AS_TODAY:
        row = today[facility]
        out.append(
            {
                "facility": facility,
                "year": BASE,
                "capacity": row["capacity"],
                "unit": row["unit"],
                "source": f"{row['source']};rareflow-assumption",
                "vintage": BASE,
                "estimate_method": TODAY,
            }
        )
    for facility, points in KNOWN_PLANTS.items():
        for year, capacity, source, note in points:
            out.append(
                {
                    "facility": facility,
                    "year": year,
                    "capacity": _num(capacity),
                    "unit": "t/yr",
                    "source": source,
                    "vintage": BASE,
                    "estimate_method": note,
                }
            )
    return out


def _ex_china_magnet_makers() -> float:
    """t/yr of NdFeB the plants outside China standing in 2009 could make."""
    facilities = {r["facility"]: r for r in read("facilities")}
    today = {r["facility"]: r for r in read("facility_capacity") if r["year"] == "2024"}
    return sum(
        float(today[f]["capacity"])
        for f in STANDING_AS_TODAY
        if facilities[f]["process"].startswith("magnet:NdFeB")
    )


def demand() -> list[dict[str, object]]:
    """Today's demand rows scaled to 2009's use, each keeping today's sector and material mix:
    China's rows to its 73,000 t REO (magnets 30%); the other regions' non-magnet rows to what
    they bought from China (its 2009 exports of rare earths, less what the magnet makers
    outside China used of them); their magnet rows like China's (no 2009 figure found)."""
    rows = [r for r in read("demand") if r["year"] == "2024"]

    def is_magnet(r: dict[str, str]) -> bool:
        return r["material"].startswith("magnet:")

    def total(chn: bool, magnet: bool) -> float:
        return sum(
            float(r["quantity"])
            for r in rows
            if (r["region"] == "CHN") == chn and is_magnet(r) == magnet
        )

    use, mag_share = CHINA_USE_2009[0], CHINA_MAGNET_SHARE_2009[0]
    china_magnets = use * mag_share / OXIDE_PER_MAGNET  # t NdFeB
    k_chn_mag = china_magnets / total(True, True)
    k_chn_oth = use * (1 - mag_share) / total(True, False)
    makers = _ex_china_magnet_makers() * OXIDE_PER_MAGNET
    bought = EX_CHINA_USE_2009[0] - makers
    k_rest_oth = bought / total(False, False)
    out: list[dict[str, object]] = []
    for r in rows:
        magnet, chn = is_magnet(r), r["region"] == "CHN"
        if chn and magnet:
            k, source = k_chn_mag, CHINA_USE_2009[1]
            how = (
                f"China's magnets: {use:,.0f} t REO used in China in 2009 x {mag_share:.0%} in "
                f"magnets / {OXIDE_PER_MAGNET} t oxide per t NdFeB = {china_magnets:,.0f} t"
            )
        elif chn:
            k, source = k_chn_oth, CHINA_USE_2009[1]
            how = f"China's other uses: {use * (1 - mag_share):,.0f} t REO (70% of its 2009 use)"
        elif magnet:
            k, source = k_chn_mag, f"{CHINA_USE_2009[1]};rareflow-assumption"
            how = (
                "assumption: magnet use outside China changed from 2009 to 2024 as China's "
                "(no 2009 figure found)"
            )
        else:
            k, source = k_rest_oth, EX_CHINA_USE_2009[1]
            how = (
                f"other uses outside China: China's 2009 exports {EX_CHINA_USE_2009[0]:,.0f} t "
                f"less {makers:,.0f} t REO for the magnet plants outside China "
                f"({OXIDE_PER_MAGNET} t oxide per t of their capacity) = {bought:,.0f} t"
            )
        out.append(
            {
                "year": BASE,
                "region": r["region"],
                "sector": r["sector"],
                "material": r["material"],
                "quantity": _num(float(r["quantity"]) * k),
                "unit": r["unit"],
                "source": f"{source};rareflow-derived",
                "vintage": BASE,
                "estimate_method": f"derived: the 2024 row x {k:.4f}; {how}; the mix of "
                "sectors, regions and materials within the group is 2024's",
            }
        )
    return out


def demand_growth() -> list[dict[str, object]]:
    sectors = sorted({r["sector"] for r in read("demand")})
    out: list[dict[str, object]] = []
    for sector in sectors:
        key = sector if sector in GROWTH else "default"
        rate, source, note = GROWTH[key]
        out.append(
            {
                "region": "WORLD",
                "sector": sector,
                "start_year": BASE,
                "end_year": 2040,
                "growth": _num(rate),
                "source": source,
                "vintage": BASE,
                "estimate_method": note,
            }
        )
    return out


# kg of oxide per kg of metal (RE2O3; CeO2, Pr6O11, Tb4O7)
OXIDE_PER_METAL = {
    "La": 1.173,
    "Ce": 1.228,
    "Pr": 1.208,
    "Nd": 1.166,
    "Sm": 1.160,
    "Gd": 1.153,
    "Tb": 1.176,
    "Dy": 1.148,
    "Ho": 1.146,
    "Y": 1.270,
}


def _market_2024(rows: list[dict[str, str]], material: str) -> str:
    markets = {r["market"] for r in rows if r["material"] == material and r["year"] == "2024"}
    return next(m for m in ("world", "exCHN", "CHN") if m in markets)


def _price_2024(rows: list[dict[str, str]], material: str, first: str = "world") -> float:
    """Today's 2024 price of `material` in market `first`, else world, ex-China, China."""
    for market in (first, "world", "exCHN", "CHN"):
        for r in rows:
            if r["material"] == material and r["market"] == market and r["year"] == "2024":
                return float(r["price"])
    raise KeyError(material)


def prices() -> list[dict[str, object]]:
    shipped = read("prices")
    # oxides first: metals, magnets and baskets are priced from them
    materials = sorted(
        {r["material"] for r in shipped}, key=lambda m: (not m.startswith("oxide:"), m)
    )
    assays: dict[str, dict[str, float]] = defaultdict(dict)
    for r in read("deposit_assays"):
        assays[r["deposit"]][r["element"]] = float(r["share"])
    oxide09 = {m.split(":")[1]: v[0] for m, v in OXIDE_PRICES.items()}
    oxide_source = {m.split(":")[1]: v[1] for m, v in OXIDE_PRICES.items()}
    out: list[dict[str, object]] = []

    def row(material: str, price: float, source: str, method: str) -> None:
        out.append(
            {
                "material": material,
                "market": "world",
                "year": BASE,
                "price": _num(price),
                "unit": "USD/kg",
                "source": source,
                "vintage": BASE,
                "estimate_method": method,
            }
        )

    for material in materials:
        form, _, what = material.partition(":")
        p24 = _price_2024(shipped, material)
        if material in OXIDE_PRICES:
            value, source, note = OXIDE_PRICES[material]
            row(material, value, source, note)
        elif form == "oxide":
            ref = "La" if what == "Oth" else "Dy"  # heavies move with Dy
            ratio = oxide09[ref] / _price_2024(shipped, f"oxide:{ref}")
            oxide09[what] = p24 * ratio
            oxide_source[what] = oxide_source[ref]
            row(
                material,
                p24 * ratio,
                f"{oxide_source[ref]};rareflow-derived",
                f"derived: 2024 price {p24} x the {ref} oxide 2009/2024 ratio {ratio:.3f} "
                "(no 2009 quote found"
                + (
                    "; Eu and Y did not move with Dy: likely far below their 2009 market)"
                    if what in ("Eu", "Y")
                    else ")"
                ),
            )
        elif form in ("metal", "alloy"):
            element = "Nd" if what == "NdPr" else what
            market = _market_2024(shipped, material)
            o24 = _price_2024(shipped, f"oxide:{element}", market)
            factor = OXIDE_PER_METAL.get(element, 1.17)
            conversion = p24 - factor * o24
            value = factor * oxide09[element] + max(conversion, 0.0)
            row(
                material,
                value,
                f"{oxide_source[element]};rareflow-derived",
                f"derived: {factor} kg {element} oxide per kg at its 2009 price "
                f"{oxide09[element]:.2f} + today's conversion cost {max(conversion, 0.0):.2f} "
                f"USD/kg ({market} 2024 metal {p24} - {factor} x oxide {o24})",
            )
        elif form == "magnet":
            element = "Sm" if what == "SmCo" else "Nd"
            content = 0.52 if what == "SmCo" else 0.36  # t oxide per t magnet
            margin = p24 - content * _price_2024(shipped, f"oxide:{element}")
            value = margin + content * oxide09[element]
            row(
                material,
                value,
                f"{oxide_source[element]};rareflow-derived",
                f"derived: today's making margin {margin:.2f} USD/kg held + {content} kg "
                f"{element} oxide per kg at its 2009 price {oxide09[element]}",
            )
        elif form in ("concentrate", "mixed"):
            mix = assays[what]
            now = sum(
                s * _price_2024(shipped, f"oxide:{e}") for e, s in mix.items() if e in oxide09
            )
            then = sum(s * oxide09[e] for e, s in mix.items() if e in oxide09)
            row(
                material,
                p24 * then / now,
                "rareflow-derived",
                f"derived: 2024 price {p24} x the {what} basket's 2009/2024 value ratio "
                f"{then / now:.3f} (deposit_assays shares x oxide prices)",
            )
        else:
            row(material, p24, "rareflow-assumption", "assumption: bulk input price as today")
    return out


def policy_rules() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for r in read("policy_rules"):
        if r["rule"] == "china_reserve_tonnes":
            r = {
                **r,
                "value": "0",
                "low": "0",
                "high": "0",
                "source": "rareflow-assumption",
                "vintage": BASE,
                "estimate_method": "assumption: no state reserve buying in 2009 (China's state "
                "stockpiling of rare earths began in 2011-2012); the rule is today's",
            }
        out.append(r)
    return out


def register_sources() -> None:
    """Add the figures' sources to the shipped registry (sources.csv) where missing: sources
    are a registry shared by every vintage and the backtest episodes, not data of a year."""
    path = SHIPPED / "sources.csv"
    known = {r["source_id"] for r in read("sources")}
    missing = [s for s in SOURCES if s[0] not in known]
    if missing:
        with path.open("a", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows(missing)


def main() -> None:
    write("mine_production", mine_production())
    write("world_totals", world_totals())
    write("china_quotas", china_quotas())
    write("region_deposits", region_deposits())
    demand_2009 = demand()
    write("facility_capacity", facility_capacity(demand_2009))
    write("demand", demand_2009)
    write("demand_growth", demand_growth())
    write("prices", prices())
    write("policy_rules", policy_rules())
    write("trade", [])  # no bilateral 2009 table: no established-supplier premium
    write("agreements", [])  # the agreements of today were signed from 2012 on
    register_sources()
    print(f"written: {OUT}")


if __name__ == "__main__":
    main()
