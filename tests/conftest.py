"""Shared fixtures: a tiny but complete and valid reference set, and helpers to break it.

The tiny set holds every table of the schema, so a `--data` directory made from it replaces the
whole packaged set: the refusal tests do not depend on the shipped data.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

# calibrations are cached on disk: tests use a private directory, never the user's cache
os.environ.setdefault("RAREFLOW_CACHE_DIR", tempfile.mkdtemp(prefix="rareflow-test-cache-"))

TINY: dict[str, str] = {
    "sources": """\
source_id,title,publisher,year,url,tag,note
usgs-mcs2025,Mineral Commodity Summaries 2025: Rare Earths,USGS,2025,https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-rare-earths.pdf,P,
usgs-mcs2024,Mineral Commodity Summaries 2024: Rare Earths,USGS,2024,,P,
iso-3166,ISO 3166 country codes,ISO,2024,,P,
test-derived,Derived in the test fixture,rareflow,2026,,D,
test-assumption,Assumed in the test fixture,rareflow,2026,,A,
""",
    "regions": """\
code,name,kind,iso_numeric,eu_member,source,vintage,estimate_method
CHN,China,country,156,false,iso-3166,2024,
IND,India,country,356,false,iso-3166,2024,
JPN,Japan,country,392,false,iso-3166,2024,
VNM,Vietnam,country,704,false,iso-3166,2024,
ROW,Rest of world,group,,false,iso-3166,2024,
""",
    "elements": """\
symbol,name,group,atomic_number,oxide_formula,metal_per_oxide,source,vintage,estimate_method
Nd,Neodymium,light,60,Nd2O3,0.8574,test-derived,2026,stoichiometry of Nd2O3
Pr,Praseodymium,light,59,Pr6O11,0.8277,test-derived,2026,stoichiometry of Pr6O11
Oth,Other rare earths,other,,,0.85,test-assumption,2026,assumed mean of the remaining oxides
""",
    "deposits": """\
deposit,name,description,source,vintage,estimate_method
monazite,Monazite,Phosphate in heavy mineral sands,usgs-mcs2025,MCS2025,
""",
    "materials": """\
material,form,element,deposit,unit,basis,description,source,vintage,estimate_method
concentrate:monazite,concentrate,,monazite,t,REO,Monazite concentrate,usgs-mcs2025,MCS2025,
mixed:monazite,mixed,,monazite,t,REO,Mixed RE chloride,usgs-mcs2025,MCS2025,
oxide:Nd,oxide,Nd,,t,REO,Nd oxide,usgs-mcs2025,MCS2025,
oxide:Pr,oxide,Pr,,t,REO,Pr oxide,usgs-mcs2025,MCS2025,
oxide:Oth,oxide,Oth,,t,REO,Other oxides,usgs-mcs2025,MCS2025,
metal:Nd,metal,Nd,,t,metal,Nd metal,usgs-mcs2025,MCS2025,
""",
    "deposit_assays": """\
deposit,element,share,source,vintage,estimate_method
monazite,Nd,0.2,test-derived,2026,test assay
monazite,Pr,0.05,test-derived,2026,test assay
monazite,Oth,0.75,test-derived,2026,remainder to 1
""",
    "region_deposits": """\
region,deposit,share,source,vintage,estimate_method
CHN,monazite,1,test-assumption,2026,single deposit type in the fixture
IND,monazite,1,usgs-mcs2025,MCS2025,
VNM,monazite,1,test-assumption,2026,single deposit type in the fixture
ROW,monazite,1,test-assumption,2026,single deposit type in the fixture
""",
    "mine_production": """\
edition,region,year,quantity,unit,usgs_estimate,note,source,vintage,estimate_method
MCS2025,CHN,2024,270000,t REO,true,quota,usgs-mcs2025,MCS2025,
MCS2025,IND,2024,2900,t REO,true,,usgs-mcs2025,MCS2025,
MCS2025,VNM,2024,300,t REO,true,,usgs-mcs2025,MCS2025,
MCS2025,ROW,2024,120000,t REO,true,,test-derived,MCS2025,remainder of the world total
MCS2024,CHN,2023,240000,t REO,true,,usgs-mcs2024,MCS2024,
MCS2024,IND,2023,2900,t REO,true,,usgs-mcs2024,MCS2024,
MCS2024,VNM,2023,600,t REO,true,,usgs-mcs2024,MCS2024,
MCS2024,ROW,2023,106500,t REO,true,,test-derived,MCS2024,remainder of the world total
""",
    "reserves": """\
