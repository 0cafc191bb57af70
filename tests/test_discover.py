"""Finding files: .gitignore, binary and large files, symlinks, encodings."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.repo import discover

CLAIM = "We support GitLab today.\n"


def check_json(root: Path, *args: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(main, ["check", "--root", str(root), "-f", "json", *args])
    return result.exit_code, json.loads(result.stdout), result.stderr


@pytest.mark.parametrize("git", [True, False])
def test_gitignore_is_honoured(tmp_path: Path, git: bool) -> None:
    if git:
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("build/\n*.log.md\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "README.md").write_text(CLAIM)
    (tmp_path / "notes.log.md").write_text(CLAIM)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text(CLAIM)
    files = discover.discover(tmp_path, []).paths
    assert "docs/a.md" in files
    assert not any(p.startswith("build/") or p.endswith(".log.md") for p in files)


def test_binary_large_and_symlinked_files_are_skipped_with_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(CLAIM)
    root = tmp_path / "repo"
    root.mkdir()
    (root / "binary.md").write_bytes(b"GitLab\0\x01\x02")
    (root / "big.md").write_text(CLAIM * 10)
    (root / "link.md").symlink_to(outside / "secret.md")
    monkeypatch.setattr(discover, "MAX_FILE_BYTES", 100)
    code, report, _ = check_json(root)
    assert code == 0, report
    result = CliRunner().invoke(main, ["check", "--root", str(root)])
    assert "note: binary.md: skipped, binary file" in result.stdout
    assert "note: big.md: skipped, larger than" in result.stdout
    assert "note: link.md: skipped, a symlink that leaves the repo root" in result.stdout


def test_non_utf8_is_a_parse_error_and_bom_is_fine(tmp_path: Path) -> None:
    (tmp_path / "latin1.md").write_bytes(
        "Intro.\n\nWe support Forgejo caf\xe9.\n".encode("latin-1")
    )
    (tmp_path / "bom.md").write_bytes(b"\xef\xbb\xbf" + CLAIM.encode())
    code, report, _ = check_json(tmp_path)
    assert code == 1
    found = {(f["path"], f["line"], f["rule"]) for f in report["findings"]}  # type: ignore[index, union-attr]
    assert ("latin1.md", 3, "parse-error") in found
    assert ("bom.md", 1, "forge-claims-need-proof.named") in found


def test_paths_outside_the_root_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    result = CliRunner().invoke(main, ["check", "--root", str(tmp_path / "repo"), str(tmp_path)])
    assert result.exit_code == 2
    assert "outside the repo root" in result.stderr
    result = CliRunner().invoke(main, ["check", "--root", str(tmp_path / "repo"), "nope"])
    assert result.exit_code == 2
    assert "nope: no such file or directory" in result.stderr


def test_docs_in_formats_proofgate_does_not_read_are_named_in_a_note(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("Intro.\n")
    (tmp_path / "docs").mkdir()
    for name in ("a.adoc", "b.rst", "c.asciidoc", "d.adoc", "notes.txt"):
        (tmp_path / "docs" / name).write_text(CLAIM)
    result = CliRunner().invoke(main, ["check", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (
        "note: 4 documentation files not checked: proofgate reads Markdown, not AsciiDoc "
        "or reStructuredText (docs/a.adoc, docs/b.rst, docs/c.asciidoc and 1 more)"
    ) in result.stdout
    _, report, _ = check_json(tmp_path, "README.md")  # a path that names none of them
    assert not any("not checked" in n for n in report["notes"])  # type: ignore[union-attr]
    (tmp_path / ".proofgate.toml").write_text('exclude = ["docs/"]\n')
    _, report, _ = check_json(tmp_path)
    assert not any("not checked" in n for n in report["notes"])  # type: ignore[union-attr]
