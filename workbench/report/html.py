"""A notebook as a self-contained HTML page for reviewers.

Code is hidden, figures are embedded PNG, and nothing is fetched when the page opens
(the ``offline`` template drops the CDN scripts of nbconvert's lab page: require.js,
MathJax, mermaid, the widget manager). Widget state is stripped from the notebook, so
a progress bar saved by JupyterLab leaves no trace either.

A notebook that stopped (an error, or the run was interrupted) opens with one box
that says where and why; papermill's banner, the library traceback and the headings
of the sections that never ran are left out.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

import nbformat

TEMPLATES = Path(__file__).resolve().parent / "templates"
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_widgets(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove saved widget state and widget views (their plain-text fallback stays)."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data:
                data.pop("application/vnd.jupyter.widget-view+json", None)
                data.pop("application/vnd.jupyter.widget-state+json", None)
        if cell.cell_type == "code":
            cell["outputs"] = [o for o in cell.get("outputs", []) if o.get("output_type") not in
                               ("display_data", "execute_result") or o.get("data")]
    return nb


def _section_of(cells: list, index: int) -> str | None:
    """The last section heading (``##`` and below, not the page title) before cell ``index``."""
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown":
            for line in reversed(cell.source.splitlines()):
                if line.startswith("##"):
                    return line.lstrip("#").strip()
    return None


def stopped_box(title: str, detail: str, kind: str = "failed") -> nbformat.NotebookNode:
    """A Markdown cell holding one callout box (HTML, escaped)."""
    return nbformat.v4.new_markdown_cell(
        f'<div class="wb-stopped {kind}"><strong>{html.escape(title)}</strong>'
        f"<pre>{html.escape(detail)}</pre></div>"
    )


def mark_stopped(nb: nbformat.NotebookNode, reason: str | None = None, kind: str = "failed") -> nbformat.NotebookNode:
    """The page of a notebook that did not finish: one box under the title that says where it
    stopped and why, the sections that ran, and nothing after the cell that stopped."""
    cells = [c for c in nb.cells if PAPERMILL_ERROR_TAG not in c.metadata.get("tags", [])]
    failed_at, error = None, None
    for k, cell in enumerate(cells):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            failed_at, error = k, errors[0]
            cell["outputs"] = [o for o in cell["outputs"] if o.get("output_type") != "error"]
            break
    if failed_at is None:  # interrupted, or the kernel died: the last cell that started
        started = [k for k, c in enumerate(cells) if c.cell_type == "code" and
                   c.metadata.get("papermill", {}).get("start_time")]
        failed_at = started[-1] if started else None
    if error is not None:
        reason = f"{error.get('ename', 'Error')}: {_ANSI.sub('', str(error.get('evalue', '')))}"
    where = _section_of(cells, failed_at) if failed_at is not None else None
    verb = "was interrupted" if kind == "interrupted" else "stopped with an error"
    title = f"This study {verb}" + (f" in the section “{where}”" if where else "") + "."
    detail = (reason or "no reason was recorded") + "\nThe sections after that point did not run."
    kept = cells if failed_at is None else cells[: failed_at + 1]
    first_md = next((k for k, c in enumerate(kept) if c.cell_type == "markdown"), -1)
    kept.insert(first_md + 1, stopped_box(title, detail, kind))
    nb.cells = kept
    return nb


def render_html(notebook: str | Path, target: str | Path, stopped: str | None = None,
                reason: str | None = None) -> Path:
    """Write ``notebook`` as a self-contained page with the code hidden.

    ``stopped`` is ``"failed"`` or ``"interrupted"`` for a notebook that did not finish;
    ``reason`` is shown where the notebook itself holds no error (an interruption).
    """
    from nbconvert import HTMLExporter

    nb = strip_widgets(nbformat.read(notebook, as_version=4))
    if stopped:
        nb = mark_stopped(nb, reason, stopped)
    exporter = HTMLExporter(
        template_name="offline", extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
    )
    exporter.log.setLevel(logging.ERROR)  # figure alt-text notices, one per image
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": Path(notebook).stem}})
    target = Path(target)
    target.write_text(body, encoding="utf-8")
    return target
