"""The head path: a few articles' or voices' heads changed (a title, a date, topics), and nothing else.

A head is what listings, topic pages, feeds and the home page show of an
item, so the quick path (quick.py) cannot take such an edit; but replanning
and fingerprinting the whole site for it would load 10,000 items and
fingerprint 14,000 outputs to find the dozen that changed. What a head edit
can change is known: the edited item's own page, the outputs that show many
items chosen by order, date, topic or movement (plan/outputs.py
COLLECTIONS), the outputs that name the item among their inputs (a
newsletter featuring it, its emails), and the sitemap's dates.

So a full build keeps a compact snapshot beside the plan store: the library
with every article and voice as a head only (its body left out) and each
one's value fingerprint, the collections' inputs and the sitemap's dates.
After a head edit the collections are planned again from that library with
the edited items in place, by plan/outputs.py's own functions; every output
is fingerprinted as a full build would (a head-only item counts by its value
fingerprint, so its missing body is never looked at); and only the outputs
whose fingerprint changed get their items back whole from the plan store
(snapshots.py `resolve`) and are rendered.

Anything this path cannot prove the same as a full build returns None and
the full path runs: a file added, removed or renamed, a page or newsletter
edited, an item published or held back, its slug, aliases, pictures or
anchors changed, a problem that came or went, a collection page appearing
or going, a snapshot out of step.
"""

from __future__ import annotations

import copyreg
import dataclasses
import functools
import io
import pickle
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from newpower_site.cache.fingerprint import Fingerprinter
from newpower_site.cache.keys import digest_text, item_key, url_key, value_fingerprint
from newpower_site.cache.overlay import HEAD_KINDS, OVERLAY, Overlay, head_only
from newpower_site.cache.quick import QuickEdit, stored_planner
from newpower_site.cache.snapshots import ItemRecord, SnapshotMissing, SnapshotReader
from newpower_site.core import model
from newpower_site.core.diagnostics import has_errors
from newpower_site.core.memory import collection_paused
from newpower_site.core.model import Article, Item, Library, Voice, merge_newest_first, sort_newest_first
from newpower_site.core.sealed import read_sealed, write_sealed
from newpower_site.load import content
from newpower_site.load.config import CONFIG_FILE
from newpower_site.load.markdown import MarkdownRenderer
from newpower_site.load.placeholders import item_placeholder_warnings
from newpower_site.load.schema import KIND_BY_FOLDER
from newpower_site.plan.images import body_images
from newpower_site.plan.outputs import Output, page_inputs, plan_collections, plan_item_page
from newpower_site.write.search import index_date, index_dates

if TYPE_CHECKING:
    from newpower_site.cache.state import BuildCache
    from newpower_site.core.options import BuildOptions

# What the rest of the site reads of an item besides its head as listings show it: a change to any of
# these (a new address, a picture the catalog measures, an anchor another item links to) takes the full path.
STRUCTURAL = ("kind", "slug", "source", "draft", "aliases", "image", "portrait")
LISTED_OUT = frozenset({"404", "search", "redirect"})  # page kinds no sitemap lists (plan_discovery)


class SitemapPage(NamedTuple):
    """What the sitemap reads of a page (render/discovery.py): a tuple, as a head edit makes one for every
    page of the site (a frozen dataclass's __init__ took ~20 ms for 14,000)."""

    path: str
    lastmod: Any


@dataclass(frozen=True, slots=True)
class Heads:
    """The compact snapshot a head edit is planned from, in step with one build's plan store."""

    build: str  # the plan store's build id (OutputState.snapshot)
    library: Library  # articles and voices as heads only; newsletters whole; no pages
    fingerprints: dict[str, str]  # article or voice source -> its value fingerprint
    collections: dict[str, tuple[str, ...]]  # collection output path -> its inputs
    sitemap: dict[str, Any]  # page path -> lastmod, for every page the sitemap lists
    index_dates: dict[str, Any]  # item page path -> its item's search.index_date, for every page a search index holds


def is_collection(output: Output) -> bool:
    """An output of plan_collections (the tests hold this to plan_collections itself)."""
    if output.producer in ("rss", "atom"):
        return True
    return output.producer == "template" and output.context["meta"].kind in ("home", "listing", "topic", "topics")


# -- keeping it: a plain pickle of 10,000 items spends most of its time in dataclasses' own
# __getstate__/__setstate__ (which look up the fields of every object); these reduce each model
# object to its class and its field values, loaded by one short loop.

