"""What a built LP is made of, apart from the current values of its bounds, costs and
right-hand sides: the matrix, the columns' and rows' labels and periods, every variable's and
constraint's labels (`Structure`); the key that says when two inputs give the same structure
(`structure_key`); and the on-disk store of built structures (`MatrixStore`), so that a second
run reads its matrix instead of building it with linopy."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import linopy
import numpy as np
import pandas as pd
import xarray as xr
from scipy import sparse

from rareflow.cache import cache_dir
from rareflow.optimize.inputs import Inputs
from rareflow.optimize.model import build_model


@dataclass(frozen=True)
class Labels:
    """A variable's (or constraint's) labels as a plain array with its coordinates: what the
    in-place model keeps of linopy's model once it is built."""

    raw: np.ndarray
    dims: tuple[str, ...]
    coords: dict[str, pd.Index]  # of the dimensions other than the period
    periods: pd.Index | None  # the period coordinate, None without one

    @classmethod
    def of(cls, labels: xr.DataArray) -> Labels:
        dims = tuple(str(d) for d in labels.dims)
        coords = {d: labels.indexes[d] for d in dims if d != "period"}
        periods = labels.indexes["period"] if "period" in dims else None
        return cls(labels.to_numpy(), dims, coords, periods)

    def index_of(self, dim: str) -> pd.Index:
        """The coordinate of dimension `dim`."""
        return self.periods if dim == "period" and self.periods is not None else self.coords[dim]

    def array(self) -> xr.DataArray:
        """The labels as linopy held them."""
        coords = (
            dict(self.coords) if self.periods is None else {**self.coords, "period": self.periods}
        )
        return xr.DataArray(self.raw, coords=coords, dims=self.dims)

    def index(self, periods: int | slice) -> tuple[int | slice, ...]:
        """The index of `periods` (one period: that dimension dropped) in arrays shaped
        like the labels."""
        return tuple(periods if d == "period" else slice(None) for d in self.dims)

    def window(self, periods: slice) -> np.ndarray:
        return self.raw[self.index(periods)]

    def at(self, k: int) -> np.ndarray:
        """The labels of period k (the period dimension dropped)."""
        return self.raw[self.index(k)]


def structure_key(inp: Inputs) -> bytes:
    """A digest of everything in `inp` that shapes the LP's matrix: the items of each table
    and the columns that place them (inputs.STRUCTURE_COLUMNS, hashed once per network), the
    recipes, the delivery kernel,
    the quotas' coefficients, the agreement arcs, whether valued stocks exist, the options.
    Two inputs with the same key give models that differ only in bounds, costs, right-hand
    sides and which agreement rows exist (WarmModel.refresh takes inputs that need a subset
    of its agreement rows)."""
    digest = hashlib.sha256()

    def add(name: str, value: object) -> None:
        digest.update(name.encode())
        if isinstance(value, pd.DataFrame):
            digest.update(repr(list(value.columns)).encode())
            digest.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
        elif isinstance(value, xr.DataArray):
            digest.update(repr({d: list(value.indexes[d]) for d in value.dims}).encode())
            digest.update(np.ascontiguousarray(value.to_numpy()).tobytes())
        else:
            digest.update(repr(value).encode())

    add("periods", list(inp.periods.index))
    add("tables", inp.tables_digest)
    for lag, weights in sorted(inp.kernel.items()):
        add(f"kernel{lag}", weights)
    add("quota_coef", inp.quota_coef)
    add("agreement_arcs", list(inp.agree_min.indexes.get("arc", [])))
    add("buffers", bool((inp.buffer_target > 0).any()))
    add("blocks", list(inp.wtp.indexes["block"]))
    add("options", inp.options.to_dict())
    add("stocks_held", inp.stocks_held)
    return digest.digest()


