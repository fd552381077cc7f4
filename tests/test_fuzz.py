"""Fuzzing, bounded in time: mutated scenario YAML, reference CSVs and import files, and random
bodies to every API operation. The property everywhere: success or a one-line user error, never
a traceback, a 500 or a hang. Example counts are small so that all of this takes seconds."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TINY, write_tiny
from rareflow.data.loader import ReferenceDataError, load_reference
from rareflow.importers.baci import import_baci
from rareflow.importers.common import ImportDataError
from rareflow.scenario import ScenarioError, load_scenario
from rareflow.scenario.vocabulary import load_vocabulary
from test_web_fixtures import QUICK_YAML, service_client, signup

FUZZ = settings(
    max_examples=25,
    deadline=None,  # no wall-clock assertion; the counts keep the total small
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
IMPORTS = Path(__file__).parent / "data" / "importers"
HOSTILE_PIECES = [
    *"[]{}:|>#",
    "&a ",
    "*a",
    "\n  ",
    "\t",
    "- ",
    '"\\ud800"',
    "1.0e+400",
    "9" * 50,
    "\x00",
    "\ufeff",
    "!!python/object:os.system",
    "? ",
]


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """`text` with a few random insertions, deletions and duplications."""
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate", "piece"]))
        if kind == "insert":
            text = text[:at] + draw(st.text(max_size=8)) + text[at:]
        elif kind == "piece":
            piece = draw(st.sampled_from(HOSTILE_PIECES)) * draw(st.integers(1, 30))
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        else:
            text = text[:at] + text[max(0, at - 40) : at] + text[at:]
    return text


def _one_line(message: str) -> None:
    assert message and "\n" not in message and "Traceback" not in message, message


@pytest.fixture(scope="module")
def vocabulary() -> Any:
    return load_vocabulary(None)


@FUZZ
@given(text=mutated(QUICK_YAML))
def test_fuzz_scenario_yaml(text: str, vocabulary: Any, tmp_path: Path) -> None:
    shutil.copyfile(SCENARIOS / "baseline.yaml", tmp_path / "baseline.yaml")
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_scenario(path, vocabulary)
    except ScenarioError as exc:
        _one_line(str(exc))


@FUZZ
@given(name=st.sampled_from(sorted(TINY)), data=st.data())
def test_fuzz_reference_csv(name: str, data: st.DataObject, tmp_path: Path) -> None:
    directory = write_tiny(tmp_path / "tiny")
    text = data.draw(mutated(TINY[name]))
    (directory / f"{name}.csv").write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        load_reference(directory)
    except ReferenceDataError as exc:
        _one_line(str(exc))


@FUZZ
@given(data=st.data())
def test_fuzz_import_file(data: st.DataObject, tmp_path: Path) -> None:
    sample = IMPORTS / "BACI_HS17_Y2022_V202401_sample.csv"
    raw = sample.read_bytes()
    if data.draw(st.booleans()):
        text = data.draw(mutated(raw.decode("utf-8")))
        raw = text.encode("utf-8", "surrogatepass")
    else:
        at = data.draw(st.integers(0, len(raw)))
        raw = raw[:at] + data.draw(st.binary(max_size=64)) + raw[at:]
    path = tmp_path / "BACI_HS17_Y2022_V202401_fuzz.csv"
    path.write_bytes(raw)
    try:
        import_baci(path, IMPORTS / "country_codes_V202401.csv")
    except ImportDataError as exc:
        _one_line(str(exc))
        assert str(exc).isprintable()


def test_a_control_character_in_a_header_cell_is_escaped(tmp_path: Path) -> None:
    # found by test_fuzz_import_file: the column named in the message was printed raw
    path = tmp_path / "BACI_HS17_Y2022_V202401_nul.csv"
    path.write_bytes(b"\x00,t,i,j,k,v,q\n2022,4,36,280530,1.0,2.0\n")
    with pytest.raises(ImportDataError) as err:
        import_baci(path, IMPORTS / "country_codes_V202401.csv")
    assert str(err.value).isprintable()
    assert "column \\x00" in str(err.value)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with service_client("sqlite", tmp_path_factory.mktemp("fuzz")) as client:
        yield client, signup(client, "fuzzer")


def _operations(client: TestClient) -> list[tuple[str, str]]:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return sorted((m.upper(), p) for p, ops in paths.items() for m in ops)


@settings(FUZZ, max_examples=120)
@given(data=st.data())
def test_fuzz_every_api_operation(api: tuple[TestClient, dict[str, str]], data: Any) -> None:
    client, auth = api
    method, path = data.draw(st.sampled_from(_operations(client)))
    if path == "/api/token" and method == "DELETE":
        return  # would sign the fuzzer out; covered in test_web_accounts
    segment = st.sampled_from(["baseline", "nope", "x" * 300, "..", "%00", "a b"])
    url = path
    while "{" in url:
        start, end = url.index("{"), url.index("}")
        url = url[:start] + data.draw(segment) + url[end + 1 :]
    body = data.draw(JSON)
    if data.draw(st.booleans()):
        content = json.dumps(body).encode()
    else:  # not even JSON: raw text or bytes
        content = data.draw(st.binary(max_size=40) | st.text(max_size=40).map(str.encode))
    r = client.request(
        method, url, content=content, headers={**auth, "Content-Type": "application/json"}
    )
    assert r.status_code < 500, (method, url, r.status_code, r.text[:300])
