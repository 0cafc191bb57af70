"""Safety: proofgate never runs or imports anything from the checked repo, user
regexes cannot hang a run, and no path in a finding or the ledger leaves the root."""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from engine.dsl.regex import MATCH_TIMEOUT, RegexTimeout, compile_regex
from engine.pack import load_policies
from tests.reliability.support import CLAIM, NOW, REPO, SHIPPED, run_cli, write_files


def booby_trapped_repo(root: Path, marker: Path) -> Path:
    """A repo whose every runnable part would create ``marker``-<name> if it ran."""
    touch = f"open({str(marker)!r} + '-{{}}', 'w').close()"
    python = {name: touch.format(name) + "\n" for name in ("site", "user", "conf", "setup")}
    files: dict[str, str | bytes] = {
        "README.md": CLAIM,
        "sitecustomize.py": python["site"],
        "usercustomize.py": python["user"],
        "conftest.py": python["conf"],
        "setup.py": python["setup"],
        "engine/__init__.py": touch.format("shadow") + "\n",  # proofgate's own package name
        "engine/cli.py": touch.format("shadow-cli") + "\n",
        ".pre-commit-config.yaml": (
            "repos:\n  - repo: local\n    hooks:\n      - id: trap\n        name: trap\n"
            f"        entry: touch {marker}-pre-commit\n        language: system\n"
        ),
        ".bazelrc": f"build --workspace_status_command='touch {marker}-bazel'\n"
        "try-import %workspace%/user.bazelrc\n",
        "flake.nix": '{ outputs = _: builtins.exec [ "touch" "' + f"{marker}-nix" + '" ]; }\n',
        "package.json": '{"scripts": {"postinstall": "touch ' + f"{marker}-npm" + '"}}\n',
        "Makefile": f"all:\n\ttouch {marker}-make\n",
        "proofs.yaml": "runner_classes:\n  kvm:\n    state: experimental\n    proofs:\n"
        f"      - {{surface: '$(touch {marker}-ledger)', evidence: '`touch {marker}-tick`'}}\n",
    }
    write_files(root, files)
    git = ["git", "-C", str(root), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "trap"], check=True)
    # git runs core.fsmonitor on ls-files: a repo's config must not be obeyed.
    subprocess.run([*git[:3], "config", "core.fsmonitor", f"touch {marker}-fsmonitor; false"])
    hook = root / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {marker}-hook\n")
    hook.chmod(0o755)
    return root


def sprung(marker: Path) -> list[str]:
    return sorted(p.name for p in marker.parent.iterdir() if p.name.startswith(marker.name))


def test_nothing_in_the_repo_runs_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "marker"
    root = booby_trapped_repo(tmp_path / "repo", marker)
    monkeypatch.chdir(root)
    before = set(sys.modules)
    outcome = run_cli("check", "--now", NOW)  # the root found through git, from the cwd
    assert outcome.code == 1, outcome.stderr
    assert "README.md:1:12" in outcome.stdout
    assert sprung(marker) == []
    loaded = [sys.modules[name] for name in set(sys.modules) - before]
    assert not [m for m in loaded if str(getattr(m, "__file__", "") or "").startswith(str(root))]


