"""The ``proofgate`` command line. It only wires options to the pipeline.

Exit codes: 0 no finding at or above the fail level, 1 findings at or above
it, 2 usage, configuration, policy or ledger errors.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from engine.core.errors import ProofgateError

if TYPE_CHECKING:
    from engine.config import Config
    from engine.core.result import CheckResult

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
CACHE_DIRECTORY = ".proofgate_cache"  # engine.cache.DIRECTORY, without importing it


def _fail(error: ProofgateError) -> NoReturn:
    click.echo(error.render(), err=True)
    sys.exit(2)


def _today(now: str | None) -> dt.date:
    """``--now``, else SOURCE_DATE_EPOCH, else today (for reproducible proof ages)."""
    if now:
        try:
            return dt.date.fromisoformat(now)
        except ValueError:
            raise ProofgateError(f"--now {now}: not a date (YYYY-MM-DD)") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        except ValueError:
            raise ProofgateError(f"SOURCE_DATE_EPOCH={epoch}: not a whole number") from None
    return dt.date.today()


def _policy_dirs(policies: tuple[str, ...], config: Config | None = None) -> list[Path]:
    """``-p`` directories, else the configured ones, else the shipped pack."""
    from engine.core.resources import shipped_policies

    if policies:
        return [Path(p) for p in policies]
    if config is not None and config.settings.policies:
        return config.policy_dirs()
    return [shipped_policies()]


def _repo_config(root: str | None = None, policies: tuple[str, ...] = ()) -> Config:
    """The configuration at the repo root (``--root``, else the enclosing work tree)."""
    from engine.config import load_config
    from engine.repo.discover import find_root

    repo = find_root(root)
    _confine(repo, policies)
    return load_config(repo)


def _confine(repo: Path, *given: tuple[str, ...] | str | None) -> None:
    """Errors echo the content of files under ``repo``, of the installed pack and of
    the paths the user gave (``given``), and of no other file (docs/security.md)."""
    from engine.core.errors import confine
    from engine.core.resources import shipped_policies

    named: list[str | Path] = [shipped_policies()]
    for value in given:
        if isinstance(value, tuple):
            named.extend(value)
        elif value:
            named.append(value)
    confine(repo, named)


def _configured_check(
    root: str | None,
    paths: tuple[str, ...],
    policies: tuple[str, ...],
    ledger: str | None,
    now: str | None,
    backend: str,
    use_cache: bool,
    jobs: int | None,
    baseline: str | None = None,
) -> tuple[CheckResult, Config]:
    """Check with the repo's configuration; the flags given override it."""
    from engine.config import default_ledger, load_config
    from engine.pack import Pack, read_pack
    from engine.pipeline import Options, run
    from engine.repo.discover import find_root

    repo = find_root(root)
    _confine(repo, policies, ledger, baseline)
    config = load_config(repo)
    pack = Pack(read_pack(_policy_dirs(policies, config)), config, use_cache)
    ledger = ledger or config.ledger()
    if ledger is None:
        default_ledger(repo)
    options = Options(paths, ledger, _today(now), backend, jobs, use_cache)
    return run(pack, repo, options), config


class _Group(click.Group):
    """Turns ProofgateError into exit code 2 with a rendered message."""

    def invoke(self, ctx: click.Context) -> object:
        from engine.core.errors import confine

        try:
            return super().invoke(ctx)
        except ProofgateError as error:
            _fail(error)
        finally:
            confine(None)  # set for this command's repo only


F = TypeVar("F", bound=Callable[..., Any])


def _repo_options(command: F) -> F:
    """--root, --policies and --ledger, shared by the commands that check a repo."""
    for option in reversed(
        [
            click.option(
                "--root", help="Repo root (default: the enclosing git work tree, else .)."
            ),
            click.option(
                "-p",
                "--policies",
                multiple=True,
                help="Policy directory or file (repeatable; default: the shipped pack).",
            ),
            click.option("--ledger", help="Proof ledger (default: proofs.yaml at the repo root)."),
        ]
    ):
        command = option(command)
    return command


