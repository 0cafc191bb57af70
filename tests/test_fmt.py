"""``proofgate fmt``: print, --check and --write, as ruff format does."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main

FORMATTED = """\
# Forge claims.
policy forge-claims {
  severity error
  rationale "r"
  fix "f"

  deny
    for s in sentences
    where s.text contains "GitLab"
    message "m"
}
"""
UNFORMATTED = FORMATTED.replace("  severity error\n", "").replace(
    '    for s in sentences\n    where s.text contains "GitLab"\n',
    '    for s in sentences where s.text   contains "GitLab"\n',
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["fmt", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def policies(tmp_path: Path, **files: str | bytes) -> Path:
    for name, content in files.items():
        path = tmp_path / f"{name}.policy"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return tmp_path


def test_prints_the_formatted_text(tmp_path: Path) -> None:
    policies(tmp_path, a=UNFORMATTED)
    code, out, _ = run(str(tmp_path / "a.policy"))
    assert (code, out) == (0, FORMATTED)
    assert (tmp_path / "a.policy").read_text() == UNFORMATTED  # printing never writes


def test_several_files_get_headers(tmp_path: Path) -> None:
    policies(tmp_path, a=UNFORMATTED, b=FORMATTED)
    code, out, _ = run(str(tmp_path))
    assert code == 0
    assert (
        out == f"==> {tmp_path}/a.policy <==\n{FORMATTED}==> {tmp_path}/b.policy <==\n{FORMATTED}"
    )


def test_check_lists_the_files_that_would_change(tmp_path: Path) -> None:
    policies(tmp_path, a=UNFORMATTED, b=FORMATTED)
    code, out, _ = run("--check", str(tmp_path))
    assert code == 1
    assert out.splitlines() == [
        f"would reformat {tmp_path}/a.policy",
        "1 file(s) would be reformatted, 1 already formatted",
    ]
    code, out, _ = run("--check", str(tmp_path / "b.policy"))
    assert (code, out) == (0, "0 file(s) would be reformatted, 1 already formatted\n")


def test_write_rewrites_only_files_that_change(tmp_path: Path) -> None:
    policies(tmp_path, a=UNFORMATTED, b=FORMATTED)
    untouched = (tmp_path / "b.policy").stat().st_mtime_ns
    code, out, _ = run("--write", str(tmp_path))
    assert code == 0
    assert out == f"reformatted {tmp_path}/a.policy\n1 file(s) reformatted, 1 already formatted\n"
    assert (tmp_path / "a.policy").read_text() == FORMATTED
    assert (tmp_path / "b.policy").stat().st_mtime_ns == untouched
    assert run("--check", str(tmp_path))[0] == 0


def test_default_is_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policies(tmp_path, a=UNFORMATTED)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.policy").write_text("not a policy")  # hidden folders are skipped
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("--check")
    assert (code, out.splitlines()[0]) == (1, "would reformat a.policy")


def test_errors_are_exit_2_and_nothing_is_written(tmp_path: Path) -> None:
    uncommentable = FORMATTED.replace('contains "GitLab"', 'in [\n  # between items\n  "GitLab"]')
    policies(
        tmp_path,
        a=UNFORMATTED,
        broken="policy p {",
        comment=uncommentable,
        latin1="# caf\xe9\n".encode("latin-1"),
    )
    code, out, err = run("--write", str(tmp_path))
    assert code == 2
    assert out == f"reformatted {tmp_path}/a.policy\n"  # the good file is still formatted
    assert f"{tmp_path}/broken.policy:1:11: unexpected end of file" in err
    assert f"{tmp_path}/comment.policy:10:1: cannot keep this comment in place" in err
    assert f"{tmp_path}/latin1.policy:1:6: not valid UTF-8 (byte 0xe9)" in err
    assert "Traceback" not in out + err
    assert (tmp_path / "broken.policy").read_text() == "policy p {"
    assert (tmp_path / "comment.policy").read_text() == uncommentable


def test_usage_errors(tmp_path: Path) -> None:
    code, _, err = run("--write", "--check", str(tmp_path))
    assert code == 2 and "--write, --check and --diff exclude each other" in err
    code, _, err = run(str(tmp_path / "missing.policy"))
    assert code == 2 and "missing.policy: no such file or directory" in err
    code, _, err = run(str(tmp_path))
    assert code == 2 and "no .policy files in this directory" in err
