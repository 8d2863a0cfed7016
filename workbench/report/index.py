"""``reports/index.html``: every run, its status, its headline metrics, links to its reports, and
the ``-m`` sweeps with their comparison pages (:mod:`workbench.report.sweep`)."""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks; pages are still replaced atomically
    fcntl = None

SWEEPS_DIR = "sweeps"  # reports/sweeps/<sweep-id>.html and its summary <sweep-id>.json

STYLE = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.5rem; } table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.4rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } .ok { color: #1a7f37; } .failed { color: #c62828; font-weight: 600; }
.skipped, .running, .interrupted, .pending { color: #8a6d00; } .interrupted { font-weight: 600; }
.small { color: #555; font-size: 0.8rem; } code { font-size: 0.8rem; } .err { color: #c62828; font-size: 0.8rem; white-space: pre-wrap; }
a { color: #0b5cad; text-decoration: none; } a:hover { text-decoration: underline; }
"""


def format_metric(value: Any, fmt: str) -> str:
    """A headline value with its declared ``str.format`` pattern; blank where missing, as text where
    the pattern does not fit (a model's name under a number's format)."""
    if value is None:
        return ""
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return html.escape(str(value))


def duration(seconds: float | None) -> str:
    """Seconds as a reader wants them: ``45 s``, ``12.5 min``, ``2.1 h``."""
    if seconds is None:
        return ""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if needed): the points of a sweep finish in
    parallel processes, and a page rebuilt from what one of them read must not replace a page that
    another built from newer records."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


def write_page(target: Path, body: str) -> Path:
    """Write ``body`` to ``target`` through a temporary file of this process, then rename: a reader
    never sees half a page."""
    tmp = target.with_suffix(f"{target.suffix}.{os.getpid()}.tmp")
    tmp.write_text(body)
    tmp.replace(target)
    return target


def load_runs(reports_dir: Path) -> list[dict[str, Any]]:
    runs = []
    for path in sorted(reports_dir.glob("*/*/run.json")):
        try:
            info = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        info["_dir"] = path.parent
        runs.append(info)
    return sorted(runs, key=lambda r: r.get("started", ""), reverse=True)


def headline_columns(runs: list[dict[str, Any]]) -> list[tuple[str, dict[str, str]]]:
    """(stage, metric declaration) for every headline metric the runs declare (the newest
    declaration of a stage wins), stages in order, metrics in their declared order."""
    declared: dict[str, list[dict[str, str]]] = {}
    for run in runs:  # newest first
        for stage, metrics in run.get("headlines", {}).items():
            declared.setdefault(stage, metrics)
    return [(stage, m) for stage in sorted(declared) for m in declared[stage]]


def notebooks_cell(run: dict[str, Any], href: str) -> str:
    """Each notebook of a run: a link to its page (``href`` is the run folder, relative to the page
    that shows the cell), its status, time and error."""
    lines = []
    for nb in run.get("notebooks", []):
        status = nb.get("status", "?")
        name = html.escape(nb["name"])
        link = f'<a href="{href}/{name}.html">{name}</a>' if nb.get("html") else name
        line = f'{link} <span class="{status}">{status}</span>'
        if nb.get("seconds") is not None:
            line += f' <span class="small">{duration(nb["seconds"])}</span>'
        if nb.get("error"):
            line += f'<div class="err">{html.escape(nb["error"][:400])}</div>'
        lines.append(line)
    return "<br>".join(lines)


def _sweeps_section(reports_dir: Path) -> str:
    """The sweeps with a comparison page, newest first: their points' statuses and their page."""
    summaries = []
    for path in (reports_dir / SWEEPS_DIR).glob("*.json"):
        try:
            summaries.append(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError):
            continue
    if not summaries:
        return ""
    rows = []
    for sweep in sorted(summaries, key=lambda s: s.get("started") or s.get("id", ""), reverse=True):
        counts = ", ".join(f'<span class="{html.escape(k)}">{n} {html.escape(k)}</span>'
                           for k, n in sweep.get("counts", {}).items())
        rows.append(
            f'<tr><td><a href="{SWEEPS_DIR}/{html.escape(sweep["page"])}">{html.escape(sweep["id"])}</a></td>'
            f"<td>{html.escape(', '.join(sweep.get('experiments', [])))}</td>"
            f"<td><code>{html.escape(', '.join(sweep.get('swept', [])))}</code></td>"
            f"<td>{sweep.get('points', 0)}</td><td>{counts}</td></tr>")
    return ("<h2>Sweeps</h2><p>Each <code>-m</code> sweep and its page comparing its points.</p>"
            "<table><tr><th>sweep</th><th>experiment</th><th>swept</th><th>points</th><th>status</th></tr>"
            + "".join(rows) + "</table><h2>Runs</h2>")


def build_index(reports_dir: str | Path) -> Path:
    """Rebuild the index from every ``run.json`` under ``reports_dir`` and the sweeps' summaries in
    ``reports_dir/sweeps/`` (written atomically)."""
    reports_dir = Path(reports_dir)
    with locked(reports_dir / ".index.lock"):  # the points of a sweep finish in parallel
        return _write_index(reports_dir)


def _write_index(reports_dir: Path) -> Path:
    runs = load_runs(reports_dir)
    columns = headline_columns(runs)
    head = "".join(f"<th>{html.escape(m['label'])}</th>" for _, m in columns)
    explained = " ".join(dict.fromkeys(m["explain"] for _, m in columns if m.get("explain")))
    rows = []
    for run in runs:
        rel = run["_dir"].relative_to(reports_dir).as_posix()
        metrics = run.get("metrics", {})
        cells = "".join(
            f"<td>{format_metric(metrics.get(stage, {}).get(m['key']), m.get('fmt', '{}'))}</td>" for stage, m in columns
        )
        status = run.get("status", "")
        status_cell = f'<span class="{status}">{html.escape(status)}</span>'
        if run.get("error"):
            status_cell += f'<div class="err">{html.escape(run["error"][:400])}</div>'
        overrides = " ".join(run.get("overrides", []))
        setup = f"<div>{html.escape(run.get('data', ''))}</div>" + (
            f'<div class="small"><code>{html.escape(overrides)}</code></div>' if overrides else "")
        if run.get("sweep"):  # a point of a -m sweep: its place in the sweep's page
            sweep = run["sweep"]
            setup += (f'<div class="small">point {sweep.get("point")} of sweep <a href="{SWEEPS_DIR}/'
                      f'{html.escape(sweep["id"])}.html">{html.escape(sweep["id"])}</a></div>')
        rows.append(
            f"<tr><td>{html.escape(run.get('experiment', ''))}</td>"
            f'<td><a href="{rel}/">{html.escape(run["_dir"].name)}</a></td>'
            f"<td>{setup}</td><td>{status_cell}</td>"
            f"<td>{duration(run.get('seconds', 0))}</td>"
            f"<td>{notebooks_cell(run, rel)}</td>{cells}</tr>"
        )
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Workbench runs</title>"
        f"<style>{STYLE}</style></head><body><h1>Workbench runs</h1>"
        + _sweeps_section(reports_dir)
        + f"<p>{len(runs)} run(s), newest first. Each run folder holds config.yaml, metrics.json,"
        " artifacts/ and one HTML report per notebook.</p>"
        f"<table><tr><th>experiment</th><th>run</th><th>data and overrides</th><th>status</th><th>time</th>"
        f"<th>notebooks</th>{head}</tr>"
        + "".join(rows)
        + "</table>"
        f"<p class='small'>{html.escape(explained)}"
        " Times are wall-clock.</p></body></html>"
    )
    return write_page(reports_dir / "index.html", body)
