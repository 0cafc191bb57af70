"""Bad repo files: each is a `parse-error` finding or a note naming the file (and line),
the rest of the repo is still checked, and proofgate never raises.

Extractor-level properties (arbitrary bytes never raise, positions stay inside
the file) live beside each extractor in tests/extract/; docs/reliability.md
lists them.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.repo import discover
from tests.reliability.support import CLAIM, NOW, Outcome, run_cli, write_files

README_CLAIM = ("README.md", 1, "forge-claims-need-proof.named")
CheckRepo = Callable[..., Outcome]


def parse_errors(outcome: Outcome) -> dict[tuple[str, int], str]:
    return {
        (f["path"], f["line"]): f["message"]
        for f in outcome.json()["findings"]
        if f["rule"] == "parse-error"
    }


def assert_rest_checked(outcome: Outcome) -> None:
    assert outcome.code == 1
    assert README_CLAIM in outcome.findings()


# --- malformed structured files ------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "content", "line", "message"),
    [
        ("deploy/values.yaml", "image:\n  tag: [1.2\nreplicas: 2\n", 3, "malformed YAML"),
        ("deploy/values.yaml", "a: 1\n b: 2\n", 2, "malformed YAML"),
        ("deploy/values.yaml", "key: 'unterminated\n", 2, "malformed YAML"),
        ("package.json", '{\n  "name": "x",,\n}\n', 2, "malformed JSON"),
        ("package.json", '{"name": "x"', 1, "malformed JSON"),
        ("conf/settings.toml", '[tool.x]\nname = = "y"\n', 2, "malformed TOML"),
        ("conf/settings.toml", "[a]\nk = 1\n[a]\nk = 2\n", 3, "malformed TOML"),
        (".github/workflows/ci.yml", "on: [push\njobs: {}\n", 2, "malformed YAML"),
        ("flake.lock", '{"nodes": {"root": ', 1, "invalid JSON"),
    ],
)
def test_malformed_structured_files(
    check_repo: CheckRepo,
    config_policies: list[str],
    rel: str,
    content: str,
    line: int,
    message: str,
) -> None:
    outcome = check_repo({rel: content}, *config_policies)
    assert_rest_checked(outcome)
    assert message in parse_errors(outcome)[(rel, line)]


def test_alias_bomb_and_deep_nesting_are_parse_errors(
    check_repo: CheckRepo, config_policies: list[str]
) -> None:
    laughs = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{x}: &{x} [{', '.join([f'*{p}'] * 9)}]\n"
        for p, x in zip("abcdefgh", "bcdefghi", strict=True)
    )
    outcome = check_repo(
        {
            "conf/laughs.yaml": laughs,
            "conf/deep.yaml": "a: " + "[" * 5000 + "]" * 5000 + "\n",
            "conf/deep.json": "[" * 100_000 + "]" * 100_000,
            "conf/deep.toml": "a = " + "[" * 100_000 + "]" * 100_000 + "\n",
        },
        *config_policies,
    )
    assert_rest_checked(outcome)
    errors = parse_errors(outcome)
    assert "alias bomb" in errors[("conf/laughs.yaml", 1)]
    assert "nesting" in errors[("conf/deep.yaml", 1)]
    assert "nested too deeply" in errors[("conf/deep.json", 1)]
    assert "nested too deeply" in errors[("conf/deep.toml", 1)]


def test_duplicate_keys(check_repo: CheckRepo, config_policies: list[str]) -> None:
    outcome = check_repo(
        {
            "conf/app.yaml": "flakehub: a\nother: 1\nflakehub: b\n",
            ".github/workflows/ci.yml": "on: push\non: pull_request\njobs: {}\n",
            "conf/app.json": '{"flakehub": 1, "flakehub": 2}',
        },
        *config_policies,
    )
    assert_rest_checked(outcome)
    errors = parse_errors(outcome)
    assert errors[("conf/app.yaml", 3)] == "duplicate key 'flakehub'"
    assert errors[(".github/workflows/ci.yml", 2)] == "duplicate key 'on'"
    # The YAML value that wins is still checked; JSON keeps every occurrence (RFC 8259).
    assert ("conf/app.yaml", 3, "no-flakehub-config") in outcome.findings()
    assert ("conf/app.json", 1, "no-flakehub-config") in outcome.findings()
    assert ("conf/app.json", 1) not in errors


# --- encodings and line endings ------------------------------------------------------


def test_non_utf8_and_mixed_encodings_name_the_line(check_repo: CheckRepo) -> None:
    outcome = check_repo(
        {
            "docs/latin1.md": "Intro.\n\nWe support Forgejo caf\xe9.\n".encode("latin-1"),
            "docs/mixed.md": "Ünïcode first.\n".encode() + "then caf\xe9\n".encode("cp1252"),
            "docs/utf16.md": "We support Forgejo today.\n".encode("utf-16"),
        }
    )
    assert_rest_checked(outcome)
    errors = parse_errors(outcome)
    assert errors[("docs/latin1.md", 3)] == "not valid UTF-8 (byte 0xe9)"
    assert errors[("docs/mixed.md", 2)] == "not valid UTF-8 (byte 0xe9)"
    # UTF-16 with a BOM (as Windows editors save it) is read, not skipped as binary.
    assert ("docs/utf16.md", 1, "forge-claims-need-proof.named") in outcome.findings()


def test_bom_is_dropped_and_positions_do_not_shift(
    tmp_path: Path, config_policies: list[str]
) -> None:
    files = {
        "docs/claim.md": CLAIM,
        "conf/app.yaml": "flakehub: 1\n",
        "conf/app.json": '{"flakehub": 1}',
        "conf/app.toml": "flakehub = 1\n",
        ".bazelrc": "build --remote_cache=grpcs://cache.example:443\n",
    }
    found = {}
    for bom in (b"", b"\xef\xbb\xbf"):
        root = write_files(
            tmp_path / str(len(bom)), {k: bom + v.encode() for k, v in files.items()}
        )
        outcome = run_cli("check", "--root", str(root), "-f", "json", *config_policies)
        found[bom] = [
            (f["path"], f["line"], f["column"], f["end_column"], f["rule"])
            for f in outcome.json()["findings"]
        ]
    assert len(found[b""]) == len(files)
    assert found[b"\xef\xbb\xbf"] == found[b""]


def test_crlf_lone_cr_and_tabs(check_repo: CheckRepo, config_policies: list[str]) -> None:
    outcome = check_repo(
        {
            "docs/crlf.md": b"Intro.\r\n\r\nWe support Forgejo now.\r\n",
            "docs/cr.md": b"Intro.\r\rWe support Forgejo now.\r",
            "docs/tabs.md": b"Intro.\n\nWe\tsupport\tForgejo now.\n",
            "conf/crlf.yaml": b"a: 1\r\nflakehub: 2\r\n",
            "conf/tabs.yaml": b"a:\n\tflakehub: 1\n",
            ".bazelrc": b"# cache\r\nbuild --remote_cache=grpcs://cache.example:443\r\n",
        },
        *config_policies,
    )
    findings = outcome.findings()
    assert ("docs/crlf.md", 3, "forge-claims-need-proof.named") in findings
    assert ("docs/cr.md", 3, "forge-claims-need-proof.named") in findings
    assert ("conf/crlf.yaml", 2, "no-flakehub-config") in findings
    assert (".bazelrc", 2, "caches-accelerate-never-gate.bazel-remote-cache") in findings
    tabs = [f for f in outcome.json()["findings"] if f["path"] == "docs/tabs.md"]
    assert [(f["line"], f["column"]) for f in tabs] == [(3, 12)]  # a tab is one column
    assert "tab" in parse_errors(outcome)[("conf/tabs.yaml", 2)]


@pytest.mark.parametrize("content", ["", "\n", "   \n\n"])
def test_empty_files_of_every_kind(
    check_repo: CheckRepo, config_policies: list[str], content: str
) -> None:
    names = [
        "docs/empty.md",
        ".github/workflows/empty.yml",
        "action.yml",
        ".bazelrc",
        "nix/nix.conf",
        "conf/empty.yaml",
        "conf/empty.json",
        "conf/empty.toml",
        "flake.nix",
        "flake.lock",
    ]
    outcome = check_repo(dict.fromkeys(names, content), *config_policies)
    assert_rest_checked(outcome)
    # Only the two files Nix itself rejects when empty are errors.
    assert {path for path, _ in parse_errors(outcome)} == {"flake.nix", "flake.lock"}


# --- files that are skipped, with a note ----------------------------------------


def notes(outcome: Outcome) -> list[str]:
    return [line for line in outcome.stdout.splitlines() if line.startswith("note: ")]


def check_text(root: Path) -> Outcome:
    return run_cli("check", "--root", str(root), "--now", NOW)


def test_binary_file_with_a_text_extension_is_skipped_with_a_note(tmp_path: Path) -> None:
    root = write_files(
        tmp_path, {"README.md": CLAIM, "docs/logo.md": b"\x89PNG\r\n\x1a\n\0\0GitLab supported"}
    )
    outcome = check_text(root)
    assert outcome.code == 1
    assert "note: docs/logo.md: skipped, binary file" in notes(outcome)
    assert "README.md:1:12" in outcome.stdout


def test_a_huge_file_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 512 MiB (sparse) Markdown file is skipped by its size; one of a kind no
    policy reads is not even opened."""
    root = write_files(tmp_path, {"README.md": CLAIM})
    for name in ("huge.md", "huge.bin"):
        with (root / name).open("wb") as handle:
            handle.truncate(512 << 20)
    opened: list[str] = []
    real_open = os.open

    def spy(path: str, *args: Any, **kwargs: Any) -> Any:
        opened.append(os.path.basename(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    outcome = check_text(root)
    assert outcome.code == 1
    assert "note: huge.md: skipped, larger than 8 MiB" in notes(outcome)
    assert "huge.md" not in opened and "huge.bin" not in opened


def test_symlink_loops_and_links_out_of_the_root(tmp_path: Path) -> None:
    outside = write_files(tmp_path / "outside", {"secret.md": "We support Forgejo today.\n"})
    root = write_files(tmp_path / "repo", {"README.md": CLAIM, "docs/real.md": "Intro.\n"})
    (root / "self.md").symlink_to(root / "self.md")
    (root / "ping.md").symlink_to(root / "pong.md")
    (root / "pong.md").symlink_to(root / "ping.md")
    (root / "docs" / "again").symlink_to(root / "docs")  # a directory loop
    (root / "leak.md").symlink_to(outside / "secret.md")
    (root / "passwd.md").symlink_to("/etc/passwd")
    (root / "gone.md").symlink_to(root / "deleted.md")
    (root / "inside.md").symlink_to("README.md")  # stays inside: checked
    outcome = check_text(root)
    assert outcome.code == 1
    assert notes(outcome)[:7] == [
        "note: gone.md: skipped, a symlink to nothing",
        "note: leak.md: skipped, a symlink that leaves the repo root",
        "note: passwd.md: skipped, a symlink that leaves the repo root",
        "note: ping.md: skipped, a symlink loop",
        "note: pong.md: skipped, a symlink loop",
        "note: self.md: skipped, a symlink loop",
        "note: no proof ledger found, so nothing counts as proved",
    ]
    assert "inside.md:1:12" in outcome.stdout
    assert "secret" not in outcome.stdout


# --- unreadable files and directories ----------------------------------------------


def permissions_stop_reads(path: Path) -> bool:
    """False when running as root (or with CAP_DAC_OVERRIDE): chmod 000 stops nothing."""
    try:
        path.read_bytes()
    except PermissionError:
        return True
    return False


def test_unreadable_file_is_a_parse_error(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"README.md": CLAIM, "docs/locked.md": CLAIM})
    locked = root / "docs" / "locked.md"
    locked.chmod(0)
    try:
        if not permissions_stop_reads(locked):
            pytest.skip("running as root: permissions do not stop reads (see the simulated test)")
        outcome = run_cli("check", "--root", str(root), "-f", "json")
    finally:
        locked.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert_rest_checked(outcome)
    assert parse_errors(outcome)[("docs/locked.md", 1)] == "cannot read: Permission denied"


def test_unreadable_file_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same as the chmod test, whoever runs it: opening the file fails with EACCES."""
    root = write_files(tmp_path, {"README.md": CLAIM, "docs/locked.md": CLAIM})
    real_open = os.open

    def deny(path: str, *args: Any, **kwargs: Any) -> Any:
        if str(path).endswith("locked.md"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    outcome = run_cli("check", "--root", str(root), "-f", "json")
    assert_rest_checked(outcome)
    assert parse_errors(outcome)[("docs/locked.md", 1)] == "cannot read: Permission denied"


def test_unlistable_directory_is_a_note_when_walking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_files(tmp_path, {"README.md": CLAIM, "private/notes.md": CLAIM})
    real_scandir = os.scandir

    def deny(path: Any) -> Any:
        if str(path).endswith("private"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", deny)
    outcome = check_text(root)
    expected = (
        "note: private/: skipped, cannot list this directory (Permission denied): "
        "its files are not checked"
    )
    assert expected in notes(outcome)


def test_unlistable_directory_is_a_note_with_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git ls-files skips a directory it cannot open with only a warning (exit 0)."""
    root = write_files(tmp_path / "repo", {"README.md": CLAIM})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    real_git = subprocess.run(["which", "git"], capture_output=True, text=True, check=True)
    fake = write_files(
        tmp_path / "bin",
        {
            "git": f'#!/bin/sh\n"{real_git.stdout.strip()}" "$@"; status=$?\n'
            "echo \"warning: could not open directory 'private/': Permission denied\" >&2\n"
            "exit $status\n"
        },
    )
    (fake / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    outcome = check_text(root)
    assert any(n.startswith("note: private/: skipped, cannot list") for n in notes(outcome))
    assert discover.discover(root, []).paths == ["README.md"]


# --- names, .bazelrc, workflows ------------------------------------------------------


@pytest.mark.parametrize("git", [False, True])
def test_paths_with_spaces_and_unicode(tmp_path: Path, git: bool) -> None:
    root = write_files(
        tmp_path,
        {
            "docs/release notes/Ünïcødé 文档.md": "We support Forgejo today.\n",
            "my docs/a b.md": "Intro.\n\nWe support GitLab today.\n",
        },
    )
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    outcome = run_cli("check", "--root", str(root), "-f", "json", "docs/release notes")
    assert outcome.findings() == {
        ("docs/release notes/Ünïcødé 文档.md", 1, "forge-claims-need-proof.named")
    }
    outcome = run_cli("check", "--root", str(root), "-f", "json")
    assert ("my docs/a b.md", 3, "forge-claims-need-proof.named") in outcome.findings()


def test_bazelrc_with_continuations_and_quoting(check_repo: CheckRepo) -> None:
    rc = (
        "# shared settings\n"
        "build:ci --remote_cache=grpcs://cache.example:443\n"  # a named config: fine
        "build \\\n"
        "  --remote_cache=grpcs://cache.example:443\n"  # continued: reported where the flag is
        'test "--remote_cache=grpcs://cache.example:443" --jobs=4\n'  # quoted
        "common --remote_cache='grpc://x' # trailing comment\n"
        "build --disk_cache=~/.cache/b\\\n"
        "azel\n"
    )
    outcome = check_repo({".bazelrc": rc})
    rule = "caches-accelerate-never-gate.bazel-remote-cache"
    lines = sorted(line for path, line, r in outcome.findings() if r == rule)
    assert lines == [4, 5, 6]
    assert parse_errors(outcome) == {}


LEDGER = (
    "repo: example/app\n"
    "baseline: honey\n"
    "primary_forge: github\n"
    "runner_classes:\n"
    "  kvm:\n"
    "    state: experimental\n"
    "    labels: [kvm]\n"
)
ON_MAP = """\
on:
  push:
    branches: [main]
    tags: ['v*']
  pull_request:
  workflow_dispatch:
  schedule:
    - cron: '0 4 * * *'"""
WORKFLOW = """\
name: shapes
{on}
jobs:
  string:
    runs-on: kvm
  list:
    runs-on: [self-hosted, kvm]
  group:
    runs-on: {group: honey, labels: kvm}
  group-list:
    runs-on:
      group: honey
      labels: [self-hosted, kvm]
  matrix:
    strategy:
      matrix:
        runner: [kvm, ubuntu-latest]
    runs-on: ${{ matrix.runner }}
  expression:
    runs-on: ${{ inputs.runner }}
  hosted:
    runs-on: ubuntu-latest
"""


@pytest.mark.parametrize("on", ["on: push", "on: [push, pull_request]", "'on': {push: }", ON_MAP])
def test_workflow_shapes_end_to_end(check_repo: CheckRepo, on: str) -> None:
    text = WORKFLOW.replace("{on}", on)
    outcome = check_repo({".github/workflows/shapes.yml": text, "proofs.yaml": LEDGER})
    assert parse_errors(outcome) == {}
    warned = {
        message.split("'")[1]
        for message in outcome.messages("runner-class-needs-proof.runs-on-experimental")
    }
    assert warned == {"string", "list", "group", "group-list", "matrix"}
