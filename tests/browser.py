"""Open a page in headless Chromium and record what a reader's browser would do with it:
every request it makes and every console error (Chrome DevTools Protocol over a websocket)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-allow-origins=*"]
READY = 200  # the id of the readiness question open_page asks when the page is quiet


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _page_socket(port: int, deadline: float):
    import websocket

    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                pages = [t for t in json.load(r) if t["type"] == "page"]
            if pages:
                return websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=5)
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("Chromium's debugging port did not answer")
        time.sleep(0.2)


def open_page(path: Path, settle: float = 2.0, timeout: float = 60.0) -> dict[str, list[str]]:
    """Load ``path`` and return ``{"requests": [...], "errors": [...]}`` (URLs other than the page
    itself and ``data:`` URLs; console messages at error level and uncaught exceptions)."""
    url = Path(path).resolve().as_uri()
    port = _free_port()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--remote-debugging-port={port}", f"--user-data-dir={profile}",
                                 "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + timeout
            ws = _page_socket(port, deadline)
            for k, method in enumerate(("Network.enable", "Runtime.enable", "Log.enable", "Page.enable"), start=1):
                ws.send(json.dumps({"id": k, "method": method}))
            ws.send(json.dumps({"id": 99, "method": "Page.navigate", "params": {"url": url}}))
            requests, errors, loaded_at = [], [], None
            while time.monotonic() < deadline and (loaded_at is None or time.monotonic() - loaded_at < settle):
                try:
                    msg = json.loads(ws.recv())
                except Exception:  # the socket's read timeout: nothing new; ask the page whether it
                    # has loaded, in case its load event came before the page events were on
                    ws.send(json.dumps({"id": READY, "method": "Runtime.evaluate",
                                        "params": {"expression": "document.readyState + ' ' + location.href"}}))
                    continue
                if msg.get("id") == READY and loaded_at is None:
                    if msg.get("result", {}).get("result", {}).get("value") == f"complete {url}":
                        loaded_at = time.monotonic()
                    continue
                method, params = msg.get("method"), msg.get("params", {})
                if method == "Network.requestWillBeSent":
                    requests.append(params["request"]["url"])
                elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                    errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
                elif method == "Log.entryAdded":
                    entry = params["entry"]
                    if entry.get("source") == "network" and entry.get("url"):
                        requests.append(entry["url"])  # a request refused before it was sent
                    if entry["level"] == "error":
                        errors.append(f"{entry['text']} {entry.get('url', '')}".strip())
                elif method == "Runtime.exceptionThrown":
                    errors.append(params["exceptionDetails"].get("text", "exception"))
                elif method == "Page.loadEventFired":
                    loaded_at = time.monotonic()
            ws.send(json.dumps({"id": 100, "method": "Browser.close"}))
            ws.close()
            if loaded_at is None:
                raise TimeoutError(f"{url} did not finish loading in {timeout:.0f} s")
        finally:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
    others = [r for r in requests if r != url and not r.startswith("data:")]
    return {"requests": others, "errors": errors}
