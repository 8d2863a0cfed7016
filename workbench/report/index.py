"""``reports/index.html``: every run, its status, its headline metrics, links to its reports."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

STYLE = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.5rem; } table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.4rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } .ok { color: #1a7f37; } .failed { color: #c62828; font-weight: 600; }
.skipped, .running, .interrupted, .pending { color: #8a6d00; } .interrupted { font-weight: 600; }
.small { color: #555; font-size: 0.8rem; } code { font-size: 0.8rem; } .err { color: #c62828; font-size: 0.8rem; white-space: pre-wrap; }
a { color: #0b5cad; text-decoration: none; } a:hover { text-decoration: underline; }
"""


def _fmt(value: Any, fmt: str) -> str:
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


def build_index(reports_dir: str | Path) -> Path:
    """Rebuild the index from every ``run.json`` under ``reports_dir`` (written atomically)."""
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    runs = load_runs(reports_dir)
    columns = headline_columns(runs)
    head = "".join(f"<th>{html.escape(m['label'])}</th>" for _, m in columns)
    explained = " ".join(dict.fromkeys(m["explain"] for _, m in columns if m.get("explain")))
    rows = []
    for run in runs:
        rel = run["_dir"].relative_to(reports_dir).as_posix()
        metrics = run.get("metrics", {})
        cells = "".join(
            f"<td>{_fmt(metrics.get(stage, {}).get(m['key']), m.get('fmt', '{}'))}</td>" for stage, m in columns
        )
        notebooks = []
        for nb in run.get("notebooks", []):
            status = nb.get("status", "?")
            link = f'<a href="{rel}/{nb["name"]}.html">{html.escape(nb["name"])}</a>' if nb.get("html") else html.escape(nb["name"])
            line = f'{link} <span class="{status}">{status}</span>'
            if nb.get("seconds") is not None:
                line += f' <span class="small">{duration(nb["seconds"])}</span>'
            if nb.get("error"):
                line += f'<div class="err">{html.escape(nb["error"][:400])}</div>'
            notebooks.append(line)
        status = run.get("status", "")
        status_cell = f'<span class="{status}">{html.escape(status)}</span>'
        if run.get("error"):
            status_cell += f'<div class="err">{html.escape(run["error"][:400])}</div>'
        overrides = " ".join(run.get("overrides", []))
        setup = f"<div>{html.escape(run.get('data', ''))}</div>" + (
            f'<div class="small"><code>{html.escape(overrides)}</code></div>' if overrides else "")
        rows.append(
            f"<tr><td>{html.escape(run.get('experiment', ''))}</td>"
            f'<td><a href="{rel}/">{html.escape(run["_dir"].name)}</a></td>'
            f"<td>{setup}</td><td>{status_cell}</td>"
            f"<td>{duration(run.get('seconds', 0))}</td>"
            f"<td>{'<br>'.join(notebooks)}</td>{cells}</tr>"
        )
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Workbench runs</title>"
        f"<style>{STYLE}</style></head><body><h1>Workbench runs</h1>"
        f"<p>{len(runs)} run(s), newest first. Each run folder holds config.yaml, metrics.json,"
        " artifacts/ and one HTML report per notebook.</p>"
        f"<table><tr><th>experiment</th><th>run</th><th>data and overrides</th><th>status</th><th>time</th>"
        f"<th>notebooks</th>{head}</tr>"
        + "".join(rows)
        + "</table>"
        f"<p class='small'>{html.escape(explained)}"
        " Times are wall-clock.</p></body></html>"
    )
    target = reports_dir / "index.html"
    tmp = target.with_suffix(f".html.{os.getpid()}.tmp")  # one per process: sweeps may run in parallel
    tmp.write_text(body)
    tmp.replace(target)
    return target
