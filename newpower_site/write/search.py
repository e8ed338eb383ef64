"""The site search index: Pagefind, in shards, made from the written item pages before they go live.

Pagefind cannot update an index in place, and one index of a 10,000-item
archive costs seconds and over a gigabyte of memory on every build that
changes a page. So items are indexed in shards (`plan_shards`): one Pagefind
index per year of items, a large year split into runs in date order. A build
re-indexes only the shards with a changed page; the search page searches
every shard at once (Pagefind's `mergeIndex`) and ranks the results as one
list. Each shard is written to `pagefind/NAME/`, and `pagefind/shards.json`
names them for the search page; `pagefind/NAME/pages.txt` lists the pages
a shard was made from, so the next build can tell whether it still holds.

Pages are fed to Pagefind from the files already written (no folder walk)
through its service mode, a fresh Pagefind process for each shard, `JOBS`
of them at once, which bounds memory to that many shards'.
Pagefind hands back each index's files and they are written here: its own
writes may still be in flight when the process ends (an empty
pagefind-entry.json was seen), and a written file is then ours to check.
The index is written in a staging folder, so a build whose index fails is not
published and the previous output stays as it was.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newpower_site.core.diagnostics import Diagnostic, error
from newpower_site.core.layout import SEARCH_EDITS, SEARCH_INDEX, SEARCH_PAGES
from newpower_site.core.memory import give_back_memory

if TYPE_CHECKING:
    from newpower_site.plan.outputs import Output

INDEX_FOLDER = SEARCH_INDEX
SHARDS_FILE = "shards.json"  # the shard names, for the search page
PAGES_FILE = SEARCH_PAGES  # a shard's pages, for the next build (written last: its mtime dates the shard)
IDS_FILE = "ids.txt"  # each page's Pagefind id in its shard: what the edits shard names to drop a stale copy
EDITS = SEARCH_EDITS  # the small shard of pages edited since their year shards were made (always present, maybe empty)
DROP_FILE = "drop.json"  # in the edits shard: how many pages it holds, and the stale ids the search page drops
EDITS_MAX = 40  # under `build --quick-search`, the most pages the edits shard holds before they are folded back
BODY_MARK = b"data-pagefind-body"
ITEM_KINDS = ("article", "voice", "newsletter", "page")
UNDATED = "pages"  # the shard of a site whose items have no date (undated pages otherwise join the oldest span)
SHARD_SIZE = 1800  # pages a shard, about: ~6 shards at 10,000 items, one Pagefind ~240 MB (docs/performance.md)
JOBS = 1  # Pagefind processes at once: two took a cold 10,000-item build past its memory budget (docs/performance.md)
# AddFile requests handed to Pagefind before the first is answered: the next page is read and encoded here
# (and decoded by Pagefind's reader thread) while Pagefind indexes this one; a few bound what it holds queued.
IN_FLIGHT = 4
UNUSED_PREFIXES = ("pagefind-ui", "pagefind-modular-ui", "pagefind-component-ui", "pagefind-highlight")


class SearchIndexError(Exception):
    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.format())
        self.diagnostic = diagnostic


@dataclass(frozen=True, slots=True)
class Shard:
    """One Pagefind index: its folder name under `pagefind/` and its pages (output paths), in date order."""

    name: str
    pages: tuple[str, ...]


def plan_shards(outputs: Iterable[Output], size: int = SHARD_SIZE) -> list[Shard]:
    """The shards of the item pages among `outputs` (`shards_by_date`)."""
    return shards_by_date(index_dates(outputs), size)


IndexDate = tuple[int, float] | None  # an item's date as a shard's plan reads it: (its year, its timestamp); None: undated


def index_date(when: datetime | None) -> IndexDate:
    """What places a page in its shard, and in its shard's order (taken once a build: ~2 us a date)."""
    return None if when is None else (when.year, when.timestamp())


def index_dates(outputs: Iterable[Output]) -> dict[str, IndexDate]:
    """Each item page the index holds -> its item's index_date: all that places a page in a shard."""
    found = {}
    for output in outputs:
        item = _item_of(output)
        if item is not None:
            found[output.path] = index_date(getattr(item, "date", None))
    return found


