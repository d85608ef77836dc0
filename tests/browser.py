"""Headless Chromium for page tests: open a page with the network blocked and ask it, over the DevTools
protocol, what it shows (text as rendered, computed styles, which resources loaded)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic",
         "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing outside the machine can be reached
         "--remote-debugging-port=0", "--window-size=1280,900"]


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="govlake-chromium-")
        self.proc = subprocess.Popen([shutil.which("chromium") or "chromium", *FLAGS, f"--user-data-dir={self.profile}",
                                      "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        self.port = None
        while self.port is None and time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if found:
                self.port = int(found.group(1))
        assert self.port, "Chromium did not start"
        self._next_id = 0

    def _targets(self) -> list[dict]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10) as r:
            return json.loads(r.read())

    def open(self, path: Path) -> Page:
        from websockets.sync.client import connect

        target = next(t for t in self._targets() if t["type"] == "page")
        ws = connect(target["webSocketDebuggerUrl"], max_size=None)
        page = Page(self, ws)
        page.call("Page.enable")
        page.call("Page.navigate", url=Path(path).resolve().as_uri())
        page.wait_loaded()
        return page

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, browser: Browser, ws):
        self.browser, self.ws = browser, ws

    def call(self, method: str, **params) -> dict:
        self.browser._next_id += 1
        mid = self.browser._next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == mid:
                assert "error" not in message, message
                return message.get("result", {})

    def wait_loaded(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.js("document.readyState") == "complete":
                self.js("document.fonts.ready.then(() => true)")
                return
            time.sleep(0.1)
        raise AssertionError("the page did not finish loading")

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result["result"].get("value")

    def text(self) -> str:
        """The page's text as rendered (innerText leaves out what is not displayed)."""
        return self.js("document.body.innerText")

    def style(self, selector: str, prop: str) -> str:
        return self.js(f"getComputedStyle(document.querySelector({json.dumps(selector)}))[{json.dumps(prop)}]")

    def resources(self) -> list[str]:
        """Every resource the page loaded or tried to load."""
        return self.js("performance.getEntriesByType('resource').map(e => e.name)")

    def close(self) -> None:
        self.ws.close()
