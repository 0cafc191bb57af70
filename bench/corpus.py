"""A deterministic benchmark corpus: a GloriousFlywheel-like repo of docs and CI configs.

One UNIT is 73 files modelled on a CI-platform repo: 59 Markdown docs under
``docs/part-KKK/`` (runners/, caches/, adr/, ops/ ...; 1-12 KB, median about
4 KB), 13 workflows ``.github/workflows/KKK-<name>.yml`` and one composite
action ``.github/actions/KKK-attic-push/action.yml``. The repo root holds one
set of README.md, .bazelrc, nix/nix.conf, flake.nix, flake.lock and the proof
ledger proofs.yaml. Unit k draws its prose from ``random.Random(seed + k)``, so
copies differ byte for byte while the same (copies, seed) always writes the
same tree.

Violations come at a known density: about one violating sentence per 2 KB of
Markdown and one violating step or job per three workflows, taken from the
shipped pack's failing examples (the gf-drifting fixture and the policy test
cases that expect findings) and mixed with compliant and neutral prose. Each
violation records the rule ids it should trigger, so ``Stats.expected`` is the
finding count per rule a correct checker reports.

Usage: python bench/corpus.py DEST --copies N [--seed 0] [--git] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DOCS_PER_UNIT = 59
# The docs that are notes (decision records, the roadmap): the pack does not read
# their prose as product claims (`notes` in policies/vocabulary.policy), so the
# violations written into them are expected to pass unreported.
NOTES_DOCS = ("adr/", "roadmap.md")
WORKFLOWS_PER_UNIT = 13
BYTES_PER_DOC_VIOLATION = 2048
WORKFLOWS_PER_VIOLATION = 3

# A fixed identity and clock for --git, so the commit id is reproducible too.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "proofgate bench",
    "GIT_AUTHOR_EMAIL": "bench@proofgate.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_NAME": "proofgate bench",
    "GIT_COMMITTER_EMAIL": "bench@proofgate.invalid",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass
class Stats:
    copies: int
    seed: int
    files: int = 0
    bytes: int = 0
    markdown_files: int = 0
    markdown_bytes: int = 0
    workflows: int = 0
    actions: int = 0
    doc_violations: int = 0
    config_violations: int = 0
    expected: Counter[str] = field(default_factory=Counter)  # rule id -> findings
    commit: str = ""

    @property
    def violations(self) -> int:
        return self.doc_violations + self.config_violations

    @property
    def expected_findings(self) -> int:
        return sum(self.expected.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "copies": self.copies,
            "seed": self.seed,
            "files": self.files,
            "bytes": self.bytes,
            "markdown_files": self.markdown_files,
            "markdown_bytes": self.markdown_bytes,
            "workflows": self.workflows,
            "actions": self.actions,
            "violations": self.violations,
            "doc_violations": self.doc_violations,
            "config_violations": self.config_violations,
            "expected_findings": self.expected_findings,
            "expected": dict(sorted(self.expected.items())),
            "commit": self.commit,
        }

    def summary(self) -> str:
        return (
            f"{self.files} files, {self.bytes / 1024:.0f} KiB "
            f"({self.markdown_files} Markdown, {self.markdown_bytes / 1024:.0f} KiB; "
            f"{self.workflows} workflows, {self.actions} actions); "
            f"{self.violations} violations inserted ({self.doc_violations} in docs, "
            f"{self.config_violations} in configs), {self.expected_findings} findings expected"
        )


@dataclass(frozen=True)
class Violation:
    """A violating sentence (or table, or workflow snippet) and the rules it triggers."""

    text: str
    rules: tuple[str, ...]


# --------------------------------------------------------------------------- vocabulary

REPOS = [
    "tinyland-inc/GloriousFlywheel",
    "tinyland-inc/lab",
    "tinyland.dev",
    "Jesssullivan/scheduling-kit",
    "Jesssullivan/acuity-middleware",
]
ADJACENT_REPOS = [
    "Jesssullivan/cmux",
    "tinyland-inc/bazel-registry",
    "Jesssullivan/nix-vm-test",
    "rockies",
    "linux-xr",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August"]
TEAMS = ["platform", "runner", "cache", "release", "docs"]


def _fill(rng: random.Random, text: str) -> str:
    """Fill {slot}s in a bank sentence."""
    slots: dict[str, Callable[[], str]] = {
        "repo": lambda: rng.choice(REPOS),
        "adjacent": lambda: rng.choice(ADJACENT_REPOS),
        "n": lambda: str(rng.randint(2, 60)),
        "m": lambda: str(rng.randint(61, 240)),
        "pct": lambda: str(rng.randint(55, 97)),
        "node": lambda: f"honey-node-{rng.randint(1, 24):02d}",
        "date": lambda: f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}",
        "month": lambda: rng.choice(MONTHS),
        "team": lambda: rng.choice(TEAMS),
        "issue": lambda: f"#{rng.randint(300, 420)}",
        "tin": lambda: f"TIN-{rng.randint(320, 380)}",
    }
    return re.sub(r"\{(\w+)\}", lambda m: slots[m.group(1)](), text)


# Neutral and compliant sentences, by topic. None of them may trigger a rule
# under the corpus ledger (a corpus built with violations=False has no docs
# findings); several are the pack's own passing examples.
SENTENCES: dict[str, list[str]] = {
    "general": [
        "GloriousFlywheel runs GitHub Actions runners on honey, the on-prem Kubernetes "
        "cluster that stays the real baseline.",
        "Every job in this repo targets the `[self-hosted, honey, linux-x64]` labels unless "
        "it needs nested virtualization.",
        "The runner controller on honey scales each pool between {n} and {m} pods based on "
        "queue depth.",
        "Pods are recycled after every job, so no state leaks between workflow runs.",
        "Runner images are built from the root flake and tagged with the short commit hash.",
        "Operators enroll an org-owned repo by adding it to the runner group in the "
        "tinyland-inc org settings.",
        "The `{repo}` repository was enrolled on {date} and has used honey runners since.",
        "Queue times on honey stay under {n} seconds at the 95th percentile during working hours.",
        "Each node in the honey cluster reserves {n} cores and {m} GiB of memory for runner pods.",
        "Logs from the runner pods are shipped to the cluster's Loki instance and kept for "
        "{n} days.",
        "A pull request that edits `.github/workflows/` needs a review from the {team} team.",
        "Secrets are injected through GitHub Actions secrets and never baked into runner images.",
        "The `proofgate` check runs as a pre-commit hook and again in CI on every pull request.",
        "Claims in these docs are checked against `proofs.yaml`, the proof ledger at the "
        "repo root.",
        "If a check fails, read the finding's fix hint before rewording the sentence.",
        "This page is owned by the {team} team; open an issue with the `docs` label to "
        "suggest a change.",
        "The point of this horizon is to make the next growth phase explicit and honest.",
        "Cache-first, verify-later is dogfooded on the repos that matter most, not only "
        "inside the platform substrate.",
        "The board should push toward visible proof, not only more docs.",
        "Decisions that change a boundary are recorded as an ADR under `docs/adr/`.",
        "The tracking issue for this work is {issue}, mirrored in Linear as {tin}.",
        "Most of the month-scale hardening lanes were narrowed in {month}.",
        "honey remains the on-prem baseline; Civo is a review environment.",
        "Civo runs short-lived review environments for tinyland.dev pull requests.",
        "honey is the primary cluster, and AWS is the default region for the docs site backups.",
        "If honey is down, jobs queue until it is back; nothing moves to AWS.",
        "Civo is a review environment, not the baseline.",
        "Moving the default runner pool to AWS is not planned.",
    ],
    "runners": [
        "KVM runners are proved on the `nix-vm-test` lane.",
        "The KVM lane runs the nix-vm-test suite on every push to `main`.",
        "Jobs that boot NixOS VMs should select the `kvm` label; everything else fits on "
        "`linux-x64`.",
        "GPU/WebGPU/Dawn runners are experimental and not yet a product surface.",
        "macOS runners remain in backlog until the GPU lane is proved.",
        "riscv64 runners are not supported, and RISC-V support will only follow real proof.",
        "A runner class is real only after it has a named proof surface in the ledger.",
        "Runner pods request `/dev/kvm` through a device plugin on the nodes that expose it.",
        "Label names are case-sensitive, so `KVM` and `kvm` are different labels to GitHub.",
        "Scale-down waits {n} minutes after the last job before a pod is removed.",
        "The runner image pins the same nixpkgs revision as the root flake.",
        "Ephemeral runners register with a just-in-time token that expires after one job.",
        "macOS release runners are planned for the July to August phase.",
        "Unlike the GPU lane, the KVM lane is production-ready.",
        "The advanced runner-class story is ordered and proved: KVM first, then "
        "GPU/WebGPU/Dawn, then any rarer or costlier lanes.",
        "macOS and riscv are strategically relevant but not current GloriousFlywheel product "
        "surfaces.",
        "Set `runs-on: [self-hosted, gpu]` only in experimental workflows.",
        "KVM is the first proved runner class.",
        "The `{node}` node was cordoned on {date} after a failed kernel update.",
        "Runner pods on `{node}` mount a {n} GiB scratch volume for build outputs.",
        "Heavier runner classes become product surfaces only after their proof lands in "
        "`proofs.yaml`.",
        "A GPU preview lane would need its own operator boundary before anyone can rely on it.",
        "The proof matrix below is rendered from the ledger by `proofgate matrix --write`.",
    ],
    "caches": [
        "If Attic is down, builds fall back to cache.nixos.org and local builds.",
        "Attic is the mutable Nix binary cache; releases are published to FlakeHub.",
        "The Bazel remote cache stores action results and CAS blobs; Attic stores Nix store paths.",
        "Attic is configured as an extra substituter, so cache.nixos.org stays in the list.",
        "When the Bazel remote cache is down, builds still succeed and take longer.",
        "Builds do not require Attic; it only makes them faster.",
        "Pushing to Attic requires an Attic token in the `ATTIC_TOKEN` secret.",
        "The Attic server keeps about {m} GiB of store paths and collects anything unused "
        "for {n} days.",
        "Cache hit rates for the honey Attic instance are graphed on the platform dashboard.",
        "The Bazel cache holds action results for tranche-1 repos.",
        "Named configs keep the remote cache opt-in: `--config=ci` turns it on, and a plain "
        "`bazel build` stays local.",
        "Pull requests read the Bazel cache but never upload, through "
        "`--remote_upload_local_results=false`.",
        "Every cache step in CI is guarded by an `if:` on the cache being configured.",
        "Attic and the Bazel remote cache accelerate builds; FlakeHub publishes tagged releases.",
        "Nix builds push store paths to Attic, and Bazel writes action results to the Bazel "
        "remote cache.",
        "Release builds push their store paths to Attic.",
        "Builds never fail when the Attic cache is unreachable; they are only slower.",
        "The push step needs an Attic endpoint in `vars.ATTIC_SERVER`.",
        "Last week the Attic hit rate for `{repo}` was {pct} percent.",
        "The Attic volume on `{node}` is {m} GiB and is expanded before it is {pct} percent full.",
        "Signing keys for Attic are rotated every {m} days by the {team} team.",
        "We never publish releases to Attic.",
        "Attic and Bazel are acceleration layers first.",
    ],
    "publication": [
        "Tagged releases are published to FlakeHub for discovery.",
        "FlakeHub is never used to bootstrap runners; Attic and cache.nixos.org are.",
        "The release workflow runs only on `v*` tags and on manual dispatch.",
        "Release notes list the flake outputs that changed since the previous tag.",
        "Versions follow semantic versioning; the flake's `version` attribute matches the tag.",
        "FlakeHub publication is post-bootstrap: a runner starts without it.",
        "Derivation and release authority must be clear before a flake is published.",
        "The `{repo}` flake was first published on {date}.",
        "Release candidates carry an `-rc.N` suffix and are published as private flakes.",
        "FlakeHub is for publication; Attic is the cache.",
    ],
    "forges": [
        "GitHub is the primary forge; GitLab CI support was retired.",
        "GitHub stays the primary control plane, and Forgejo is a read-only mirror target.",
        "Woodpecker integration is on the backlog.",
        "Forgejo and Woodpecker support is planned, only after a repeatable operator pattern.",
        "We mirror tinyland-inc/lab to Codeberg for discovery.",
        "GitLab was our primary forge until the 2025 migration.",
        "Forge-agnostic operation is planned, only after a repeatable operator pattern exists.",
        "GloriousFlywheel is not VCS-agnostic today; GitHub is the only supported forge.",
        "Org-owned GitHub repos are the first proved surface; user-owned repos are still "
        "experimental.",
        "Mirrors are push-only: changes land on GitHub first and propagate within {n} minutes.",
        "GitLab is no longer the primary forge.",
        "Codeberg is not the canonical remote for any tinyland-inc repo.",
        "Broader forge claims follow runtime proof, not the other way round.",
        "User-owned GitHub repos come next: they get runners through the same enrollment "
        "flow once proved, with explicit boundaries.",
    ],
    "ops": [
        "Page the platform on-call through the #honey-ops channel before restarting the "
        "controller.",
        "Node upgrades happen one node at a time; drained nodes rejoin after the kernel update.",
        "Runbooks live next to the manifests so a change to one is reviewed with the other.",
        "Backups of the Attic database run nightly and are restored every quarter as a drill.",
        "Alerts fire when the runner queue is longer than {n} jobs for {n} minutes.",
        "Every manifest change goes through a pull request and the `deploy` workflow.",
        "The on-call rotation is weekly, and the handover happens on Mondays.",
        "During the {month} incident the runner queue peaked at {m} jobs.",
        "Disk pressure on `{node}` is the most common cause of evicted runner pods.",
        "Post-incident reviews are blameless and are written within {n} days.",
        "Status updates go to the #honey-ops channel every {n} minutes during an incident.",
        "The controller's leader election lease is {n} seconds.",
    ],
    "bazel": [
        "Tranche-1 repos need the Bazel cache-first contract on `main`.",
        "Bazel builds on `main` use the honey remote cache; pull requests read it without "
        "uploading.",
        "The `ci` config sets `--remote_cache` and a {n}-second `--remote_timeout`.",
        "A local `bazel build //...` never talks to the remote cache.",
        "The tranche-1 dashboard compares cold and warm build times for each repo.",
        "Bazel dogfood success means cache use, runtime speedup, fallback behavior and "
        "repeatable owned-repo use.",
        "`{adjacent}` is adjacent to tranche 1, not part of it.",
        "The first tranche is GloriousFlywheel itself, tinyland-inc/lab, tinyland.dev, "
        "scheduling-kit and acuity-middleware.",
        "Warm builds of `{repo}` finished in {n} seconds against {m} seconds cold.",
        "Bazel builds publish test results to BuildBuddy.",
    ],
    "nix": [
        "`nix build .#runner-image` produces the OCI image that the controller deploys.",
        "The root flake pins nixpkgs to the `nixos-24.11` branch through `flake.lock`.",
        "Run `nix flake check` before pushing; CI runs the same checks.",
        "Developers enter the dev shell with `nix develop` and get the pinned toolchain.",
        "`extra-substituters` adds Attic without removing cache.nixos.org.",
        "Flake inputs come from `github:` URLs so a runner never depends on a registry to start.",
        "The nix-vm-test checks live under `checks.x86_64-linux` in the root flake.",
        "Garbage collection on the runners keeps the last {n} GiB of the store.",
    ],
}

LINK_SENTENCES = [
    "See [the runbook](../ops/runbook.md) for the restart procedure.",
    "The [caching guide](../caches/index.md) explains how the cache layers fit together.",
    "Background is in [the productization note](../adr/0001-honey-baseline.md).",
    "Compare with [the runner labels page](../runners/labels.md) before adding a label.",
    "The [GitHub Actions documentation](https://docs.github.com/en/actions) covers the "
    "workflow syntax.",
    "[nix-vm-test](https://github.com/Jesssullivan/nix-vm-test) hosts the VM test harness.",
    "The [Attic manual](https://docs.attic.rs/) describes the server configuration.",
    "See [Bazel's remote caching docs](https://bazel.build/remote/caching) for the flags.",
]

BULLETS = [
    "`linux-x64`: the default label for every honey runner",
    "`kvm`: nested virtualization for nix-vm-test",
    "Check the runner queue on the dashboard",
    "Rotate `ATTIC_TOKEN` every 90 days",
    "Keep `flake.lock` updates in their own pull request",
    "Link the proof run in the pull request description",
    "Drain one node at a time",
    "Use `--config=ci` on `main` and `--config=pr` on pull requests",
    "Prefer `extra-substituters` over `substituters`",
    "Record the proof surface, its evidence and the verified date",
    "Tag releases as `vMAJOR.MINOR.PATCH`",
    "Keep review apps on Civo and builds on honey",
    "Owner: the {team} team",
    "Tracking: {issue} / {tin}",
    "Last reviewed on {date}",
    "Scratch space: {n} GiB per pod",
]

STEPS = [
    "Open a pull request that adds the repo to `tranches.bazel-cache-first-1.repos`.",
    "Add a `build:ci` config with `--remote_cache` to the repo's `.bazelrc`.",
    "Add `build:pr --remote_upload_local_results=false` for pull requests.",
    "Drain the node with `kubectl drain --ignore-daemonsets`.",
    "Wait for the runner pods to reschedule on the remaining nodes.",
    "Run `proofgate check` locally and fix every finding.",
    "Update `verified` in `proofs.yaml` after the proof run is green.",
    "Tag the release and push the tag.",
    "Watch the release workflow publish the flake.",
    "Restart the runner controller with `kubectl rollout restart`.",
    "Confirm the queue drains within {n} minutes.",
    "Close the incident issue and link the review.",
]

COMMENTS = [
    "<!-- TODO({team}): refresh the numbers after the next honey upgrade -->",
    "<!-- keep this section in sync with proofs.yaml -->",
    "<!-- markdownlint-disable-next-line MD013 -->",
    "<!-- reviewed {date} -->",
    "<!-- owner: {team} team -->",
]

HEADINGS: dict[str, list[str]] = {
    "general": ["Overview", "Why this exists", "Scope", "Background", "Next steps", "Owners"],
    "runners": ["Labels", "Choosing a runner", "Scaling", "Enrollment", "Runner pods"],
    "caches": ["Attic", "The Bazel remote cache", "Fallback", "Keys and tokens", "Capacity"],
    "publication": ["Release flow", "Versioning", "What gets published"],
    "forges": ["Mirrors", "Primary forge", "Forge claims"],
    "ops": ["Runbook", "Alerts", "Escalation", "Maintenance windows", "Dashboards"],
    "bazel": ["Named configs", "Tranche 1", "Measuring cache use", "Pull requests"],
    "nix": ["Flake layout", "Substituters", "Dev shells", "Checks"],
}

CODE: list[tuple[str, str]] = [
    ("bash", "nix build .#runner-image -L\nnix flake check --no-build"),
    ("bash", "bazel build --config=ci //...\nbazel test --config=pr //..."),
    ("bash", "kubectl -n arc-runners get pods -l pool=honey\nkubectl drain honey-node-07"),
    ("bash", 'attic login honey "$ATTIC_SERVER" "$ATTIC_TOKEN"\nattic push main ./result'),
    (
        "yaml",
        "jobs:\n  build:\n    runs-on: [self-hosted, honey, linux-x64]\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: nix build .#runner-image",
    ),
    (
        "yaml",
        "jobs:\n  vm-test:\n    runs-on: [self-hosted, honey, kvm]\n    steps:\n"
        "      - run: nix build .#checks.x86_64-linux.vm-test",
    ),
    (
        "nix",
        '{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";\n'
        '  nixConfig.extra-substituters = [ "https://attic.honey.internal/main" ];\n}',
    ),
    (
        "nix",
        "checks.x86_64-linux.vm-test = pkgs.testers.runNixOSTest {\n"
        '  name = "runner-smoke";\n  nodes.machine = { ... }: { };\n'
        '  testScript = "machine.wait_for_unit(\\"multi-user.target\\")";\n};',
    ),
    ("ini", "build:ci --remote_cache=grpcs://bazel-cache.honey.internal:443\nbuild:pr --config=ci"),
    (
        "console",
        "$ gitlab-runner register   # a quoted log from the retired GitLab lane\n"
        "$ nix build .#runner-image --max-jobs 0   # never in CI without an Attic guard",
    ),
    (
        "yaml",
        "# GloriousFlywheel supports macOS runners: a quoted claim in a code block\n"
        "jobs:\n  notarize:\n    runs-on: macos-arm64",
    ),
]

TABLES: list[tuple[list[str], list[list[str]]]] = [
    (
        ["Label", "Class", "Notes"],
        [
            ["`linux-x64`", "default", "every honey node"],
            ["`kvm`", "kvm", "nested virtualization, proved"],
            ["`nix-vm-test`", "kvm", "alias used by the VM test lane"],
            ["`gpu`", "gpu", "experimental: expect a warning on every job"],
            ["`macos-arm64`", "macos", "backlog"],
        ],
    ),
    (
        ["Surface", "Role"],
        [
            ["Attic", "Nix binary cache on honey"],
            ["Bazel remote cache", "action results and CAS blobs"],
            ["FlakeHub", "publication and discovery of tagged releases"],
        ],
    ),
    (
        ["Repo", "Tranche", "State"],
        [
            ["tinyland-inc/GloriousFlywheel", "1", "green on `main`"],
            ["tinyland-inc/lab", "1", "benchmarks in progress"],
            ["tinyland.dev", "1", "enrolled"],
            ["Jesssullivan/scheduling-kit", "1", "enrolled"],
            ["Jesssullivan/cmux", "adjacent", "not in tranche 1"],
        ],
    ),
    (
        ["Metric", "Target", "Last week"],
        [
            ["Queue time p95", "60 s", "{n} s"],
            ["Attic hit rate", "80 %", "{pct} %"],
            ["Bazel cache hit rate", "70 %", "{pct} %"],
            ["Runner pod start", "30 s", "{n} s"],
        ],
    ),
    (
        ["Surface", "When it is down"],
        [
            ["Attic", "Builds fall back to cache.nixos.org and local builds."],
            ["Bazel remote cache", "Bazel executes every action locally."],
            ["FlakeHub", "Nothing at runtime; releases wait."],
        ],
    ),
]

# The failing examples: (text, rules it triggers under the corpus ledger).
DOC_VIOLATIONS: list[Violation] = [
    Violation(text, (rule,))
    for rule, texts in {
        "honey-is-baseline.docs": [
            "The Civo dev cluster is now our primary runner baseline.",
            "Our default runner pool is the EKS cluster in us-east-1.",
            "Civo replaces honey as the primary cluster for {repo}.",
            "We moved the baseline from honey to Civo in {month}.",
            "Our default runner pool lives on Hetzner.",
            "Starting this quarter, AWS serves as the primary compute for every lab build.",
            "The default runner pool switched to a Scaleway cluster after the honey rack move.",
            "GitHub-hosted runners are now the default runner pool for {repo}.",
        ],
        "github-is-primary-forge.docs": [
            "GitLab is now our primary forge.",
            "Forgejo is the preferred forge for new tinyland-inc repos.",
            "GloriousFlywheel is GitLab-first again.",
            "New repos default to Codeberg.",
            "We moved tinyland.dev from GitHub to Codeberg.",
            "We prefer Forgejo over GitHub for self-hosted repos.",
            "Our GitLab instance is the main remote for tinyland-inc/lab.",
            "GitLab merge requests are the preferred review surface.",
        ],
        "caches-accelerate-never-gate.docs": [
            "Builds will fail if the Attic cache is unreachable.",
            "CI for {repo} requires the Bazel remote cache.",
            "Attic is required for every nix-vm-test job, so check it before you push.",
            "Attic must be reachable for builds to succeed.",
            "Every runner must reach Attic before a job starts.",
            "Bazel builds may fail when the remote cache is down.",
            "Keep the honey Bazel cache up: tranche-1 builds rely on the Bazel cache.",
        ],
        "flakehub-never-bootstrap.docs": [
            "Runners pull their toolchain from FlakeHub at boot.",
            "Our CI installs Nix packages straight from FlakeHub, so a fresh runner is quick.",
            "Every honey node fetches nixpkgs from FlakeHub when the runner service starts, "
            "before any job is scheduled.",
        ],
        "runner-class-needs-proof.docs": [
            "macOS runners are available to every tinyland-inc repo today.",
            "Our riscv64 lane is a real product surface for cross builds.",
            "GPU/WebGPU/Dawn runners are production-ready.",
            "macOS runners ship with every GloriousFlywheel release.",
            "RISC-V runners are supported for cross builds.",
            "TPU runners are available on honey for model tests.",
            "GloriousFlywheel supports macOS runners for release notarization.",
        ],
        "forge-claims-need-proof.agnostic": [
            "GloriousFlywheel is a forge-agnostic runner platform.",
            "The runner pool is VCS agnostic by design.",
            "Our multi-forge scheduler places jobs on the best runner.",
            "Point any forge at honey and your jobs run.",
        ],
        "forge-claims-need-proof.named": [
            "We support Forgejo and GitHub for self-hosted runners.",
            "Gitea runners are available on honey today.",
            "The honey pool also works with Woodpecker pipelines for the tinyland-inc org.",
            "Forgejo runners are supported out of the box.",
        ],
        "surface-roles-stay-distinct.docs-attic-publication": [
            "We publish releases to Attic so downstream repos can find them.",
            "GloriousFlywheel releases are distributed through Attic.",
            "Attic also publishes signed runner images.",
        ],
        "surface-roles-stay-distinct.docs-attic-bazel-cache": [
            "Use Attic as the Bazel remote cache for tranche-1 repos.",
            "Bazel action results are stored in Attic too.",
            "Attic also serves as the Bazel remote cache for tranche-1 repos.",
        ],
        "surface-roles-stay-distinct.docs-bazel-cache-nix": [
            "Push store paths to the Bazel remote cache after each build.",
            "The bazel-remote cache is also our binary cache.",
            "Runners substitute Nix builds from the Bazel cache when Attic is slow.",
        ],
    }.items()
    for text in texts
] + [
    # Two class words (GPU, CUDA): one finding per policy and sentence, naming both.
    Violation(
        "GloriousFlywheel supports GPU runners for CUDA jobs.", ("runner-class-needs-proof.docs",)
    ),
    # FlakeHub as a cache is also FlakeHub at runtime: two rules.
    Violation(
        "The FlakeHub cache keeps every CI job warm.",
        ("flakehub-never-bootstrap.docs", "surface-roles-stay-distinct.docs-flakehub-cache"),
    ),
    Violation(
        "FlakeHub caches our store paths between runs.",
        ("flakehub-never-bootstrap.docs", "surface-roles-stay-distinct.docs-flakehub-cache"),
    ),
    Violation(
        "Runners substitute store paths from FlakeHub.",
        ("flakehub-never-bootstrap.docs", "surface-roles-stay-distinct.docs-flakehub-cache"),
    ),
]

# Tables whose one offending cell is the violation (a cell cannot hold an annotation).
TABLE_VIOLATIONS: list[Violation] = [
    Violation(
        "| Repo | Primary cluster | Review environment |\n"
        "|------|-----------------|--------------------|\n"
        "| tinyland-inc/GloriousFlywheel | honey | Civo |\n"
        "| tinyland-inc/lab | Civo | Civo |\n"
        "| tinyland.dev | honey | AWS (planned) |",
        ("honey-is-baseline.docs-table",),
    ),
    Violation(
        "| Repo | Primary forge | Mirror |\n"
        "|------|---------------|--------|\n"
        "| tinyland-inc/GloriousFlywheel | GitHub | Codeberg |\n"
        "| tinyland-inc/lab | GitLab | GitHub |\n"
        "| Jesssullivan/acuity-middleware | GitLab (retired) | none |",
        ("github-is-primary-forge.docs-table",),
    ),
    Violation(
        "| Forge | Status |\n"
        "|-------|--------|\n"
        "| GitHub | Proved on org-owned repos. |\n"
        "| Forgejo | Forgejo runners are supported out of the box. |\n"
        "| GitLab | Retired in 2026. |",
        ("forge-claims-need-proof.named-row",),  # a table row is judged as a row
    ),
]

# The sentence perf.py appends to a doc for its pre-commit runs: exactly one finding.
# {n} makes each run's change new, so a content cache cannot answer from a previous run.
APPENDED_VIOLATION = Violation(
    "Gitea runners are available on honey today for check {n}.",
    ("forge-claims-need-proof.named",),
)

# ------------------------------------------------------------------------------ docs layout

# (path under docs/part-KKK/, title, topics: the first is the main one)
DOCS: list[tuple[str, str, tuple[str, ...]]] = [
    ("index.md", "GloriousFlywheel documentation", ("general", "runners", "caches")),
    ("getting-started.md", "Getting started", ("general", "nix", "runners")),
    ("overview.md", "Platform overview", ("general", "runners", "caches", "publication")),
    ("glossary.md", "Glossary", ("general", "caches", "runners")),
    ("faq.md", "Frequently asked questions", ("general", "forges", "caches")),
    ("contributing.md", "Contributing", ("general", "nix")),
    ("roadmap.md", "Productization horizon", ("general", "runners", "bazel", "forges")),
    ("security.md", "Security model", ("general", "ops")),
    ("runners/index.md", "Runners", ("runners", "general")),
    ("runners/classes.md", "Runner classes", ("runners",)),
    ("runners/kvm.md", "The KVM lane", ("runners", "nix")),
    ("runners/gpu.md", "GPU/WebGPU/Dawn", ("runners",)),
    ("runners/macos.md", "macOS", ("runners",)),
    ("runners/riscv.md", "riscv and rarer classes", ("runners",)),
    ("runners/enrollment.md", "Enrolling a repo", ("runners", "forges", "general")),
    ("runners/labels.md", "Runner labels", ("runners",)),
    ("runners/scaling.md", "Scaling the pools", ("runners", "ops")),
    ("runners/images.md", "Runner images", ("runners", "nix")),
    ("runners/troubleshooting.md", "Troubleshooting runners", ("runners", "ops")),
    ("runners/matrix.md", "Runner proof matrix", ("runners",)),
    ("caches/index.md", "Caches", ("caches", "nix", "bazel")),
    ("caches/attic.md", "Attic", ("caches", "nix")),
    ("caches/bazel-remote-cache.md", "The Bazel remote cache", ("caches", "bazel")),
    ("caches/fallback.md", "When a cache is down", ("caches", "ops")),
    ("caches/keys.md", "Keys and tokens", ("caches", "ops")),
    ("caches/garbage-collection.md", "Garbage collection", ("caches", "ops")),
    ("caches/metrics.md", "Cache metrics", ("caches", "bazel")),
    ("publication/flakehub.md", "FlakeHub publication", ("publication", "nix")),
    ("publication/releases.md", "Releases", ("publication",)),
    ("publication/versioning.md", "Versioning", ("publication", "general")),
    ("forges/index.md", "Forges", ("forges", "general")),
    ("forges/github.md", "GitHub", ("forges", "runners")),
    ("forges/gitlab.md", "GitLab", ("forges",)),
    ("forges/forgejo.md", "Forgejo", ("forges",)),
    ("forges/codeberg.md", "Codeberg mirrors", ("forges",)),
    ("forges/mirrors.md", "Mirroring", ("forges", "ops")),
    ("adr/0001-honey-baseline.md", "ADR 0001: honey is the baseline", ("general", "ops")),
    ("adr/0002-github-primary.md", "ADR 0002: GitHub is the primary forge", ("forges",)),
    (
        "adr/0003-attic-extra-substituter.md",
        "ADR 0003: Attic as an extra substituter",
        ("caches", "nix"),
    ),
    (
        "adr/0004-bazel-named-config.md",
        "ADR 0004: the Bazel cache behind a named config",
        ("bazel", "caches"),
    ),
    (
        "adr/0005-flakehub-publication-only.md",
        "ADR 0005: FlakeHub is publication only",
        ("publication",),
    ),
    ("adr/0006-runner-class-order.md", "ADR 0006: runner classes in proof order", ("runners",)),
    ("adr/0007-tranche-1.md", "ADR 0007: the first Bazel dogfood tranche", ("bazel",)),
    ("adr/0008-gitlab-retirement.md", "ADR 0008: retiring the GitLab lane", ("forges", "ops")),
    ("ops/runbook.md", "Runbook", ("ops", "runners")),
    ("ops/on-call.md", "On-call", ("ops",)),
    ("ops/upgrades.md", "Cluster upgrades", ("ops", "runners")),
    ("ops/capacity.md", "Capacity planning", ("ops", "runners", "caches")),
    ("ops/incident-2026-03.md", "Incident: full Attic volume", ("ops", "caches")),
    ("ops/monitoring.md", "Monitoring", ("ops", "caches")),
    ("ops/backups.md", "Backups", ("ops", "caches")),
    ("ops/secrets.md", "Secrets", ("ops", "general")),
    ("tranches/tranche-1.md", "Tranche 1", ("bazel",)),
    ("tranches/lab.md", "tinyland-inc/lab", ("bazel", "caches")),
    ("tranches/scheduling-kit.md", "scheduling-kit", ("bazel",)),
    ("tranches/acuity-middleware.md", "acuity-middleware", ("bazel",)),
    ("guides/nix.md", "Nix on the runners", ("nix", "caches")),
    ("guides/bazel.md", "Bazel on the runners", ("bazel", "caches")),
    ("guides/workflows.md", "Writing workflows", ("runners", "caches", "general")),
]
assert len(DOCS) == DOCS_PER_UNIT

MATRIX_DOC = "runners/matrix.md"
# `proofgate matrix` for the corpus ledger; a stale copy is a finding of its own.
MATRIX = """<!-- proofgate:matrix -->

