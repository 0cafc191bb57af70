"""``proofgate init``: starter files for a repo that adopts proofgate.

It writes a configuration (``.proofgate.toml``), a proof ledger
(``proofs.yaml``) and a CI workflow (``.github/workflows/proofgate.yml``),
each only where no file exists yet (``force`` overwrites). The starter
ledger proves nothing: proofs are recorded by the people who ran them.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .config import CONFIG_FILE, PYPROJECT, PYPROJECT_TABLE, read_config
from .core.errors import ProofgateError
from .core.params import DEFAULTS, MEANING, shown

WORKFLOW = ".github/workflows/proofgate.yml"
LEDGER = "proofs.yaml"

CONFIG_TEXT = """\
# proofgate configuration. Paths are relative to this file; globs are
# gitignore-style and match repo-relative paths. Command-line flags
# (-p, --ledger, --fail-on) override these settings.

# Policy directories (default: the shipped boundary pack).
# policies = ["policies"]

# The proof ledger the policies check claims against.
ledger = "proofs.yaml"

# Files proofgate never reads or reports on.
exclude = ["node_modules/", "vendor/"]

# Lowest severity that fails the check: error, warning or info.
fail-on = "error"

# Rule or policy ids whose findings are dropped.
disable = []

# Severity per rule or policy id.
[severity]
# "runner-class-order" = "warning"

# Path globs that replace a policy's own, per policy id.
[paths]
# "forge-claims-need-proof" = ["docs/**/*.md", "/README.md"]

# The shipped pack's parameters, read by its policies as params.<name>. The
# values below are the defaults (the GloriousFlywheel productization note's);
# uncomment and change them to fit your platform, and keep proofs.yaml in step.
[params]
{params}"""

LEDGER_TEXT = """\
# The proof ledger: what has been proved, where, and when. A claim in the
# docs or configs is earned by an entry here in state "proved" with a named
# proof surface, its evidence (a repo path or URL) and the date verified.
# States: proved | experimental | backlog | retired.
repo: {repo}
baseline: honey
primary_forge: github
runner_classes:  # the proof matrix, in proof order
  kvm:
    state: experimental
    labels: [kvm, nix-vm-test]
    # state: proved, once a proof surface is recorded:
    # proofs:
    #   - surface: nix-vm-test KVM lane
    #     evidence: .github/workflows/kvm-proof.yml
    #     verified: 2026-05-02
  gpu: {{state: backlog, labels: [gpu]}}
  macos: {{state: backlog, labels: [macos]}}
  riscv: {{state: backlog, labels: [riscv]}}
forges:  # claims are earned in this order
  github-org: {{state: experimental}}
  github-user: {{state: backlog}}
  gitlab: {{state: backlog}}
  forgejo: {{state: backlog}}
  woodpecker: {{state: backlog}}
  # labels: the names prose gives a forge
  # azure-devops: {{state: backlog, labels: [Azure DevOps, Azure Pipelines]}}
tranches: {{}}  # cache-first Bazel dogfood tranches: name: {{repos: [owner/name]}}
"""

WORKFLOW_TEXT = """\
# proofgate: the repo's docs and configs against the boundary policies.
name: proofgate
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
env:
  # Where to install proofgate from: its repository at a tag or commit. The
  # PyPI project named "proofgate" is a different project.
  PROOFGATE: "proofgate @ git+https://github.com/OWNER/proofgate@v0.1.0"
jobs:
  proofgate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: python -m pip install "$PROOFGATE"
      - run: proofgate test  # the policies' own test cases
      - run: proofgate check
"""


def params_text() -> str:
    """The ``[params]`` defaults, commented out, each with what it means."""
    lines: list[str] = []
    for name, default in DEFAULTS.items():
        lines += [f"# {MEANING[name]}", f"# {name} = {shown(default)}"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Written:
    """What ``init`` did with one starter file."""

    path: str  # repo-relative
    action: str  # "wrote", "overwrote" or "skipped"
    why: str = ""


def write_starters(root: Path, force: bool = False) -> list[Written]:
    """Write the starter files under ``root``, never over an existing file unless ``force``."""
    starters = {
        CONFIG_FILE: CONFIG_TEXT.format(params=params_text()),
        LEDGER: LEDGER_TEXT.format(repo=json.dumps(_repo_name(root))),
        WORKFLOW: WORKFLOW_TEXT,
    }
    return [_write(root, rel, text, force) for rel, text in starters.items()]


def _write(root: Path, rel: str, text: str, force: bool) -> Written:
    target = root / rel
    if rel == CONFIG_FILE and not target.exists() and not force and _has_table(root / PYPROJECT):
        why = f"{PYPROJECT} has [{'.'.join(PYPROJECT_TABLE)}], which {CONFIG_FILE} would replace"
        return Written(rel, "skipped", why)
    if target.exists() and not force:
        return Written(rel, "skipped", "it exists (--force overwrites)")
    existed = target.exists()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")
    except OSError as exc:
        raise ProofgateError(f"cannot write: {exc.strerror or exc}", str(target)) from None
    return Written(rel, "overwrote" if existed else "wrote")


def _has_table(pyproject: Path) -> bool:
    """Whether ``pyproject.toml`` exists and configures proofgate."""
    return pyproject.is_file() and read_config(pyproject, PYPROJECT_TABLE).path is not None


_REMOTE = re.compile(r"github\.com[:/]([^/\s]+/[^/\s]+?)(?:\.git)?/?$")


def _repo_name(root: Path) -> str:
    """``owner/name`` from the ``origin`` remote on GitHub, else the folder's name."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return root.name
    found = _REMOTE.search(out.stdout.strip()) if out.returncode == 0 else None
    return found.group(1) if found else root.name
