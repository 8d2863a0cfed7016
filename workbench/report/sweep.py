"""``reports/sweeps/<sweep-id>.html``: the points of one ``-m`` sweep side by side.

A sweep's records are on disk, written by its points as they start and end, in parallel processes
and in any order: Hydra's ``<sweep folder>/multirun.yaml`` (the overrides that expand to the
points), each point's ``<sweep folder>/<n>/point.json`` (status, exit code, error: the only record
of a point that stopped before its run folder existed) and each run's ``run.json`` (its ``sweep``
entry: the sweep id, the point's number, its overrides and the swept ones). :func:`build_sweep_page`
rebuilds the page from all of them every time, under a lock, so whichever point finishes last, no
point is lost.

The page has one row per point (its swept parameters, status and error, time, headline metrics and
notebook pages), sorted by clicking a column header, one small plot per swept parameter and
headline metric, and a legend. It is self-contained (inline CSS, JavaScript and SVG). A summary
``<sweep-id>.json`` beside it feeds the Sweeps section of ``reports/index.html``.
"""

from __future__ import annotations

import html
import io
import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from workbench.report.index import (
    STYLE,
    SWEEPS_DIR,
    duration,
    format_metric,
    headline_columns,
    load_runs,
    locked,
    notebooks_cell,
    write_page,
)

POINT_FILE = "point.json"  # <sweep folder>/<n>/point.json
STOP_FILE = "stop.json"  # <sweep folder>/stop.json: the sweep was stopped by a signal; no point starts after it
SORT_SCRIPT = """
document.querySelectorAll("table.sortable th").forEach((th, col) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0], asc = th.dataset.dir !== "asc";
  th.parentNode.querySelectorAll("th").forEach(h => delete h.dataset.dir);
  th.dataset.dir = asc ? "asc" : "desc";
  const key = row => { const c = row.cells[col], v = c.dataset.v !== undefined ? c.dataset.v : c.textContent.trim();
                       return v !== "" && isFinite(v) ? Number(v) : v; };
  const rows = Array.from(body.rows).sort((a, b) => {
    const x = key(a), y = key(b);
    if (x === "" || y === "") return (x === "") - (y === "");  // blanks last either way
    const r = typeof x === "number" && typeof y === "number" ? x - y
              : String(x).localeCompare(String(y), undefined, {numeric: true});
    return asc ? r : -r; });
  rows.forEach(r => body.appendChild(r));
}));
"""
PAGE_STYLE = STYLE + """
table.sortable th { cursor: pointer; user-select: none; } th[data-dir=asc]::after { content: " \\25B2"; }
th[data-dir=desc]::after { content: " \\25BC"; } .plots { display: flex; flex-wrap: wrap; gap: 1rem; }
.plots figure { margin: 0; } .plots svg { width: 340px; height: auto; }
"""


