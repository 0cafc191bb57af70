"""The pack's parameters (issue 13, ``[params]``): validated with positions, read by
policies as ``params.<name>``, shown by ``explain``, written by ``init``, and the
defaults change nothing."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.config import read_config
from engine.core.errors import ErrorGroup, ProofgateError
from engine.core.params import DEFAULTS, params_record, shown
from engine.dsl.checker import check_program
from engine.dsl.parser import parse
from tests.support import readme_blocks

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "repos"
OTHER = FIXTURES / "other-platform"
NOW = "2026-12-06"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def copy(source: Path, tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(source, repo)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def findings(repo: Path) -> tuple[int, list[dict[str, object]]]:
    code, out, err = run("check", "--root", str(repo), "--now", NOW, "-f", "json")
    assert code in (0, 1), err
    return code, json.loads(out)["findings"]


def located(found: list[dict[str, object]]) -> set[tuple[object, object, object]]:
    return {(f["path"], f["line"], f["rule"]) for f in found}


def without_params(repo: Path) -> None:
    """The configuration as ``init`` wrote it: every param commented out (the defaults)."""
    config = repo / ".proofgate.toml"
    head, params = config.read_text().split("[params]\n")
    config.write_text(head + "[params]\n" + re.sub(r"(?m)^(\w+ = )", r"# \1", params))


# Validation


def config_error(tmp_path: Path, text: str, name: str = ".proofgate.toml") -> ProofgateError:
    path = tmp_path / name
    path.write_text(text)
    table = ("tool", "proofgate") if name == "pyproject.toml" else ()
    with pytest.raises((ProofgateError, ErrorGroup)) as caught:
        read_config(path, table)
    error = caught.value
    return error.errors[0] if isinstance(error, ErrorGroup) else error


def test_params_are_read_with_the_defaults_for_the_rest(tmp_path: Path) -> None:
    path = tmp_path / ".proofgate.toml"
    path.write_text('[params]\nbaseline = "bramble"\nforge_order = ["github-org", "gitlab"]\n')
    config = read_config(path)
    assert config.settings.params == {
        "baseline": "bramble",
        "forge_order": ["github-org", "gitlab"],
    }
    params = config.params()
    assert params["baseline"] == "bramble"
    assert params["primary_forge"] == "github"
    assert params["forge_rank"] == {"github-org": 0, "gitlab": 1}
    assert params["runner_class_rank"] == {"kvm": 0, "gpu": 1, "macos": 2, "riscv": 3}


def test_an_unknown_param_is_an_error_at_its_line_with_a_suggestion(tmp_path: Path) -> None:
    error = config_error(tmp_path, 'fail-on = "error"\n[params]\nbaselin = "bramble"\n')
    assert (error.line, error.column) == (3, 1)
    assert "unknown param 'baselin'" in error.message
    assert "did you mean 'baseline'?" in error.message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ('runner_class_order = "kvm"', "runner_class_order"),
        ('runner_class_order = ["kvm", "kvm"]', "kvm repeated"),
        ("runner_class_order = []", "runner_class_order"),
        ('baseline = "Bramble"', "lower-case"),
        ("baseline = 3", "baseline"),
        ('primary_forge = "git hub"', "lower-case"),
        ('product_surfaces = ["../README.md"]', "'..' segment"),
    ],
)
def test_bad_param_values_are_errors_at_their_line(tmp_path: Path, value: str, words: str) -> None:
    error = config_error(tmp_path, f"[params]\n{value}\n")
    assert error.line == 2, error.message
    assert words in error.message
    assert error.path is not None and error.path.endswith(".proofgate.toml")


def test_pyproject_params_table(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.proofgate.params]\nbaseline = "bramble"\n')
    assert read_config(path, ("tool", "proofgate")).params()["baseline"] == "bramble"
    error = config_error(tmp_path, '[tool.proofgate.params]\nbase = "x"\n', "pyproject.toml")
    assert error.line == 2 and "[tool.proofgate.params]" in error.message


def test_primary_surface_is_the_older_name_of_product_surfaces(tmp_path: Path) -> None:
    path = tmp_path / ".proofgate.toml"
    path.write_text('primary-surface = ["/README.md", "/docs/*.md"]\n')
    assert read_config(path).params()["product_surfaces"] == ["/README.md", "/docs/*.md"]
    error = config_error(
        tmp_path, 'primary-surface = ["/README.md"]\n[params]\nproduct_surfaces = ["/x.md"]\n'
    )
    assert error.line == 1 and "older name of params.product_surfaces" in error.message


def test_a_bad_param_stops_the_check_with_exit_2(tmp_path: Path) -> None:
    repo = copy(OTHER, tmp_path)
    (repo / ".proofgate.toml").write_text('[params]\nforge_order = "gitlab"\n')
    code, _, err = run("check", "--root", str(repo))
    assert code == 2
    assert ".proofgate.toml:2:" in err and "forge_order" in err


# The policy language


def checked(text: str) -> None:
    check_program([parse(text, "p.policy")], {"p.policy": text})


def test_the_checker_knows_the_params_global() -> None:
    base = (
        'policy p {{\n  severity error\n  rationale "r"\n  fix "f"\n{paths}\n'
        '  deny\n    for s in sentences\n    where {where}\n    message "m"\n}}\n'
    )
    checked(base.format(paths="", where="s.text == params.baseline"))
    checked(base.format(paths="  paths params.product_surfaces", where='s.text != ""'))
    with pytest.raises(ProofgateError) as caught:
        checked(base.format(paths="", where="s.text == params.baselin"))
    assert "Params has no field 'baselin'" in caught.value.message
    assert "did you mean 'baseline'?" in caught.value.hint
    with pytest.raises(ProofgateError) as caught:
        checked(base.format(paths="  paths params.baseline", where='s.text != ""'))
    assert "paths needs globs" in caught.value.message
    assert caught.value.line == 5


# The pack with params: a different runner platform


# What the other-platform fixture reports with its [params]: the rest is clean
# (its baseline, arm64 class, GitLab proof and product surfaces are its own).
EXPECTED = {
    ("README.md", 11, "no-fuzzy-product-claims.fuzzy"),
    ("docs/migration.md", 3, "honey-is-baseline.docs"),
    ("docs/migration.md", 5, "github-is-primary-forge.docs"),
    ("docs/overview.md", 3, "no-fuzzy-product-claims.fuzzy"),
}


def test_other_platform_checks_clean_where_it_should_and_fires_where_it_should() -> None:
    code, found = findings(OTHER)
    assert code == 1
    assert located(found) == EXPECTED
    baseline = next(f for f in found if f["rule"] == "honey-is-baseline.docs")
    assert "set baseline: bramble in proofs.yaml" in str(baseline["fix"])


def test_other_platform_with_the_default_params_is_judged_as_gloriousflywheel(
    tmp_path: Path,
) -> None:
    repo = copy(OTHER, tmp_path)
    without_params(repo)
    assert read_config(repo / ".proofgate.toml").settings.params == {}
    _, found = findings(repo)
    rules = located(found)
    # The ledger's own baseline, GitLab before github-user, and a sentence that
    # keeps bramble (not honey) as the baseline are findings now ...
    assert ("proofs.yaml", 5, "honey-is-baseline.ledger") in rules
    assert any(r == "forge-claims-need-proof.ledger-forge-order" for _, _, r in rules)
    assert ("docs/runners.md", 9, "honey-is-baseline.docs") in rules
    # ... and the product surface is the default one.
    assert ("docs/overview.md", 3, "no-fuzzy-product-claims.fuzzy") not in rules
    assert ("docs/index.md", 3, "no-fuzzy-product-claims.fuzzy") in rules
    messages = {str(f["message"]) for f in found}
    assert "gitlab is proved before both github-org and github-user are" in messages


def test_the_runner_class_order_param_orders_the_ledger(tmp_path: Path) -> None:
    repo = copy(OTHER, tmp_path)
    ledger = repo / "proofs.yaml"
    text = ledger.read_text()
    gpu = "  gpu: {state: experimental, labels: [gpu, cuda]}\n"
    arm64 = text[text.index("  arm64:") : text.index(gpu)]
    ledger.write_text(text.replace(arm64 + gpu, gpu + arm64))
    _, found = findings(repo)
    reordered = [f for f in found if f["rule"] == "runner-class-order.reordered"]
    assert [f["message"] for f in reordered] == [
        "runner class 'gpu' comes before 'arm64' in the ledger's proof order, against the "
        "planned order (kvm, arm64, gpu, macos, riscv)"
    ]


def test_the_forge_order_param_orders_the_forges(tmp_path: Path) -> None:
    repo = copy(OTHER, tmp_path)
    ledger = repo / "proofs.yaml"
    text = ledger.read_text()
    ledger.write_text(
        text.replace("  github-org:\n    state: proved", "  github-org:\n    state: experimental")
    )
    _, found = findings(repo)
    messages = {f["message"] for f in found if str(f["rule"]).startswith("forge-claims")}
    assert messages == {"gitlab is proved while github-org is not"}
    # Three forges in the order: each one before a proved other forge is named.
    config = repo / ".proofgate.toml"
    config.write_text(
        config.read_text().replace(
            'forge_order = ["github-org", "gitlab"]',
            'forge_order = ["github-org", "gitlab", "forgejo"]',
        )
    )
    ledger.write_text(
        text.replace(
            "  github-user: {state: backlog}",
            "  github-user: {state: proved, proofs: ["
            "{surface: a, evidence: docs/runners.md, verified: 2026-11-01}, "
            "{surface: b, evidence: README.md, verified: 2026-11-01}]}",
        )
    )
    _, found = findings(repo)
    messages = {
        f["message"] for f in found if f["rule"] == "forge-claims-need-proof.ledger-forge-order"
    }
    assert messages == {"github-user is proved before forgejo is"}


# explain and init


def test_explain_shows_the_params_a_policy_reads_and_their_values(tmp_path: Path) -> None:
    code, out, _ = run("explain", "honey-is-baseline.docs", "--root", str(tmp_path))
    assert code == 0
    assert '  baseline = "honey"  (default)' in out
    assert "primary_forge" not in out.split("source:")[0]
    code, out, _ = run("explain", "no-fuzzy-product-claims", "--root", str(OTHER))
    assert code == 0
    assert '  product_surfaces = ["/README.md", "/docs/overview.md"]\n' in out
    assert "[params]" in out
    code, out, _ = run("explain", "runner-class-order.reordered", "--root", str(OTHER))
    assert '  runner_class_order = ["kvm", "arm64", "gpu", "macos", "riscv"]\n' in out
    code, out, _ = run("explain", "forge-claims-need-proof", "--root", str(OTHER))
    assert '  forge_order = ["github-org", "gitlab"]\n' in out
    code, out, _ = run("explain", "bazel-dogfood-is-real")
    assert "params" not in out.split("source:")[0]


def test_init_writes_the_defaults_commented_and_they_parse_back(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    code, _, err = run("init", "--root", str(repo))
    assert code == 0, err
    config = repo / ".proofgate.toml"
    text = config.read_text()
    assert read_config(config).settings.params == {}
    for name, default in DEFAULTS.items():
        assert f"# {name} = {shown(default)}\n" in text
    head, params = text.split("[params]\n")
    config.write_text(head + "[params]\n" + re.sub(r"(?m)^# (\w+ = )", r"\1", params))
    uncommented = read_config(config)
    assert set(uncommented.settings.params) == set(DEFAULTS)
    assert uncommented.params() == params_record()


def test_the_defaults_set_explicitly_change_nothing(tmp_path: Path) -> None:
    """Every param set to its default: the same report as no configuration."""
    repo = copy(FIXTURES / "gf-drifting", tmp_path)
    before = findings(repo)
    lines = "".join(f"{name} = {shown(value)}\n" for name, value in DEFAULTS.items())
    (repo / ".proofgate.toml").write_text("[params]\n" + lines)
    assert findings(repo) == before
    assert before[0] == 1 and len(before[1]) > 20


def test_the_readme_documents_every_param(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = text[text.index("### Parameters") :]
    for name, default in DEFAULTS.items():
        assert f"| `{name}` | `{shown(default)}` |" in section
    example = tmp_path / ".proofgate.toml"
    example.write_text(readme_blocks("Configuration", "toml")[1])
    fixture = read_config(OTHER / ".proofgate.toml").settings.params
    given = read_config(example).settings.params
    assert given == {name: fixture[name] for name in given}