| Class | State | Proof surfaces | Next |
| --- | --- | --- | --- |
| kvm | proved | nix-vm-test KVM lane: .github/workflows/000-kvm-proof.yml, \
verified 2026-10-02 | — |
| gpu | experimental | — | prove this class next |
| macos | backlog | — | only after gpu is proved |
| riscv | backlog | — | only after macos is proved |

<!-- /proofgate:matrix -->"""

_RISKY_LINE_START = re.compile(r"(\d+[.)](\s|$)|[-*+>](\s|$)|#|=+$|-+$|\||```|~~~|<)")


def _wrap(text: str, width: int = 88) -> str:
    """Greedy wrap that never starts a line with Markdown block syntax."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and (len(lines[-1]) + 1 + len(word) <= width or _RISKY_LINE_START.match(word)):
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


class _DocWriter:
    def __init__(
        self, rng: random.Random, topics: tuple[str, ...], checklist: bool = False
    ) -> None:
        self.rng = rng
        self.topics = topics
        # a troubleshooting page: its list items are checks, which the pack does
        # not read as claims, so a violation's list becomes a paragraph (the same
        # random draws, so the rest of the corpus is unchanged)
        self.checklist = checklist

    def sentence(self) -> str:
        rng = self.rng
        if rng.random() < 0.06:
            return rng.choice(LINK_SENTENCES)
        # The doc's main topic half the time, else any of its topics.
        topic = self.topics[0] if rng.random() < 0.5 else rng.choice(self.topics)
        return _fill(rng, rng.choice(SENTENCES[topic]))

    def paragraph(self) -> str:
        count = self.rng.randint(2, 5)
        chosen: list[str] = []
        for _ in range(3 * count):  # distinct sentences, a few tries
            sentence = self.sentence()
            if sentence not in chosen:
                chosen.append(sentence)
            if len(chosen) == count:
                break
        return _wrap(" ".join(chosen))

    def bullets(self) -> str:
        rng = self.rng
        items = [
            _fill(rng, rng.choice(BULLETS)) if rng.random() < 0.5 else self.sentence()
            for _ in range(rng.randint(3, 6))
        ]
        return "\n".join(f"- {item}" for item in items)

    def numbered(self) -> str:
        rng = self.rng
        start = rng.randrange(len(STEPS) - 3)
        steps = STEPS[start : start + rng.randint(3, 5)]
        return "\n".join(f"{i}. {_fill(rng, s)}" for i, s in enumerate(steps, 1))

    def table(self) -> str:
        rng = self.rng
        header, rows = rng.choice(TABLES)
        chosen = rng.sample(rows, k=max(2, len(rows) - rng.randint(0, 2)))
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(_fill(rng, c) for c in row) + " |" for row in chosen]
        return "\n".join(lines)

    def code(self) -> str:
        lang, body = self.rng.choice(CODE)
        return f"```{lang}\n{body}\n```"

    def quote(self) -> str:
        prefix = self.rng.choice(["", "**Note:** ", "**Tip:** "])
        return "\n".join("> " + line for line in _wrap(prefix + self.sentence(), 86).split("\n"))

    def comment(self) -> str:
        return _fill(self.rng, self.rng.choice(COMMENTS))

    def heading(self) -> str:
        rng = self.rng
        level = "##" if rng.random() < 0.7 else "###"
        return f"{level} {rng.choice(HEADINGS[rng.choice(self.topics)])}"

    def block(self) -> str:
        kinds: list[tuple[Callable[[], str], float]] = [
            (self.paragraph, 45),
            (self.bullets, 15),
            (self.numbered, 6),
            (self.table, 8),
            (self.code, 15),
            (self.quote, 5),
            (self.comment, 3),
        ]
        make = self.rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
        return make()

    def violation_block(self, violation: Violation) -> str:
        rng = self.rng
        text = _fill(rng, violation.text)
        if "\n" in text:  # a table
            return text
        shape = rng.random()
        if shape < 0.5:
            return _wrap(text)
        if shape < 0.75:
            # The sentence splitter needs a capital after the full stop: "... images.
            # macOS runners are planned" would be one (hedged) sentence.
            neutral = self.sentence()
            if rng.random() < 0.5 and text[0].isupper():
                return _wrap(f"{neutral} {text}")
            if neutral[0].isupper():
                return _wrap(f"{text} {neutral}")
            return _wrap(text)
        if shape < 0.9:
            items = [self.sentence() for _ in range(rng.randint(1, 3))]
            items.insert(rng.randint(0, len(items)), text)
            if self.checklist:
                return _wrap(" ".join(items))
            return "\n".join(f"- {item}" for item in items)
        return "> " + text


