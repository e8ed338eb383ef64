"""The quick rebuild: a few items' text changed, and nothing else.

The commonest edit while writing is to an item's body. It changes that
item's page and whatever shows the item whole (the feeds, a newsletter
featuring it), and nothing a listing shows: its head (title, date, summary,
first paragraph, headings, every front matter value) is as it was. Then the
site need not be replanned: the outputs that name the item among their
inputs are loaded from the last build's store (snapshots.py) with the edited
item in place and fingerprinted as a full build would; the changed ones are
handed back to the engine, which renders, checks and writes them as it
does on the full path. At 10,000 items this is the difference between
seconds and a fraction of one.

An article's or voice's title, summary, byline or first paragraph is shown
by more outputs (listings, topic pages, the home page), but each of them
names the item among its inputs too, and none is chosen or ordered by those
values: such an edit takes this path as well (`shown_only_edit`). A new
date, topic or movement moves the item between collections: the head path's.

Anything else (a head that changed otherwise, a file added, removed or renamed, an
asset, the theme, site.yaml, an error, a warning that came or went, a store
out of step) returns None and the full path runs: this path may only ever
give what the full one gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newpower_site.cache.fingerprint import Fingerprinter
from newpower_site.cache.keys import item_key, url_key, value_fingerprint
from newpower_site.cache.overlay import HEAD_KINDS, overlay_after_quick
from newpower_site.cache.snapshots import ItemRecord, SnapshotMissing, SnapshotReader, head_digest, placement_digest
from newpower_site.cache.store import RACY_SIGNATURE, file_hash
from newpower_site.core.diagnostics import Diagnostic, has_errors
from newpower_site.core.layout import CONTENT_ROOT
from newpower_site.core.model import Item, Library, Newsletter, Site
from newpower_site.core.urls import Urls
from newpower_site.load import content
from newpower_site.load.markdown import MarkdownRenderer
from newpower_site.load.placeholders import item_placeholder_warnings
from newpower_site.load.schema import KIND_BY_FOLDER, KIND_BY_NAME
from newpower_site.plan.outputs import SHARED_CONTEXT, Output, SitePlanner, plan_item_page, site_planner

if TYPE_CHECKING:
    from newpower_site.cache.state import BuildCache, Look
    from newpower_site.write.writers import OutputMarks

MAX_EDITED = 16  # more edited files than this at once: the full path is as quick


@dataclass(frozen=True, slots=True)
class QuickEdit:
    """What a quick rebuild must do, as data: the engine renders `outputs` and writes them."""

    outputs: list[Output]  # the outputs whose fingerprint changed: render these
    fingerprints: dict[str, str | None]  # their new fingerprints (None: rendered every time)
    records: list[ItemRecord]  # the edited items, as the store will keep them
    edited: dict[str, str]  # source path -> the content hash taken before it was read
    urls: Urls
    shared: dict[str, Any]  # the values every page shares, as the store keeps them
    problems: tuple[Diagnostic, ...]  # what the last full build reported (this edit changed none of it)
    path: str = "quick"  # which path planned it (Stats.path): "quick", or "head" (cache/heads.py)
    stored: tuple[Output, ...] = ()  # replanned outputs whose rows the store must replace (a head edit)
    dependents: dict[str, list[str]] = field(default_factory=dict)  # sources whose dependents changed -> the new list
    meta: dict[str, Any] = field(default_factory=dict)  # rows of the store's meta table to replace (a head edit's overlay)
    index_dates: dict[str, Any] | None = None  # a head edit that changed a date: each indexed page -> its search.index_date


def plan_quick_edit(cache: BuildCache, edited: dict[str, str] | None, base_url: str | None) -> QuickEdit | None:
    """The quick path's plan after edits to item bodies only (`edited`: edited_sources); None when the full
    path must run instead."""
    if edited is None:
        return None
    state = cache.state
    assert state is not None
    try:
        reader = cache.snapshots().reader(state.snapshot)
    except SnapshotMissing:
        return None
    try:
        return _plan(cache, reader, edited, base_url)
    except SnapshotMissing:
        return None
    finally:
        reader.close()


def edited_sources(cache: BuildCache, look: Look) -> dict[str, str] | None:
    """The content files edited since the last build (path -> content hash), when the theme, site.yaml and
    the set of files are as they were and the last build's plan is kept; else None."""
    if look.frame.links or look.sources.links or look.frame.racy:
        return None  # a link's target may change unseen; a theme or site.yaml saved just now proves nothing
    state = cache.state
    files = look.sources.files
    if state is None or not state.snapshot or not cache.frame_as_recorded(look) or state.sources.keys() != files.keys():
        return None
    # Each file whose signature moved is read and hashed here, not through the cache's file hashes: their
    # entries are of the signatures before the edit, and loading 10,000 of them (and saving them again) would
    # cost more than the few reads.
    edited: dict[str, str] = {}  # path -> its content hash, taken before it is read (never after: a save
    for path, found in files.items():  # landing meanwhile must look changed to the next build)
        known_signature, known_hash = state.sources[path]
        if found != known_signature or found == RACY_SIGNATURE:
            try:
                content_hash = file_hash(Path(path))
            except OSError:
                return None
            if content_hash != known_hash:
                edited[path] = content_hash
    if len(edited) > MAX_EDITED:
        return None
    return edited