@functools.cache
def _model_types() -> tuple[type, ...]:
    return tuple(kind for kind in vars(model).values()
                 if isinstance(kind, type) and dataclasses.is_dataclass(kind) and kind.__module__ == model.__name__)


@functools.cache
def _names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


@functools.cache
def _setters(kind: type) -> tuple[Any, ...]:
    """Each field's slot, set straight (what a frozen dataclass's own __init__ does through object.__setattr__,
    which looks the name up every time: twice as slow over the 35,000 objects of a 10,000-item snapshot)."""
    return tuple(next(c.__dict__[name] for c in kind.__mro__ if name in c.__dict__).__set__ for name in _names(kind))


def _rebuild(kind: type, values: tuple[Any, ...]) -> Any:
    made = object.__new__(kind)
    for setter, value in zip(_setters(kind), values):
        setter(made, value)
    return made


def _reduce(value: Any) -> tuple[Any, ...]:
    return _rebuild, (type(value), tuple([getattr(value, name) for name in _names(type(value))]))


def _dumps(heads: Heads) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, **{kind: _reduce for kind in _model_types()}}
    pickler.dump(heads)
    return buffer.getvalue()


def read_heads(cache: BuildCache) -> Heads | None:
    payload = read_sealed(heads_file(cache))
    if payload is None:
        return None
    try:
        with collection_paused():
            heads = pickle.loads(payload)
    except Exception:  # a pickle of classes that have since changed
        return None
    if not isinstance(heads, Heads) or not all(hasattr(heads, f.name) for f in dataclasses.fields(Heads)):
        return None  # a snapshot kept before a field was added
    return heads


def _listed(output: Output) -> bool:
    meta = output.context.get("meta") if output.producer == "template" else None
    return meta is not None and meta.kind not in LISTED_OUT and not meta.noindex


def make_heads(build: str, library: Library, fingerprints: Mapping[int, tuple[Item, str]], outputs: Iterable[Output]) -> Heads | None:
    """The head snapshot of a full build (None when an article or voice has no value fingerprint)."""
    prints: dict[str, str] = {}
    stubs: dict[str, Item] = {}
    for item in (*library.articles, *library.voices):
        known = fingerprints.get(id(item))
        if known is None or known[0] is not item:
            return None
        prints[item.source] = known[1]
        stubs[item.source] = head_only(item)
    outputs = list(outputs)
    sitemap = next((o for o in outputs if o.producer == "sitemap"), None)
    if sitemap is None:
        return None
    return Heads(
        build,
        _with_items(library, stubs, sort=False, pages=False),
        prints,
        {o.path: o.inputs for o in outputs if is_collection(o)},
        {page.path: page.lastmod for page in sitemap.context["pages"]},
        index_dates(outputs),
    )


def _with_items(library: Library, items: Mapping[str, Item], sort: bool = True, pages: bool = True) -> Library:
    """`library` with the articles and voices of `items` (by source) in place, each collection in order again:
    the items whose date moved are taken out and merged back (the rest keep their order: same kind and slug)."""
    def swap(found: tuple[Item, ...]) -> tuple[Item, ...]:
        swapped = tuple(items.get(i.source, i) for i in found)
        moved = {i.source for i in found if i.source in items and items[i.source].date != i.date}
        if not sort or not moved:
            return swapped
        return merge_newest_first(tuple(i for i in swapped if i.source not in moved),
                                  sort_newest_first([i for i in swapped if i.source in moved]))

    newsletters = tuple(replace(n, featured=tuple(items.get(f.source, f) for f in n.featured))
                        if any(f.source in items for f in n.featured) else n for n in library.newsletters)
    return replace(library, articles=swap(library.articles), voices=swap(library.voices), newsletters=newsletters,
                   pages=library.pages if pages else ())


def heads_file(cache: BuildCache) -> Path:
    state_file = cache.snapshots().path
    return state_file.with_name(state_file.stem.replace("snapshots-", "heads-") + ".pickle")


def save_heads(cache: BuildCache, heads: Heads | None) -> None:
    """Keep `heads` for the next head edit; None removes the last one (the plan store moved on)."""
    if cache.read_only:
        return
    path = heads_file(cache)
    try:
        if heads is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_sealed(path, _dumps(heads))
    except OSError:
        pass


def plan_head_edit(cache: BuildCache, edited: dict[str, str] | None, options: BuildOptions, search_index: bool) -> QuickEdit | None:
    """What to render after edits to article or voice heads (`edited`: quick.edited_sources); None when the
    full path must run instead."""
    state = cache.state
    if not edited or state is None:
        return None
    heads = read_heads(cache)
    if heads is None or heads.build != state.snapshot:
        return None
    try:
        reader = cache.snapshots().reader(state.snapshot)
    except SnapshotMissing:
        return None
    try:
        return _plan(cache, reader, heads, edited, options, search_index)
    except SnapshotMissing:
        return None
    finally:
        reader.close()


