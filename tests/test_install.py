"""The generator installed for another site: a wheel (`make dist`) in a fresh venv outside the repository.

The wheel must carry the theme (templates/ as newpower_site/theme) and the
email's CSS data; a site made with `newpower new site` must build with
nothing from this checkout on the path. The dependencies come from the
package index, so without one the test is skipped, saying why.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import REPO


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_a_wheel_installs_into_a_fresh_venv_and_builds_a_new_site(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    made = run("make", "dist", f"DIST={dist}", f"WHEEL_PYTHON={sys.executable}", cwd=REPO)
    assert made.returncode == 0, made.stderr
    [wheel] = dist.glob("newpower_site-*.whl")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    venv.create(elsewhere / "venv", with_pip=True)
    bin_dir = elsewhere / "venv" / "bin"
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    installed = run(bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel, cwd=elsewhere, env=env)
    if installed.returncode != 0 and any(word in installed.stderr for word in ("No matching distribution", "Could not find a version", "NewConnectionError", "Network is unreachable")):
        pytest.skip(f"pip cannot reach a package index for the dependencies: {installed.stderr.strip().splitlines()[-1]}")
    assert installed.returncode == 0, installed.stderr

    newpower = bin_dir / "newpower"
    where = run(bin_dir / "python", "-c", "import newpower_site, sys; print(newpower_site.__file__)", cwd=elsewhere, env=env)
    assert where.returncode == 0 and not Path(where.stdout.strip()).is_relative_to(REPO), "the installed copy, not this checkout"
    new = run(newpower, "new", "site", "Test Org", cwd=elsewhere, env=env)
    assert new.returncode == 0, new.stderr
    site = elsewhere / "test-org"
    assert run(newpower, "new", "article", "Hello", "--site", site, cwd=elsewhere, env=env).returncode == 0
    built = run(newpower, "build", "--site", site, "--drafts", cwd=elsewhere, env=env)
    assert built.returncode == 0, built.stderr
    assert "Traceback" not in built.stderr
    home = (site / "output/index.html").read_text(encoding="utf-8")
    assert "Test Org" in home and (site / "output/static/style.css").is_file(), "the theme came with the wheel"
    assert (site / "output/articles/hello/index.html").is_file()
    assert not (site / "templates").exists(), "the site needs no theme of its own"
