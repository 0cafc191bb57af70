"""The proof ledger loader: schema, positions, proof order and evidence checks."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.extract.base import Extraction
from engine.extract.ledger import load_ledger
from engine.extract.ledger_defaults import absent_ledger

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "extract" / "ledger"
REPO = FIXTURES / "valid"
NOW = date(2026, 6, 1)
DEFAULT_FLAKEHUB = ["flakehub.com", "api.flakehub.com", "cache.flakehub.com"]


def load(name: str, repo_root: Path = REPO) -> tuple[dict[str, Any], Extraction]:
    path = FIXTURES / name
    return load_ledger(path.name, path.read_text(encoding="utf-8"), repo_root, NOW)


def load_text(text: str, repo_root: Path = REPO) -> tuple[dict[str, Any], Extraction]:
    return load_ledger("proofs.yaml", text, repo_root, NOW)


def problems(extraction: Extraction) -> list[tuple[int, int, str]]:
    return [(p.line, p.column, p.message) for p in extraction.problems]


def names(records: list[dict[str, Any]]) -> list[str]:
    return [record["name"] for record in records]


# The GloriousFlywheel ledger


def test_valid_ledger_global_record() -> None:
    record, extraction = load("valid/proofs.yaml")
    assert extraction.problems == []
    assert record["present"] is True
    assert (record["repo"], record["baseline"], record["primary_forge"]) == (
        "tinyland-inc/GloriousFlywheel",
        "honey",
        "github",
    )
    assert record["freshness_days"] == 120
    assert record["bootstrap_flakes"] == ["flake.nix", "nix/runners/flake.nix"]
    assert record["endpoints"] == {
        "attic": ["attic.honey.tinyland.dev"],
        "bazel": ["bazel-cache.honey.tinyland.dev"],
        "flakehub": DEFAULT_FLAKEHUB,
    }
    assert (record["path"], record["line"], record["column"]) == ("proofs.yaml", 2, 1)
    assert list(record["runner_classes"]) == ["kvm", "gpu", "macos", "riscv"]
    assert record["runner_classes"]["kvm"] is extraction.records["runner_classes"][0]
    forges = ["github-org", "github-user", "gitlab", "forgejo", "woodpecker"]
    assert list(record["forges"]) == forges
    assert list(record["tranches"]) == ["bazel-cache-first-1"]


def test_runner_classes_follow_key_order() -> None:
    _, extraction = load("valid/proofs.yaml")
    classes = extraction.records["runner_classes"]
    assert [(c["name"], c["index"], c["state"]) for c in classes] == [
        ("kvm", 0, "proved"),
        ("gpu", 1, "experimental"),
        ("macos", 2, "backlog"),
        ("riscv", 3, "backlog"),
    ]


def test_flow_style_runner_class_record() -> None:
    _, extraction = load("valid/proofs.yaml")
    gpu = extraction.records["runner_classes"][1]
    assert gpu == {
        "path": "proofs.yaml",
        "line": 21,
        "column": 3,
        "end_line": 21,
        "end_column": 6,
        "name": "gpu",
        "index": 1,
        "state": "experimental",
        "labels": ["gpu", "webgpu", "dawn", "cuda"],
        "words": ["gpu", "webgpu", "dawn", "cuda"],  # the name once, lower-cased
        "proofs": [],
    }


def test_proof_records_of_a_proved_class() -> None:
    _, extraction = load("valid/proofs.yaml")
    lane, soak = extraction.records["runner_classes"][0]["proofs"]
    assert lane == {
        "path": "proofs.yaml",
        "line": 15,
        "column": 9,
        "end_line": lane["end_line"],
        "end_column": lane["end_column"],
        "surface": "nix-vm-test KVM lane",
        "evidence": ".github/workflows/kvm-proof.yml",
        "evidence_kind": "path",
        "evidence_exists": True,
        "verified": "2026-05-02",
        "age_days": 30,
    }
    assert (soak["line"], soak["column"]) == (18, 9)
    assert (soak["evidence_kind"], soak["evidence_exists"]) == ("url", True)
    assert (soak["verified"], soak["age_days"]) == ("2025-11-20", 193)


def test_forge_records() -> None:
    _, extraction = load("valid/proofs.yaml")
    forges = extraction.records["forges"]
    assert [(f["name"], f["index"], f["state"]) for f in forges] == [
        ("github-org", 0, "proved"),
        ("github-user", 1, "experimental"),
        ("gitlab", 2, "retired"),
        ("forgejo", 3, "backlog"),
        ("woodpecker", 4, "backlog"),
    ]
    org = forges[0]
    assert (org["line"], org["column"], org["end_column"]) == (25, 3, 13)
    assert org["surfaces"] == ["org runner scale set", "org Attic push"]
    scale_set, attic, undated = org["proofs"]
    assert (scale_set["line"], scale_set["column"], scale_set["end_line"]) == (28, 9, 28)
    assert (scale_set["evidence_exists"], scale_set["age_days"]) == (True, 44)
    assert (attic["evidence_kind"], attic["evidence_exists"]) == ("path", False)
    assert (undated["verified"], undated["age_days"]) == ("", -1)
    assert forges[1]["surfaces"] == []


def test_tranche_record() -> None:
    _, extraction = load("valid/proofs.yaml")
    assert extraction.records["tranches"] == [
        {
            "path": "proofs.yaml",
            "line": 36,
            "column": 3,
            "end_line": 36,
            "end_column": 22,
            "name": "bazel-cache-first-1",
            "repos": [
                "tinyland-inc/GloriousFlywheel",
                "tinyland-inc/lab",
                "tinyland.dev",
                "Jesssullivan/scheduling-kit",
                "Jesssullivan/acuity-middleware",
            ],
        }
    ]


def test_explicit_order_sets_the_index() -> None:
    record, extraction = load("ordered.yaml")
    assert extraction.problems == []
    classes = extraction.records["runner_classes"]
    assert [(c["name"], c["index"], c["line"]) for c in classes] == [
        ("kvm", 0, 8),
        ("gpu", 1, 7),
        ("macos", 2, 9),
        ("riscv", 3, 10),
    ]
    assert list(record["runner_classes"]) == ["kvm", "gpu", "macos", "riscv"]


def test_single_string_lists_are_normalized() -> None:
    record, extraction = load("labels-string.yaml")
    assert extraction.problems == []
    assert record["runner_classes"]["kvm"]["labels"] == ["kvm"]
    assert record["runner_classes"]["gpu"]["labels"] == ["cuda"]
    assert record["tranches"]["bazel-cache-first-1"]["repos"] == ["tinyland-inc/lab"]


def test_defaults_when_optional_keys_are_absent() -> None:
    record, extraction = load("labels-string.yaml")
    assert record["freshness_days"] == 180
    assert record["bootstrap_flakes"] == ["flake.nix"]
    assert record["endpoints"] == {"attic": [], "bazel": [], "flakehub": DEFAULT_FLAKEHUB}
    assert record["forges"] == {}
    assert extraction.records["forges"] == []


def test_quoted_keys_keep_their_span() -> None:
    record, _ = load_text('runner_classes:\n  "kvm": {state: proved}\n')
    kvm = record["runner_classes"]["kvm"]
    assert (kvm["line"], kvm["column"], kvm["end_column"]) == (2, 3, 8)


# Evidence


def evidence(record: dict[str, Any]) -> list[tuple[str, str, bool]]:
    proofs = record["runner_classes"]["kvm"]["proofs"]
    return [(p["evidence"], p["evidence_kind"], p["evidence_exists"]) for p in proofs]


def test_evidence_that_escapes_the_root_is_invalid() -> None:
    record, extraction = load("evidence-escape.yaml")
    assert extraction.problems == []
    assert evidence(record) == [
        ("../../etc/passwd", "invalid", False),
        ("docs/../../../etc/passwd", "invalid", False),
        (".github/workflows/../workflows/kvm-proof.yml", "path", True),
    ]


def test_absolute_paths_and_other_schemes_are_invalid() -> None:
    record, extraction = load("evidence-absolute.yaml")
    assert extraction.problems == []
    assert evidence(record) == [
        ("/etc/passwd", "invalid", False),
        ("~/proofs/kvm.md", "invalid", False),
        ("http://ci.honey.lan/kvm", "invalid", False),
        ("file:///etc/passwd", "invalid", False),
        ("C:\\proofs\\kvm.md", "invalid", False),
        ("https://", "invalid", False),
        ("", "missing", False),
        ("", "missing", False),
    ]


@pytest.fixture
def linked_repo(tmp_path: Path) -> Path:
    """A repo with symlinks inside it and a secret next to it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("not the repo's\n")
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "kvm.md").write_text("# KVM proof\n")
    (repo / "docs" / "latest.md").symlink_to("kvm.md")
    (repo / "docs" / "pinned.md").symlink_to(repo / "docs" / "kvm.md")
    (repo / "docs" / "leak.md").symlink_to(outside / "secret.md")
    (repo / "docs" / "up.md").symlink_to("../../outside/secret.md")
    (repo / "docs" / "away").symlink_to(outside)
    (repo / "docs" / "dangling.md").symlink_to("gone.md")
    (repo / "docs" / "loop.md").symlink_to("loop.md")
    return repo


