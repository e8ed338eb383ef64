"""Tell open browsers to reload: server-sent events and the small script that listens.

The script is added to HTML responses as `serve` sends them, never to a
file: a normal build's output has no trace of it. After a build that failed,
the script shows its `PATH:LINE: error:` lines over the page; the next good
build reloads the page, which clears them.
"""

from __future__ import annotations

import html
import json
import queue
import re
import threading
from dataclasses import dataclass

EVENTS_PATH = "/__newpower/events"
SCRIPT_PATH = "/__newpower/livereload.js"
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)

SCRIPT = """\
(function () {
  "use strict";
  var overlayId = "newpower-problems";
  function showProblems(lines) {
    var box = document.getElementById(overlayId);
    if (!box) {
      box = document.createElement("div");
      box.id = overlayId;
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;z-index:2147483647;" +
        "margin:0;padding:1rem 1.25rem;background:#2b0a0a;color:#fff;border-top:4px solid #e0301e;" +
        "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = "The last edit did not build; the page shows the build before it.\\n\\n" + lines.join("\\n");
  }
  var source = new EventSource("/__newpower/events");
  var errorPage = document.documentElement.getAttribute("data-newpower-problems");
  source.addEventListener("reload", function () { window.location.reload(); });
  source.addEventListener("problems", function (event) {
    if (errorPage !== null) {  // the first build failed: this page is the error page; show the new list
      if (event.data !== errorPage) { window.location.reload(); }
      return;
    }
    showProblems(JSON.parse(event.data));
  });
}());
"""


def error_page(problems: list[str]) -> bytes:
    """What the preview serves while it has no good build to show: the problems, and the reload hook.

    The next good build reloads it into the real page; a build with other
    problems reloads it too (the script compares the list it was made with).
    """
    listed = json.dumps(problems)
    items = "\n".join(f"<li><code>{html.escape(line)}</code></li>" for line in problems) or "<li>see the terminal running newpower serve</li>"
    page = f"""<!doctype html>
<html lang="en" data-newpower-problems="{html.escape(listed, quote=True)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>The site did not build · newpower serve</title>
<style>
body {{ margin: 0; padding: 2rem 1.25rem; background: #fbf6ec; color: #1f1a17; font: 1.05rem/1.6 system-ui, sans-serif; }}
main {{ max-width: 60rem; margin: 0 auto; }}
h1 {{ margin-top: 0; font-family: Georgia, serif; color: #7d1a14; }}
ul {{ padding: 1rem 1.25rem 1rem 2.25rem; background: #2b0a0a; color: #fff; border-top: 4px solid #e0301e; border-radius: .4rem; }}
li {{ margin-block: .35rem; }}
code {{ font: .95rem/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }}
</style>
</head>
<body>
<main>
<h1>The site did not build</h1>
<p>{len(problems) or "Some"} problem{"" if len(problems) == 1 else "s"} stopped the first build of this preview. Fix them and save:
this page turns into the site by itself.</p>
<ul role="list" aria-label="Problems">
{items}
</ul>
<p>The same lines are in the terminal running <code>newpower serve</code>, each as PATH:LINE.</p>
</main>
</body>
</html>
"""
    return inject(page.encode("utf-8"))


def inject(html: bytes) -> bytes:
    """The page with the reload script before its last </body> (or at its end)."""
    tag = f'<script src="{SCRIPT_PATH}"></script>'.encode()
    matches = list(_BODY_END.finditer(html))
    if not matches:
        return html + tag
    at = matches[-1].start()
    return html[:at] + tag + html[at:]


@dataclass(frozen=True, slots=True)
class Event:
    """A server-sent event to the preview's open pages: reload, or the build's problems."""

    name: str  # "reload" or "problems"
    data: str
    number: int

    def encode(self) -> bytes:
        return f"id: {self.number}\nevent: {self.name}\ndata: {self.data}\n\n".encode()


class Hub:
    """The open event streams, and the news each of them must get."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[queue.Queue[Event | None]] = []
        self._number = 0
        self.problems: list[str] = []  # of the last build; a page opened now shows them too

    def listen(self) -> queue.Queue[Event | None]:
        listener: queue.Queue[Event | None] = queue.Queue()
        with self._lock:
            self._listeners.append(listener)
            if self.problems:
                listener.put(Event("problems", json.dumps(self.problems), self._number))
        return listener

    def leave(self, listener: queue.Queue[Event | None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def reload(self) -> None:
        self.problems = []
        self._send("reload", "{}")

    def report(self, lines: list[str]) -> None:
        self.problems = list(lines)
        self._send("problems", json.dumps(self.problems))

    def close(self) -> None:
        with self._lock:
            for listener in self._listeners:
                listener.put(None)

    def _send(self, name: str, data: str) -> None:
        with self._lock:
            self._number += 1
            event = Event(name, data, self._number)
            for listener in self._listeners:
                listener.put(event)
