"""Executing one notebook so that a signal stops it, and everything it started, at once.

The notebook client installs its own SIGINT/SIGTERM handlers while it runs, and those
swallow Ctrl-C; the kernel runs in a session of its own, so a terminal's Ctrl-C never
reaches it or the joblib/loky workers it starts. Here papermill runs in a worker thread
(where the client cannot install handlers), the main thread turns the first signal into
:class:`Interrupted`, and :func:`stop_children` ends the kernel and its workers. Each
kernel's own stdout/stderr (connection notices, library banners) goes to a log file.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):  # noqa: N818 - a signal, like KeyboardInterrupt
    """SIGINT or SIGTERM arrived; a BaseException so that no ``except Exception`` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.name = signal.Signals(signum).name
        self.exit_code = 128 + signum


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn the first SIGINT or SIGTERM into :class:`Interrupted` in the main thread; later ones
    are ignored while the run cleans up (a few seconds)."""

    def handler(signum, frame):
        for s in STOP_SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def stop_children(grace: float = 3.0) -> int:
    """End every process this one started (kernels, their joblib/loky workers): SIGTERM, then
    SIGKILL after ``grace`` seconds. Returns how many there were."""
    import psutil

    procs = psutil.Process().children(recursive=True)
    for p in procs:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=2)
    return len(procs)


def _kernel_manager(log_path: Path):
    """A kernel manager whose kernels write their own stdout/stderr to ``log_path``."""
    from jupyter_client.manager import AsyncKernelManager

    class LoggedKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            log = open(log_path, "ab")  # noqa: SIM115 - the kernel process holds it
            kw.update(stdout=log, stderr=log)
            try:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            finally:
                log.close()  # the child has its own copy of the descriptor

    return LoggedKernelManager


def execute_notebook(source: Path, output: Path, parameters: dict, kernel: str, log_path: Path) -> None:
    """Execute one notebook with papermill in a worker thread; re-raise its error here.

    The wait is a loop of short joins, so a signal reaches the main thread at once."""
    import papermill as pm

    outcome: dict[str, BaseException] = {}

    def work() -> None:
        try:
            pm.execute_notebook(
                str(source), str(output), parameters=parameters, kernel_name=kernel, progress_bar=False,
                cwd=os.getcwd(), kernel_manager_class=_kernel_manager(log_path),
            )
        except BaseException as err:  # handed to the main thread
            outcome["error"] = err

    worker = threading.Thread(target=work, name=f"notebook-{source.stem}", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except Interrupted:
        stop_children()
        worker.join(timeout=10)  # papermill notices the dead kernel and saves what ran
        raise
    if "error" in outcome:
        raise outcome["error"]