def _target_size(rng: random.Random) -> int:
    """Doc size in bytes: log-normal around 4 KB, clamped to 1-12 KB."""
    return min(12_000, max(1_000, int(rng.lognormvariate(math.log(4000), 0.55))))


def _doc(
    rng: random.Random, title: str, topics: tuple[str, ...], violate: bool, matrix: bool
) -> tuple[str, list[Violation]]:
    writer = _DocWriter(rng, topics, checklist=title.startswith("Troubleshooting"))
    target = _target_size(rng)
    expected = target / BYTES_PER_DOC_VIOLATION
    count = int(expected) + (rng.random() < expected - int(expected)) if violate else 0
    picked: list[Violation] = []
    for _ in range(count):
        bank = TABLE_VIOLATIONS if rng.random() < 0.06 else DOC_VIOLATIONS
        picked.append(rng.choice(bank))
    rendered = [writer.violation_block(v) for v in picked]

    head: list[str] = []
    if rng.random() < 0.3:
        head.append(f"---\ntitle: {json.dumps(title)}\n---")
    head += [f"# {title}", writer.paragraph()]
    if matrix:
        head += [writer.paragraph(), MATRIX]
    body: list[str] = []
    size = sum(len(b) + 2 for b in head + rendered)
    since_heading = 0
    while size < target:
        if since_heading >= 3 and rng.random() < 0.4:
            block = writer.heading()
            since_heading = 0
        else:
            block = writer.block()
            since_heading += 1
        body.append(block)
        size += len(block) + 2
    for block in rendered:
        body.insert(rng.randint(0, len(body)), block)
    return "\n\n".join(head + body) + "\n", picked