@pytest.mark.parametrize(
    ("path", "exists"),
    [
        ("docs/kvm.md", True),
        ("docs", True),
        ("docs/latest.md", True),
        ("docs/pinned.md", True),
        ("docs/leak.md", False),
        ("docs/up.md", False),
        ("docs/away/secret.md", False),
        ("docs/away/../kvm.md", False),
        ("docs/dangling.md", False),
        ("docs/loop.md", False),
        ("docs/kvm.md/child", False),
        ("docs/absent.md", False),
    ],
)
def test_symlinks_count_only_inside_the_root(linked_repo: Path, path: str, exists: bool) -> None:
    text = f"runner_classes:\n  kvm:\n    state: proved\n    proofs: [{{evidence: '{path}'}}]\n"
    record, extraction = load_text(text, linked_repo)
    assert extraction.problems == []
    assert evidence(record) == [(path, "path", exists)]


def test_nothing_outside_the_root_is_looked_at(
    linked_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = str(linked_repo.parent / "outside")
    touched: list[str] = []
    for name in ("stat", "lstat", "readlink"):
        monkeypatch.setattr(os, name, spy(getattr(os, name), touched))
    for path in ("docs/leak.md", "docs/up.md", "docs/away/secret.md", "docs/kvm.md"):
        text = f"runner_classes:\n  kvm: {{state: proved, proofs: [{{evidence: {path}}}]}}\n"
        load_text(text, linked_repo)
    assert any(path.startswith(str(linked_repo)) for path in touched)
    assert not [path for path in touched if path.startswith(outside)]


def spy(call: Any, touched: list[str]) -> Any:
    def recorded(path: Any, *args: Any, **kwargs: Any) -> Any:
        touched.append(os.fspath(path))
        return call(path, *args, **kwargs)

    return recorded


def test_missing_repo_root_means_no_evidence(tmp_path: Path) -> None:
    record, _ = load("valid/proofs.yaml", tmp_path / "nowhere")
    assert [p["evidence_exists"] for p in record["runner_classes"]["kvm"]["proofs"]] == [
        False,
        True,
    ]


# Invalid ledgers


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "bad-state.yaml",
            [
                (
                    13,
                    5,
                    "runner_classes.gpu.state: 'prooved' is not one of "
                    "proved, experimental, backlog, retired",
                ),
                (
                    17,
                    16,
                    "forges.github-org.state: 'Proved' is not one of "
                    "proved, experimental, backlog, retired",
                ),
            ],
        ),
        (
            "bad-date.yaml",
            [
                (
                    11,
                    9,
                    "runner_classes.kvm.proofs[0].verified: "
                    "'2026-13-02' is not a date in YYYY-MM-DD form",
                ),
                (
                    14,
                    9,
                    "runner_classes.kvm.proofs[1].verified: "
                    "'02/05/2026' is not a date in YYYY-MM-DD form",
                ),
                (
                    17,
                    9,
                    "runner_classes.kvm.proofs[2].verified: "
                    "20260502 is not a date in YYYY-MM-DD form",
                ),
            ],
        ),
        (
            "unknown-key.yaml",
            [
                (4, 1, "unknown key 'runner_class'; did you mean 'runner_classes'?"),
                (9, 5, "forges.github-org: unknown key 'proof'; did you mean 'proofs'?"),
                (11, 1, "unknown key 'owner'; did you mean 'order'?"),
            ],
        ),
        (
            "duplicate-key.yaml",
            [(7, 3, "duplicate key 'kvm'"), (8, 1, "duplicate key 'baseline'")],
        ),
        (
            "future-date.yaml",
            [
                (
                    11,
                    9,
                    "runner_classes.kvm.proofs[0].verified: verified date 2027-01-01 "
                    "is in the future (today is 2026-06-01)",
                ),
                (
                    17,
                    67,
                    "forges.github-org.proofs[1].verified: verified date 2026-06-02 "
                    "is in the future (today is 2026-06-01)",
                ),
            ],
        ),
        ("empty.yaml", [(1, 1, "the ledger is empty")]),
        (
            "malformed.yaml",
            [(7, 6, "while parsing a flow sequence did not find expected ',' or ']'")],
        ),
        (
            "bad-order.yaml",
            [
                (4, 1, "order: runner classes missing from the order: macos, riscv"),
                (7, 5, "order[2]: 'mac-os' is not a runner class; did you mean 'macos'?"),
                (8, 5, "order[3]: 'kvm' is listed twice"),
            ],
        ),
        (
            "wrong-types.yaml",
            [
                (1, 1, "repo: expected a string, got a list"),
                (4, 1, "freshness_days: expected a whole number, got '90'"),
                (6, 3, "runner_classes.kvm: expected a mapping, got 'proved'"),
                (7, 3, "runner_classes.gpu.state: required key is missing"),
                (8, 19, "runner_classes.gpu.labels[1]: expected a string, got 12"),
                (9, 1, "forges: expected a mapping, got a list"),
            ],
        ),
    ],
)
def test_invalid_ledgers_name_file_line_and_field(
    name: str, expected: list[tuple[int, int, str]]
) -> None:
    record, extraction = load(f"invalid/{name}")
    assert problems(extraction) == expected
    assert {p.path for p in extraction.problems} == {name}
    assert record == {**absent_ledger(), "path": name}
    assert extraction.records == {"runner_classes": [], "forges": [], "tranches": []}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (1, 1, "the ledger is empty")),
        ("---\n~\n", (1, 1, "the ledger is empty")),
        ("- kvm\n- gpu\n", (1, 1, "the ledger must be a mapping of keys, got a list")),
        ("repo: a\n---\nrepo: b\n", (3, 1, "the ledger must be one YAML document, found 2")),
        ("freshness_days: 0\n", (1, 1, "freshness_days: must be greater than 0, got 0")),
        ("freshness_days: true\n", (1, 1, "freshness_days: expected a whole number, got true")),
        (
            "endpoints: {atic: [attic.lan]}\n",
            (1, 13, "endpoints: unknown key 'atic'; did you mean 'attic'?"),
        ),
        (
            "tranches:\n  t1: {members: [a/b]}\n",
            (2, 8, "tranches.t1: unknown key 'members' (known keys: repos)"),
        ),
    ],
)
def test_more_invalid_shapes(text: str, expected: tuple[int, int, str]) -> None:
    record, extraction = load_text(text)
    assert problems(extraction) == [expected]
    assert record["present"] is False