edition,region,quantity,unit,note,source,vintage,estimate_method
MCS2024,CHN,44000000,t REO,,usgs-mcs2024,MCS2024,
MCS2024,VNM,22000000,t REO,,usgs-mcs2024,MCS2024,
MCS2024,IND,6900000,t REO,,usgs-mcs2024,MCS2024,
MCS2025,CHN,44000000,t REO,,usgs-mcs2025,MCS2025,
MCS2025,IND,6900000,t REO,,usgs-mcs2025,MCS2025,
MCS2025,VNM,3500000,t REO,,usgs-mcs2025,MCS2025,
""",
    "world_totals": """\
edition,measure,year,quantity,unit,qualifier,rounding,source,vintage,estimate_method
MCS2025,production,2024,390000,t REO,,10000,usgs-mcs2025,MCS2025,
MCS2025,reserves,2024,50000000,t REO,>,10000000,usgs-mcs2025,MCS2025,
MCS2024,production,2023,350000,t REO,,10000,usgs-mcs2024,MCS2024,
MCS2024,reserves,2023,70000000,t REO,~,10000000,usgs-mcs2024,MCS2024,
""",
    "processes": """\
process,stage,reference_material,cost,unit,description,variant_of,source,vintage,estimate_method
mining:monazite,mining,concentrate:monazite,500,USD/t,Monazite mining,,test-assumption,2026,fixture cost
separation:monazite,separation,mixed:monazite,5000,USD/t,Separation,,test-assumption,2026,fixture cost
reduction:Nd,reduction,metal:Nd,8000,USD/t,Nd reduction,,test-assumption,2026,fixture cost
""",  # noqa: E501
    "process_coefficients": """\
process,material,coefficient,source,vintage,estimate_method
mining:monazite,concentrate:monazite,1,test-derived,2026,definition of activity
separation:monazite,mixed:monazite,-1,test-derived,2026,definition of activity
separation:monazite,oxide:Nd,0.19,test-derived,2026,assay x recovery 0.95
separation:monazite,oxide:Pr,0.0475,test-derived,2026,assay x recovery 0.95
separation:monazite,oxide:Oth,0.7125,test-derived,2026,assay x recovery 0.95
reduction:Nd,metal:Nd,1,test-derived,2026,definition of activity
reduction:Nd,oxide:Nd,-1.2,test-derived,2026,1/(0.8574 x 0.97)
""",
    "facilities": """\
facility,name,region,owner,process,status,start_year,note,source,vintage,estimate_method
irel-oscom,IREL OSCOM,IND,IREL,mining:monazite,operating,1984,,usgs-mcs2025,2024,
irel-aluva,IREL Rare Earths Division,IND,IREL,separation:monazite,operating,,,usgs-mcs2025,2024,
""",
    "facility_capacity": """\
facility,year,capacity,unit,source,vintage,estimate_method
irel-oscom,2024,2900,t/yr,usgs-mcs2025,MCS2025,
""",
    "agreements": """\
agreement,name,seller,buyer,destination,material,start,end,volume_min,volume_max,unit,note,source,vintage,estimate_method
irel-toyotsu,IREL to Toyotsu,irel-oscom,toyotsu-vizag,JPN,mixed:monazite,2012-11-01,,0,4100,t/yr,,usgs-mcs2025,2024,
""",  # noqa: E501
    "trade": """\
year,exporter,importer,material,quantity,unit,basis,source,vintage,estimate_method
2024,CHN,JPN,oxide:Nd,1000,t,REO,test-derived,2024,fixture estimate
2024,CHN,IND,magnet,500,t,product,test-derived,2024,fixture estimate
""",
    "sectors": """\
sector,name,description,choke_multiple,source,vintage,estimate_method
ev_traction,EV traction,EV and hybrid traction motors,10,test-assumption,2026,fixture sector
""",
    "demand": """\