def _run_options(command: F) -> F:
    """--now, --backend and --no-cache, shared by the commands that evaluate policies."""
    command = click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=1),
        help="Worker processes that parse a large repo (default: the CPUs available; "
        "findings are the same either way).",
    )(command)
    command = click.option(
        "--no-cache",
        is_flag=True,
        envvar="PROOFGATE_NO_CACHE",
        help=f"Neither read nor write the caches: {CACHE_DIRECTORY}/ at the repo root and "
        "the compiled pack in ~/.cache/proofgate/ (also: PROOFGATE_NO_CACHE=1).",
    )(command)
    command = click.option(
        "--backend", type=click.Choice(["regopy", "regorus"]), default="regopy", show_default=True
    )(command)
    return click.option(
        "--now", help="Date to measure proof ages from (YYYY-MM-DD; or SOURCE_DATE_EPOCH)."
    )(command)


@click.group(cls=_Group)
@click.version_option(package_name="proofgate")
def main() -> None:
    """proofgate: claims about your CI platform must be earned by proof."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@_repo_options
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github", "junit"]),
    default="text",
    show_default=True,
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    help="Lowest severity that makes the exit code 1 (default: fail-on in the "
    "configuration, else error).",
)
@_run_options
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(),
    help="Report only findings not recorded in this baseline (see 'proofgate baseline').",
)
def check(
    paths: tuple[str, ...],
    root: str | None,
    policies: tuple[str, ...],
    ledger: str | None,
    fmt: str,
    fail_on: str | None,
    now: str | None,
    backend: str,
    no_cache: bool,
    jobs: int | None,
    baseline_file: str | None,
) -> None:
    """Check the repo against the policies, reporting findings in PATHS (default: all).

    The whole repo is read either way, so rules that span files keep their
    context; with the ledger among PATHS, findings in Markdown files are
    reported too. Settings come from .proofgate.toml or [tool.proofgate] in
    pyproject.toml; flags override them.
    """
    from engine.report import render

    result, config = _configured_check(
        root, paths, policies, ledger, now, backend, not no_cache, jobs, baseline_file
    )
    if baseline_file:
        from engine import baseline

        entries = baseline.load(Path(baseline_file), baseline_file)
        result = baseline.apply(result, entries, baseline_file)
    click.echo(render(fmt, result, color=fmt == "text" and sys.stdout.isatty()), nl=False)
    threshold = SEVERITY_RANK[fail_on or config.settings.fail_on or "error"]
    failing = any(SEVERITY_RANK[f.severity] >= threshold for f in result.findings)
    sys.exit(1 if failing else 0)


@main.command("baseline")
@click.argument("paths", nargs=-1, type=click.Path())
@_repo_options
@_run_options
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    help="Baseline file to write (default: .proofgate-baseline.json at the repo root).",
)
def baseline_command(
    paths: tuple[str, ...],
    root: str | None,
    policies: tuple[str, ...],
    ledger: str | None,
    now: str | None,
    backend: str,
    no_cache: bool,
    jobs: int | None,
    output: str | None,
) -> None:
    """Record today's findings so that 'check --baseline FILE' reports only new ones."""
    from engine import baseline
    from engine.repo.discover import find_root

    repo = find_root(root)
    result, _ = _configured_check(root, paths, policies, ledger, now, backend, not no_cache, jobs)
    entries = baseline.entries(result)
    target = Path(output) if output else repo / baseline.BASELINE_FILE
    baseline.write(target, entries)
    click.echo(f"wrote {len(entries)} finding(s) to {output or target}")


