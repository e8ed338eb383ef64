"""Issue 14, `newpower serve` tried as a hostile web page and a hostile client would.

A page open in the same browser can point its own host name at 127.0.0.1 (DNS
rebinding) and read what the preview answers; a client can hold sockets open
or trickle bytes; a request can name a path the file system cannot take. The
preview runs in a thread here, with its time limits and connection bound made
small so that the tests need not wait out the real ones.
"""

from __future__ import annotations

import http.client
import queue
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import copy_site

from newpower_site.core import pool
from newpower_site.core.options import BuildOptions
from newpower_site.serve import server as serve_module
from newpower_site.serve.server import ServeOptions, serve

LIMIT = 60  # seconds: a hang fails the test instead of blocking the suite (not a speed check)
SMALL = {"HEAD_DEADLINE": 1.0, "IDLE_TIMEOUT": 1.0, "MAX_CONNECTIONS": 4}


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    site = copy_site("realistic", tmp_path_factory.mktemp("serve"))
    saved = {name: getattr(serve_module, name, None) for name in SMALL}
    saved_forbidden = pool._forbidden  # serve forbids forking once its threads start: not for the tests after
    for name, value in SMALL.items():
        setattr(serve_module, name, value)
    ready: queue.Queue[str] = queue.Queue()
    stop = threading.Event()
    said: list[str] = []
    thread = threading.Thread(target=serve, args=(ServeOptions(BuildOptions(site), port=0), said.append,
                                                  lambda ds: said.extend(d.format() for d in ds), ready.put, stop), daemon=True)
    thread.start()
    try:
        url = ready.get(timeout=LIMIT * 2)
        yield int(re.search(r":(\d+)/", url).group(1))
    finally:
        stop.set()
        thread.join(LIMIT)
        for name, value in saved.items():
            setattr(serve_module, name, value)
        pool._forbidden = saved_forbidden


def request(port: int, path: str = "/", headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=LIMIT)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read() if response.status != 200 or "events" not in path else b""
    finally:
        connection.close()


def raw(port: int, data: bytes) -> bytes:
    """Send `data` as it is and read the answer until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=LIMIT) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


# -- finding 6: Host and Origin ----------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}", "127.0.0.1:1"])
def test_a_request_for_another_host_is_refused(preview: int, host: str) -> None:
    status, _, body = request(preview, "/", {"Host": host.format(port=preview)})
    assert 400 <= status < 500
    assert b"<html" not in body


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_the_preview_answers_to_its_own_addresses(preview: int, host: str) -> None:
    status, _, body = request(preview, "/", {"Host": host.format(port=preview)})
    assert status == 200 and b"<html" in body


def test_a_request_without_a_host_is_refused(preview: int) -> None:
    answer = raw(preview, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ")


def test_another_origin_cannot_listen_to_the_event_stream(preview: int) -> None:
    for origin in ("http://evil.example", "null", f"http://127.0.0.1:{preview}.evil.example"):
        status, _, _ = request(preview, "/__newpower/events", {"Origin": origin})
        assert status == 403, origin


def test_the_preview_s_own_pages_still_get_the_event_stream(preview: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", preview, timeout=LIMIT)
    try:
        connection.request("GET", "/__newpower/events", headers={"Origin": f"http://127.0.0.1:{preview}"})
        response = connection.getresponse()
        assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream"
        assert response.fp.readline() == b"retry: 500\n"
    finally:
        connection.close()


# -- finding 7: idle and slow connections, and how many are held -------------------------------------


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed its end (recv gives nothing or the connection is reset)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_an_idle_connection_is_closed(preview: int) -> None:
    with socket.create_connection(("127.0.0.1", preview), timeout=LIMIT) as sock:
        assert closed_by_server(sock), "the server holds a silent socket for ever"


def test_a_trickling_request_is_cut_off(preview: int) -> None:
    """One byte every 0.3 s never meets a per-read timeout of 1 s: the request's head has its own deadline."""
    with socket.create_connection(("127.0.0.1", preview), timeout=LIMIT) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")
        for _ in range(200):  # 60 s of trickle at most
            try:
                sock.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                break
            sock.settimeout(0.3)
            try:
                if sock.recv(1) == b"":
                    break
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
        else:
            pytest.fail("a trickling client held its connection for a minute")


def test_connections_beyond_the_bound_are_turned_away_then_served_again(preview: int) -> None:
    """Connections held open (each answered once, then kept alive) use up the bound; the next is a 503.
    (Closed event streams of the tests before may still hold a slot: the bound shows all the same.)"""
    held: list[socket.socket] = []
    try:
        for _ in range(SMALL["MAX_CONNECTIONS"] * 3):
            sock = socket.create_connection(("127.0.0.1", preview), timeout=LIMIT)
            sock.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % preview)
            status = sock.recv(12)
            if status == b"HTTP/1.1 503":
                sock.close()
                break
            assert status == b"HTTP/1.1 200"
            held.append(sock)
        else:
            pytest.fail(f"{len(held)} connections held open at once, and more would be")
        assert len(held) <= SMALL["MAX_CONNECTIONS"]
    finally:
        for sock in held:
            sock.close()
    for _ in range(LIMIT * 10):  # the held connections' threads end as they see the close
        status_code, _, _ = request(preview, "/robots.txt")
        if status_code == 200:
            break
        time.sleep(0.1)
    assert status_code == 200


# -- finding 8: request lines and paths it cannot serve ----------------------------------------------


def test_a_path_component_longer_than_a_file_name_is_a_404(preview: int, capsys: pytest.CaptureFixture[str]) -> None:
    for path in ("/" + "a" * 300, "/articles/" + "%C3%A9" * 200 + "/", "/" + "b" * 5000 + "/index.html"):
        status, _, _ = request(preview, path)
        assert status == 404, path
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("line", [
    b"GET http://evil.example/ HTTP/1.1",
    b"GET * HTTP/1.1",
    b"GET /\x00 HTTP/1.1",
    b"GET /%00 HTTP/1.1",
    b"GET /" + b"x" * 70000 + b" HTTP/1.1",
    b"BREW / HTTP/1.1",
    b"POST / HTTP/1.1",
    b"GET / HTTP/9.9",
    b"\xff\xfe / HTTP/1.1",
])
def test_a_request_line_it_cannot_serve_is_a_4xx(preview: int, line: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    answer = raw(preview, line + b"\r\nHost: 127.0.0.1:%d\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" % preview)
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer[:200]
    assert "Traceback" not in capsys.readouterr().err


# -- finding 3: a preview folder that is a link ------------------------------------------------------


@pytest.mark.parametrize("link", [".newpower-cache/serve", ".newpower-cache"])
def test_serve_refuses_a_preview_folder_that_is_a_link(tmp_path: Path, link: str) -> None:
    site = copy_site("realistic", tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (site / link).parent.mkdir(parents=True, exist_ok=True)
    (site / link).symlink_to(elsewhere)
    reported: list[str] = []
    stop = threading.Event()
    stop.set()  # should it serve after all, it stops at once
    forbidden = pool._forbidden
    try:
        code = serve(ServeOptions(BuildOptions(site), port=0), lambda line: None, lambda ds: reported.extend(d.format() for d in ds), stop=stop)
    finally:
        pool._forbidden = forbidden
    assert code == 1
    assert list(elsewhere.iterdir()) == []
    assert reported == [f"{link}: error: is a symbolic link or not a folder; serve writes its preview only into a folder of its own: remove it"]
