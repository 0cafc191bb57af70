"""Configuration files (.proofgate.toml, [tool.proofgate]) and ``proofgate init``."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.config import Config, Settings, load_config, read_config
from engine.core.errors import ProofgateError
from engine.core.finding import Finding
from engine.core.resources import shipped_policies
from engine.extract.ledger import load_ledger
from engine.pack import configure, load_policies
from engine.starter import write_starters
from tests.support import readme_block

REPO = Path(__file__).resolve().parent.parent
COMPLIANT = REPO / "fixtures" / "repos" / "gf-compliant"
NOW = "2026-11-26"
FORGE_CLAIM = "Forgejo runners are supported out of the box.\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def errors_of(error: ProofgateError) -> list[ProofgateError]:
    return list(getattr(error, "errors", [error]))


@pytest.fixture
def compliant(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(COMPLIANT, root)
    return root


def findings(root: Path, *args: str) -> list[dict[str, object]]:
    _, out, err = run("check", "--root", str(root), "-f", "json", "--now", NOW, *args)
    assert not err, err
    found: list[dict[str, object]] = json.loads(out)["findings"]
    return found


# Reading the file


def test_dedicated_file_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.proofgate]\nfail-on = "info"\n')
    assert load_config(tmp_path).settings.fail_on == "info"
    (tmp_path / ".proofgate.toml").write_text('fail-on = "warning"\n')
    config = load_config(tmp_path)
    assert config.settings.fail_on == "warning"
    assert config.path == tmp_path / ".proofgate.toml"


def test_pyproject_without_the_table_and_no_file_mean_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_config(tmp_path).path is None


def test_paths_in_the_file_are_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / ".proofgate.toml").write_text('policies = ["pack"]\nledger = "ci/proofs.yaml"\n')
    (tmp_path / "pack").mkdir()
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "proofs.yaml").write_text("baseline: honey\n")
    config = load_config(tmp_path)
    assert config.policy_dirs() == [tmp_path / "pack"]
    assert config.ledger() == str(tmp_path / "ci" / "proofs.yaml")


def test_unknown_keys_are_errors_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / ".proofgate.toml"
    path.write_text('ledger = "proofs.yaml"\ncolour = true\n\n[severity]\n"x" = "loud"\n')
    with pytest.raises(ProofgateError) as caught:
        read_config(path)
    rendered = [e.render() for e in errors_of(caught.value)]
    assert rendered[0].startswith(f"{path}:2:1: unknown key 'colour' (known keys: policies,")
    assert "    colour = true\n    ^" in rendered[0]
    assert rendered[1].startswith(f"{path}:5:1: severity.x: Input should be 'error', 'warning'")


def test_unknown_key_in_pyproject_names_the_table(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n\n[tool.proofgate]\nledger = "p.yaml"\n  fail_on = 1\n')
    with pytest.raises(ProofgateError) as caught:
        read_config(path, ("tool", "proofgate"))
    assert caught.value.render().startswith(
        f"{path}:6:3: unknown key 'fail_on' in [tool.proofgate] (known keys:"
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('fail-on = "loud"\n', 1, "fail-on: Input should be 'error', 'warning' or 'info'"),
        ('policies = "pack"\n', 1, "policies: Input should be a valid list"),
        ('exclude = ["docs/", "!"]\n', 1, "exclude.1: invalid path glob"),
        ('[paths]\nmy-policy = []\n"x" = [1]\n', 3, "paths.x.0: Input should be a valid string"),
        (
            '[severity]\nforge-claims-need-proof.named = "info"\n',
            2,
            'quote ids that hold dots ("forge-claims-need-proof.named" = ...)',
        ),
        ('ledger = "a"\nledger = "b"\n', 2, "malformed TOML: Cannot overwrite a value"),
    ],
)
def test_bad_values_are_errors_at_their_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / ".proofgate.toml"
    path.write_text(text)
    with pytest.raises(ProofgateError) as caught:
        read_config(path)
    error = errors_of(caught.value)[0]
    assert (error.path, error.line) == (str(path), line)
    assert message in error.message


def test_a_bad_config_is_exit_2_without_traceback(compliant: Path) -> None:
    (compliant / ".proofgate.toml").write_text("[severity]\nnosuch-rule = 'warning'\n")
    code, out, err = run("check", "--root", str(compliant))
    assert code == 2 and not out
    assert "/.proofgate.toml:2:1: rule 'nosuch-rule' is not among the loaded policies" in err
    assert "Traceback" not in err


# Ids checked against the loaded policies


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('disable = ["honey-is-baseline", "forge-claim-need-proof"]\n', 1,
         "rule 'forge-claim-need-proof' is not among the loaded policies "
         "(did you mean 'forge-claims-need-proof'?)"),
        ('[severity]\n"honey-is-baseline.dcs" = "info"\n', 2,
         "rule 'honey-is-baseline.dcs' is not among the loaded policies "
         "(did you mean 'honey-is-baseline.docs'?)"),
        ('[paths]\n"honey-is-baseline.docs" = ["docs/"]\n', 2,
         "policy 'honey-is-baseline.docs' is not among the loaded policies "
         "(did you mean 'honey-is-baseline'?)"),
        ('primary-surface = ["/README.md"]\n[paths]\nno-fuzzy-product-claims = ["/x.md"]\n', 1,
         "primary-surface and paths.no-fuzzy-product-claims both set its paths"),
    ],
)  # fmt: skip
def test_ids_must_name_loaded_rules_or_policies(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / ".proofgate.toml"
    path.write_text(text)
    with pytest.raises(ProofgateError) as caught:
        configure(load_policies([shipped_policies()]), read_config(path))
    error = errors_of(caught.value)[0]
    assert (error.line, error.message) == (line, message)


def test_engine_rules_may_be_configured(tmp_path: Path) -> None:
    """The engine's own rules are known ids, and disabling them drops their findings."""
    (tmp_path / "README.md").write_text("<!-- proofgate-ignore honey-is-baseline: old -->\nHi.\n")
    (tmp_path / "bad.yaml").write_bytes(b"key: \xff\n")
    engine_rules = {"suppression-unused", "parse-error"}
    assert engine_rules <= {f["rule"] for f in findings(tmp_path)}
    (tmp_path / ".proofgate.toml").write_text('disable = ["suppression-unused", "parse-error"]\n')
    assert not engine_rules & {f["rule"] for f in findings(tmp_path)}


