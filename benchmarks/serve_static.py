"""Serve a built site the way a static host does: gzip for text, the 404 page, caching headers.

    python benchmarks/serve_static.py FOLDER PORT

For benchmarks (Lighthouse) only; `newpower serve` is the preview server.
"""

from __future__ import annotations

import gzip
import http.server
import mimetypes
import sys
from pathlib import Path

COMPRESS = {"text/html", "text/css", "text/javascript", "application/javascript", "application/json", "image/svg+xml",
            "application/xml", "application/manifest+json", "application/rss+xml", "application/atom+xml"}
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")


class Handler(http.server.BaseHTTPRequestHandler):
    root: Path

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        target = (self.root / path.lstrip("/")).resolve()
        if target.is_dir():
            if not path.endswith("/"):
                self.send_response(301)
                self.send_header("Location", path + "/")
                self.end_headers()
                return
            target = target / "index.html"
        status = 200
        if not target.is_relative_to(self.root) or not target.is_file():
            status, target = 404, self.root / "404.html"
        body = target.read_bytes()
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self.send_response(status)
        self.send_header("Content-Type", kind + ("; charset=utf-8" if kind.startswith("text/") or kind.endswith(("json", "xml")) else ""))
        self.send_header("Cache-Control", "public, max-age=31536000, immutable" if "/media/" in path or "/pagefind/" in path else "public, max-age=600")
        if kind in COMPRESS and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, mtime=0)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass


def main() -> None:
    Handler.root = Path(sys.argv[1]).resolve()
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler).serve_forever()


if __name__ == "__main__":
    main()