@main.command("compile")
@click.argument("files", nargs=-1, type=click.Path(), required=True)
def compile_command(files: tuple[str, ...]) -> None:
    """Print the Rego generated for policy FILES (or directories).

    A file is compiled with the rest of its directory, whose patterns it may use.
    """
    from engine.pack import load_policies

    paths = [Path(f).resolve() for f in files]
    policy_set = load_policies(sorted({p.parent if p.is_file() else p for p in paths}))
    chosen = [
        m
        for m in policy_set.modules
        if any(Path(m.path).resolve() == p or p in Path(m.path).resolve().parents for p in paths)
    ]
    click.echo("\n".join(module.text for module in chosen), nl=False)


@main.command()
@click.argument("rule_id")
@click.option(
    "-p", "--policies", multiple=True, help="Policy directory (default: the shipped pack)."
)
def explain(rule_id: str, policies: tuple[str, ...]) -> None:
    """Print a policy's rationale, fix hint and source."""
    from engine.core.text import did_you_mean
    from engine.pack import load_policies

    policy_set = load_policies(_policy_dirs(policies, _repo_config(policies=policies)))
    known = {c.rule: c for c in policy_set.program.clauses}
    by_policy = {p.id: p for p in policy_set.program.policies}
    policy = by_policy.get(rule_id) or (known[rule_id].policy if rule_id in known else None)
    if policy is None:
        close = did_you_mean(rule_id, [*known, *by_policy])
        hint = f"did you mean '{close}'?" if close else "run 'proofgate check' to see rule ids"
        raise ProofgateError(f"unknown rule '{rule_id}'", hint=hint)
    span = policy.span
    source = policy_set.sources[span.path].splitlines()[span.line - 1 : span.end_line]
    rules = sorted({c.rule for c in policy_set.program.clauses if c.policy is policy})
    click.echo(f"{policy.id} ({policy.severity})")
    click.echo(f"rules: {', '.join(rules)}")
    click.echo(f"why: {policy.rationale}")
    click.echo(f"fix: {policy.fix}")
    click.echo(f"source: {span.path}:{span.line}")
    click.echo("")
    click.echo("\n".join(source))


@main.command("test")
@click.option(
    "-p",
    "--policies",
    multiple=True,
    help="Policy directory with a tests/ folder (repeatable; default: the shipped pack).",
)
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("-k", "pattern", help="Run only the cases whose '<policy>/<case>' contains PATTERN.")
@click.option(
    "--backend", type=click.Choice(["regopy", "regorus"]), default="regopy", show_default=True
)
def policy_tests(policies: tuple[str, ...], fmt: str, pattern: str | None, backend: str) -> None:
    """Run the annotated test cases kept under <policy dir>/tests/ (docs/policy-tests.md)."""
    from engine.policytest.run import run_suite
    from engine.report.tests import render

    config = _repo_config(policies=policies)
    report = run_suite(_policy_dirs(policies, config), pattern, backend, config)
    click.echo(render(report, fmt, color=fmt == "text" and sys.stdout.isatty()), nl=False)
    sys.exit(0 if report.passed else 1)


