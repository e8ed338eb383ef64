#!/usr/bin/env python3
"""Refresh newpower_site/data/caniemail-css.json from the `caniemail` npm package.

The build lints email templates against caniemail.com's support data, but must
not need Node: this script, run by hand when the data should be brought up to
date, downloads the package with `npm pack` (only the npm CLI is needed, no
install), reads its `data/caniemail.json` and writes the small snapshot the
build reads. Commit the snapshot it writes.

    python3 scripts/refresh_caniemail.py                  # latest published version
    python3 scripts/refresh_caniemail.py --version 2.0.2  # a given version
    python3 scripts/refresh_caniemail.py --json caniemail.json  # a local copy, no npm
                                                          # (e.g. https://www.caniemail.com/api/data.json)

What is kept: the CSS features the linter can recognise in a declaration or a
style sheet (properties, property:value pairs, value functions, at-rules and
@media features), and for each, the support in four clients:

    gmail            Gmail: desktop webmail, iOS app, Android app
    outlook-windows  Outlook on Windows (the Word rendering engine)
    apple-mail       Apple Mail: macOS and iOS
    yahoo            Yahoo Mail: desktop webmail, iOS app, Android app

How one status per client is chosen: for each platform, the most recently
tested version counts (caniemail's own linter and site summary do the same);
the client's status is the worst of its platforms, in the order
n (not supported) < a (partial) < u (unknown) < y (supported). The linter
warns only on `n`: a partial status means the property works with caveats
(padding only on table cells in Outlook, for example) and is kept here with
caniemail's notes so that a reader can see them.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parent.parent / "newpower_site" / "data" / "caniemail-css.json"

# Our client -> (caniemail family, the platforms that count).
CLIENTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "gmail": ("Gmail", "gmail", ("desktop-webmail", "ios", "android")),
    "outlook-windows": ("Outlook (Windows)", "outlook", ("windows",)),
    "apple-mail": ("Apple Mail", "apple-mail", ("macos", "ios")),
    "yahoo": ("Yahoo Mail", "yahoo", ("desktop-webmail", "ios", "android")),
}
_RANK = {"n": 0, "a": 1, "u": 2, "y": 3}

# Titles that name several properties, as the caniemail package's own linter reads them.
_PROPERTY_TITLES: dict[str, list[str]] = {
    "block-size & inline-size": ["block-size", "inline-size"],
    "border-inline & border-block": ["border-inline", "border-block"],
    "border-inline & border-block individual logical properties": [
        "border-block-end",
        "border-block-start",
        "border-inline-end",
        "border-inline-start",
    ],
    "border-inline & border-block longhand properties": [
        "border-block-color",
        "border-block-style",
        "border-block-width",
        "border-inline-color",
        "border-inline-style",
        "border-inline-width",
    ],
    "border-radius logical properties": [
        "border-end-end-radius",
        "border-end-start-radius",
        "border-start-end-radius",
        "border-start-start-radius",
    ],
    "color-scheme CSS property": ["color-scheme"],
    "css column properties": [
        "column-count",
        "column-fill",
        "column-gap",
        "column-rule",
        "column-rule-color",
        "column-rule-style",
        "column-rule-width",
        "column-span",
        "column-width",
        "columns",
    ],
    "gap, column-gap, row-gap": ["column-gap", "gap", "row-gap"],
    "grid-template-* properties": ["grid-template", "grid-template-areas", "grid-template-columns", "grid-template-rows"],
    "left, right, top, bottom": ["left", "right", "top", "bottom"],
    "margin-block-start & margin-block-end": ["margin-block-end", "margin-block-start"],
    "margin-inline & margin-block": ["margin-block", "margin-inline"],
    "margin-inline-start & margin-inline-end": ["margin-inline-end", "margin-inline-start"],
    "padding-block-start & padding-block-end": ["padding-block-end", "padding-block-start"],
    "padding-inline & padding-block": ["padding-block", "padding-inline"],
    "padding-inline-start & padding-inline-end": ["padding-inline-end", "padding-inline-start"],
}
# Longhands caniemail tests under a shorthand's feature without naming them in its keywords.
_EXTRA_PROPERTIES: dict[str, list[str]] = {
    "css-padding": ["padding-top", "padding-right", "padding-bottom", "padding-left"],
    "css-border-radius": [
        "border-top-left-radius",
        "border-top-right-radius",
        "border-bottom-right-radius",
        "border-bottom-left-radius",
    ],
}
# @media features caniemail tests, by the slug's tail.
_MEDIA_FEATURES: dict[str, list[str]] = {
    "css-at-media-device-pixel-ratio": ["-webkit-device-pixel-ratio", "-webkit-min-device-pixel-ratio", "-webkit-max-device-pixel-ratio"],
    "css-at-media-hover": ["hover", "any-hover"],
    "css-at-media-orientation": ["orientation"],
    "css-at-media-prefers-color-scheme": ["prefers-color-scheme"],
    "css-at-media-prefers-reduced-motion": ["prefers-reduced-motion"],
}
# Selectors, and an HTML attribute caniemail files under CSS: not looked for in declarations.
_NOT_IN_DECLARATIONS = ("css-pseudo-", "css-selector-", "css-inert-attribute")
_PROPERTY_NAME = re.compile(r"[a-z-]+")


def _version_key(version: str) -> tuple:
    """'2019-05' < '2020-01', '9.0' < '16.80': compare the numbers in a version, not its text."""
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)


def _matchers(feature: dict) -> tuple[str, list] | None:
    """What in CSS text shows this feature is used: (kind, values), or None when the linter does not look for it."""
    slug, title = feature["slug"], feature["title"].strip()
    if slug.startswith(_NOT_IN_DECLARATIONS):
        return None
    if slug in _MEDIA_FEATURES:
        return "media-feature", _MEDIA_FEATURES[slug]
    if title.startswith("@"):
        return "at-rule", [title[1:]]
    if title == "CSS Variables (Custom Properties)":
        return "function", ["var"]
    if "()" in title and not title.startswith(":"):
        return "function", re.findall(r"([a-z-]+)\(\)", title)
    pair = re.fullmatch(r"([a-z-]+):\s*([a-z-]+)", title)
    if pair:
        return "pair", [[pair[1], pair[2]]]
    if title in _PROPERTY_TITLES:
        properties = list(_PROPERTY_TITLES[title])
    else:
        name = re.sub(r" (shorthand|property)$", "", title)
        if not _PROPERTY_NAME.fullmatch(name):
            return None
        properties = [name]
        # Keywords that are longhands of the property (border-top-color under border) are tested with it.
        for keyword in (feature.get("keywords") or "").split(","):
            keyword = keyword.strip()
            if _PROPERTY_NAME.fullmatch(keyword) and keyword.startswith(name + "-"):
                properties.append(keyword)
    properties += _EXTRA_PROPERTIES.get(slug, [])
    return "property", sorted(set(properties))


def _client_support(feature: dict, family: str, platforms: tuple[str, ...]) -> tuple[str, str, list[str]]:
    """The worst latest status over the client's platforms, each platform's latest version and status, and the notes cited."""
    stats = feature["stats"].get(family, {})
    detail: dict[str, str] = {}
    notes: list[str] = []
    worst = "y"
    for platform in platforms:
        versions = stats.get(platform)
        if not versions:
            continue
        latest = max(versions, key=_version_key)
        status_text = versions[latest]
        status = status_text[:1] if status_text[:1] in _RANK else "u"
        detail[platform] = f"{platform} {latest} {status}"
        for number in re.findall(r"#(\d+)", status_text):
            note = (feature.get("notes_by_num") or {}).get(number)
            if note and note not in notes:
                notes.append(note)
        if _RANK[status] < _RANK[worst]:
            worst = status
    if not detail:
        worst = "u"
    return worst, ", ".join(detail.values()), notes


def build_snapshot(raw: dict, source: dict) -> dict:
    """The snapshot the linter reads, from caniemail's full JSON (`raw`) and a description of where it came from."""
    features: dict[str, dict] = {}
    for feature in sorted(raw["data"], key=lambda f: f["slug"]):
        if feature.get("category") != "css":
            continue
        matchers = _matchers(feature)
        if matchers is None:
            continue
        kind, match = matchers
        support, detail, notes = {}, {}, {}
        for client, (_name, family, platforms) in CLIENTS.items():
            support[client], detail[client], client_notes = _client_support(feature, family, platforms)
            if client_notes:
                notes[client] = client_notes
        features[feature["slug"]] = {
            "title": feature["title"].strip(),
            "kind": kind,
            "match": match,
            "url": feature.get("url", ""),
            "support": support,
            "notes": notes,
            "latest": detail,
        }
    return {
        "source": {**source, "data_last_update": raw.get("last_update_date", ""), "api_version": raw.get("api_version", "")},
        "rule": (
            "Per platform, the most recently tested version counts; a client's status is the worst of its platforms "
            "(n < a < u < y). n = not supported, a = partial (see notes), u = unknown, y = supported. "
            "The linter warns on n only."
        ),
        "clients": {
            key: {"name": name, "family": family, "platforms": list(platforms)} for key, (name, family, platforms) in CLIENTS.items()
        },
        "features": features,
    }