# -------------------------------------------------------------------------------- workflows

STEP_VIOLATIONS: list[Violation] = [
    Violation(
        '- name: Attic login\n  run: attic login honey https://attic.honey.internal "$ATTIC_TOKEN"',
        ("caches-accelerate-never-gate.cache-run",),
    ),
    Violation(
        "- uses: cachix/cachix-action@v15\n  with:\n    name: tinyland",
        ("caches-accelerate-never-gate.cache-action",),
    ),
    Violation(
        "- run: nix build .#runner-image --max-jobs 0",
        ("caches-accelerate-never-gate.substitute-only",),
    ),
    Violation(
        "- uses: DeterminateSystems/nix-installer-action@v16\n  with:\n    flakehub: true",
        ("flakehub-never-bootstrap.installer-flag",),
    ),
    Violation(
        "- uses: DeterminateSystems/flakehub-cache-action@main",
        ("flakehub-never-bootstrap.cache-action",),
    ),
    Violation(
        "- name: Bazel against the Attic endpoint\n"
        "  if: vars.BAZEL_REMOTE_CACHE != ''\n"
        "  run: bazel test --remote_cache=https://attic.honey.internal/bazel //...",
        ("surface-roles-stay-distinct.workflow-remote-cache",),
    ),
    Violation(
        "- name: Share the runner image\n"
        "  run: nix copy --to https://bazel-cache.honey.internal/nix ./result",
        ("surface-roles-stay-distinct.workflow-substituter",),
    ),
    Violation(
        "- uses: DeterminateSystems/nix-installer-action@v16\n  with:\n    extra-conf: |\n"
        "      extra-substituters = https://attic.honey.internal/main "
        "https://bazel-cache.honey.internal",
        ("surface-roles-stay-distinct.action-extra-conf",),
    ),
]
# Only in workflows triggered by pull_request (and push to main).
PR_STEP_VIOLATIONS: list[Violation] = [
    Violation(
        "- uses: DeterminateSystems/flakehub-push@main\n  with:\n    visibility: public",
        ("flakehub-never-bootstrap.push-outside-release",),
    ),
    Violation("- run: bazel test --config=ci //...", ("bazel-dogfood-is-real.pr-upload",)),
]
JOB_VIOLATIONS: list[Violation] = [
    Violation(
        "notarize:\n  runs-on: [self-hosted, macos-arm64]\n  steps:\n"
        "    - run: ./scripts/notarize.sh",
        ("runner-class-needs-proof.runs-on",),
    ),
    Violation(
        "riscv-cross:\n  runs-on:\n    group: honey-heavy\n    labels: [self-hosted, riscv64]\n"
        "  steps:\n    - run: nix build .#packages.riscv64-linux.runner-agent",
        ("runner-class-needs-proof.runs-on",),
    ),
    Violation(
        "dawn-smoke:\n  runs-on: [self-hosted, honey, gpu]\n  continue-on-error: true\n"
        "  steps:\n    - run: nix build .#dawn-smoke",
        ("runner-class-needs-proof.runs-on-experimental",),
    ),
]

