"""Paths in the repo's own configuration stay inside the repo, and no error echoes a
file from outside it (issue 16, attack 2; docs/security.md)."""

from __future__ import annotations

import builtins
import io
import os
import pathlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.core.errors import ProofgateError, confine
from tests.reliability.support import CLAIM, NOW, SHIPPED, Outcome, run_cli, write_files

SECRET = "SECRET_TOKEN=ghp_0123456789abcdef"
# Read as a ledger or a policy, this fails to parse on its first line, and the error
# would show that line.
SECRET_TEXT = f"{SECRET}\n"


@pytest.fixture
def secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A secret file outside the repo; the test fails if anything opens it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "token.yaml"
    path.write_text(SECRET_TEXT)
    (outside / "pack").mkdir()
    (outside / "pack" / "steal.policy").write_text(SECRET_TEXT)
    (outside / "pack" / "steal.rego").write_text(SECRET_TEXT)
    guarded = [path.resolve(), (outside / "pack").resolve()]

    def opened(file: object) -> None:
        if isinstance(file, int):
            return
        real = Path(os.path.realpath(os.fspath(file)))  # type: ignore[arg-type]
        if any(real == g or g in real.parents for g in guarded):
            raise AssertionError(f"opened {file}, outside the repo")

    original_open, original_os_open = builtins.open, os.open

    def spy_open(file: object, *args: object, **kwargs: object) -> object:
        opened(file)
        return original_open(file, *args, **kwargs)  # type: ignore[call-overload]

    def spy_os_open(file: object, *args: object, **kwargs: object) -> int:
        opened(file)
        return original_os_open(file, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda self: _read_bytes(self, opened))
    monkeypatch.setattr(
        pathlib.Path,
        "read_text",
        lambda self, encoding=None, errors=None: _read_bytes(self, opened).decode(
            encoding or "utf-8", errors or "strict"
        ),
    )
    yield path


def _read_bytes(path: Path, opened: object) -> bytes:
    opened(path)  # type: ignore[operator]
    with io.FileIO(os.fspath(path)) as file:
        return file.readall()


def check(root: Path, *options: str) -> Outcome:
    return run_cli("check", "--root", str(root), "--now", NOW, "-f", "json", *options)


def _repo(tmp_path: Path, config: str, name: str = ".proofgate.toml") -> Path:
    root = write_files(tmp_path / "repo", {"README.md": CLAIM, name: config})
    return root


def _refused(outcome: Outcome, config: str, line: int, key: str) -> str:
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    assert SECRET not in outcome.stdout + outcome.stderr
    first = outcome.stderr.splitlines()[0]
    assert f"{config}:{line}:" in first, first
    assert f"{key}: " in first, first
    assert "outside the repo root" in first or "leaves the repo root" in first, first
    return first


@pytest.mark.parametrize(
    ("config", "line", "key"),
    [
        ('ledger = "{secret}"\n', 1, "ledger"),
        ('fail-on = "error"\nledger = "../outside/token.yaml"\n', 2, "ledger"),
        ('policies = ["{pack}"]\n', 1, "policies"),
        ('policies = ["docs", "../outside/pack"]\n', 1, "policies"),
    ],
    ids=["absolute ledger", "ledger with ..", "absolute policies", "policies with .."],
)
def test_a_configured_path_outside_the_repo_is_refused_unread(
    tmp_path: Path, secret: Path, config: str, line: int, key: str
) -> None:
    text = config.format(secret=secret, pack=secret.parent / "pack")
    root = _repo(tmp_path, text)
    (root / "docs").mkdir()
    (root / "docs" / "a.policy").write_text("")
    outcome = check(root)
    _refused(outcome, ".proofgate.toml", line, key)


def test_the_same_keys_in_pyproject_are_refused(tmp_path: Path, secret: Path) -> None:
    root = _repo(
        tmp_path, f'[project]\nname = "x"\n\n[tool.proofgate]\nledger = "{secret}"\n', PYPROJECT
    )
    _refused(check(root), "pyproject.toml", 5, "ledger")


PYPROJECT = "pyproject.toml"


def test_a_symlink_out_of_the_repo_is_refused_unread(tmp_path: Path, secret: Path) -> None:
    root = _repo(tmp_path, 'ledger = "proofs/ledger.yaml"\n')
    (root / "proofs").mkdir()
    (root / "proofs" / "ledger.yaml").symlink_to(secret)
    _refused(check(root), ".proofgate.toml", 1, "ledger")


def test_a_policy_directory_that_is_a_symlink_out_is_refused(tmp_path: Path, secret: Path) -> None:
    root = _repo(tmp_path, 'policies = ["policy"]\n')
    (root / "policy").symlink_to(secret.parent / "pack", target_is_directory=True)
    _refused(check(root), ".proofgate.toml", 1, "policies")


@pytest.mark.parametrize("name", ["steal.policy", "steal.rego"])
def test_a_policy_file_that_is_a_symlink_out_is_refused(
    tmp_path: Path, secret: Path, name: str
) -> None:
    root = _repo(tmp_path, 'policies = ["policy"]\n')
    (root / "policy").mkdir()
    (root / "policy" / name).symlink_to(secret.parent / "pack" / name)
    first = _refused(check(root), ".proofgate.toml", 1, "policies")
    assert f"'policy/{name}', a symlink" in first


def test_a_configuration_file_that_is_a_symlink_out_is_not_read(
    tmp_path: Path, secret: Path
) -> None:
    root = write_files(tmp_path / "repo", {"README.md": CLAIM})
    (root / ".proofgate.toml").symlink_to(secret)
    outcome = check(root)
    assert outcome.code == 2
    assert SECRET not in outcome.stdout + outcome.stderr
    assert outcome.stderr.startswith(f"{root}/.proofgate.toml: a symlink that leaves the repo")


