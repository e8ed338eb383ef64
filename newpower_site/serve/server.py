"""`newpower serve`: build, serve on 127.0.0.1, rebuild what an edit touches, reload the browser.

The preview is built into a private folder, `.newpower-cache/serve/`, never
into output/, and updated in place: a preview need not be swapped in
atomically, and a failed rebuild writes nothing, so the browser keeps the
last good build and shows the errors over it. The search index is not
rebuilt on each edit (it is made by `newpower build`).

watchdog reports changes under the site folder (content/, templates/,
site.yaml) and the default theme; a burst of saves (an editor writing a
file in three steps, a `git checkout`) becomes one rebuild.
"""

from __future__ import annotations

import errno
import http.server
import mimetypes
import posixpath
import queue
import shutil
import signal
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from newpower_site.core import pool as parallel
from newpower_site.cache.state import BuildCache
from newpower_site.core.layout import CACHE_ROOT, CACHE_SERVE, cache_folder
from newpower_site.write.lock import LockError, output_lock
from newpower_site.load.config import load_config
from newpower_site.core.diagnostics import Diagnostic, error
from newpower_site.engine.engine import Engine
from newpower_site.serve.livereload import EVENTS_PATH, SCRIPT, SCRIPT_PATH, Hub, error_page, inject
from newpower_site.core.options import BuildOptions, BuildResult
from newpower_site.write.writers import InPlace
from newpower_site.core.theme import default_theme_dir
from newpower_site.core.urls import Urls

HOST = "127.0.0.1"
DEFAULT_PORT = 8000
PORT_TRIES = 20  # when the port is taken, the next ones are tried
QUIET_PERIOD = 0.03  # seconds without a new change before a rebuild starts
QUIET_AFTER_SAVE = 0.005  # ... when the last change was a file closed after writing: that save is whole
LONGEST_WAIT = 0.3  # a steady stream of changes still rebuilds this often
IGNORED_PARTS = {CACHE_ROOT, "output", ".git", "node_modules", "__pycache__"}
# A connection that sends nothing for this long, or takes longer than HEAD_DEADLINE to
# send a request's head, is closed: idle and trickling sockets must not use up the
# descriptors. At most MAX_CONNECTIONS are held at once (each browser tab holds one
# for its event stream); one more is answered 503 and closed.
IDLE_TIMEOUT = 10.0
HEAD_DEADLINE = 10.0
MAX_CONNECTIONS = 64
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")
WATCHED_FOLDERS = ("content", "templates")

Say = Callable[[str], None]
Report = Callable[[list[Diagnostic]], None]


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """`newpower serve`'s settings: the build's, and where to listen."""

    build: BuildOptions
    port: int = DEFAULT_PORT
    open_browser: bool = False


def serve_folder(site_dir: Path) -> Path:
    return cache_folder(site_dir, CACHE_SERVE)


class Preview:
    """The preview's state: the builder, the folder it serves, the browsers listening."""

    def __init__(self, options: BuildOptions, say: Say, report: Report):
        self.folder = serve_folder(options.site_dir)
        self.engine = Engine(replace(options, out_dir=self.folder), InPlace(self.folder), BuildCache(options.site_dir))
        assert self.engine.cache is not None
        self.engine.cache.open(self.folder, InPlace.kind)
        if self.engine.cache.state_missing():
            shutil.rmtree(self.folder, ignore_errors=True)  # files of an unknown earlier preview
        self.folder.mkdir(parents=True, exist_ok=True)
        self.hub = Hub()
        self.say = say
        self.report = report
        self.prefix = ""
        self.base_url = ""  # site.yaml's (or --base-url), without the final slash: email previews point it at the preview
        self.lock = threading.Lock()
        self.built_once = False  # until a build succeeds, a missing page is the error page, not "not found"

    def rebuild(self, reason: str = "") -> BuildResult:
        try:
            # Two previews of one site share the preview folder: one rebuilds at a time.
            with self.lock, output_lock(self.folder, waiting=self.say):
                self.engine.options = replace(self.engine.options, now=datetime.now(UTC))
                started = time.perf_counter()
                result = self.engine.build()
                took = time.perf_counter() - started
        except LockError as exc:
            result, took = BuildResult(None, [exc.diagnostic]), 0.0
        self.prefix = self._prefix(result)
        self.built_once = self.built_once or result.ok
        if not result.ok:
            self.report(result.diagnostics)
            self.hub.report([d.format() for d in sorted(result.diagnostics) if d.level == "error"])
            self.say(f"rebuild failed{reason}: the browser shows the errors; the preview keeps the last good build")
            return result
        if result.diagnostics:
            self.report(result.diagnostics)
        changed = result.changed
        if changed or self.hub.problems:
            self.say(f"rebuilt{reason}: {len(changed)} file{'s' if len(changed) != 1 else ''} in {took * 1000:.0f} ms")
            self.hub.reload()
        return result


    def _prefix(self, result: BuildResult) -> str:
        """The base_url's path prefix; a build that had nothing to do carries no config, so read it."""
        if self.engine.options.base_url:
            self.base_url = self.engine.options.base_url.rstrip("/")
            return Urls(self.engine.options.base_url).prefix
        config = result.site.config if result.site is not None and result.site.config is not None else load_config(self.engine.options.site_dir)[0]
        if config is None:
            return self.prefix
        self.base_url = config.base_url.rstrip("/")
        return Urls(config.base_url).prefix

    def local_email(self, data: bytes, own_origin: str) -> bytes:
        """An email as the preview serves it: its absolute links to the site (images above all) point at the
        preview, which has those files before the site is deployed."""
        if not self.base_url:
            return data
        return data.replace(self.base_url.encode() + b"/", f"{own_origin}{self.prefix}/".encode())


