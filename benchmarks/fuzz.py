"""Fuzz the front matter stages and link resolution for a fixed time; print what was found.

    python benchmarks/fuzz.py [SECONDS_PER_TARGET]        # default 60

Targets:
  frontmatter  bytes -> decode_source -> split_front_matter -> check_fields for every kind
               (article, voice, newsletter, page, site.yaml): never raises; every diagnostic
               is one line and points at a line of the file
  links        a link target written in a content file -> locate / resolve_link /
               resolve_image: raises nothing but LinkProblem; never returns a URL with a
               scheme that runs code; a page link returns that page's URL; a local image
               is a file the build copies

With atheris (coverage-guided libFuzzer; `pip install atheris`, or `.venv/bin/pip install
-e '.[fuzz]'`) each target runs in its own process for the budget, seeded with the test
sites' files; without it, hypothesis generates inputs for the same time instead. Prints,
per target: the engine, examples run, seconds, and findings (a finding's input is saved
under benchmarks/.work/fuzz/ and the script exits 1). Speed figures, not a test: the
suite's own fuzzing is in tests/test_properties.py and tests/test_fuzz_site.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newpower_site.load.fields import FieldContext, check_fields
from newpower_site.load.frontmatter import decode_source, split_front_matter
from newpower_site.load.links import LinkProblem, LinkTargets, locate, resolve_image, resolve_link, unsafe_scheme
from newpower_site.load.schema import KINDS, SITE
from newpower_site.core.urls import Urls

WORK = REPO / "benchmarks/.work/fuzz"
PATH = "content/articles/x.md"
CONTEXT = FieldContext(ZoneInfo("Europe/London"), {"topics": {"workplace": "Power at work"}, "movements": {"trade-union": "Trade unions"}})
TARGETS = LinkTargets(
    pages={"content/voices/asha-patel.md": "/archive/voices/asha-patel/", "content/articles/one.md": "/archive/articles/one/"},
    unpublished=frozenset({"content/articles/draft.md"}),
    assets={"content/images/asha.jpg": "images/asha.jpg", "content/files/report.pdf": "files/report.pdf"},
    static_paths=frozenset({"static/logo.svg"}),
)
URLS = Urls("https://example.org/archive")
SOURCES = ("content/articles/x.md", "content/voices/y.md", "content/pages/z.md")
LINK_SEEDS = [
    "../voices/asha-patel.md#what-changed", "one.md", "draft.md", "missing.md", "../images/asha.jpg", "/static/logo.svg",
    "https://example.org/a?b=1#c", "mailto:a@b.c", "#top", "//evil.example/x", "javascript:alert(1)", "java\tscript:x",
    "\x01javascript:x", "jav%61script:x", "data:text/html,x", "https://[::1", "../../site.yaml", "/../../etc/passwd", "%2e%2e/x.md",
]


# -- the properties ------------------------------------------------------------------------------------


def check_front_matter(raw: bytes) -> None:
    text, problems = decode_source(raw, PATH)
    lines = (text if text is not None else raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")).count("\n") + 1
    if text is not None:
        split, more = split_front_matter(text, PATH)
        problems = problems + more
        if split is not None:
            for kind in (*KINDS, SITE):
                _, field_problems = check_fields(split.front_matter, kind, PATH, CONTEXT)
                problems = problems + field_problems
    for d in problems:
        assert d.path == PATH and d.level in ("error", "warning"), d
        assert 1 <= d.line <= lines, (d, lines)
        assert "\n" not in d.message and "\r" not in d.message, d


def check_link(target: str, source: str) -> None:
    try:
        where = locate(target, source, TARGETS)
    except LinkProblem:
        return
    url = resolve_link(target, source, TARGETS, URLS)
    assert unsafe_scheme(url) is None, (target, url)
    if where.kind == "page":
        assert where.target in TARGETS.pages.values(), (target, where)
    if where.kind == "file":
        assert not re.match(r"(\.\./|\.\.$)", where.target.lstrip("/")), ("a file above the output folder", target, where)
    try:
        image = resolve_image(target, source, TARGETS)
    except LinkProblem:
        return
    assert image.startswith(("http://", "https://")) or image in TARGETS.assets.values() or image in TARGETS.static_paths, (target, image)


# -- atheris: one process per target --------------------------------------------------------------------


def atheris_main(target: str, argv: list[str]) -> None:
    import atheris

    def one(data: bytes) -> None:
        if target == "frontmatter":
            check_front_matter(data)
        else:
            provider = atheris.FuzzedDataProvider(data)
            source = SOURCES[provider.ConsumeIntInRange(0, len(SOURCES) - 1)]
            check_link(provider.ConsumeUnicodeNoSurrogates(200), source)

    atheris.instrument_all()
    atheris.Setup([sys.argv[0], *argv], one)
    atheris.Fuzz()


def seed_corpus(target: str) -> Path:
    folder = WORK / f"seeds-{target}"
    folder.mkdir(parents=True, exist_ok=True)
    if target == "frontmatter":
        sources = sorted((REPO / "tests/sites").rglob("*.md")) + sorted((REPO / "content").rglob("*.md"))
        for number, path in enumerate(sources):
            (folder / f"seed-{number}").write_bytes(path.read_bytes()[:4000])
    else:
        for number, link in enumerate(LINK_SEEDS):
            (folder / f"seed-{number}").write_bytes(bytes([number % len(SOURCES)]) + link.encode("utf-32-le"))
    return folder


def run_atheris(target: str, seconds: int) -> tuple[int, float, list[str]]:
    artifacts = WORK / f"findings-{target}"
    artifacts.mkdir(parents=True, exist_ok=True)
    corpus = WORK / f"corpus-{target}"
    corpus.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--atheris", target, str(corpus), str(seed_corpus(target)),
         f"-max_total_time={seconds}", "-print_final_stats=1", f"-artifact_prefix={artifacts}/", "-rss_limit_mb=4096", "-timeout=20"],
        capture_output=True, text=True, check=False,
    )
    took = time.perf_counter() - started
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", done.stderr)
    lines = done.stderr.splitlines()
    findings = [lines[n + 1] for n, line in enumerate(lines[:-1]) if "Uncaught Python exception" in line]  # the exception itself
    findings += [line for line in lines if "Test unit written" in line]
    if done.returncode != 0 and not findings:
        findings = [f"exit status {done.returncode}: {done.stderr[-500:]}"]
    return int(runs[-1]) if runs else 0, took, findings


# -- hypothesis: the same properties where atheris is missing -------------------------------------------


def run_hypothesis(target: str, seconds: int) -> tuple[int, float, list[str]]:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    count = [0]
    findings: list[str] = []
    if target == "frontmatter":
        strategy = st.one_of(st.binary(max_size=400), st.text(max_size=400).map(lambda t: ("---\n" + t + "\n---\n").encode("utf-8", "surrogatepass")))
        check = check_front_matter
    else:
        strategy = st.tuples(st.one_of(st.sampled_from(LINK_SEEDS), st.text(max_size=60)), st.sampled_from(SOURCES))

        def check(value: tuple[str, str]) -> None:
            check_link(*value)

    @settings(max_examples=10**9, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(value) -> None:
        if time.perf_counter() - started > seconds:
            raise _Done
        count[0] += 1
        check(value)

    started = time.perf_counter()
    try:
        one()
    except _Done:
        pass
    except Exception as exc:  # noqa: BLE001 - a finding: hypothesis has shrunk it and printed the example
        findings.append(f"{type(exc).__name__}: {exc}"[:500])
    return count[0], time.perf_counter() - started, findings


class _Done(Exception):
    pass


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--atheris":
        atheris_main(sys.argv[2], sys.argv[3:])
        return 0
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    try:
        import atheris  # noqa: F401

        engine, runner = "atheris", run_atheris
    except ImportError:
        engine, runner = "hypothesis", run_hypothesis
    print(f"fuzzing each target for {seconds} s with {engine} (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    failed = False
    for target in ("frontmatter", "links"):
        runs, took, findings = runner(target, seconds)
        print(f"{target:12} {runs:>10,} examples in {took:6.1f} s ({runs / max(took, 1e-9):,.0f}/s), {len(findings)} findings")
        for finding in findings:
            print(f"    {finding}")
        failed = failed or bool(findings)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
