"""The same repo checked twice gives byte-identical JSON and SARIF, whatever the order
the files were created in, the hash seed, or whether git lists the files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.report import FORMATS
from tests.reliability.support import DRIFTING, NOW, REPO, run_cli

MACHINE_FORMATS = [name for name in ("json", "sarif") if name in FORMATS]


def copy_repo(source: Path, target: Path, reverse: bool) -> Path:
    """A fresh copy of ``source`` at ``target``, its files created in sorted or reverse order."""
    if target.exists():
        shutil.rmtree(target)
    files = sorted(p for p in source.rglob("*") if p.is_file())
    for path in reversed(files) if reverse else files:
        copy = target / path.relative_to(source)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
    return target


def in_process(root: Path, fmt: str) -> bytes:
    outcome = run_cli("check", "--root", str(root), "-f", fmt, "--now", NOW)
    assert outcome.code == 1, outcome.stderr
    return outcome.stdout.encode()


def in_subprocess(root: Path, fmt: str, seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
    args = [
        sys.executable,
        "-m",
        "proofgate",
        "check",
        "--root",
        str(root),
        "-f",
        fmt,
        "--now",
        NOW,
    ]
    proc = subprocess.run(args, capture_output=True, env=env, check=False, cwd=REPO)
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("fmt", MACHINE_FORMATS)
def test_output_is_byte_identical(tmp_path: Path, fmt: str) -> None:
    root = tmp_path / "repo"  # every copy at one path: SARIF may carry the root's URI
    copy_repo(DRIFTING, root, reverse=False)
    first = in_process(root, fmt)
    assert in_process(root, fmt) == first
    copy_repo(DRIFTING, root, reverse=True)
    assert in_process(root, fmt) == first
    assert in_subprocess(root, fmt, seed="0") == first
    assert in_subprocess(root, fmt, seed="4242") == first
    subprocess.run(["git", "init", "-q", str(root)], check=True)  # files listed by git now
    assert in_process(root, fmt) == first