def test_a_default_ledger_that_is_a_symlink_out_is_not_read(tmp_path: Path, secret: Path) -> None:
    root = write_files(tmp_path / "repo", {"README.md": CLAIM})
    (root / "proofs.yaml").symlink_to(secret)
    outcome = check(root)
    assert outcome.code == 2
    assert SECRET not in outcome.stdout + outcome.stderr
    assert "proofs.yaml: a symlink that leaves the repo root" in outcome.stderr
    matrix = run_cli("matrix", "--root", str(root))
    assert matrix.code == 2
    assert SECRET not in matrix.stdout + matrix.stderr


def test_the_pipeline_itself_refuses_a_default_ledger_leading_out(
    tmp_path: Path, secret: Path
) -> None:
    """Not only the command line: every entry (proofgate test, the API) goes through
    ledger_location."""
    from engine.pack import Pack, load_policies
    from engine.pipeline import run

    root = write_files(tmp_path / "repo", {"README.md": CLAIM})
    (root / "proofs.yaml").symlink_to(secret)
    with pytest.raises(ProofgateError, match="a symlink that leaves the repo root"):
        run(Pack.of(load_policies([SHIPPED])), root)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs chown")
def test_a_marker_in_another_users_folder_chooses_no_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside git, the walk up for .proofgate.toml stops at a folder another user
    owns (a /tmp planted by someone else), as git's safe.directory does."""
    from engine.repo.discover import find_root

    shared = tmp_path / "shared"
    write_files(shared, {".proofgate.toml": 'policies = ["evil"]\n', "mine/docs/x.md": CLAIM})
    os.chown(shared, 65534, 65534)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert find_root(None, [str(shared / "mine" / "docs" / "x.md")]) == shared / "mine" / "docs"
    os.chown(shared, os.getuid(), os.getgid())
    assert find_root(None, [str(shared / "mine" / "docs" / "x.md")]) == shared


def test_paths_inside_the_repo_still_work(tmp_path: Path) -> None:
    root = _repo(tmp_path, 'ledger = "meta/../meta/proofs.yaml"\npolicies = ["policy"]\n')
    write_files(root, {"meta/proofs.yaml": "runner_classes: {}\n"})
    shutil.copytree(SHIPPED, root / "policy", ignore=shutil.ignore_patterns("tests"))
    (root / "linked").symlink_to(root / "policy", target_is_directory=True)
    assert check(root).code == 1
    (root / ".proofgate.toml").write_text('policies = ["linked"]\n')
    assert check(root).code == 1


def test_command_line_paths_outside_the_repo_stay_the_users_choice(tmp_path: Path) -> None:
    """-p and --ledger outside the root are read, and their errors show their lines."""
    root = _repo(tmp_path, "")
    outside = write_files(tmp_path / "mine", {"ledger.yaml": "runner_classes: 5\n"})
    outcome = check(root, "--ledger", str(outside / "ledger.yaml"))
    assert outcome.code == 2
    assert "    runner_classes: 5" in outcome.stderr


@pytest.mark.parametrize("glob", ["../outside/*.md", "docs/../../x", "..\\\\x"])
def test_globs_cannot_leave_the_repo(tmp_path: Path, glob: str) -> None:
    root = _repo(tmp_path, f'exclude = ["{glob}"]\n')
    outcome = check(root)
    assert outcome.code == 2
    assert "'..' segment leaves it" in outcome.stderr


def test_an_error_about_a_file_outside_the_root_never_echoes_it(tmp_path: Path) -> None:
    root, outside = tmp_path / "repo", tmp_path / "elsewhere" / "token.yaml"
    root.mkdir()
    error = ProofgateError("bad value", str(outside), 1, 8, SECRET_TEXT)
    inside = ProofgateError("bad value", str(root / "a.yaml"), 1, 8, SECRET_TEXT)
    try:
        confine(root)
        assert SECRET not in error.render()
        assert "(not shown: " in error.render()
        assert SECRET in inside.render()
        confine(root, [outside])  # named on the command line
        assert SECRET in error.render()
    finally:
        confine(None)
    assert SECRET in error.render()


def test_a_symlink_inside_the_root_to_a_file_outside_is_not_echoed(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "token").write_text(SECRET_TEXT)
    (root / "token").symlink_to(tmp_path / "token")
    error = ProofgateError("bad", str(root / "token"), 1, 1, SECRET_TEXT)
    try:
        confine(root)
        assert SECRET not in error.render()
    finally:
        confine(None)


def test_each_check_in_one_process_is_confined_to_its_own_repo(tmp_path: Path) -> None:
    """The language server checks several repos in one process: the confinement is
    per context, so a check of one repo never shows another's files (threads
    here, each confined at once, as the server's checks may be)."""
    import threading

    from engine.core.errors import confined

    roots = [tmp_path / "a", tmp_path / "b"]
    errors = [ProofgateError("bad", str(root / "x.yaml"), 1, 1, SECRET_TEXT) for root in roots]
    both = threading.Barrier(2)
    shown: dict[int, list[bool]] = {}

    def check(index: int) -> None:
        with confined(roots[index]):
            both.wait()  # both confined now
            shown[index] = [SECRET in error.render() for error in errors]
            both.wait()

    threads = [threading.Thread(target=check, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert shown == {0: [True, False], 1: [False, True]}
    assert all(SECRET in error.render() for error in errors)  # none outside the checks