def _plan(cache: BuildCache, reader: SnapshotReader, edited: dict[str, str], base_url: str | None) -> QuickEdit | None:
    state = cache.state
    assert state is not None
    site_dir = cache.site_dir
    shared = reader.shared
    config, urls = shared["site"], shared["urls"]
    targets = reader.meta("targets")
    urls_key = url_key(urls)
    config_digest = cache.config_digest(base_url)
    renderer: MarkdownRenderer | None = None
    records: list[ItemRecord] = []
    fingerprints: dict[str, str] = {}  # source -> the edited item's value fingerprint
    retitled: list[Item] = []  # items whose own page's head (title, description) must be planned again

    newsletters_last = sorted(edited, key=lambda path: "/newsletters/" in path)  # their featured items are edited first
    for path in newsletters_last:
        source = Path(path).relative_to(site_dir).as_posix()
        folder, _, name = source.removeprefix("content/").rpartition("/")
        kind = KIND_BY_FOLDER.get(folder)
        if kind is None or content.markdown_slug(name) is None:
            return None  # an asset, or Markdown the build does not read
        if kind.name == "page":
            return None  # every page's context holds the pages (the site's navigation): a theme may show their bodies
        old = reader.record(source)
        item, problems = content.read_item(content.SourceFile(source, Path(path)), kind, config)
        if item is None or has_errors(problems):
            return None
        if old.published:
            renderer = renderer or MarkdownRenderer.create()
            item, render_problems = content._render_item(item, renderer, targets, urls)
            problems = problems + render_problems
            if has_errors(problems):
                return None
            if isinstance(item, Newsletter) and isinstance(old.item, Newsletter):
                item = replace(item, featured=tuple(reader.item(f.source) for f in old.item.featured))
        if tuple(problems) != old.problems:
            return None
        if head_digest(item) != head_digest(old.item):
            if not shown_only_edit(old.item, item):
                return None
            if old.published:
                retitled.append(item)
        if old.published and item_placeholder_warnings(site_dir, [item, old.item]):
            return None  # text `newpower new` wrote, left or taken out: its warnings (and their lines) are the full path's to report
        key = item_key(cache.generator, config_digest, kind.name, source, edited[path])
        fingerprint = None if isinstance(item, Newsletter) or not old.published else value_fingerprint(key, urls_key)
        records.append(ItemRecord(item, old.published, fingerprint, old.problems))
        if fingerprint is not None:
            fingerprints[source] = fingerprint
        reader.replace(source, item)

    affected = {path for record in records if record.published for path in reader.dependents(record.item.source)}
    loaded = {path: reader.output(path) for path in affected}
    if retitled:  # an issue featuring it shows its title: so does every output showing that issue whole (its feeds)
        featuring = {s for output in loaded.values() for s in output.inputs if s.startswith(NEWSLETTER_FOLDER)}
        loaded.update({path: reader.output(path) for source in featuring for path in reader.dependents(source) if path not in loaded})
    replanned = _own_pages(retitled, urls, shared)
    if not replanned.keys() <= loaded.keys():
        return None
    outputs = [replanned.get(path) or loaded[path] for path in sorted(loaded)]
    walker = Fingerprinter({id(r.item): (r.item, r.fingerprint) for r in reader.records.values() if r.fingerprint})
    for record in records:
        if record.item.source in fingerprints:
            walker.memo[id(record.item)] = (record.item, fingerprints[record.item.source].encode())
    new_prints = cache.fingerprints(outputs, walker, cache.theme_digest(), reader.meta("assets"))
    changed = [o for o in outputs if new_prints.get(o.path) is None or new_prints[o.path] != state.outputs.get(o.path)]
    return QuickEdit(changed, {o.path: new_prints.get(o.path) for o in changed}, records, edited, urls,
                     reader.shared, tuple(reader.meta("problems")), stored=tuple(replanned.values()),
                     meta=overlay_after_quick(reader, records))


NEWSLETTER_FOLDER = f"{CONTENT_ROOT}/{KIND_BY_NAME['newsletter'].folder}/"  # where the sources of issues are


def _own_pages(items: list[Item], urls: Urls, shared: dict[str, Any]) -> dict[str, Output]:
    """Each item's page and redirects planned again: their meta (title, description) is made at planning.

    An article's or voice's page plans from the item alone (a newsletter's
    reads its neighbours, but never takes this path), so no library is needed.
    """
    if not items:
        return {}
    planner = stored_planner(shared, urls, Library())
    return {o.path: o for item in items for o in plan_item_page(planner, item)}


def stored_planner(shared: dict[str, Any], urls: Urls, library: Library) -> SitePlanner:
    """A planner of `library` with the last build's site settings and shared page context (the plan store's)."""
    return site_planner(Site(shared["site"], library), urls, {key: shared[key] for key in SHARED_CONTEXT})


def shown_only_edit(old: Item, new: Item) -> bool:
    """An article's or voice's title, summary, byline or first paragraph edited, and nothing that places it:
    every output showing it names it among its inputs, so the quick path re-renders them all."""
    return new.kind in HEAD_KINDS and old.kind == new.kind and placement_digest(new) == placement_digest(old)


def record_quick_edit(cache: BuildCache, quick: QuickEdit, look: Look, written: list[str],
                      remark: Callable[[OutputMarks, list[str]], None]) -> None:
    """Record in the cache what a quick rebuild changed: the edited sources, the new fingerprints, the items' rows."""
    state = cache.state
    assert state is not None
    for path, content_hash in quick.edited.items():
        state.sources[path] = (look.sources.files[path], content_hash)
    for output in quick.outputs:
        fingerprint = quick.fingerprints.get(output.path)
        if fingerprint is not None:
            state.outputs[output.path] = fingerprint
        else:
            state.outputs.pop(output.path, None)
    state.tree, state.racy = look.tree, look.racy
    if any(path.endswith(".html") for path in written):
        state.pages_key = "stale"  # a search index made before is out of date (only builds without one come here)
    remark(state.marks, written)
    if not cache.snapshots().save_items(state.snapshot, quick.records, quick.shared, quick.stored, quick.dependents, quick.meta):
        state.snapshot = ""
    cache.save()
    cache.write_state()