def agreement_rows(inp: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """Which agreement minimum and cap rows `inp` needs (constraints.add_agreements)."""
    return (inp.agree_min > 0).to_numpy(), np.isfinite(inp.agree_max.to_numpy())


@dataclass
class Structure:
    """What a built LP is made of, apart from its bounds, costs and right-hand sides' current
    values: the matrix, the columns' and rows' labels and periods, and every variable's and
    constraint's labels. Built once with linopy (`build`), or read from the on-disk cache
    (`MatrixStore`); linopy's model itself is not kept."""

    key: bytes  # structure_key of the inputs it was built from
    matrix: sparse.csr_matrix
    vlabels: np.ndarray
    clabels: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    cost: np.ndarray
    sense: np.ndarray
    rhs: np.ndarray
    col_period: np.ndarray
    row_period: np.ndarray
    nvar: int
    ncon: int
    variables: dict[str, Labels]
    constraints: dict[str, Labels]
    agree_need: np.ndarray  # the agreement minimum rows it has (constraints.add_agreements)
    agree_capped: np.ndarray  # ... and cap rows

    def fits(self, inp: Inputs, key: bytes | None = None) -> bool:
        """Whether a model of this structure can be refreshed to `inp`: the same
        structure_key (`key`, when the caller has it already), and no agreement row `inp`
        needs that it lacks."""
        if (key if key is not None else structure_key(inp)) != self.key:
            return False
        need, capped = agreement_rows(inp)
        return not ((need & ~self.agree_need).any() or (capped & ~self.agree_capped).any())

    @classmethod
    def build(cls, inp: Inputs, key: bytes | None = None) -> Structure:
        m = build_model(inp, None)
        mat = m.matrices
        rows = mat.A
        assert rows is not None  # every model has its balance rows
        variables = {name: Labels.of(m.variables[name].labels) for name in m.variables}
        constraints = {name: Labels.of(m.constraints[name].labels) for name in m.constraints}
        nvar = 1 + max(int(v.raw.max()) for v in variables.values())
        ncon = 1 + max(int(c.raw.max()) for c in constraints.values())
        vlabels, clabels = np.asarray(mat.vlabels), np.asarray(mat.clabels)
        need, capped = agreement_rows(inp)
        return cls(
            key=key if key is not None else structure_key(inp),
            matrix=rows.tocsr(),
            vlabels=vlabels,
            clabels=clabels,
            lb=np.asarray(mat.lb, dtype=float),
            ub=np.asarray(mat.ub, dtype=float),
            cost=np.asarray(mat.c, dtype=float),
            sense=np.asarray(mat.sense),
            rhs=np.asarray(mat.b, dtype=float),
            col_period=_periods_of(variables, nvar)[vlabels],
            row_period=_periods_of(constraints, ncon)[clabels],
            nvar=nvar,
            ncon=ncon,
            variables=variables,
            constraints=constraints,
            agree_need=need,
            agree_capped=capped,
        )


def _periods_of(labels: dict[str, Labels], size: int) -> np.ndarray:
    """Period position of every label (-1 for labels without a period)."""
    out = np.full(size, -1, dtype=np.int64)
    for item in labels.values():
        if item.periods is None:
            continue
        axis = item.dims.index("period")
        raw = np.moveaxis(item.raw, axis, -1)
        pos = np.broadcast_to(np.arange(raw.shape[-1]), raw.shape)
        used = raw >= 0
        out[raw[used]] = np.maximum(out[raw[used]], pos[used])
    return out


# what the stored structures depend on besides their inputs: the code that builds the LP
_BUILD_CODE = ("constraints.py", "model.py", "structure.py")
_MATRIX_FORMAT = 1  # bump when the stored layout changes


def _build_digest() -> str:
    digest = hashlib.sha256(f"format {_MATRIX_FORMAT} linopy {linopy.__version__}".encode())
    here = Path(__file__).parent
    for name in _BUILD_CODE:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


class MatrixStore:
    """Built LP structures on disk (the user's cache directory, rareflow.cache), by their
    structure key and a digest of the code that builds them: a second run of a scenario reads
    its matrix instead of building it with linopy. A file that cannot be read is ignored and
    the structure built again, so a damaged cache never changes a result."""

    KEEP = 16

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = (directory if directory is not None else cache_dir()) / "lp"
        self.code = _build_digest()

    def _path(self, key: bytes) -> Path:
        return self.directory / f"{key.hex()[:32]}-{self.code}.npz"

    def get(self, key: bytes) -> Structure | None:
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return _structure_from(data, key)
        except (OSError, ValueError, KeyError):
            return None

    def put(self, structure: Structure) -> None:
        path = self._path(structure.key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
            np.savez(tmp, **_structure_arrays(structure))  # type: ignore[arg-type]
            os.replace(tmp, path)  # atomic: a parallel run never reads half a file
            self._prune()
        except OSError:
            pass  # a read-only cache only costs the next run a build

    def _prune(self) -> None:
        """Keep the `KEEP` most recently written structures (each is tens of MB)."""
        files = sorted(self.directory.glob("*.npz"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(0, len(files) - self.KEEP)]:
            old.unlink(missing_ok=True)


_ARRAYS = (
    "vlabels",
    "clabels",
    "lb",
    "ub",
    "cost",
    "sense",
    "rhs",
    "col_period",
    "row_period",
    "agree_need",
    "agree_capped",
)


def _describe(labels: Labels) -> dict[str, object]:
    def values(index: pd.Index) -> dict[str, object]:
        return {"values": index.tolist(), "object": index.dtype == object}

    periods = None if labels.periods is None else values(labels.periods)
    coords = {d: values(i) for d, i in labels.coords.items()}
    return {"dims": list(labels.dims), "coords": coords, "periods": periods}


def _restore(raw: np.ndarray, meta: dict[str, Any]) -> Labels:
    def index(spec: dict[str, Any], name: str) -> pd.Index:
        return pd.Index(spec["values"], name=name, dtype=object if spec["object"] else None)

    coords = {d: index(spec, d) for d, spec in meta["coords"].items()}
    periods = None if meta["periods"] is None else index(meta["periods"], "period")
    return Labels(raw, tuple(meta["dims"]), coords, periods)


def _structure_arrays(s: Structure) -> dict[str, np.ndarray]:
    out = {name: np.asarray(getattr(s, name)) for name in _ARRAYS}
    out["matrix_data"], out["matrix_indices"] = s.matrix.data, s.matrix.indices
    out["matrix_indptr"], out["matrix_shape"] = s.matrix.indptr, np.asarray(s.matrix.shape)
    meta = {
        "nvar": s.nvar,
        "ncon": s.ncon,
        "variables": {n: _describe(v) for n, v in s.variables.items()},
        "constraints": {n: _describe(c) for n, c in s.constraints.items()},
    }
    out["meta"] = np.array(json.dumps(meta))
    for kind, labels in (("v", s.variables), ("c", s.constraints)):
        for name, item in labels.items():
            out[f"{kind}:{name}"] = item.raw
    return out


def _structure_from(data: Any, key: bytes) -> Structure:
    meta = json.loads(str(data["meta"]))
    shape = tuple(int(v) for v in data["matrix_shape"])
    matrix = sparse.csr_matrix(
        (data["matrix_data"], data["matrix_indices"], data["matrix_indptr"]), shape=shape
    )
    arrays = {name: np.asarray(data[name]) for name in _ARRAYS}
    variables = {n: _restore(data[f"v:{n}"], m) for n, m in meta["variables"].items()}
    constraints = {n: _restore(data[f"c:{n}"], m) for n, m in meta["constraints"].items()}
    return Structure(
        key=key,
        matrix=matrix,
        nvar=int(meta["nvar"]),
        ncon=int(meta["ncon"]),
        variables=variables,
        constraints=constraints,
        **arrays,
    )