STEPS_MARK = "#@steps@"
JOBS_MARK = "#@jobs@"


def _nix_installer(rng: random.Random) -> str:
    return rng.choice(
        [
            "- uses: DeterminateSystems/determinate-nix-action@v3",
            "- uses: cachix/install-nix-action@v30",
            "- uses: DeterminateSystems/nix-installer-action@v16",
        ]
    )


def _attic_guarded(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return (
            "- name: Attic login\n"
            "  if: ${{ vars.ATTIC_SERVER != '' }}\n"
            "  continue-on-error: true\n"
            '  run: attic login honey "$ATTIC_SERVER" "$ATTIC_TOKEN"'
        )
    return (
        "- uses: ryanccn/attic-action@v0\n"
        "  if: vars.ATTIC_SERVER != ''\n"
        "  with:\n"
        "    endpoint: ${{ vars.ATTIC_SERVER }}\n"
        "    cache: main\n"
        "    token: ${{ secrets.ATTIC_TOKEN }}"
    )


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.split("\n"))


def _workflows(rng: random.Random, prefix: str) -> list[tuple[str, str, bool]]:
    """(name, text, triggered by pull_request) for one unit; marks where violations go."""
    cron = f"{rng.randint(0, 59)} {rng.randint(0, 23)} * * *"
    timeout = rng.choice([20, 30, 45, 60])
    target = rng.choice(["runner-image", "runner-agent", "controller-image"])
    out: list[tuple[str, str, bool]] = []
    out.append(
        (
            "ci",
            f"""name: ci
on:
  push:
    branches: [main]
  pull_request:

jobs:
  build:
    runs-on: [self-hosted, honey, linux-x64]
    timeout-minutes: {timeout}
    steps:
      - uses: actions/checkout@v4
{_indent(_nix_installer(rng), 6)}
{_indent(_attic_guarded(rng), 6)}
      - run: nix build .#{target} -L
      - run: nix flake check --no-build
      {STEPS_MARK}
  vm-test:
    runs-on: [self-hosted, honey, kvm]
    steps:
      - uses: actions/checkout@v4
      - run: nix build .#checks.x86_64-linux.vm-test -L
  {JOBS_MARK}
""",
            True,
        )
    )
    out.append(
        (
            "bazel",
            f"""name: bazel
on:
  push:
    branches: [main]
  pull_request:
jobs:
  main:
    if: github.event_name == 'push'
    runs-on: [self-hosted, honey, linux-x64]
    steps:
      - uses: actions/checkout@v4
      - run: bazel build --config=ci //...
      {STEPS_MARK}
  pr:
    if: github.event_name == 'pull_request'
    runs-on: [self-hosted, honey, linux-x64]
    steps:
      - uses: actions/checkout@v4
      - run: |
          bazel test --config=pr \\
            //...
  {JOBS_MARK}
""",
            False,
        )
    )
    out.append(
        (
            "kvm-proof",
            f"""name: kvm-proof
on:
  workflow_dispatch:
  schedule:
    - cron: "{cron}"
jobs:
  kvm:
    runs-on: [self-hosted, honey, kvm]
    timeout-minutes: {timeout + 30}
    steps:
      - uses: actions/checkout@v4
{_indent(_nix_installer(rng), 6)}
      - run: nix build .#checks.x86_64-linux.vm-test -L
      {STEPS_MARK}
  {JOBS_MARK}
""",
            False,
        )
    )
    out.append(
        (
            "release",
            f"""name: release
on:
  push:
    tags: ["v*"]
  workflow_dispatch:
jobs:
  publish:
    runs-on: [self-hosted, honey, linux-x64]
    permissions:
      id-token: write
      contents: read
    steps:
      - uses: actions/checkout@v4
      - uses: DeterminateSystems/determinate-nix-action@v3
      - uses: DeterminateSystems/flakehub-push@main
        with:
          visibility: public
          tag: ${{{{ github.ref_name }}}}
      {STEPS_MARK}
  {JOBS_MARK}
""",
            False,
        )
    )
    out.append(
        (
            "lint",
            f"""name: lint
on:
  pull_request:
  push:
    branches: [main]
jobs:
  markdown:
    runs-on: [self-hosted, honey, linux-x64]
    steps:
      - uses: actions/checkout@v4
{_indent(_nix_installer(rng), 6)}
      - run: nix run nixpkgs#markdownlint-cli2 -- "docs/**/*.md"
      - run: nix run nixpkgs#actionlint
      {STEPS_MARK}
  {JOBS_MARK}
""",
            True,
        )
    )
    out.append(
        (
            "docs",
            f"""name: docs
on:
  push:
    branches: [main]
    paths: ["docs/**"]
jobs:
  site:
    runs-on: [self-hosted, honey, linux-x64]
    steps:
      - uses: actions/checkout@v4
{_indent(_nix_installer(rng), 6)}
      - run: nix build .#docs-site
      - uses: actions/upload-pages-artifact@v3
        with:
          path: result
      {STEPS_MARK}
  {JOBS_MARK}
""",
            False,
        )
    )
    out.append(
        (
            "nightly",
            f"""name: nightly
on:
  schedule:
    - cron: "{cron}"
jobs:
  checks:
    runs-on: [self-hosted, honey, linux-x64]
    strategy:
      fail-fast: false
      matrix:
        system: [x86_64-linux]
    steps:
      - uses: actions/checkout@v4
{_indent(_nix_installer(rng), 6)}
      - run: nix flake check --system ${{{{ matrix.system }}}}
      {STEPS_MARK}
  {JOBS_MARK}
""",
            False,
        )
    )
    out.append(
        (
            "runner-image",
            f"""name: runner-image
on:
  push:
    branches: [main]
    paths: ["flake.nix", "flake.lock", "nix/**"]
  workflow_dispatch:
jobs:
  image:
    runs-on: [self-hosted, honey, linux-x64]
    steps:
      - uses: actions/checkout@v4
{_indent(_nix_installer(rng), 6)}
      - run: nix build .#{target} -L
      - uses: ./.github/actions/{prefix}-attic-push
        with:
          attic-server: ${{{{ vars.ATTIC_SERVER }}}}
          path: ./result
      {STEPS_MARK}
  {JOBS_MARK}
""",
            False,
        )
    )
    out.append(
        (
            "cache-gc",
            f"""name: cache-gc
on:
  schedule:
    - cron: "{cron}"
  workflow_dispatch:
jobs:
  gc:
    if: vars.ATTIC_SERVER != ''
    runs-on: [self-hosted, honey, linux-x64]
    steps:
      - run: attic login honey "$ATTIC_SERVER" "$ATTIC_TOKEN"
      - run: attic cache configure main --retention-period {rng.randint(7, 60)}d
  report:
    runs-on: [self-hosted, honey, linux-x64]
    steps:
      - uses: actions/checkout@v4
      - run: ./scripts/cache-report.sh
      {STEPS_MARK}
  {JOBS_MARK}
""",
            False,
        )
    )
    out.append(
        (
            "update-flake-lock",
            f"""name: update-flake-lock
on:
  schedule:
    - cron: "{cron}"
  workflow_dispatch:
jobs:
  lock:
    runs-on: [self-hosted, honey, linux-x64]
    permissions:
      contents: write
      pull-requests: write
    steps:
      - uses: actions/checkout@v4
{_indent(_nix_installer(rng), 6)}
      - uses: DeterminateSystems/update-flake-lock@v24
        with:
          pr-title: "flake.lock: update"
      {STEPS_MARK}
  {JOBS_MARK}
""",
            False,
        )
    )
    out.append(
        (
            "proofgate",
            f"""name: proofgate
on:
  pull_request:
  push:
    branches: [main]
jobs:
  check:
    runs-on: [self-hosted, honey, linux-x64]
    steps:
      - uses: actions/checkout@v4
      - run: pipx run proofgate check --format github
      {STEPS_MARK}
  {JOBS_MARK}
""",
            True,
        )
    )
    out.append(
        (
            "tranche-lab",
            f"""name: tranche-lab
on:
  push:
    branches: [main]
  pull_request:
jobs:
  cache-first:
    if: github.event_name == 'push'
    runs-on: [self-hosted, honey, linux-x64]
    steps:
      - uses: actions/checkout@v4
        with:
          repository: tinyland-inc/lab
      - run: bazel build --config=ci //:all
      {STEPS_MARK}
  read-only:
    if: github.event_name == 'pull_request'
    runs-on: [self-hosted, honey, linux-x64]
    steps:
      - uses: actions/checkout@v4
      - run: bazel build --config=pr //:all
  {JOBS_MARK}
""",
            False,
        )
    )
    out.append(
        (
            "deploy",
            f"""name: deploy
on:
  workflow_dispatch:
    inputs:
      pool:
        description: Runner pool to roll
        default: honey
concurrency: deploy-${{{{ inputs.pool }}}}
jobs:
  roll:
    runs-on: [self-hosted, honey, linux-x64]
    environment: honey
    steps:
      - uses: actions/checkout@v4
      - run: kubectl apply -k deploy/${{{{ inputs.pool }}}}
      - run: kubectl -n arc-runners rollout status deploy/controller --timeout={timeout}m
      {STEPS_MARK}
  {JOBS_MARK}
""",
            False,
        )
    )
    assert len(out) == WORKFLOWS_PER_UNIT
    return out