def test_primary_surface_needs_the_b10_policy(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    shutil.copy(REPO / "policies" / "forges.policy", pack)
    shutil.copy(REPO / "policies" / "vocabulary.policy", pack)
    path = tmp_path / ".proofgate.toml"
    path.write_text('primary-surface = ["/README.md"]\n')
    with pytest.raises(ProofgateError, match="which is not among the loaded policies"):
        configure(load_policies([pack]), read_config(path))


def test_paths_override_replaces_only_the_named_policy(tmp_path: Path) -> None:
    path = tmp_path / ".proofgate.toml"
    path.write_text('primary-surface = ["/docs/product/*.md"]\n')
    policy_set = configure(load_policies([shipped_policies()]), read_config(path))
    by_id = {p.id: p for p in policy_set.program.policies}
    assert by_id["no-fuzzy-product-claims"].paths == ("/docs/product/*.md",)
    assert all(c.policy is by_id[c.policy.id] for c in policy_set.program.clauses), (
        "clauses must see the replaced policy"
    )
    default = {p.id: p for p in load_policies([shipped_policies()]).program.policies}
    assert default["no-fuzzy-product-claims"].paths == (
        "/README.md",
        "/readme.md",
        "/docs/index.md",
    )


def test_adjust_disables_and_overrides_the_most_specific_id() -> None:
    config = Config(
        Settings(
            disable=["runner-class-order"],
            severity={"honey-is-baseline": "info", "honey-is-baseline.docs": "warning"},
        )
    )

    def finding(rule: str) -> Finding:
        return Finding("README.md", 1, 1, rule, "m", "error", 1, 2)

    out = config.adjust(
        [finding("runner-class-order.ledger"), finding("honey-is-baseline.docs"),
         finding("honey-is-baseline.ledger"), finding("honey-is-baselines")]
    )  # fmt: skip
    assert [(f.rule, f.severity) for f in out] == [
        ("honey-is-baseline.docs", "warning"),
        ("honey-is-baseline.ledger", "info"),
        ("honey-is-baselines", "error"),
    ]


# The README example, end to end


def test_readme_configuration_example(compliant: Path) -> None:
    (compliant / ".proofgate.toml").write_text(readme_block("Configuration", "toml"))
    for rel, text in {
        "docs/archive/old.md": FORGE_CLAIM,  # excluded
        "docs/forges.md": FORGE_CLAIM,  # forge-claims-need-proof.named: now a warning
        "docs/product/overview.md": "The runner fleet scales seamlessly.\n",  # primary surface
        "docs/guide.md": "The runner fleet scales seamlessly.\n",  # not the product surface
    }.items():
        (compliant / rel).parent.mkdir(parents=True, exist_ok=True)
        (compliant / rel).write_text(text)
    found = {(f["path"], f["rule"], f["severity"]) for f in findings(compliant)}
    assert found == {
        ("docs/forges.md", "forge-claims-need-proof.named", "warning"),
        ("docs/product/overview.md", "no-fuzzy-product-claims.fuzzy", "warning"),
    }
    code, _, _ = run("check", "--root", str(compliant), "--now", NOW)
    assert code == 1, "fail-on = warning from the file"
    code, _, _ = run("check", "--root", str(compliant), "--now", NOW, "--fail-on", "error")
    assert code == 0, "--fail-on overrides the file"


def test_include_narrows_what_is_read(compliant: Path) -> None:
    (compliant / "docs" / "forges.md").write_text(FORGE_CLAIM)
    (compliant / "README.md").write_text("# R\n\n" + FORGE_CLAIM)
    (compliant / "pyproject.toml").write_text('[tool.proofgate]\ninclude = ["docs/"]\n')
    assert {f["path"] for f in findings(compliant)} == {"docs/forges.md"}
    _, out, _ = run("check", "--root", str(compliant), "--now", NOW)
    assert out.rstrip().endswith("in 2 files checked")


def test_flags_override_policies_and_ledger(compliant: Path, tmp_path: Path) -> None:
    (compliant / ".proofgate.toml").write_text('policies = ["nowhere"]\nledger = "missing.yaml"\n')
    code, _, err = run("check", "--root", str(compliant), "--now", NOW)
    assert code == 2
    assert ".proofgate.toml:1:13: policies: no such policy directory 'nowhere'" in err
    code, _, err = run("check", "--root", str(compliant), "--now", NOW, "-p", "policies")
    assert code == 2
    assert ".proofgate.toml:2:1: ledger: no such ledger file 'missing.yaml'" in err
    code, _, err = run(
        "check", "--root", str(compliant), "-p", str(shipped_policies()),
        "--ledger", str(compliant / "proofs.yaml"), "--now", NOW,
    )  # fmt: skip
    assert code == 0, err


def test_proofgate_test_runs_the_configured_policies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = tmp_path / "pack"
    case = pack / "tests" / "no-foo" / "mentions"
    case.mkdir(parents=True)
    (pack / "foo.policy").write_text(
        'policy no-foo {\n  severity error\n  rationale "No foo."\n  fix "Drop foo."\n'
        "  deny\n    for s in sentences\n    where s.text matches /\\bfoo\\b/i\n"
        '    message "foo"\n}\n'
    )
    (case / "README.md").write_text("<!-- expect: no-foo -->\nWe like foo.\n")
    (tmp_path / ".proofgate.toml").write_text('policies = ["pack"]\n')
    monkeypatch.chdir(tmp_path)
    code, out, err = run("test")
    assert code == 0, out + err
    assert "PASS no-foo/mentions" in out
    assert "1 case: 1 passed, 0 failed" in out


# proofgate init


def test_init_writes_starters_that_check_clean(tmp_path: Path) -> None:
    code, out, _ = run("init", "--root", str(tmp_path))
    assert code == 0
    assert out.splitlines()[:3] == [
        "wrote .proofgate.toml",
        "wrote proofs.yaml",
        "wrote .github/workflows/proofgate.yml",
    ]
    config = load_config(tmp_path)
    configure(load_policies([shipped_policies()]), config)
    assert config.settings.ledger == "proofs.yaml"
    ledger_text = (tmp_path / "proofs.yaml").read_text()
    _, extraction = load_ledger("proofs.yaml", ledger_text, tmp_path, dt.date(2026, 11, 26))
    assert not extraction.problems
    code, out, _ = run("check", "--root", str(tmp_path), "--now", NOW, "--fail-on", "info")
    assert code == 0, out
    assert out.startswith("0 findings")


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    (tmp_path / "proofs.yaml").write_text("baseline: honey\n")
    _, out, _ = run("init", "--root", str(tmp_path))
    assert "skipped proofs.yaml: it exists (--force overwrites)" in out.splitlines()
    assert (tmp_path / "proofs.yaml").read_text() == "baseline: honey\n"
    _, out, _ = run("init", "--root", str(tmp_path), "--force")
    assert out.splitlines()[:3] == [
        "overwrote .proofgate.toml",
        "overwrote proofs.yaml",
        "overwrote .github/workflows/proofgate.yml",
    ]
    assert "primary_forge: github" in (tmp_path / "proofs.yaml").read_text()


def test_init_leaves_a_pyproject_configuration_in_force(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.proofgate]\nfail-on = "warning"\n')
    written = {w.path: w for w in write_starters(tmp_path)}
    assert written[".proofgate.toml"].action == "skipped"
    assert "pyproject.toml has [tool.proofgate]" in written[".proofgate.toml"].why
    assert not (tmp_path / ".proofgate.toml").exists()
    assert written["proofs.yaml"].action == "wrote"


def test_report_rules_follow_the_configuration(tmp_path: Path) -> None:
    """SARIF's rule list reflects disabled rules and severity overrides."""
    repo = tmp_path / "repo"
    shutil.copytree(Path(__file__).resolve().parent.parent / "fixtures/repos/gf-drifting", repo)
    (repo / ".proofgate.toml").write_text(
        'disable = ["honey-is-baseline"]\n[severity]\n"forge-claims-need-proof.named" = "warning"\n'
    )
    result = CliRunner().invoke(main, ["check", "--root", str(repo), "-f", "sarif"])
    rules = {r["id"]: r for r in json.loads(result.stdout)["runs"][0]["tool"]["driver"]["rules"]}
    assert not any(rule.startswith("honey-is-baseline") for rule in rules)
    assert rules["forge-claims-need-proof.named"]["defaultConfiguration"]["level"] == "warning"


def test_the_settings_and_their_schema_name_the_same_keys_and_defaults() -> None:
    """Settings (no pydantic on the hot path) and schema() (built on first use) list
    the keys twice: they must agree."""
    import dataclasses

    from engine.config import schema

    model = schema()
    assert [f.name for f in dataclasses.fields(Settings)] == list(model.model_fields)
    assert Settings(**model().model_dump()) == Settings()