class _Handler(http.server.BaseHTTPRequestHandler):
    """One connection. Only requests for this server's own address are answered: through DNS
    rebinding a web page could otherwise name its own host and read the preview, drafts and all."""

    preview: Preview  # set on the subclass made per server
    protocol_version = "HTTP/1.1"
    def log_message(self, format: str, *args: object) -> None:
        pass

    def setup(self) -> None:
        self.timeout = IDLE_TIMEOUT  # socketserver sets it on the socket: each read and write
        super().setup()

    def handle_one_request(self) -> None:
        """As the standard one, with one deadline for the whole request line and headers (a trickle
        of one byte every few seconds never meets the socket's timeout)."""
        timer = threading.Timer(HEAD_DEADLINE, self._cut_off)
        timer.daemon = True
        self._head_read = False
        timer.start()
        try:
            super().handle_one_request()
        finally:
            timer.cancel()

    def parse_request(self) -> bool:
        parsed = super().parse_request()
        self._head_read = True
        return parsed

    def _cut_off(self) -> None:
        if not self._head_read:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def do_HEAD(self) -> None:
        self._checked(head=True)

    def do_GET(self) -> None:
        self._checked(head=False)

    def _checked(self, head: bool) -> None:
        """Refuse what this server must not answer; a path it cannot serve is a 404, never a traceback."""
        port = self.server.server_address[1]
        own = {f"{name}:{port}" for name in LOCAL_NAMES} | (set(LOCAL_NAMES) if port == 80 else set())
        host = (self.headers.get("Host") or "").strip().lower()
        if host not in own:
            return self._refuse(421 if host else 400, f"this preview answers only to http://{HOST}:{port}/")
        if not self.path.startswith("/"):  # the origin form only: no absolute URL, no "*"
            return self._refuse(400, "a request for a path is expected")
        try:
            self._respond(head)
        except (ConnectionError, TimeoutError):
            raise  # the browser went away or stalled: nothing to answer (handle_error says nothing)
        except (OSError, ValueError) as exc:  # a name too long for the file system, say
            self._refuse(404, f"cannot serve this path: {getattr(exc, 'strerror', None) or exc}")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A request it cannot serve is the client's fault, a 4xx: a method other than GET and HEAD is 405
        (the standard handler says 501), an HTTP version it does not speak 400 (not 505). The answer
        always has a status line, even to a request line too broken to name its version."""
        if code == 501:
            code, message = 405, "only GET and HEAD are served"
        elif code == 505:
            code = 400
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"
        super().send_error(code, message, explain)

    def _refuse(self, status: int, message: str) -> None:
        self.close_connection = True
        self._send(status, "text/plain; charset=utf-8", message.encode() + b"\n", head=self.command == "HEAD")

    def _cross_origin(self) -> bool:
        """The event stream is for the preview's own pages: a page elsewhere must not listen to it."""
        origin = self.headers.get("Origin")
        if origin is None:
            return False
        port = self.server.server_address[1]
        return origin.strip().lower() not in {f"http://{name}:{port}" for name in LOCAL_NAMES}

    def _respond(self, head: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        if path == EVENTS_PATH:
            if self._cross_origin():
                return self._refuse(403, "the event stream is for the preview's own pages")
            return self._events()
        if path == SCRIPT_PATH:
            return self._send(200, "text/javascript; charset=utf-8", SCRIPT.encode(), head)
        file = self._file_for(path)
        if file is None and not self.preview.built_once:  # the first build failed: show why, and reload on the fix
            return self._send(500, "text/html; charset=utf-8", error_page(self.preview.hub.problems), head)
        if file is None:
            missing = self.preview.folder / "404.html"
            body = inject(missing.read_bytes()) if missing.is_file() else b"not found"
            return self._send(404, "text/html; charset=utf-8", body, head)
        if file.is_dir():
            location = self.path.split("?", 1)[0] + "/"
            self.send_response(301)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        data = file.read_bytes()
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if kind == "text/html":
            if file.resolve().is_relative_to((self.preview.folder / "email").resolve()):
                data = self.preview.local_email(data, f"http://{self.headers.get('Host', '')}")
            data = inject(data)
        if kind.startswith("text/") or kind in ("application/javascript", "application/json", "image/svg+xml", "application/xml"):
            kind += "; charset=utf-8"
        return self._send(200, kind, data, head)

    def _file_for(self, path: str) -> Path | None:
        prefix = self.preview.prefix
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            path = path[len(prefix) :] or "/"
        relative = posixpath.normpath(path).lstrip("/")
        if relative.startswith("..") or "\x00" in relative:
            return None
        folder = self.preview.folder
        target = folder / relative if relative not in ("", ".") else folder
        if target.is_dir():
            if not path.endswith("/"):
                return target
            target = target / "index.html"
        try:
            if target.is_file() and target.resolve().is_relative_to(folder.resolve()):
                return target
        except OSError:
            return None
        return None

    def _send(self, status: int, kind: str, body: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        self.close_connection = True
        listener = self.preview.hub.listen()
        try:
            self.wfile.write(b"retry: 500\n\n")
            self.wfile.flush()
            while True:
                try:
                    event = listener.get(timeout=15)
                except queue.Empty:
                    self.wfile.write(b": still here\n\n")  # keeps proxies and idle timeouts from closing it
                    self.wfile.flush()
                    continue
                if event is None:
                    return
                self.wfile.write(event.encode())
                self.wfile.flush()
        except OSError:
            return
        finally:
            self.preview.hub.leave(listener)


class _Changes(FileSystemEventHandler):
    """Notes that something under a watched folder changed (the rebuild finds out what).

    Only content/, templates/, the site folder itself (site.yaml) and the
    default theme are watched: output/ and the preview's own folder hold
    thousands of folders, and inotify has a limited number of watches.
    """

    def __init__(self, site_dir: Path, wake: threading.Event, last: list[float], observer: Any):
        self.site_dir = site_dir.resolve()
        self.wake = wake
        self.last = last
        self.observer = observer
        self.watched: set[Path] = set()

    def watch(self) -> None:
        self._schedule(self.site_dir, recursive=False)
        for name in WATCHED_FOLDERS:
            self._schedule(self.site_dir / name, recursive=True)
        theme = default_theme_dir().resolve()
        if not theme.is_relative_to(self.site_dir):
            self._schedule(theme, recursive=True)

    def _schedule(self, folder: Path, recursive: bool) -> None:
        if folder in self.watched or not folder.is_dir():
            return
        self.observer.schedule(self, str(folder), recursive=recursive)
        self.watched.add(folder)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type in ("created", "moved"):
            self.watch()  # content/ or templates/ made after serve started
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        if all(self._ignored(str(p)) for p in paths if p):
            return
        self.last[0] = time.monotonic() - (QUIET_PERIOD - QUIET_AFTER_SAVE if event.event_type == "closed" else 0.0)
        self.wake.set()

    def _ignored(self, path: str) -> bool:
        try:
            parts = Path(path).resolve().relative_to(self.site_dir).parts
        except ValueError:
            return False  # the default theme, outside the site folder
        name = parts[-1] if parts else ""
        return bool(set(parts) & IGNORED_PARTS) or name.endswith(("~", ".swp", ".swx", ".tmp")) or name.startswith(".#")


class _PreviewServer(http.server.ThreadingHTTPServer):
    """A thread per connection, at most MAX_CONNECTIONS of them; a dropped connection is no traceback."""

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            try:
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that went away or a socket timed out is normal; anything else is one line, not a traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        print(f"newpower: internal error while serving a request: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)


def bind(port: int) -> tuple[http.server.ThreadingHTTPServer, int]:
    """A server on `port`, or on the next free one of the following PORT_TRIES."""
    last_error: OSError | None = None
    for candidate in range(port, port + PORT_TRIES + 1):
        try:
            server = _PreviewServer((HOST, candidate), _Handler)
            return server, server.server_address[1]
        except OSError as exc:
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise
            last_error = exc
        if port == 0:
            break
    raise last_error or OSError(errno.EADDRINUSE, "no free port")


def refuse_preview_folder(site_dir: Path) -> list[Diagnostic]:
    """Reasons not to write the preview, as build refuses an --out that is a link: the preview goes
    only into a folder of its own, never into a link's target."""
    for folder in (site_dir / CACHE_ROOT, serve_folder(site_dir)):
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            shown = folder.relative_to(site_dir).as_posix()
            return [error(shown, 0, "is a symbolic link or not a folder; serve writes its preview only into a folder of its own: remove it")]
    return []


def serve(options: ServeOptions, say: Say, report: Report, ready: Callable[[str], None] | None = None,
          stop: threading.Event | None = None) -> int:
    """Run until Ctrl-C (or `stop` is set); 0 on a clean stop, 1 when the port cannot be had or the preview folder is refused."""
    refusals = refuse_preview_folder(options.build.site_dir)
    if refusals:
        report(refusals)
        return 1
    preview = Preview(options.build, say, report)
    first = preview.rebuild()
    if not first.ok:
        say("the site has errors; serving what there is and watching for the fix")

    handler = type("Handler", (_Handler,), {"preview": preview})
    try:
        server, port = bind(options.port)
    except OSError as exc:
        say(f"newpower: cannot listen on {HOST}:{options.port} or the {PORT_TRIES} ports after it: {exc.strerror}")
        return 1
    server.RequestHandlerClass = handler
    server.daemon_threads = True
    parallel.forbid_fork()  # threads from here on

    wake = threading.Event()
    last = [0.0]
    observer = Observer()
    stopping = stop or threading.Event()
    serving: threading.Thread | None = None
    _stop_on_signals()  # before "serving" is said: a signal sent on reading it must stop us
    try:
        changes = _Changes(options.build.site_dir, wake, last, observer)
        changes.watch()
        observer.daemon = True
        observer.start()
        rebuilder = threading.Thread(target=_rebuild_loop, args=(preview, wake, last, stopping), daemon=True)
        rebuilder.start()
        serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        serving.start()

        url = f"http://{HOST}:{port}{preview.prefix}/"
        if port != options.port and options.port != 0:
            say(f"port {options.port} is taken; using {port}")
        say(f"serving {options.build.site_dir} at {url} (Ctrl-C to stop)")
        if ready:
            ready(url)
        if options.open_browser:
            webbrowser.open(url)
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        wake.set()
        preview.hub.close()
        if observer.is_alive():
            observer.stop()
        if serving is not None:  # shutdown() waits for serve_forever, which must have started
            server.shutdown()
        server.server_close()
    say("stopped")
    return 0


def _rebuild_loop(preview: Preview, wake: threading.Event, last: list[float], stopping: threading.Event) -> None:
    while not stopping.is_set():
        wake.wait()
        if stopping.is_set():
            return
        first = time.monotonic()
        while True:  # coalesce a burst: wait for a quiet moment, but not for ever
            quiet = QUIET_PERIOD - (time.monotonic() - last[0])
            if quiet <= 0 or time.monotonic() - first >= LONGEST_WAIT:
                break
            time.sleep(min(quiet, 0.01))
        wake.clear()
        try:
            preview.rebuild()
        except Exception as exc:  # a bug of ours must not stop the preview
            preview.say(f"newpower: internal error while rebuilding: {type(exc).__name__}: {exc}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM stop the preview, even when started from a shell that ignores SIGINT
    (a background job: such a process inherits the ignore and would never stop on Ctrl-C)."""
    if threading.current_thread() is not threading.main_thread():
        return  # signals reach only the main thread; an embedding caller stops us with `stop`
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