def _place(text: str, steps: str = "", jobs: str = "") -> str:
    lines: list[str] = []
    for line in text.split("\n"):
        mark = line.strip()
        if mark in (STEPS_MARK, JOBS_MARK):
            snippet = steps if mark == STEPS_MARK else jobs
            if snippet:
                lines.append(_indent(snippet, len(line) - len(line.lstrip())))
            continue
        lines.append(line)
    return "\n".join(lines)


def _action(rng: random.Random) -> str:
    return f"""name: attic-push
description: Push store paths to the honey Attic cache when it is configured
inputs:
  attic-server:
    required: false
    default: ""
  path:
    required: true
runs:
  using: composite
  steps:
    - shell: bash
      if: inputs.attic-server != ''
      run: |
        attic login honey "${{{{ inputs.attic-server }}}}" "$ATTIC_TOKEN"
        attic push main "${{{{ inputs.path }}}}"
    - shell: bash
      continue-on-error: true
      run: cachix push tinyland "${{{{ inputs.path }}}}" --jobs {rng.randint(2, 8)}
"""


# ------------------------------------------------------------------------------ root files

LEDGER = """# The proof ledger of the benchmark corpus (adapted from fixtures/repos/gf-drifting).
repo: tinyland-inc/GloriousFlywheel
baseline: honey
primary_forge: github
freshness_days: 3650
endpoints:
  attic: [attic.honey.internal]
  bazel: [bazel-cache.honey.internal]
runner_classes:
  kvm:
    state: proved
    labels: [kvm, nix-vm-test]
    proofs:
      - surface: nix-vm-test KVM lane
        evidence: .github/workflows/000-kvm-proof.yml
        verified: 2026-10-02
  gpu: {state: experimental, labels: [gpu, webgpu, dawn, cuda]}
  macos: {state: backlog, labels: [macos, macos-arm64]}
  riscv: {state: backlog, labels: [riscv, riscv64]}
forges:
  github-org:
    state: proved
    proofs:
      - surface: tinyland-inc org runner enrollment
        evidence: docs/part-000/runners/enrollment.md
        verified: 2026-04-20
      - surface: GloriousFlywheel self-hosted CI
        evidence: .github/workflows/000-ci.yml
        verified: 2026-05-10
  github-user: {state: experimental}
  gitlab: {state: retired}
  forgejo: {state: backlog}
  woodpecker: {state: backlog}
tranches:
  bazel-cache-first-1:
    repos: [tinyland-inc/GloriousFlywheel, tinyland-inc/lab, tinyland.dev,
            Jesssullivan/scheduling-kit, Jesssullivan/acuity-middleware]
"""