def test_nothing_in_the_repo_runs_from_a_subprocess(tmp_path: Path) -> None:
    """The command as a user runs it, from inside the repo (``-P``: the current
    directory is not put on sys.path, as with the installed ``proofgate`` script)."""
    marker = tmp_path / "marker"
    root = booby_trapped_repo(tmp_path / "repo", marker)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(REPO)
    for args in (["check", "--now", NOW], ["matrix"]):
        proc = subprocess.run(
            [sys.executable, "-P", "-m", "proofgate", *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
    assert sprung(marker) == []


# --- regular expressions -----------------------------------------------------------


def test_generated_rego_calls_no_regex_builtin() -> None:
    """regopy's regex.match backtracks (bench/regopy_regex.py: (a+)+$ takes over 10 s
    on 28 characters), so generated Rego only reads the facts Python computed."""
    policy_set = load_policies([SHIPPED])
    called = {
        name
        for module in policy_set.modules
        for name in re.findall(r"\b([A-Za-z_][\w.]*)\(", module.text)
        if not name.startswith("pg_")
    }
    assert called <= {"count", "startswith", "endswith", "contains"}


@pytest.mark.parametrize("pattern", ["(a+)+$", "^(a|aa)+$", "(x+x+)+y", "^(\\w+\\s?)*$"])
def test_python_regexes_are_time_bounded(pattern: str) -> None:
    compiled = compile_regex(pattern)
    started = time.monotonic()
    with contextlib.suppress(RegexTimeout):
        compiled.finditer("a" * 20_000 + "!")
    assert time.monotonic() - started < MATCH_TIMEOUT + 5


def test_python_regexes_are_size_bounded() -> None:
    with pytest.raises(ValueError, match="longer than 4096 characters"):
        compile_regex("a" * 4097)


# --- paths ---------------------------------------------------------------------------

EVIDENCE = [
    "../../etc/passwd",
    "docs/../../../etc/passwd",
    "/etc/passwd",
    "~/.ssh/id_rsa",
    "file:///etc/passwd",
    "C:\\Windows\\win.ini",
]


def test_evidence_outside_the_root_is_a_finding_never_a_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proofs = "".join(
        f"      - {{surface: s{i}, evidence: {e!r}, verified: 2026-01-0{i + 1}}}\n"
        for i, e in enumerate(EVIDENCE)
    )
    ledger = "runner_classes:\n  kvm:\n    state: proved\n    labels: [kvm]\n    proofs:\n" + proofs
    root = write_files(tmp_path / "repo", {"README.md": "Intro.\n", "proofs.yaml": ledger})
    (root / "etc").symlink_to("/etc")  # a link inside the repo that leads out of it
    ledger_with_link = ledger + "      - {surface: link, evidence: etc/passwd}\n"
    (root / "proofs.yaml").write_text(ledger_with_link)
    touched: list[str] = []

    def spy(function: Any) -> Any:
        def wrapper(path: Any, *args: Any, **kwargs: Any) -> Any:
            touched.append(str(path))
            return function(path, *args, **kwargs)

        return wrapper

    for module, name in [(os, "stat"), (os, "lstat"), (os, "readlink"), (os, "scandir")]:
        monkeypatch.setattr(module, name, spy(getattr(module, name)))
    monkeypatch.setattr(builtins, "open", spy(builtins.open))
    monkeypatch.setattr(io, "open", spy(io.open))
    outcome = run_cli("check", "--root", str(root), "-f", "json", "--now", NOW)
    assert not [p for p in touched if re.search(r"passwd|id_rsa|win\.ini", p)]
    invalid = [
        (f["line"], f["message"])
        for f in outcome.json()["findings"]
        if f["rule"] == "runner-class-needs-proof.ledger-invalid-evidence"
    ]
    assert [line for line, _ in invalid] == list(range(6, 6 + len(EVIDENCE)))
    assert all("invalid evidence" in message for _, message in invalid)
    # The link's evidence is a path inside the repo, but it is not followed out of it.
    evidence = [f for f in outcome.json()["findings"] if "etc/passwd" in f["message"]]
    assert any(f["rule"] == "runner-class-needs-proof.ledger-evidence" for f in evidence)


def test_paths_in_handwritten_findings_stay_inside_the_root(tmp_path: Path) -> None:
    """A hand-written module may name a finding's path (conftest convention), but
    not one outside the repo: such findings stay on the checked file."""
    module = (
        "package escape\n\nimport rego.v1\n\n"
        'deny contains {"msg": "up", "path": "../../etc/passwd", "line": "x"} if true\n'
        'deny contains {"msg": "abs", "path": "/etc/passwd", "line": 0} if true\n'
        'deny contains {"msg": "ok", "path": "conf/./other.yaml", "line": 3} if true\n'
    )
    policies = write_files(tmp_path / "policies", {"escape.rego": module})
    root = write_files(tmp_path / "repo", {"conf/app.yaml": "a: 1\n"})
    outcome = run_cli("check", "--root", str(root), "-p", str(policies), "-f", "json")
    found = {(f["path"], f["line"], f["message"]) for f in outcome.json()["findings"]}
    assert found == {
        ("conf/app.yaml", 1, "up"),
        ("conf/app.yaml", 1, "abs"),
        ("conf/other.yaml", 3, "ok"),
    }
