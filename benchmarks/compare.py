"""newpower-site, Hugo and Pelican on the same corpus, in one run: `python benchmarks/compare.py [N]`.

The corpus (gen_corpus.py) is converted for each: the same Markdown bodies,
titles, dates and topics as tags. Each gets a comparably minimal theme: a
page per item, a paginated listing (10 a page), tag pages and a feed of 20.
Hugo is Debian's `hugo`; Pelican 4.7 is installed from PyPI into
benchmarks/.venv-pelican (never the project's venv). Each build is a cold
one in a fresh process; the figures are medians of --runs.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import WORK, clean, corpus
from measure import run

PELICAN_VENV = HERE / ".venv-pelican"
PELICAN_VERSION = "4.7.*"

HUGO_CONFIG = """baseURL = "https://bench.example.org/"
title = "Benchmark"
paginate = 10
rssLimit = 20
disableKinds = ["section"]
[taxonomies]
  tag = "tags"
[markup.goldmark.renderer]
  unsafe = true
"""
HUGO_LAYOUTS = {
    "_default/baseof.html": '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>'
                            "<body><main>{{ block \"main\" . }}{{ end }}</main></body></html>\n",
    "_default/single.html": '{{ define "main" }}<article><h1>{{ .Title }}</h1><time>{{ .Date.Format "2 January 2006" }}</time>'
                            "{{ .Content }}<p>{{ range .Params.tags }}<a href=\"/tags/{{ . | urlize }}/\">{{ . }}</a> {{ end }}</p></article>{{ end }}\n",
    "_default/list.html": '{{ define "main" }}<h1>{{ .Title }}</h1>{{ range .Paginator.Pages }}<article><h2><a href="{{ .RelPermalink }}">'
                          "{{ .Title }}</a></h2><p>{{ .Summary }}</p></article>{{ end }}{{ template \"_internal/pagination.html\" . }}{{ end }}\n",
    "index.html": '{{ define "main" }}{{ range (.Paginate (where .Site.RegularPages "Type" "in" (slice "articles" "voices" "newsletters"))).Pages }}'
                  '<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p>{{ .Summary }}</p></article>{{ end }}'
                  "{{ template \"_internal/pagination.html\" . }}{{ end }}\n",
}
PELICAN_CONFIG = """AUTHOR = "Bench"
SITENAME = "Benchmark"
SITEURL = "https://bench.example.org"
PATH = "content"
TIMEZONE = "Europe/London"
DEFAULT_LANG = "en"
THEME = "simple"
DEFAULT_PAGINATION = 10
FEED_MAX_ITEMS = 20
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
DELETE_OUTPUT_DIRECTORY = True
"""

_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


def items(site: Path):
    for folder in ("articles", "voices", "newsletters"):
        for path in sorted((site / "content" / folder).glob("*.md")):
            text = path.read_text(encoding="utf-8")
            match = _FRONT.match(text)
            front = match.group(1)
            field = lambda key: (re.search(rf"^{key}: (.*)$", front, re.MULTILINE) or [None, ""])[1].strip().strip('"')
            title = field("title") or field("name")
            topics = re.findall(r"[a-z-]+", field("topics").strip("[]")) if field("topics") else []
            yield folder, path.stem, title.replace('\\"', '"'), field("date"), topics, text[match.end():]


def to_hugo(site: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    (target / "content").mkdir(parents=True)
    (target / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, layout in HUGO_LAYOUTS.items():
        (target / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (target / "layouts" / name).write_text(layout, encoding="utf-8")
    for folder, slug, title, date, topics, body in items(site):
        (target / "content" / folder).mkdir(exist_ok=True)
        title_yaml = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
        front = f"---\ntitle: {title_yaml}\ndate: {date}\ntags: [{', '.join(topics)}]\n---\n"
        (target / "content" / folder / f"{slug}.md").write_text(front + body, encoding="utf-8")


def to_pelican(site: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    (target / "content").mkdir(parents=True)
    (target / "pelicanconf.py").write_text(PELICAN_CONFIG, encoding="utf-8")
    for folder, slug, title, date, topics, body in items(site):
        header = f"Title: {title}\nDate: {date}\nCategory: {folder}\nSlug: {slug}\nTags: {', '.join(topics)}\n\n"
        (target / "content" / f"{slug}.md").write_text(header + body, encoding="utf-8")


def ensure_pelican() -> Path:
    """Pelican 4.7 with its Markdown reader: the version the archive the targets name is built with."""
    pelican = PELICAN_VENV / "bin" / "pelican"
    found = subprocess.run([str(pelican), "--version"], capture_output=True, text=True, check=False).stdout if pelican.exists() else ""
    if not found.startswith(PELICAN_VERSION.rstrip("*")):  # a venv of another version is replaced, not used
        shutil.rmtree(PELICAN_VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(PELICAN_VENV)], check=True)
        subprocess.run([str(PELICAN_VENV / "bin" / "pip"), "install", "--quiet", f"pelican=={PELICAN_VERSION}", "markdown"], check=True)
    return pelican


def cold(command: list[str], runs: int, cwd: Path | None = None, before=None) -> tuple[float, float]:
    times, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        measured = run(command, cwd=cwd)
        if measured.code != 0:
            raise SystemExit(f"{' '.join(map(str, command))} failed:\n{measured.output[-2000:]}")
        times.append(measured.seconds)
        peaks.append(measured.peak_mb)
    return statistics.median(times), max(peaks)


def versions(pelican: Path) -> str:
    hugo = subprocess.run(["hugo", "version"], capture_output=True, text=True, check=True).stdout.split()[1]
    pel = subprocess.run([str(pelican), "--version"], capture_output=True, text=True).stdout.strip()
    import cmarkgfm.cmark
    return f"Hugo {hugo}; Pelican {pel}; cmark-gfm {cmarkgfm.cmark.CMARK_VERSION}; Python {sys.version.split()[0]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("size", nargs="?", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("hugo") is None:
        raise SystemExit("compare.py needs Hugo: apt-get install -y hugo")
    pelican = ensure_pelican()
    site = corpus(args.size)
    hugo_site, pelican_site = WORK / f"hugo-{args.size}", WORK / f"pelican-{args.size}"
    to_hugo(site, hugo_site)
    to_pelican(site, pelican_site)
    figures = {
        "newpower build (with search index)": cold([sys.executable, "-m", "newpower_site", "build", "--site", str(site), "--quiet"],
                                                   args.runs, before=lambda: clean(site)),
        "newpower engine (no search index)": cold([sys.executable, str(HERE / "engine_build.py"), str(site)], args.runs, before=lambda: clean(site)),
        "hugo": cold(["hugo", "--quiet", "--source", str(hugo_site), "--destination", str(hugo_site / "public")], args.runs,
                     before=lambda: shutil.rmtree(hugo_site / "public", ignore_errors=True)),
        "pelican": cold([str(pelican), "content", "-o", "output", "-s", "pelicanconf.py", "-q"], args.runs, cwd=pelican_site),
    }
    print(f"cold builds of {args.size:,} items ({versions(pelican)})")
    for name, (seconds, peak) in figures.items():
        print(f"  {name:36} {seconds:8.2f} s  {peak:7.0f} MB")
    engine, hugo, pel = figures["newpower engine (no search index)"][0], figures["hugo"][0], figures["pelican"][0]
    shipped = figures["newpower build (with search index)"][0]
    print(f"  engine / hugo    = {engine / hugo:.2f}  (target <= 1.5)")
    print(f"  pelican / engine = {pel / engine:.2f}  (target >= 5)")
    print(f"  build / hugo     = {shipped / hugo:.2f}  (with the search index Hugo does not make)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