README = """# GloriousFlywheel

GloriousFlywheel runs GitHub Actions runners on **honey**, the real on-prem baseline.
GitHub is the primary forge; GitLab CI support was retired.

GloriousFlywheel gives your repos seamless self-hosted CI on honey.

## Runner classes

KVM runners are proved on the `nix-vm-test` lane; GPU/WebGPU/Dawn runners are
experimental, and macOS and riscv are in backlog. See the
[proof matrix](docs/part-000/runners/matrix.md).

## Caches

If Attic is down, builds fall back to cache.nixos.org and local builds.
The Bazel remote cache is optional: turn it on when you need speed.
Tagged releases are published to FlakeHub for discovery.

## Docs

The documentation lives under `docs/`, one folder per area.

```console
$ nix build .#runner-image
$ bazel build --config=ci //...
```
"""
README_RULES = ("no-fuzzy-product-claims.fuzzy", "no-fuzzy-product-claims.fuzzy")

BAZELRC = """# Cache-first, verify-later: the remote cache is opt-in through named configs,
# so a build without it is only slower.
common --enable_bzlmod
build --jobs=auto

# CI on honey reads and writes the shared Bazel remote cache.
build:ci --remote_cache=grpcs://bazel-cache.honey.internal:443
build:ci --remote_timeout=60

# Pull requests read the cache but never upload.
build:pr --config=ci
build:pr --remote_upload_local_results=false

try-import %workspace%/user.bazelrc
"""