def expand_sweep(config: DictConfig) -> list[list[str]]:
    """The overrides of every point of a sweep, in Hydra's job order, from its config (the sweep's
    ``multirun.yaml``): the task overrides and the sweeper's params as Hydra's basic sweeper
    expands them. Empty for another sweeper (Optuna's points are not known in advance) or
    overrides that cannot be expanded without the config tree (``glob``)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    hydra_node = config.hydra
    if not str(OmegaConf.select(hydra_node, "sweeper._target_", default="")).endswith(".BasicSweeper"):
        return []
    params = OmegaConf.select(hydra_node, "sweeper.params", default=None) or {}
    arguments = [f"{k}={v}" for k, v in params.items()] + list(hydra_node.overrides.task)
    try:
        overrides = OverridesParser.create().parse_overrides(arguments)
        batches = BasicSweeper.split_arguments(overrides, None)
    except (HydraException, ValueError):
        return []
    return [list(point) for batch in batches for point in batch]


def override_values(overrides: list[str]) -> dict[str, str]:
    """``["a.b=1", "+c=x"]`` as ``{"a.b": "1", "+c": "x"}`` (a deletion ``~a`` has the value ``""``)."""
    return dict((o.split("=", 1) + [""])[:2] for o in overrides)


def swept_keys(points: list[list[str]]) -> list[str]:
    """The parameters that take more than one value across the points, in the order they appear."""
    parsed = [override_values(o) for o in points]
    keys = dict.fromkeys(k for values in parsed for k in values)
    return [k for k in keys if len({values.get(k) for values in parsed}) > 1]  # absent counts as a value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def load_points(sweep_dir: Path, reports_dir: Path) -> list[dict[str, Any]]:
    """One entry per point, by number: ``point``, ``overrides``, ``status``, ``error``, ``seconds``,
    ``started`` and, once its run folder exists, ``run`` (its ``run.json`` with ``_dir``). A point
    that ``multirun.yaml`` announces and that has not started yet is ``pending``."""
    multirun = sweep_dir / "multirun.yaml"
    expected = expand_sweep(OmegaConf.load(multirun)) if multirun.exists() else []
    points: dict[int, dict[str, Any]] = {n: {"point": n, "overrides": o, "status": "pending"}
                                         for n, o in enumerate(expected)}
    for path in sweep_dir.glob(f"*/{POINT_FILE}"):
        try:
            record = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):  # unreadable: left out of this rebuild, not of the next
            continue
        points.setdefault(record["point"], {}).update(record)
    for run in load_runs(reports_dir):
        sweep = run.get("sweep") or {}
        if sweep.get("id") == sweep_dir.name and sweep.get("dir", str(sweep_dir)) == str(sweep_dir):
            point = points.setdefault(sweep["point"], {"point": sweep["point"], "overrides": sweep.get("overrides", [])})
            point.update(run=run, status=run.get("status", "?"), error=run.get("error"), seconds=run.get("seconds"))
    return [points[n] for n in sorted(points)]


def _plot(param: str, metric: dict[str, str], points: list[dict[str, Any]], values: list[Any],
          others: list[str]) -> str:
    """One small inline SVG: ``metric`` against ``param`` over the points that have a value; a line
    (numeric parameter) or markers (categorical) per combination of the other swept parameters."""
    import matplotlib
    import matplotlib.ticker as mticker
    from matplotlib.figure import Figure

    from workbench.report.styles import MARKERS, PALETTE

    xs = [override_values(p["overrides"]).get(param, "") for p in points]
    numeric = all(_number(x) is not None for x in xs)
    categories = sorted(set(xs), key=lambda v: (_number(v) is None, _number(v) or 0, v))
    fig = Figure(figsize=(3.4, 2.5), layout="constrained")
    ax = fig.subplots()
    groups: dict[tuple[str, ...], list[tuple[float, float]]] = {}
    for point, x, y in zip(points, xs, values, strict=True):
        group = tuple(override_values(point["overrides"]).get(k, "") for k in others)
        groups.setdefault(group, []).append((float(x) if numeric else categories.index(x), float(y)))
    for k, (group, xy) in enumerate(groups.items()):
        xy.sort()
        label = ", ".join(f"{o}={v}" for o, v in zip(others, group, strict=True)) or None
        ax.plot(*zip(*xy, strict=True), marker=MARKERS[k % len(MARKERS)], color=PALETTE[k % len(PALETTE)],
                linestyle="-" if numeric and len(xy) > 1 else "none", label=label)
    if not numeric:
        ax.set_xticks(range(len(categories)), categories, rotation=30 if max(map(len, categories)) > 6 else 0)
        ax.set_xlim(-0.5, len(categories) - 0.5)
    if "%" in metric.get("fmt", ""):
        ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    ax.set_xlabel(param.lstrip("+~"))
    ax.set_ylabel(metric["label"])
    ax.grid(alpha=0.3)
    if others and 1 < len(groups) <= 6:
        ax.legend(fontsize=6, frameon=False)
    out = io.StringIO()
    # fixed ids and no date: the same records give the same page; text stays text
    with matplotlib.rc_context({"svg.hashsalt": f"{param}|{metric['key']}", "svg.fonttype": "none", "font.size": 8}):
        fig.savefig(out, format="svg", metadata={"Date": None})
    svg = out.getvalue()
    return svg[svg.index("<svg"):]


def _plots(points: list[dict[str, Any]], swept: list[str], columns: list[tuple[str, dict[str, str]]]) -> str:
    figures = []
    for stage, metric in columns:
        have = [(p, _number(p["run"].get("metrics", {}).get(stage, {}).get(metric["key"])))
                for p in points if p.get("run")]
        have = [(p, v) for p, v in have if v is not None]
        if not have:
            continue
        for param in swept:
            svg = _plot(param, metric, [p for p, _ in have], [v for _, v in have], [k for k in swept if k != param])
            figures.append(f"<figure>{svg}</figure>")
    if not figures:
        return ""
    return ("<h2>Swept parameters against the headline metrics</h2><p class='small'>One dot per point that"
            " logged the metric; a line joins the points that differ only in the parameter on the x axis.</p>"
            f"<div class='plots'>{''.join(figures)}</div>")


def _cell(text: str, sort_value: Any = None) -> str:
    attr = "" if sort_value is None else f' data-v="{html.escape(str(sort_value))}"'
    return f"<td{attr}>{text}</td>"


def _row(point: dict[str, Any], swept: list[str], columns: list[tuple[str, dict[str, str]]],
         reports_dir: Path) -> str:
    values = override_values(point.get("overrides", []))
    cells = [_cell(str(point["point"]), point["point"])]
    cells += [_cell(f"<code>{html.escape(values.get(k, ''))}</code>", values.get(k, "")) for k in swept]
    status = point.get("status", "?")
    status_html = f'<span class="{html.escape(status)}">{html.escape(status)}</span>'
    if point.get("error"):
        status_html += f'<div class="err">{html.escape(point["error"][:400])}</div>'
    cells.append(_cell(status_html, status))
    cells.append(_cell(duration(point.get("seconds")), point.get("seconds", "")))
    run = point.get("run") or {}
    metrics = run.get("metrics", {})
    for stage, m in columns:
        value = metrics.get(stage, {}).get(m["key"])
        cells.append(_cell(format_metric(value, m.get("fmt", "{}")), "" if value is None else value))
    if run:
        href = "../" + run["_dir"].relative_to(reports_dir).as_posix()
        cells.append(_cell(notebooks_cell(run, href)))
        cells.append(_cell(f'<a href="{href}/">{html.escape(run["_dir"].name)}</a>', run["_dir"].name))
    else:
        cells += [_cell(""), _cell("")]
    return "<tr>" + "".join(cells) + "</tr>"


def _summary(sweep_dir: Path, points: list[dict[str, Any]], swept: list[str]) -> dict[str, Any]:
    started = [p["started"] for p in points if p.get("started")] + [
        p["run"]["started"] for p in points if p.get("run", {}).get("started")]
    experiments = dict.fromkeys(p["run"]["experiment"] for p in points if p.get("run", {}).get("experiment"))
    experiments.update(dict.fromkeys(p["experiment"] for p in points if p.get("experiment")))
    return {"id": sweep_dir.name, "dir": str(sweep_dir), "page": f"{sweep_dir.name}.html",
            "started": min(started, default=datetime.fromtimestamp(sweep_dir.stat().st_mtime).isoformat(timespec="seconds")),
            "experiments": list(experiments), "swept": swept, "points": len(points),
            "counts": dict(Counter(p.get("status", "?") for p in points))}


def build_sweep_page(sweep_dir: str | Path, reports_dir: str | Path) -> Path:
    """Rebuild ``<reports_dir>/sweeps/<sweep-id>.html`` and its summary from the records of the
    sweep in ``sweep_dir`` (Hydra's sweep folder; its name is the sweep id) and the run folders
    under ``reports_dir``. Safe to call from every point as it finishes."""
    sweep_dir, reports_dir = Path(sweep_dir).resolve(), Path(reports_dir).resolve()
    if not sweep_dir.is_dir():
        raise FileNotFoundError(f"{sweep_dir}: no such sweep folder (expected Hydra's hydra.sweep.dir of a -m run)")
    out = reports_dir / SWEEPS_DIR
    with locked(out / f".{sweep_dir.name}.lock"):
        points = load_points(sweep_dir, reports_dir)
        swept = swept_keys([p.get("overrides", []) for p in points])
        columns = headline_columns(sorted((p["run"] for p in points if p.get("run")),
                                          key=lambda r: r.get("started", ""), reverse=True))
        summary = _summary(sweep_dir, points, swept)
        fixed = [o for o in (points[0].get("overrides", []) if points else []) if o.split("=", 1)[0] not in swept]
        counts = ", ".join(f"{n} {k}" for k, n in summary["counts"].items())
        head = "".join(f"<th>{html.escape(h)}</th>" for h in (
            "#", *(k.lstrip("+~") for k in swept), "status", "time", *(m["label"] for _, m in columns), "notebooks", "run"))
        explained = " ".join(dict.fromkeys(m["explain"] for _, m in columns if m.get("explain")))
        body = (
            f"<!doctype html><html><head><meta charset='utf-8'><title>Sweep {html.escape(sweep_dir.name)}</title>"
            f"<style>{PAGE_STYLE}</style></head><body><p class='small'><a href='../index.html'>all runs</a></p>"
            f"<h1>Sweep {html.escape(sweep_dir.name)}</h1>"
            f"<p>{len(points)} point(s): {html.escape(counts)}. Swept: <code>{html.escape(', '.join(swept) or '-')}</code>;"
            f" the same in every point: <code>{html.escape(' '.join(fixed) or '-')}</code>.</p>"
            f"<p class='small'>Started {html.escape(summary['started'])}; records in <code>{html.escape(str(sweep_dir))}"
            "</code>. Click a column header to sort.</p>"
            f"<table class='sortable'><thead><tr>{head}</tr></thead><tbody>"
            + "".join(_row(p, swept, columns, reports_dir) for p in points)
            + "</tbody></table>"
            + _plots(points, swept, columns)
            + "<p class='small'><b>Legend.</b> #: the point's number in the sweep (Hydra's job number). The swept"
            " columns are the settings that take more than one value across the points. Status: ok; failed (with"
            " its error: a bad setting or bad data stops a point before its run folder exists); interrupted;"
            " not run (the sweep was stopped first); running; pending (not started yet). Time: wall-clock of the"
            f" point's run. {html.escape(explained)}</p>"
            f"<script>{SORT_SCRIPT}</script></body></html>"
        )
        write_page(out / f"{sweep_dir.name}.json", json.dumps(summary, indent=2))
        return write_page(out / f"{sweep_dir.name}.html", body)