def shards_by_date(dates: Mapping[str, IndexDate], size: int = SHARD_SIZE) -> list[Shard]:
    """Item pages grouped in fixed spans of calendar years, about `size` pages a shard; undated pages join the oldest.

    The span is the archive's average pages per shard over its years
    (`size` x years / items, at least one year), and spans start at a year
    divisible by it (2010-2012, 2013-2015, ...), so a new item, a back-dated
    one or a date change re-indexes only its span, and the span itself
    changes only when the archive's density of items a year crosses a
    threshold. A span of more than 1.5 x `size` pages (a busy year) is cut in
    even runs in date order, which bounds Pagefind's memory. Pages are
    ordered by (date, path) within a shard, whatever order they come in.
    """
    dated: list[tuple[int, float, str]] = []
    undated: list[str] = []
    for path, when in dates.items():
        if when is None:
            undated.append(path)
        else:
            dated.append((*when, path))
    if not dated:
        return [Shard(UNDATED, tuple(sorted(undated)))] if undated else []
    first, last = min(y for y, _, _ in dated), max(y for y, _, _ in dated)
    span = max(1, size * (last - first + 1) // (len(dated) + len(undated)))
    groups: dict[int, list[tuple[float, str]]] = {}
    for year, stamp, path in dated:
        groups.setdefault(year - year % span, []).append((stamp, path))
    oldest = min(groups)
    groups[oldest] += [(float("-inf"), path) for path in sorted(undated)]  # stand-alone pages change rarely: the oldest span
    shards = []
    for start in sorted(groups):
        name = str(start) if span == 1 else f"{start}-{start + span - 1}"
        pages = [path for _, path in sorted(groups[start])]
        runs = -(-len(pages) // (size * 3 // 2 or 1))
        if runs <= 1:
            shards.append(Shard(name, tuple(pages)))
            continue
        step = -(-len(pages) // runs)
        shards += [Shard(f"{name}-{n + 1}", tuple(pages[n * step:(n + 1) * step])) for n in range(runs)]
    return shards


def _item_of(output: Output) -> Any:
    """The item an item page shows (None for any other output): only item pages carry a body to index."""
    if output.producer != "template" or not output.path.endswith(".html"):
        return None
    meta = output.context.get("meta")
    kind = getattr(meta, "kind", None)
    if kind not in ITEM_KINDS:
        return None
    return output.context.get({"article": "article", "voice": "voice", "newsletter": "issue", "page": "page"}[kind])


def shard_files(shard_root: Path) -> list[str]:
    """The files of one written shard, relative to it."""
    from newpower_site.write.folder import list_files

    return list(list_files(shard_root))


def read_shard_records(index_root: Path) -> dict[str, tuple[str, ...]]:
    """The shards a previous build wrote under `index_root`, each with the pages it was made from; {} when unreadable."""
    try:
        names = json.loads((index_root / SHARDS_FILE).read_text(encoding="utf-8"))["shards"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    found = {}
    for name in names:
        try:
            found[str(name)] = tuple((index_root / str(name) / PAGES_FILE).read_text(encoding="utf-8").splitlines())
        except (OSError, UnicodeDecodeError):
            continue
    return found


def write_page_record(shard: Shard, shard_folder: Path) -> None:
    """List the shard's pages; written once they are final, its mtime is when the shard was made."""
    (shard_folder / PAGES_FILE).write_text("".join(f"{path}\n" for path in shard.pages), encoding="utf-8")


def still_good(shard: Shard, record: tuple[str, ...] | None, file_stats: Mapping[str, tuple[int, int]], changed: set[str],
               edits: Iterable[str] = ()) -> bool:
    """Was the previous output's shard of this name made from exactly these pages, as they are now?

    `file_stats` are the previous output's (size, mtime) of each file, which
    the build has checked are still so. A page written after its shard's list
    (by a build without the index, say) is newer than the shard: it is made
    again, unless the edits shard, made after it, holds it. The list holds no
    times, so two builds still give the same bytes.
    """
    if record != shard.pages:
        return False
    touched = touched_pages(shard, file_stats, changed, edits)
    return touched is not None and not touched


def touched_pages(shard: Shard, file_stats: Mapping[str, tuple[int, int]], changed: set[str], edits: Iterable[str] = ()) -> list[str] | None:
    """The shard's pages changed since it (or the edits shard holding them) was made; None when its list is gone."""
    made = file_stats.get(f"{INDEX_FOLDER}/{shard.name}/{PAGES_FILE}")
    if made is None:
        return None
    edited = file_stats.get(f"{INDEX_FOLDER}/{EDITS}/{PAGES_FILE}")
    held = set(edits) if edited is not None else set()
    found = []
    for path in shard.pages:
        stat = file_stats.get(path)
        if path in changed or stat is None or stat[1] > made[1] and not (path in held and edited is not None and stat[1] <= edited[1]):
            found.append(path)
    return found


def write_shard_list(index_root: Path, shards: Sequence[Shard]) -> None:
    """The shards the search page merges; the edits shard is always there (maybe empty), so an edit never rewrites this list."""
    index_root.mkdir(parents=True, exist_ok=True)
    (index_root / SHARDS_FILE).write_text(json.dumps({"shards": [s.name for s in shards], "edits": EDITS}) + "\n", encoding="utf-8")


def pagefind_executable() -> Path | None:
    try:
        from pagefind_bin import get_executable
    except ImportError:
        return None
    try:
        return get_executable()
    except (FileNotFoundError, OSError):
        return None


def index_shards(shards: Sequence[Shard], read_page: Callable[[str], bytes], index_root: Path, jobs: int | None = None,
                 only: Path | None = None) -> None:
    """Write each shard's Pagefind index into `index_root/NAME/` (or `only`, for one shard), at most `jobs` (default JOBS) at once."""
    if not shards:
        return
    jobs = jobs or JOBS
    executable = pagefind_executable()
    if executable is None:
        raise SearchIndexError(error("(search)", 0, "cannot index the site for search: the pagefind binary is missing (pip install 'pagefind[bin]')"))
    queue = list(shards)
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                shard = queue.pop(0)
            with PagefindService(executable) as service:  # a fresh process: its memory is one shard's, not the most it ever held
                _index_one(service, shard, read_page, only or index_root / shard.name)
            if queue:  # the shard's files, read back from Pagefind, are not kept beside the next Pagefind
                give_back_memory()  # (a full collection: ~70 ms after a head edit's snapshot, for nothing after the last)

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(shards)))) as pool:
        for future in [pool.submit(worker) for _ in range(max(1, min(jobs, len(shards))))]:
            future.result()  # the first failure is raised, as a SearchIndexError


def _index_one(service: PagefindService, shard: Shard, read_page: Callable[[str], bytes], target: Path) -> None:
    index = service.request({"type": "NewIndex", "config": None})["index_id"]
    in_flight = 0
    for path in shard.pages:
        try:
            html = read_page(path).decode("utf-8")
        except (OSError, KeyError, UnicodeDecodeError) as exc:
            for _ in range(in_flight):  # a failure of a page sent before this one is reported first, as it came first
                service.answer()
            raise SearchIndexError(error(path, 0, f"cannot read the page to index it for search: {exc}")) from exc
        if in_flight == IN_FLIGHT:
            service.answer()
            in_flight -= 1
        service.send({"type": "AddFile", "index_id": index, "url": _page_url(path), "file_path": None, "file_contents": html})
        in_flight += 1
    for _ in range(in_flight):
        service.answer()
    files = service.request({"type": "GetFiles", "index_id": index})["files"]
    service.request({"type": "DeleteIndex", "index_id": index})  # its memory is freed before the next shard
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    paths_of = {_page_url(path): path for path in shard.pages}
    ids = {}
    for file in sorted(files, key=lambda f: f["path"]):
        relative = Path(file["path"])
        if relative.is_absolute() or ".." in relative.parts:
            raise SearchIndexError(error("(search)", 0, f"pagefind named a file outside its index: {file['path']}"))
        if relative.name.startswith(UNUSED_PREFIXES):  # Pagefind's own search UIs: the theme has its own page
            continue
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        data = base64.b64decode(file["content"])
        (target / relative).write_bytes(data)
        if relative.parts[0] == "fragment" and relative.suffix == ".pf_fragment":
            ids[paths_of.get(_fragment_url(data), "")] = relative.stem
    (target / IDS_FILE).write_text("".join(f"{path} {ids[path]}\n" for path in shard.pages if path in ids), encoding="utf-8")


def _fragment_url(data: bytes) -> str:
    """The url in a Pagefind fragment (gzip of a signature and JSON): its file name is the page's result id."""
    try:
        text = gzip.decompress(data).removeprefix(b"pagefind_dcd")
        return str(json.loads(text)["url"])
    except (OSError, ValueError, KeyError, EOFError):
        return ""


def read_ids(shard_folder: Path) -> dict[str, str]:
    """A written shard's page -> Pagefind result id; {} when it has none."""
    try:
        lines = (shard_folder / IDS_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    return dict(line.split(" ", 1) for line in lines if " " in line)


def read_edits(index_root: Path) -> tuple[str, ...]:
    """The pages the previous output's edits shard holds (none when it has none or is unreadable)."""
    try:
        return tuple((index_root / EDITS / PAGES_FILE).read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return ()


def write_edits(pages: Sequence[str], read_page: Callable[[str], bytes], target: Path, stale_ids: Mapping[str, str]) -> None:
    """Make the edits shard whole in `target`: the edited pages' index, and the ids of their stale copies in the year shards.

    An id is a hash of the page as its shard holds it; a page edited back to
    what its year shard holds has the same id in both, and is not dropped.
    """
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    pages = tuple(sorted(pages))
    if pages:
        index_shards([Shard(EDITS, pages)], read_page, target.parent, only=target)
    fresh = set(read_ids(target).values())
    drop = sorted({stale_ids[p] for p in pages if p in stale_ids} - fresh)
    (target / DROP_FILE).write_text(json.dumps({"pages": len(pages), "drop": drop}) + "\n", encoding="utf-8")
    write_page_record(Shard(EDITS, pages), target)


def _page_url(path: str) -> str:
    """The URL Pagefind gives a page it finds on disk: the folder of an index.html (the search page adds the prefix)."""
    return "/" + (path.removesuffix("index.html"))


class PagefindService:
    """One `pagefind --service` process: requests sent, answers read in the same order.

    The protocol is the one Pagefind's own Python and Node wrappers speak:
    base64 JSON messages ended by a comma. Pagefind reads its input on a
    thread of its own, runs the requests one after another in the order they
    came and answers each, so a few can be sent ahead (`IN_FLIGHT`) and the
    index is the same as when each waits for the one before. The wrapper in the pagefind package
    polls for each reply after a 0.1 s sleep, a quarter of an hour for 10,000
    pages; a blocking read answers as soon as Pagefind does.
    """

    def __init__(self, executable: Path):
        self.executable = executable
        self.process: subprocess.Popen[bytes] | None = None
        self.next_id = 0

    def __enter__(self) -> PagefindService:  # noqa: PYI034 (final in all but name)
        try:
            self.process = subprocess.Popen([str(self.executable), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL)
        except OSError as exc:
            raise SearchIndexError(error("(search)", 0, f"cannot run pagefind: {exc}")) from exc
        return self

    def __exit__(self, *exc: object) -> None:
        process = self.process
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def request(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        self.send(payload)
        return self.answer()

    def send(self, payload: Mapping[str, Any]) -> None:
        """Hand Pagefind one request; its answer is read by answer(), in the order the requests were sent."""
        process = self.process
        assert process is not None and process.stdin is not None
        self.next_id += 1
        message = base64.b64encode(json.dumps({"message_id": self.next_id, "payload": payload}).encode("utf-8")) + b","
        try:
            process.stdin.write(message)
            process.stdin.flush()
        except (OSError, ValueError) as exc:
            raise SearchIndexError(error("(search)", 0, f"pagefind stopped: {exc}")) from exc

    def answer(self) -> dict[str, Any]:
        """The answer to the oldest request not yet answered (Pagefind runs its requests one by one, in order)."""
        process = self.process
        assert process is not None and process.stdout is not None
        try:
            reply = _read_until_comma(process.stdout)
        except (OSError, ValueError) as exc:
            raise SearchIndexError(error("(search)", 0, f"pagefind stopped: {exc}")) from exc
        answer = json.loads(base64.b64decode(reply))["payload"]
        if answer.get("type") == "Error":
            raise SearchIndexError(error("(search)", 0, f"pagefind failed: {answer.get('message', 'unknown error')}"))
        return answer


def _read_until_comma(stream: Any) -> bytes:
    chunks = []
    while True:
        byte_run = stream.peek(65536) if hasattr(stream, "peek") else b""
        if byte_run:
            end = byte_run.find(b",")
            if end >= 0:
                chunks.append(stream.read(end + 1)[:-1])
                return b"".join(chunks)
            chunks.append(stream.read(len(byte_run)))
            continue
        byte = stream.read(1)
        if not byte:
            raise ValueError("pagefind closed its output")
        if byte == b",":
            return b"".join(chunks)
        chunks.append(byte)