NIX_CONF = """# honey runner nix.conf
substituters = https://cache.nixos.org
extra-substituters = https://attic.honey.internal/main
trusted-public-keys = cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=
experimental-features = nix-command flakes
max-jobs = auto
"""

FLAKE = """{
  description = "GloriousFlywheel runner bootstrap";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";
    flake-utils.url = "github:numtide/flake-utils";
    flake-schemas.url = "github:DeterminateSystems/flake-schemas";
  };

  nixConfig = {
    extra-substituters = [ "https://attic.honey.internal/main" ];
  };

  outputs = { self, nixpkgs, flake-utils, flake-schemas }:
    flake-utils.lib.eachDefaultSystem (system:
      let pkgs = nixpkgs.legacyPackages.${system}; in {
        packages.runner-image = pkgs.hello;
        checks.vm-test = pkgs.hello;
      });
}
"""

# The lock still pins flake-schemas from FlakeHub although flake.nix moved to github:.
FLAKE_LOCK = """{
  "nodes": {
    "flake-schemas": {
      "locked": {
        "lastModified": 1714000000,
        "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "rev": "0123456789abcdef0123456789abcdef01234567",
        "type": "tarball",
        "url": "https://api.flakehub.com/f/pinned/DeterminateSystems/flake-schemas/0.1.5/0190a1b2/source.tar.gz"
      },
      "original": {
        "type": "tarball",
        "url": "https://flakehub.com/f/DeterminateSystems/flake-schemas/%2A.tar.gz"
      }
    },
    "flake-utils": {
      "locked": {
        "lastModified": 1710146030,
        "narHash": "sha256-SZ5L6eA7HJ/nmkzGG7/ISclqe6oZdOZTNoesiInkXPQ=",
        "owner": "numtide",
        "repo": "flake-utils",
        "rev": "b1d9ab70662946ef0850d488da1c9019f3a9752a",
        "type": "github"
      },
      "original": {"owner": "numtide", "repo": "flake-utils", "type": "github"}
    },
    "nixpkgs": {
      "locked": {
        "lastModified": 1735834308,
        "narHash": "sha256-dklw3AXr3OGO4/XT1Tu3Xz9n/we8GctZZ75ZWVqAVhk=",
        "owner": "NixOS",
        "repo": "nixpkgs",
        "rev": "6df24922a1400241dae323af55f30e4318a6ca65",
        "type": "github"
      },
      "original": {"owner": "NixOS", "ref": "nixos-24.11", "repo": "nixpkgs", "type": "github"}
    },
    "root": {
      "inputs": {
        "flake-schemas": "flake-schemas",
        "flake-utils": "flake-utils",
        "nixpkgs": "nixpkgs"
      }
    }
  },
  "root": "root",
  "version": 7
}
"""
FLAKE_LOCK_RULES = ("flakehub-never-bootstrap.input",)


# -------------------------------------------------------------------------------- generate


def _write(dest: Path, rel: str, text: str, stats: Stats) -> None:
    path = dest / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(data)
    stats.files += 1
    stats.bytes += len(data)
    if rel.endswith(".md"):
        stats.markdown_files += 1
        stats.markdown_bytes += len(data)


def _unit(dest: Path, k: int, seed: int, stats: Stats, violations: bool) -> None:
    rng = random.Random(seed + k)
    prefix = f"{k:03d}"
    for rel, title, topics in DOCS:
        text, picked = _doc(rng, title, topics, violations, matrix=rel == MATRIX_DOC)
        _write(dest, f"docs/part-{prefix}/{rel}", text, stats)
        stats.doc_violations += len(picked)
        if rel.startswith(NOTES_DOCS):
            continue  # notes, not product claims: the pack passes their prose
        for v in picked:
            stats.expected.update(v.rules)

    flows = _workflows(rng, prefix)
    wanted = WORKFLOWS_PER_UNIT / WORKFLOWS_PER_VIOLATION
    count = int(wanted) + (rng.random() < wanted - int(wanted)) if violations else 0
    chosen = set(rng.sample(range(len(flows)), count))
    for i, (name, text, pull_request) in enumerate(flows):
        steps = jobs = ""
        if i in chosen:
            kind = rng.random()
            if kind < 0.25:
                v = rng.choice(JOB_VIOLATIONS)
                jobs = v.text
            else:
                v = rng.choice(STEP_VIOLATIONS + (PR_STEP_VIOLATIONS if pull_request else []))
                steps = v.text
            stats.config_violations += 1
            stats.expected.update(v.rules)
        _write(dest, f".github/workflows/{prefix}-{name}.yml", _place(text, steps, jobs), stats)
        stats.workflows += 1
    _write(dest, f".github/actions/{prefix}-attic-push/action.yml", _action(rng), stats)
    stats.actions += 1


def generate(dest: Path, copies: int, seed: int = 0, *, violations: bool = True) -> Stats:
    """Write the corpus into ``dest`` (absent or empty) and describe what was written."""
    if copies < 1:
        raise ValueError("copies must be at least 1 (the ledger's evidence lives in unit 000)")
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest}: not empty")
    stats = Stats(copies=copies, seed=seed)
    root_files = {
        "README.md": README,
        ".bazelrc": BAZELRC,
        "nix/nix.conf": NIX_CONF,
        "flake.nix": FLAKE,
        "flake.lock": FLAKE_LOCK if violations else FLAKE_LOCK.replace("flakehub", "example"),
        "proofs.yaml": LEDGER,
    }
    if not violations:
        root_files["README.md"] = README.replace(" seamless", "").replace(" is optional:", ":")
    for rel, text in root_files.items():
        _write(dest, rel, text, stats)
    if violations:
        stats.config_violations += len(FLAKE_LOCK_RULES)
        stats.doc_violations += len(README_RULES)
        stats.expected.update(FLAKE_LOCK_RULES + README_RULES)
    for k in range(copies):
        _unit(dest, k, seed, stats, violations)
    return stats


def git_commit(dest: Path) -> str:
    """``git init`` and commit everything with a fixed identity and date; the commit id."""
    env = {**os.environ, **GIT_ENV}
    git = ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "corpus"]):
        subprocess.run([*git, *args], cwd=dest, env=env, check=True)
    out = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=dest, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--copies", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--git", action="store_true", help="git init and commit the corpus")
    parser.add_argument(
        "--no-violations", action="store_true", help="compliant text only (for calibration)"
    )
    parser.add_argument("--json", action="store_true", help="print Stats as JSON")
    args = parser.parse_args(argv)
    try:
        stats = generate(args.dest, args.copies, args.seed, violations=not args.no_violations)
    except (ValueError, FileExistsError) as exc:
        print(f"corpus: {exc}", file=sys.stderr)
        return 2
    if args.git:
        stats.commit = git_commit(args.dest)
    if args.json:
        print(json.dumps(stats.as_dict(), indent=2))
    else:
        print(f"{args.dest}: {stats.summary()}")
        for rule, n in sorted(stats.expected.items()):
            print(f"  {n:6d}  {rule}")
        if stats.commit:
            print(f"  commit {stats.commit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