def test_absent_ledger_proves_nothing() -> None:
    record = absent_ledger()
    assert record["present"] is False
    assert (record["repo"], record["baseline"], record["primary_forge"]) == ("", "", "")
    assert (record["runner_classes"], record["forges"], record["tranches"]) == ({}, {}, {})
    assert record["freshness_days"] == 180
    assert record["bootstrap_flakes"] == ["flake.nix"]
    assert record["endpoints"]["flakehub"] == DEFAULT_FLAKEHUB
    assert {"path", "line", "column", "end_line", "end_column"} <= set(record)


# Robustness

LEDGER_KEYS = [
    "repo",
    "baseline",
    "order",
    "runner_classes",
    "forges",
    "tranches",
    "state",
    "labels",
    "proofs",
    "surface",
    "evidence",
    "verified",
    "endpoints",
    "attic",
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(["proved", "backlog", "2026-05-02", "2999-01-01", "../x", "https://a"])
    | st.text(max_size=20)
)
DATA = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(LEDGER_KEYS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    record, extraction = load_text(text)
    assert record["present"] is (not extraction.problems)


@settings(max_examples=200, deadline=None)
@given(DATA)
def test_arbitrary_yaml_never_raises(data: Any) -> None:
    record, extraction = load_text(yaml.safe_dump(data))
    assert record["present"] is (not extraction.problems)
    for problem in extraction.problems:
        assert problem.line >= 1
        assert problem.column >= 1


def test_class_words_are_the_name_and_labels_lower_cased() -> None:
    _, extraction = load_text(
        "runner_classes:\n  bigmem: {state: backlog, labels: [HighMem, bigmem]}\n"
    )
    assert extraction.records["runner_classes"][0]["words"] == ["bigmem", "highmem"]