year,region,sector,material,quantity,unit,closes_world_total,source,vintage,estimate_method
2024,IND,ev_traction,oxide:Nd,100,t,,test-assumption,2024,fixture demand
""",
    "demand_growth": """\
region,sector,start_year,end_year,growth,source,vintage,estimate_method
WORLD,ev_traction,2024,2030,0.1,test-assumption,2026,fixture growth
""",
    "intensities": """\
application,sector,material,value,low,high,unit,source,vintage,estimate_method
ev_motor,ev_traction,metal:Nd,0.6,0.4,0.8,kg/unit,test-assumption,2026,fixture intensity
""",
    "prices": """\
material,market,year,price,unit,source,vintage,estimate_method
oxide:Nd,world,2024,56,USD/kg,usgs-mcs2025,MCS2025,
""",
    "elasticities": """\
side,horizon,scope,value,low,high,assumption,source,vintage,estimate_method
demand,short,all,-0.3,-0.5,-0.1,true,test-assumption,2026,stated assumption
""",
    "costs": """\
kind,key,value,unit,note,source,vintage,estimate_method
transport,sea,100,USD/t,,test-assumption,2026,fixture cost
mining,default,20000,USD/t,,test-assumption,2026,fixture cost
holding,default,0.05,fraction/yr,,test-assumption,2026,fixture cost
""",
    "reported_figures": """\
subject,metric,period,value,unit,note,source,vintage,estimate_method
IND,mine production,2024,2900,t REO,,usgs-mcs2025,MCS2025,
""",
    "governance": """\
region,year,wgi_mean,wgi_scaled,source,vintage,estimate_method
CHN,2022,-0.333,5.667,test-derived,2022,fixture value
IND,2022,-0.067,5.135,test-derived,2022,fixture value
""",
    "china_quotas": """\
year,quota,value,ionic_clay,unit,note,source,vintage,estimate_method
2024,mining,270000,,t REO,,test-assumption,2024,fixture value
2024,separation,254000,,t REO,,test-assumption,2024,fixture value
""",
    "policy_rules": """\
rule,value,low,high,unit,note,source,vintage,estimate_method
china_quota_growth,0.099,0.059,0.144,fraction/yr,,test-assumption,2024,fixture value
""",
    "expansion_options": """\
stage,region,capex,lead_years,life_years,discount_rate,unit,note,source,vintage,estimate_method
magnet,*,40500,2,20,0.1,USD per t/yr,,test-assumption,2025,fixture value
""",
    "trade_limits": """\
origin,destination,material,except_destination,start,end,note,source,vintage,estimate_method
*,IND,concentrate:*,,,,fixture,test-assumption,2024,fixture value
""",
    "contracts": (
        "contract,kind,seller_region,buyer_region,materials,floor,ceiling,volume,take_or_pay,upside_share,"
        "upside_above,upside_cap,start,end,note,source,vintage,estimate_method\n"
        "floor-c,floor,IND,JPN,oxide:Nd,110,,,,0.3,110,,2025-10,2035-10,fixture,test-assumption,"
        "2025,fixture value\n"
    ),
    "plausibility_ranges": """\
indicator,scope,low,high,unit,horizon,note,source,vintage,estimate_method
mine_output,CHN,256500,283500,t/yr,base,,test-assumption,2026,fixture range
shortage_share,all,,0.005,fraction,every_year,,test-assumption,2026,fixture range
""",
}


def _packaged_criticality_inputs() -> str:
    """The shipped EU criticality inputs, re-sourced to the fixture's own source ids."""
    from rareflow.data.loader import packaged_dir

    rows = list(
        csv.DictReader(io.StringIO((packaged_dir() / "criticality_inputs.csv").read_text()))
    )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "source": "test-assumption", "estimate_method": "fixture copy"})
    return out.getvalue()


TINY["criticality_inputs"] = _packaged_criticality_inputs()


def write_tiny(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in TINY.items():
        (directory / f"{name}.csv").write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A complete, valid reference set in a temporary directory."""
    return write_tiny(tmp_path / "tiny")


def set_cell(path: Path, line: int, column: str, value: str) -> None:
    """Replace one cell (line numbers as in the file, header = 1) of a CSV in place."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[line - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


@pytest.fixture
def cell_setter() -> Callable[[Path, int, str, str], None]:
    return set_cell