def _read_edited(cache: BuildCache, reader: SnapshotReader, edited: dict[str, str], options: BuildOptions) -> list[ItemRecord] | None:
    """The edited items read and rendered, when each is a head edit this path can take."""
    site_dir = cache.site_dir
    shared = reader.shared
    config, urls = shared["site"], shared["urls"]
    targets = reader.meta("targets")
    selection = content.Selection(options.now, drafts=options.drafts, future=options.future)
    config_digest, urls_key = cache.config_digest(options.base_url), url_key(urls)
    renderer = MarkdownRenderer.create()
    records = []
    for path, content_hash in sorted(edited.items()):
        source = Path(path).relative_to(site_dir).as_posix()
        folder, _, name = source.removeprefix("content/").rpartition("/")
        kind = KIND_BY_FOLDER.get(folder)
        if kind is None or kind.name not in HEAD_KINDS or content.markdown_slug(name) is None:
            return None
        old = reader.record(source)
        if not old.published:
            return None
        item, problems = content.read_item(content.SourceFile(source, Path(path)), kind, config)
        if item is None or has_errors(problems) or not selection.publishes(item):
            return None
        item, render_problems = content._render_item(item, renderer, targets, urls)
        if tuple(problems + render_problems) != old.problems:
            return None
        if any(getattr(item, name, None) != getattr(old.item, name, None) for name in STRUCTURAL):
            return None
        if (item.body.anchors, item.body.fragment_links, body_images(item.html)) != \
                (old.item.body.anchors, old.item.body.fragment_links, body_images(old.item.html)):
            return None  # other items' #fragment links are checked against the anchors; the catalog reads the pictures
        if item_placeholder_warnings(site_dir, [item, old.item]):
            return None  # its warnings (and their lines) are the full path's to report
        key = item_key(cache.generator, config_digest, kind.name, source, content_hash)
        records.append(ItemRecord(item, True, value_fingerprint(key, urls_key), old.problems))
    return records


