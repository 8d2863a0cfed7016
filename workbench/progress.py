"""Progress of long steps, seen in JupyterLab and in the terminal of a batch run.

In JupyterLab (or any interactive session) :func:`progress` is ``tqdm.auto``: a widget
in a notebook, a text bar in a terminal. In a batch run the notebook's own output
becomes the report, so there the bar goes to the file that the runner names in
``WORKBENCH_PROGRESS``; the runner follows that file and shows the bar in its
terminal (see :class:`ProgressEcho`), and the report stays free of it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

PROGRESS_ENV = "WORKBENCH_PROGRESS"


def progress(iterable: Iterable, desc: str, total: int | None = None, disable: bool = False, **kwargs: Any):
    """A tqdm bar over ``iterable``: to the runner's progress file in a batch run, else tqdm.auto."""
    target = os.environ.get(PROGRESS_ENV)
    if target:
        from tqdm import tqdm

        stream = open(target, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - closed with the bar
        bar = tqdm(iterable, desc=desc, total=total, file=stream, disable=disable, ascii=True, ncols=100,
                   mininterval=1.0, **kwargs)
        bar_close = bar.close

        def close() -> None:  # at the loop's end, and again when the bar is collected
            bar_close()
            if not stream.closed:
                stream.write("\n")
                stream.close()

        bar.close = close
        return bar
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, disable=disable, **kwargs)


class ProgressEcho:
    """Follow a progress file in a thread and echo its latest bar to ``stream``.

    On a terminal the bar is redrawn in place; in a log (CI, a file) a line is written
    when the step changes and at most every ``every`` seconds in between.
    """

    def __init__(self, path: str | Path, stream: TextIO | None = None, every: float = 30.0,
                 prefix: str = "    ") -> None:
        self.path = Path(path)
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.every = every
        self.prefix = prefix
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="progress-echo", daemon=True)
        self._last = ""
        self._shown = 0.0
        self._drawn = False

    def __enter__(self) -> ProgressEcho:
        self.path.touch()
        self._offset = self.path.stat().st_size
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._read()
        if self._drawn and self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _follow(self) -> None:
        while not self._stop.wait(0.5):
            self._read()

    def _read(self) -> None:
        try:
            with self.path.open("r", encoding="utf-8", errors="replace") as f:
                f.seek(self._offset)
                chunk = f.read()
                self._offset = f.tell()
        except OSError:
            return
        parts = [p.strip() for p in chunk.replace("\r", "\n").split("\n") if p.strip()]
        if parts:
            self._show(parts[-1])

    def _show(self, line: str) -> None:
        if line == self._last:
            return
        step = line.split(":", 1)[0]
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r" + self.prefix + line[:110].ljust(110))
            self._drawn = True
        elif step != self._last.split(":", 1)[0] or now - self._shown >= self.every or "100%" in line:
            self.stream.write(self.prefix + line + "\n")
            self._shown = now
        else:
            return
        self._last = line
        self.stream.flush()
