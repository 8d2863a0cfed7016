"""VRPLIB benchmark instances (CVRPLIB X, Solomon VRPTW) as :class:`RoutingProblem` s, with their
best-known solutions.

``vrplib`` parses the files; the distances are computed here, because the header does not say which
rounding an ``EUC_2D`` instance uses (``../shared/data/vrp/README.md``):

- **CVRP (X, Uchoa et al. 2017):** TSPLIB's ``nint`` of the Euclidean distance,
  ``floor(d + 0.5)`` (ties up, as TSPLIB; ``np.rint`` would round them to even). The fleet is
  unlimited: as many vehicles as clients. Cost 1 per distance unit, so costs are in the BKS's units.
- **VRPTW (Solomon, DIMACS convention):** distances and travel times truncated to one decimal and
  stored as integer tenths, ``floor(10 d)``; service times and windows times 10. The objective is
  the distance only, at 0.1 per tenth, so costs are in the instance's own units (C101's BKS 827.3).
  The fleet is the header's ``VEHICLES``.

Node ``i`` of the file (1-based) is location ``i - 1``, depots first, so client ``i`` of a ``.sol``
file is location ``i``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import vrplib

from workbench.logistics.problem import RoutingProblem, Units, VehicleType

NO_CLOSE = np.iinfo(np.int64).max  # an instance without windows: open for ever (PyVRP's convention)
TYPES = {"CVRP": "CVRP", "CVRPTW": "VRPTW", "VRPTW": "VRPTW"}


@dataclass
class BenchmarkInstance:
    """One instance of the benchmark with its best-known cost (None where no ``.sol`` is beside it)."""

    name: str
    path: Path
    kind: Literal["CVRP", "VRPTW"]
    n_clients: int
    capacity: int
    problem: RoutingProblem
    bks: float | None


def _parse(path: Path) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such VRPLIB instance file")
    try:
        return vrplib.read_instance(path, compute_edge_weights=False)
    except Exception as err:  # vrplib's own errors do not name the file
        raise ValueError(f"{path}: not a readable VRPLIB instance ({type(err).__name__}: {err})") from err


def _require(data: dict, path: Path, keys: tuple[str, ...]) -> None:
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(k.upper() for k in missing)} "
                         f"(expected the header and NODE_COORD, DEMAND and DEPOT sections)")


def _kind(data: dict, path: Path) -> Literal["CVRP", "VRPTW"]:
    header = str(data.get("type", "")).strip().upper()
    if header not in TYPES:
        raise ValueError(f"{path}: TYPE is {header or 'missing'!r}; expected one of {sorted(TYPES)}")
    if str(data.get("edge_weight_type", "")).strip().upper() != "EUC_2D":
        raise ValueError(f"{path}: EDGE_WEIGHT_TYPE is {data.get('edge_weight_type')!r}; expected EUC_2D")
    return TYPES[header]  # type: ignore[return-value]


def euclidean(coords: np.ndarray) -> np.ndarray:
    """Unrounded Euclidean distances between all rows of ``coords`` (n, 2)."""
    diff = coords[:, None, :] - coords[None, :, :]
    return np.sqrt((diff**2).sum(axis=-1))


def read_instance(path: str | Path) -> RoutingProblem:
    """A CVRPLIB X or Solomon instance as a :class:`RoutingProblem`, under the conventions above."""
    return _read(Path(path))[0]


def _read(path: Path) -> tuple[RoutingProblem, Literal["CVRP", "VRPTW"]]:
    data = _parse(path)
    kind = _kind(data, path)
    _require(data, path, ("dimension", "capacity", "node_coord", "demand", "depot")
             + (("time_window", "vehicles") if kind == "VRPTW" else ()))
    n = int(data["dimension"])
    coords = np.asarray(data["node_coord"], dtype=float)
    demand = np.asarray(data["demand"], dtype=np.int64)
    if coords.shape != (n, 2) or demand.shape != (n,):
        raise ValueError(f"{path}: DIMENSION is {n} but NODE_COORD_SECTION has {len(coords)} rows "
                         f"and DEMAND_SECTION {len(demand)}")
    depots = np.asarray(data["depot"], dtype=np.int64).reshape(-1)
    if len(depots) == 0 or depots.min() < 0 or depots.max() >= n:
        raise ValueError(f"{path}: DEPOT_SECTION lists {depots.tolist()}; expected node ids 1..{n}")
    # depots first: node i (1-based in the file) is location i - 1 when the depot is node 1, as in both sets
    order = np.concatenate([depots, np.setdiff1d(np.arange(n), depots)])
    coords, demand = coords[order], demand[order]
    if kind == "CVRP":
        distance = np.floor(euclidean(coords) + 0.5).astype(np.int64)
        service = np.zeros(n, dtype=np.int64)
        early, late = np.zeros(n, dtype=np.int64), np.full(n, NO_CLOSE, dtype=np.int64)
        fleet, rate, unit = n - len(depots), 1.0, "1"
    else:
        windows = np.asarray(data["time_window"], dtype=float)
        if windows.shape != (n, 2):
            raise ValueError(f"{path}: TIME_WINDOW_SECTION has {len(windows)} rows; expected {n}")
        distance = np.floor(10 * euclidean(coords)).astype(np.int64)
        # SERVICE_TIME is one header value for every node or a section with one per node
        raw = np.broadcast_to(np.asarray(data.get("service_time", 0), dtype=float), (n,))
        service = np.rint(10 * raw[order]).astype(np.int64)
        service[: len(depots)] = 0  # the header's value is for clients; a depot serves nothing
        early, late = np.rint(10 * windows[order]).astype(np.int64).T.copy()
        fleet, rate, unit = int(data["vehicles"]), 0.1, "0.1"
    n_depots = len(depots)
    vehicles = tuple(VehicleType(f"vehicle_{d + 1}" if n_depots > 1 else "vehicle", fleet, (int(data["capacity"]),),
                                 depot=d, cost_per_distance=rate, shift_start=int(early[d]))
                     for d in range(n_depots))
    return RoutingProblem(
        distance=distance, duration=distance.copy(), delivery=demand[:, None].copy(),
        pickup=np.zeros((n, 1), dtype=np.int64), service=service, tw_early=early, tw_late=late,
        vehicle_types=vehicles, n_depots=n_depots, load_names=("demand",), load_scale=(1.0,),
        units=Units(distance_name=unit, duration_name=unit, km=None, hours=None)), kind


def best_known(path: str | Path) -> float:
    """The ``Cost`` line of a ``.sol`` file (the best-known solution's cost)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such VRPLIB solution file")
    try:
        sol = vrplib.read_solution(path)
    except Exception as err:
        raise ValueError(f"{path}: not a readable VRPLIB solution ({type(err).__name__}: {err})") from err
    if "cost" not in sol:
        raise ValueError(f"{path}: no 'Cost' line; expected 'Route #k: ...' lines then 'Cost <value>'")
    return float(sol["cost"])


def solution_routes(path: str | Path) -> list[list[int]]:
    """The routes of a ``.sol`` file as lists of locations (client ``i`` is location ``i``)."""
    return [list(map(int, r)) for r in vrplib.read_solution(Path(path))["routes"]]


def load_benchmark(folder: str | Path, names: list[str] | None = None) -> list[BenchmarkInstance]:
    """Every ``*.vrp`` of ``folder`` (or those named in ``names``) with the ``.sol`` beside it, by size."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder of VRPLIB instances")
    paths = sorted(folder.glob("*.vrp"))
    if names is not None:
        known = {p.stem for p in paths}
        unknown = sorted(set(names) - known)
        if unknown:
            raise ValueError(f"{folder}: no instance {unknown}; found {sorted(known)}")
        paths = [p for p in paths if p.stem in names]
    out = []
    for path in paths:
        problem, kind = _read(path)
        sol = path.with_suffix(".sol")
        out.append(BenchmarkInstance(path.stem, path, kind, len(problem.clients), problem.vehicle_types[0].capacity[0],
                                     problem, best_known(sol) if sol.is_file() else None))
    return sorted(out, key=lambda b: (b.kind, b.n_clients, b.name))