@main.command("matrix")
@click.argument("files", nargs=-1, type=click.Path())
@click.option(
    "--write",
    is_flag=True,
    help="Replace the matrix between the markers in FILES "
    "(default: every Markdown file under the root that has them).",
)
@click.option("--root", help="Repo root (default: the enclosing git work tree, else .).")
@click.option("--ledger", help="Proof ledger (default: proofs.yaml at the repo root).")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
)
@click.option("--now", help="Date to measure proof ages from (YYYY-MM-DD; or SOURCE_DATE_EPOCH).")
def matrix_command(
    files: tuple[str, ...],
    write: bool,
    root: str | None,
    ledger: str | None,
    fmt: str,
    now: str | None,
) -> None:
    """Print the runner-class proof matrix, or embed it in docs with --write.

    Docs embed it between <!-- proofgate:matrix --> and <!-- /proofgate:matrix -->.
    """
    from engine import matrix
    from engine.extract import matrix as proof_matrix
    from engine.pipeline import load_ledger
    from engine.repo.discover import find_root
    from engine.repo.inputs import DEFAULT_LEDGER

    if files and not write:
        raise click.UsageError("FILES are only used with --write")
    if write and fmt != "markdown":
        raise click.UsageError("--write embeds the Markdown table; --format is for printing")
    from engine.config import default_ledger

    repo, today = find_root(root), _today(now)
    _confine(repo, ledger)
    if ledger is None:
        default_ledger(repo)
    record, _, ledger_path = load_ledger(repo, ledger, today)
    if ledger_path is None:
        raise ProofgateError(
            f"no proof ledger ({DEFAULT_LEDGER} not found in {repo}): there is no matrix to render",
            hint=f"add {DEFAULT_LEDGER} at the repo root or pass --ledger FILE",
        )
    rows = proof_matrix.build_matrix(record, today)
    if not write:
        text = (
            proof_matrix.render_json(rows) if fmt == "json" else proof_matrix.render_markdown(rows)
        )
        click.echo(text, nl=False)
        return
    targets = matrix.resolve_files(repo, list(files)) if files else matrix.marked_files(repo)
    result = matrix.write_matrices(repo, targets, proof_matrix.table_lines(rows))
    for where in result.unclosed:
        click.echo(f"{where}: warning: unclosed matrix marker", err=True)
    for rel in result.unmarked:
        click.echo(f"note: {rel}: no {proof_matrix.OPEN} marker, left alone", err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    for rel in result.changed:
        click.echo(f"updated {rel}")
    if not result.changed:
        embedded = len(result.current)
        click.echo(
            f"proof matrix up to date in {embedded} file{'' if embedded == 1 else 's'}"
            if embedded
            else f"no Markdown file embeds the proof matrix ({proof_matrix.OPEN})"
        )


@main.command("init")
@click.option("--root", help="Repo root (default: the enclosing git work tree, else .).")
@click.option("--force", is_flag=True, help="Overwrite starter files that exist.")
def init_command(root: str | None, force: bool) -> None:
    """Write a starter .proofgate.toml, proofs.yaml and .github/workflows/proofgate.yml.

    Existing files are left alone (and named) unless --force.
    """
    from engine.repo.discover import find_root
    from engine.starter import WORKFLOW, write_starters

    for written in write_starters(find_root(root), force):
        why = f": {written.why}" if written.why else ""
        click.echo(f"{written.action} {written.path}{why}")
        if written.path == WORKFLOW and written.action != "skipped":
            click.echo(f"note: set PROOFGATE in {WORKFLOW} to where you install proofgate from")


@main.command("fmt")
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--write", is_flag=True, help="Rewrite the files that change, in place.")
@click.option("--check", "check_only", is_flag=True, help="Exit 1 listing files that would change.")
def fmt_command(files: tuple[str, ...], write: bool, check_only: bool) -> None:
    """Format policy FILES (directories: their .policy files; default: .).

    Prints the formatted text, or rewrites the files (--write), or lists the
    files that would change (--check). Comments are kept with the line they
    precede; a file the formatter cannot rewrite faithfully is an error (exit 2).
    """
    from engine.core.errors import ErrorGroup
    from engine.dsl.format import format_files, write_changed

    if write and check_only:
        raise click.UsageError("--write and --check exclude each other")
    report = format_files([Path(f) for f in files] or [Path(".")])
    if write:
        for path in write_changed(report):
            click.echo(f"reformatted {path}")
    elif check_only:
        for formatted in report.changed:
            click.echo(f"would reformat {formatted.path}")
    else:
        for formatted in report.files:
            if len(report.files) > 1:
                click.echo(f"==> {formatted.path} <==")
            click.echo(formatted.after, nl=False)
    if report.errors:
        raise ErrorGroup(report.errors) if len(report.errors) > 1 else report.errors[0]
    if write or check_only:
        unchanged = len(report.files) - len(report.changed)
        verb = "reformatted" if write else "would be reformatted"
        click.echo(f"{len(report.changed)} file(s) {verb}, {unchanged} already formatted")
    sys.exit(1 if check_only and report.changed else 0)
