"""The quick rebuild: a few items' text changed, and nothing else.

The commonest edit while writing is to an item's body. It changes that
item's page and whatever shows the item whole (the feeds, a newsletter
featuring it), and nothing a listing shows: its head (title, date, summary,
first paragraph, headings, every front matter value) is as it was. Then the
site need not be replanned: the outputs that name the item among their
inputs are loaded from the last build's store (snapshots.py) with the edited
item in place, fingerprinted as a full build would, and the changed ones
rendered and written. At 10,000 items this is the difference between
seconds and a fraction of one.

Anything else (a head that changed, a file added, removed or renamed, an
asset, the theme, site.yaml, an error, a warning that came or went, a store
out of step) returns None and the full path runs: this path may only ever
give what the full one gives.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from newpower_site.load import content
from newpower_site.cache.store import RACY_SIGNATURE, Signature, digest_text, template_code_cache
from newpower_site.core.diagnostics import has_errors
from newpower_site.email.lint import check_email_size
from newpower_site.cache.fingerprint import Fingerprinter
from newpower_site.load.markdown import MarkdownRenderer
from newpower_site.core.model import Newsletter
from newpower_site.engine.pipeline import BuildResult
from newpower_site.plan.outputs import Output
from newpower_site.render.templates import RenderError, make_environment, render_output
from newpower_site.load.schema import KIND_BY_FOLDER
from newpower_site.cache.snapshots import ItemRecord, SnapshotMissing, SnapshotReader, head_digest

if TYPE_CHECKING:
    from newpower_site.engine.incremental import Builder

MAX_EDITED = 16  # more edited files than this at once: the full path is as quick


def rebuild_edited(builder: Builder, files: dict[str, Signature], frame: str, tree: str, racy: bool, started: float) -> BuildResult | None:
    """Rebuild after edits to item bodies only; None when the full path must run instead."""
    state = builder.state
    if state is None or not state.snapshot or not frame or state.frame != frame or state.sources.keys() != files.keys():
        return None
    builder.hashes.seen = {}  # a long-lived builder (serve) must not trust a hash taken while a file was racy
    edited: dict[str, str] = {}  # path -> its content hash, taken before it is read (never after: a save
    for path, found in files.items():  # landing meanwhile must look changed to the next build)
        known_signature, known_hash = state.sources[path]
        if found != known_signature or found == RACY_SIGNATURE:
            try:
                content_hash = builder.hashes.of(Path(path))
            except OSError:
                return None
            if content_hash != known_hash:
                edited[path] = content_hash
    if len(edited) > MAX_EDITED:
        return None
    try:
        reader = builder.snapshots().reader(state.snapshot)
    except SnapshotMissing:
        return None
    try:
        return _rebuild(builder, reader, files, edited, tree, racy, started)
    except SnapshotMissing:
        return None
    finally:
        reader.close()


def _rebuild(builder: Builder, reader: SnapshotReader, files: dict[str, Signature], edited: dict[str, str],
             tree: str, racy: bool, started: float) -> BuildResult | None:
    state = builder.state
    assert state is not None
    options = builder.options
    site_dir = options.site_dir
    shared = reader.shared
    config, urls = shared["site"], shared["urls"]
    targets = reader.meta("targets")
    url_key = digest_text(urls.origin, urls.prefix)
    config_digest = builder._config_digest()
    renderer: MarkdownRenderer | None = None
    records: list[ItemRecord] = []
    fingerprints: dict[str, str] = {}  # source -> the edited item's value fingerprint

    newsletters_last = sorted(edited, key=lambda path: "/newsletters/" in path)  # their featured items are edited first
    for path in newsletters_last:
        source = Path(path).relative_to(site_dir).as_posix()
        folder, _, name = source.removeprefix("content/").rpartition("/")
        kind = KIND_BY_FOLDER.get(folder)
        if kind is None or not name.endswith(".md"):
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
        if tuple(problems) != old.problems or head_digest(item) != head_digest(old.item):
            return None
        key = digest_text("item", builder.generator, config_digest, kind.name, source, edited[path])
        fingerprint = None if isinstance(item, Newsletter) or not old.published else digest_text(key, url_key)
        records.append(ItemRecord(item, old.published, fingerprint, old.problems))
        if fingerprint is not None:
            fingerprints[source] = fingerprint
        reader.replace(source, item)

    affected = sorted({path for record in records if record.published for path in reader.dependents(record.item.source)})
    outputs = [reader.output(path) for path in affected]
    walker = Fingerprinter({id(r.item): (r.item, r.fingerprint) for r in reader.records.values() if r.fingerprint})
    for record in records:
        if record.item.source in fingerprints:
            walker.memo[id(record.item)] = (record.item, fingerprints[record.item.source].encode())
    theme, assets = builder._theme_digest(), reader.meta("assets")
    new_prints = {o.path: builder._fingerprint(o, walker, theme, assets) for o in outputs}
    changed = [o for o in outputs if new_prints[o.path] is None or new_prints[o.path] != state.outputs.get(o.path)]
    if builder.search_index and any(o.path.endswith(".html") for o in changed):
        return None  # the search index is made from every page: the full path remakes it

    rendered = _render(changed, urls, site_dir)
    if rendered is None or not _same_email_warnings(rendered, changed, options.output):
        return None
    written = builder.write_quick(rendered)
    if written is None:
        return None

    for path, content_hash in edited.items():
        state.sources[path] = (files[path], content_hash)
    for output in changed:
        if new_prints[output.path] is not None:
            state.outputs[output.path] = new_prints[output.path]
        else:
            state.outputs.pop(output.path, None)
    state.tree, state.racy = tree, racy
    if any(path.endswith(".html") for path in rendered):
        state.pages_key = "stale"  # a search index made before is out of date (only builds without one come here)
    builder.after_quick(written, reader.shared, records)
    builder.stats.path = "quick"
    builder.stats.items_read = builder.stats.items_rendered = len(records)
    builder.stats.outputs_rendered = len(changed)
    builder.changed_paths = sorted(rendered)
    return BuildResult(builder.counted_site(), list(reader.meta("problems")), state.files, time.perf_counter() - started)


def _render(outputs: list[Output], urls, site_dir: Path) -> dict[str, bytes] | None:
    if not outputs:
        return {}
    env = make_environment(site_dir, template_code_cache(site_dir))
    rendered = {}
    for output in outputs:
        try:
            rendered[output.path] = render_output(output, env, urls, site_dir)
        except (RenderError, OSError):
            return None  # the full path reports it
    return rendered


def _same_email_warnings(rendered: dict[str, bytes], outputs: list[Output], out: Path) -> bool:
    """An email's size warning must come or go with a full build, which then reports it."""
    for output in outputs:
        issue = output.context.get("issue") if output.producer == "email-html" else None
        if issue is None:
            continue
        try:
            before = os.stat(out / output.path).st_size
        except OSError:
            return False
        line = issue.key_lines.get("title", 1)
        if check_email_size(issue.source, line, before) != check_email_size(issue.source, line, len(rendered[output.path])):
            return False
    return True