def _plan(cache: BuildCache, reader: SnapshotReader, heads: Heads, edited: dict[str, str], options: BuildOptions,
          search_index: bool) -> QuickEdit | None:
    state = cache.state
    assert state is not None
    records = _read_edited(cache, reader, edited, options)
    if records is None:
        return None
    shared = reader.shared
    urls = shared["urls"]
    overlay = reader.meta(OVERLAY)
    if not isinstance(overlay, Overlay):
        return None
    base = heads
    heads = overlay.over(base)  # the site as the last build left it
    new_items: dict[str, Item] = {r.item.source: r.item for r in records}
    dates = None  # the search index's pages by date, when a date changed (its shards are planned again)
    if search_index:
        before = dict(base.index_dates)  # as the last full build left them, then the head edits since
        before.update({urls.item_output(item): index_date(item.date) for item, _ in overlay.items.values()})
        now = {urls.item_output(item): index_date(item.date) for item in new_items.values()}
        if any(before.get(path) != when for path, when in now.items()):
            dates = before | now
    for record in records:
        reader.replace(record.item.source, record.item)
    library = _with_items(base.library, {**{s: item for s, (item, _) in overlay.items.items()}, **new_items})
    if any(not isinstance(i, (Article, Voice)) for i in (*library.articles, *library.voices)):
        return None
    showing_edited = _showing_edited(library, new_items)
    settled = _Settled(heads, state.outputs, showing_edited)
    planner = replace(stored_planner(shared, urls, library), settled=settled)
    collections = plan_collections(planner)
    if len(collections) + len(settled.left) != len(heads.collections) or \
            not heads.collections.keys() >= {o.path for o in collections} | set(settled.left):
        return None  # a listing or topic page came or went: the full path adds or removes it
    own = [o for r in records for o in plan_item_page(planner, r.item)]
    planned = {o.path: o for o in (*collections, *own)}
    if len(planned) != len(collections) + len(own):
        return None
    showing = sorted({p for r in records for p in reader.dependents(r.item.source)} - planned.keys())
    loaded = [reader.output(path) for path in showing]  # a newsletter featuring an edited item, its emails
    if any(o.producer in ("sitemap", "copy", "image") or o.path not in state.outputs for o in loaded):
        return None

    walker = Fingerprinter({id(r.item): (r.item, r.fingerprint) for r in reader.records.values() if r.fingerprint})
    prints = {**heads.fingerprints, **{r.item.source: r.fingerprint for r in records}}  # type: ignore[dict-item]
    for item in (*library.articles, *library.voices):
        walker.memo[id(item)] = (item, prints[item.source].encode())
    for record in records:
        walker.memo[id(record.item)] = (record.item, prints[record.item.source].encode())
    outputs = [o for o in planned.values() if not _kept(o.path, o.inputs, heads, state.outputs, showing_edited)] + loaded
    new_prints = cache.fingerprints(outputs, walker, cache.theme_digest(), reader.meta("assets"))
    changed = [o for o in outputs if new_prints.get(o.path) is None or new_prints[o.path] != state.outputs.get(o.path)]
    changed = [reader.resolve(o) if o.path in planned else o for o in changed]  # whole items where they are rendered
    fingerprints: dict[str, str | None] = {o.path: new_prints.get(o.path) for o in changed}

    sitemap = dict(heads.sitemap)
    for output in planned.values():
        if _listed(output):
            if output.path not in sitemap:
                return None
            sitemap[output.path] = output.lastmod
    changed_dates = {p: lastmod for p, lastmod in sitemap.items() if base.sitemap[p] != lastmod}
    if sitemap != heads.sitemap:
        pages = list(map(SitemapPage, sitemap.keys(), sitemap.values()))
        changed.append(Output("sitemap.xml", "sitemap", context={"pages": pages}, inputs=(CONFIG_FILE,)))
        # Not a full build's fingerprint (that walks every page): the next full build renders it again.
        fingerprints["sitemap.xml"] = digest_text("head-path sitemap", repr(sorted(changed_dates.items())))
    dependents = _dependents(reader, heads, collections)
    items = {**overlay.items, **{r.item.source: (head_only(r.item), r.fingerprint) for r in records}}
    inputs = {**overlay.collections, **{o.path: o.inputs for o in collections}}  # the pages left out are as the overlay has them
    after = Overlay(items, {p: i for p, i in inputs.items() if base.collections[p] != i}, changed_dates)
    stored = tuple(o for o in changed if o.path in planned)
    return QuickEdit(changed, fingerprints, records, edited, urls, shared, tuple(reader.meta("problems")),
                     path="head", stored=stored, dependents=dependents, meta={OVERLAY: after}, index_dates=dates)


def _showing_edited(library: Library, edited: Mapping[str, Item]) -> frozenset[str]:
    """The edited sources and the newsletters featuring one: the items whose value changed."""
    return frozenset(edited) | {n.source for n in library.newsletters if any(f.source in edited for f in n.featured)}


def _kept(path: str, inputs: tuple[str, ...], heads: Heads, known: Mapping[str, str], changed: frozenset[str]) -> bool:
    """A collection output whose fingerprint is the last build's without walking it: it shows the same
    items as then, none of them changed, and the rest of its context is a function of its path, its
    page count (the same: the same pages are planned) and site.yaml (the same)."""
    before = heads.collections.get(path)
    return before is not None and path in known and before == inputs and changed.isdisjoint(inputs)


class _Settled:
    """SitePlanner.settled for a head edit: a listing page _kept would keep is not planned at all (of
    the ~2,500 listing and topic pages at 10,000 items, a date edit changes a dozen); `left` names them."""

    def __init__(self, heads: Heads, known: Mapping[str, str], changed: frozenset[str]) -> None:
        self.heads, self.known, self.changed = heads, known, changed
        self.left: list[str] = []

    def __call__(self, path: str, chunk: tuple[Item, ...]) -> bool:
        if _kept(path, page_inputs(chunk), self.heads, self.known, self.changed):
            self.left.append(path)
            return True
        return False


def _dependents(reader: SnapshotReader, heads: Heads, collections: list[Output]) -> dict[str, list[str]]:
    """The sources whose list of dependent outputs the replanned collections changed -> the new list."""
    added: dict[str, set[str]] = {}
    removed: dict[str, set[str]] = {}
    for output in collections:
        before, after = set(heads.collections[output.path]), set(output.inputs)
        for source in after - before:
            added.setdefault(source, set()).add(output.path)
        for source in before - after:
            removed.setdefault(source, set()).add(output.path)
    result = {}
    for source in sorted(added.keys() | removed.keys()):
        if source == CONFIG_FILE:
            continue  # never a row: only content sources are (snapshots.save_build)
        paths = (set(reader.dependents(source)) - removed.get(source, set())) | added.get(source, set())
        result[source] = sorted(paths)
    return result
