"""The pre-commit hooks (.pre-commit-hooks.yaml), down to a real ``git commit``.

The slow test installs the hooks with the real ``pre-commit`` from a snapshot
of this checkout (pre-commit installs from a commit, and the work tree may
hold changes not committed yet), which pip-installs proofgate and its
dependencies from PyPI into pre-commit's own environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.extract import kind_of
from tests.support import readme_block

REPO = Path(__file__).resolve().parent.parent
HOOKS = REPO / ".pre-commit-hooks.yaml"

VIOLATION = "# Forges\n\nGitLab runners are supported out of the box.\n"
CLEAN = "# Forges\n\nGitHub org repos are the primary forge.\n"


def hooks() -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for hook in yaml.safe_load(HOOKS.read_text("utf-8"))}


def test_hooks_manifest() -> None:
    found = hooks()
    assert set(found) == {"proofgate", "proofgate-test"}
    check, tests = found["proofgate"], found["proofgate-test"]
    assert (check["entry"], check["language"], check["pass_filenames"]) == (
        "proofgate check",
        "python",
        True,
    )
    assert check["require_serial"], "one run sees all staged files (the ledger rule)"
    assert (tests["entry"], tests["language"], tests["pass_filenames"]) == (
        "proofgate test",
        "python",
        True,
    )


@pytest.mark.parametrize(
    ("path", "fires"),
    [
        ("policies/foo.policy", True), ("my-policies/x.rego", True),
        ("policies/tests/no-foo/mentions/README.md", True),
        ("lint/tests/no-foo/case/.github/workflows/ci.yml", True),
        ("tests/test_app.py", False), ("tests/conftest.py", False), ("src/tests/x.md", False),
        ("README.md", False),
    ],
)  # fmt: skip
def test_the_test_hook_fires_on_policies_and_their_cases_only(path: str, fires: bool) -> None:
    pattern = re.compile(hooks()["proofgate-test"]["files"])
    assert bool(pattern.search(path)) == fires


@pytest.mark.parametrize(
    "path",
    [
        "README.md", "docs/guide.markdown", "site/page.mdx",
        ".github/workflows/ci.yml", ".github/workflows/release.yaml", "action.yml",
        "tools/lint/action.yaml", ".bazelrc", "ci/.bazelrc", "remote.bazelrc", "bazel.rc",
        "nix.conf", "etc/nix/nix.conf", "flake.nix", "sub/flake.nix", "flake.lock",
        "proofs.yaml", "config.yml", "renovate.json", "pyproject.toml",
        "main.py", "Makefile", "notes.txt", "nix.config", "flake.nix.bak", "docs/logo.png",
    ],
)  # fmt: skip
def test_hook_files_are_the_kinds_proofgate_reads(path: str) -> None:
    pattern = re.compile(hooks()["proofgate"]["files"])
    assert bool(pattern.search(path)) == (kind_of(path) != "other")


# The real thing


def _git_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in list(env):
        if name.startswith(("GIT_", "PRE_COMMIT")):
            del env[name]
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,  # no user hooksPath, signing or templates
        GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(home),
        PRE_COMMIT_COLOR="never",
    )
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    done = _run(["git", *args], cwd, env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _init_repo(path: Path, env: dict[str, str]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    _git(path, env, "init", "-q", "-b", "main")
    _git(path, env, "config", "user.name", "proofgate tests")
    _git(path, env, "config", "user.email", "tests@proofgate.invalid")
    _git(path, env, "config", "commit.gpgsign", "false")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return _git_env(tmp_path_factory.mktemp("pre-commit-home"))


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> tuple[Path, str]:
    """This checkout's files as they are now, committed in a repo of their own."""
    listed = _git(REPO, env, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    snapshot = tmp_path_factory.mktemp("hook-repo")
    for rel in filter(None, listed.split("\0")):
        source = REPO / rel
        if source.is_file() and not source.is_symlink():
            (snapshot / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / rel)
    _init_repo(snapshot, env)
    _git(snapshot, env, "add", "-A")
    _git(snapshot, env, "commit", "-q", "-m", "snapshot of the checkout under test")
    return snapshot, _git(snapshot, env, "rev-parse", "HEAD").strip()


def _commit(project: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    return _run(["git", "commit", "-m", message], project, env)


def _commits(project: Path, env: dict[str, str]) -> int:
    return int(_git(project, env, "rev-list", "--count", "HEAD"))


@pytest.mark.slow
def test_hooks_block_a_violating_commit_and_pass_a_clean_one(
    tmp_path: Path, env: dict[str, str], hook_repo: tuple[Path, str]
) -> None:
    repo, rev = hook_repo
    project = tmp_path / "project"
    _init_repo(project, env)
    config = readme_block("pre-commit", "yaml")
    config = re.sub(r"repo: \S+", f"repo: {repo}", config, count=1)
    config = re.sub(r"rev: \S+", f"rev: {rev}", config, count=1)
    (project / ".pre-commit-config.yaml").write_text(config)
    installed = _run([sys.executable, "-m", "pre_commit", "install"], project, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    _git(project, env, "add", ".pre-commit-config.yaml")
    first = _commit(project, env, "pre-commit")
    assert first.returncode == 0, first.stdout + first.stderr

    (project / "docs").mkdir()
    (project / "docs" / "forges.md").write_text(VIOLATION)
    _git(project, env, "add", "docs/forges.md")
    blocked = _commit(project, env, "claim GitLab")
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "docs/forges.md:3:1" in output and "forge-claims-need-proof.named" in output
    assert _commits(project, env) == 1

    _git(project, env, "rm", "-q", "--cached", "docs/forges.md")
    (project / "docs" / "forges.md").unlink()
    (project / "docs" / "ok.md").write_text(CLEAN)
    _git(project, env, "add", "docs/ok.md")
    passed = _commit(project, env, "name the proved forge")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert _commits(project, env) == 2

    # A policy pack of the repo's own beside the shipped one: proofgate-test runs
    # its cases, and check leaves the case's deliberate violation alone (a loaded
    # policy directory's tests/ is not checked).
    case = project / "policies" / "tests" / "no-foo" / "mentions"
    case.mkdir(parents=True)
    (project / "policies" / "foo.policy").write_text(
        'policy no-foo {\n  severity error\n  rationale "No foo."\n  fix "Drop foo."\n'
        "  deny\n    for s in sentences\n    where s.text matches /\\bfoo\\b/i\n"
        '    message "mentions foo"\n}\n'
    )
    (case / "README.md").write_text("<!-- expect: no-foo -->\nWe like foo.\n")
    (project / ".proofgate.toml").write_text('policies = ["builtin", "policies"]\n')
    _git(project, env, "add", "-A")
    own = _commit(project, env, "own policies")
    assert own.returncode == 0, own.stdout + own.stderr
    assert re.search(r"proofgate test\.+Passed", own.stdout + own.stderr), own.stderr

    (case / "README.md").write_text("<!-- expect: no-foo -->\nWe like bar.\n")
    _git(project, env, "add", "-A")
    failing = _commit(project, env, "break the case")
    assert failing.returncode != 0
    assert "FAIL no-foo/mentions" in failing.stdout + failing.stderr

    # A test of the project's own code does not run the policy tests.
    (case / "README.md").write_text("<!-- expect: no-foo -->\nWe like foo.\n")
    (project / "tests").mkdir()
    (project / "tests" / "test_app.py").write_text("def test_app() -> None:\n    pass\n")
    _git(project, env, "add", "-A")
    mended = _commit(project, env, "mend the case, test the app")
    assert mended.returncode == 0, mended.stdout + mended.stderr
    (project / "tests" / "test_app.py").write_text("def test_app() -> None:\n    assert 1\n")
    _git(project, env, "add", "-A")
    app = _commit(project, env, "app test only")
    assert app.returncode == 0, app.stdout + app.stderr
    output = app.stdout + app.stderr
    assert re.search(r"proofgate test\.+\(no files to check\)Skipped", output), output