def _npm(*args: str) -> str:
    try:
        done = subprocess.run(["npm", *args], check=True, capture_output=True, text=True)
    except FileNotFoundError:
        sys.exit("refresh_caniemail: npm is not installed (Debian: apt-get install npm), or use --json FILE")
    except subprocess.CalledProcessError as failure:
        sys.exit(f"refresh_caniemail: npm {' '.join(args)} failed:\n{failure.stderr}")
    return done.stdout


def _from_npm(version: str | None) -> tuple[dict, dict]:
    # Resolve the version first: `npm pack caniemail` without one has been seen to fetch an older release.
    spec = f"caniemail@{version or 'latest'}"
    info = json.loads(_npm("view", spec, "name", "version", "dist.tarball", "dist.integrity", "--json"))
    if isinstance(info, list):  # a range that matches several versions: take the newest
        info = info[-1]
    with tempfile.TemporaryDirectory() as folder:
        _npm("pack", f"caniemail@{info['version']}", "--pack-destination", folder, "--silent")
        tarball = next(Path(folder).glob("caniemail-*.tgz"))
        with tarfile.open(tarball) as archive:
            member = archive.extractfile("package/data/caniemail.json")
            if member is None:
                sys.exit(f"refresh_caniemail: {tarball.name} has no package/data/caniemail.json")
            raw = json.load(io.TextIOWrapper(member, encoding="utf-8"))
    source = {
        "package": "caniemail (npm)",
        "version": info["version"],
        "tarball": info.get("dist.tarball", ""),
        "integrity": info.get("dist.integrity", ""),
    }
    return raw, source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", help="the caniemail npm version to read (default: the latest)")
    parser.add_argument("--json", type=Path, help="read caniemail's JSON from this file instead of npm")
    parser.add_argument("--output", type=Path, default=SNAPSHOT, help=f"where to write (default: {SNAPSHOT})")
    args = parser.parse_args(argv)
    if args.json:
        raw = json.loads(args.json.read_text(encoding="utf-8"))
        source = {"package": f"local file {args.json.name}", "version": "", "tarball": "", "integrity": ""}
    else:
        raw, source = _from_npm(args.version)
    snapshot = build_snapshot(raw, source)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(snapshot, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"{args.output}: {len(snapshot['features'])} CSS features from {source['package']} {source['version']}"
        f" (data of {snapshot['source']['data_last_update']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
