"""The ``proofgate`` command line. It only wires options to the pipeline.

Exit codes: 0 no finding at or above the fail level, 1 findings at or above
it, 2 usage, configuration, policy or ledger errors.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from .core.errors import ProofgateError

if TYPE_CHECKING:
    from .config import Config
    from .core.finding import Finding
    from .core.result import CheckResult

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
    from .core.resources import policy_location, shipped_policies

    if policies:
        return [policy_location(p) for p in policies]
    if config is not None and config.settings.policies:
        return config.policy_dirs()
    return [shipped_policies()]


def _repo_config(
    root: str | None = None, policies: tuple[str, ...] = (), config_file: str | None = None
) -> Config:
    """The configuration at the repo root (``--root``, else the enclosing work tree),
    or the ``--config`` file."""
    from .repo.discover import find_root

    repo = find_root(root)
    _confine(repo, policies, config_file)
    return _load_config(repo, config_file)


def _load_config(repo: Path, config_file: str | None) -> Config:
    """``--config FILE`` (the user's: its paths are relative to it), else the repo's."""
    from .config import PYPROJECT, PYPROJECT_TABLE, load_config, read_config

    if config_file is None:
        return load_config(repo)
    path = Path(config_file)
    if not path.is_file():
        raise ProofgateError(f"--config {config_file}: no such file")
    return read_config(path, PYPROJECT_TABLE if path.name == PYPROJECT else ())


def _confine(repo: Path, *given: tuple[str, ...] | str | None) -> None:
    """Errors echo the content of files under ``repo``, of the installed pack and of
    the paths the user gave (``given``), and of no other file (docs/security.md)."""
    from .core.errors import confine
    from .core.resources import shipped_policies

    named: list[str | Path] = [shipped_policies()]
    for value in given:
        if isinstance(value, tuple):
            named.extend(v for v in value if v != "builtin")
        elif value:
            named.append(value)
    confine(repo, named)


@dataclass(frozen=True)
class _Checked:
    result: CheckResult
    config: Config
    known: list[str]  # every rule id the pack knows (its rules, its policies, the engine's)
    repo: Path


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
    config_file: str | None = None,
    stdin: tuple[str, str] | None = None,
) -> _Checked:
    """Check with the repo's configuration; the flags given override it. ``stdin``
    is (the path as given, the text) for ``check -``."""
    from .pack import Pack, read_pack
    from .pipeline import Options, run
    from .repo.discover import find_root

    repo = find_root(root, (stdin[0],) if stdin else paths)
    _confine(repo, policies, ledger, baseline, config_file)
    config = _load_config(repo, config_file)
    pack = Pack(read_pack(_policy_dirs(policies, config)), config, use_cache)
    ledger = ledger or config.ledger()
    given = (_stdin_path(repo, stdin[0]), stdin[1]) if stdin else None
    targets = () if stdin else paths
    options = Options(targets, ledger, _today(now), backend, jobs, use_cache, given)
    result = run(pack, repo, options)
    return _Checked(result, config, pack.policies.catalogue.names(), repo)


def _stdin_path(repo: Path, given: str) -> str:
    """``--stdin-filename`` as a repo-relative path (relative to the current
    directory as typed, else to the root); it need not exist."""
    path = Path(given)
    if not path.is_absolute():
        here = Path.cwd() / path
        path = here if here.parent.exists() or not (repo / path).parent.exists() else repo / path
    folder = path.parent.resolve()
    try:
        rel = (folder / path.name).relative_to(repo).as_posix()
    except ValueError:
        raise ProofgateError(f"--stdin-filename {given}: outside the repo root {repo}") from None
    if rel in (".", "") or path.name in ("", ".", ".."):
        raise ProofgateError(f"--stdin-filename {given}: not a file name")
    return rel


class _Group(click.Group):
    """Turns ProofgateError into exit code 2 with a rendered message."""

    def invoke(self, ctx: click.Context) -> object:
        from .core.errors import confine

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
                "--root",
                help="Repo root (default: found from the first PATH, else the current "
                "directory: the enclosing git work tree).",
            ),
            click.option(
                "-p",
                "--policies",
                multiple=True,
                help="Policy directory or file, 'builtin' for the shipped pack (repeatable; "
                "default: the shipped pack).",
            ),
            click.option("--ledger", help="Proof ledger (default: proofs.yaml at the repo root)."),
            click.option(
                "--config",
                "config_file",
                type=click.Path(),
                help="Configuration file to use instead of the repo's .proofgate.toml "
                "(or [tool.proofgate] when the file is a pyproject.toml).",
            ),
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


def _color(choice: str, tty: bool) -> bool:
    """``--color``: ``auto`` colours a terminal unless NO_COLOR is set (no-color.org)."""
    if choice == "auto":
        return tty and not os.environ.get("NO_COLOR")
    return choice == "always"


_COLOR_OPTION = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text output (auto: on a terminal, unless NO_COLOR is set).",
)


def _prefixes(values: tuple[str, ...]) -> list[str]:
    """Rule-id prefixes from repeatable, comma-separated options."""
    return [p for value in values for p in (part.strip() for part in value.split(",")) if p]


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
    help="Report only findings not recorded in this baseline (see 'proofgate baseline'; "
    "default: the configured baseline).",
)
@click.option(
    "--select",
    multiple=True,
    help="Report only rules whose id starts with one of these prefixes (repeatable or "
    "comma-separated, as ruff's --select).",
)
@click.option(
    "--ignore",
    multiple=True,
    help="Drop the rules whose id starts with one of these prefixes (beats --select).",
)
@click.option(
    "--statistics", is_flag=True, help="Print how many findings each rule has, not the findings."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the report to FILE; the summary line still goes to standard error.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print the findings only: no notes, no summary.")
@_COLOR_OPTION
@click.option(
    "--fix",
    is_flag=True,
    help="Apply the fixes findings carry to the files, then report what remains "
    "(the exit code counts only those).",
)
@click.option(
    "--diff",
    is_flag=True,
    help="Print the fixes as a unified diff and write nothing (exit code 1 when there is a fix).",
)
@click.option(
    "--stdin-filename",
    help="With PATHS '-': the path of the file whose text standard input holds; it is "
    "judged with the repo's ledger, configuration and other files as context.",
)
def check(
    paths: tuple[str, ...],
    root: str | None,
    policies: tuple[str, ...],
    ledger: str | None,
    config_file: str | None,
    fmt: str,
    fail_on: str | None,
    now: str | None,
    backend: str,
    no_cache: bool,
    jobs: int | None,
    baseline_file: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    statistics: bool,
    output: str | None,
    quiet: bool,
    color: str,
    fix: bool,
    diff: bool,
    stdin_filename: str | None,
) -> None:
    """Check the repo against the policies, reporting findings in PATHS (default: all).

    The whole repo is read either way, so rules that span files keep their
    context; with the ledger among PATHS, findings in Markdown files are
    reported too. The repo root is found from the first PATH (its git work
    tree). PATHS '-' with --stdin-filename checks standard input as that file.
    Settings come from .proofgate.toml or [tool.proofgate] in pyproject.toml;
    flags override them.
    """
    from .filters import select_rules, unknown_prefixes
    from .report import render
    from .report.text import render_statistics, summary_line

    stdin = _stdin(paths, stdin_filename)
    if statistics and fmt not in ("text", "json"):
        raise click.UsageError("--statistics prints text or json")
    if fix and diff:
        raise click.UsageError("--fix writes the fixes and --diff shows them: give one")
    if stdin and (fix or diff):
        raise click.UsageError("--fix and --diff edit files on disk, not standard input")

    def checked_result() -> tuple[CheckResult, _Checked]:
        checked = _configured_check(
            root,
            paths,
            policies,
            ledger,
            now,
            backend,
            not no_cache,
            jobs,
            baseline_file,
            config_file,
            stdin,
        )
        chosen, dropped = _prefixes(select), _prefixes(ignore)
        unknown = unknown_prefixes([*chosen, *dropped], checked.known)
        if unknown:
            raise ProofgateError(
                f"--select/--ignore: '{unknown[0]}' is the prefix of no loaded rule id",
                hint="'proofgate rules' lists them",
            )
        result = checked.result
        given_baseline = baseline_file or checked.config.baseline()
        if given_baseline:
            from . import baseline

            entries = baseline.load(Path(given_baseline), given_baseline)
            result = baseline.apply(result, entries, given_baseline)
        return select_rules(result, chosen, dropped), checked

    result, checked = checked_result()
    config = checked.config
    if diff:
        _show_diff(checked.repo, result, quiet)
    if fix:
        result = _fix(checked.repo, result, checked_result)
    fail_level = fail_on or config.settings.fail_on or "error"
    tty = sys.stdout.isatty() if output is None else False
    paint = _color(color, tty) and fmt == "text"
    if statistics:
        text = render_statistics(result, fmt, paint)
    else:
        text = render(fmt, result, color=paint, fail_on=fail_level, quiet=quiet)
    if output is None:
        click.echo(text, nl=False, color=paint)
    else:
        _write_report(Path(output), text)
        if not quiet:
            click.echo(f"{summary_line(result)}; report written to {output}", err=True)
    threshold = SEVERITY_RANK[fail_level]
    failing = any(SEVERITY_RANK[f.severity] >= threshold for f in result.findings)
    sys.exit(1 if failing else 0)


def _show_diff(repo: Path, result: CheckResult, quiet: bool) -> NoReturn:
    """``check --diff``: the fixes as a unified diff; exit 1 when there is one."""
    from . import fixes
    from .core.text import plural

    planned = fixes.plan(repo, result.findings)
    click.echo(planned.diff(), nl=False)
    if not quiet:
        for note in planned.notes:
            click.echo(f"note: {note}", err=True)
        changed = plural(len(planned.files), "file")
        click.echo(f"would fix {plural(planned.fixed, 'finding')} in {changed}", err=True)
    sys.exit(1 if planned.files else 0)


def _fix(
    repo: Path, result: CheckResult, recheck: Callable[[], tuple[CheckResult, _Checked]]
) -> CheckResult:
    """``check --fix``: the fixes applied (:func:`engine.fixes.fix`); the last check's
    result, with how many findings were fixed and the notes of files that were not."""
    import dataclasses

    from . import fixes

    last = [result]

    def findings_now() -> list[Finding]:
        last[0] = recheck()[0]
        return last[0].findings

    done = fixes.fix(repo, result.findings, findings_now)
    notes = [*last[0].notes, *done.notes]
    if not done.settled:
        notes.append(f"fixes still changed files after {fixes.MAX_PASSES} passes")
    return dataclasses.replace(last[0], fixed=len(done.fixed), notes=notes)


def _stdin(paths: tuple[str, ...], stdin_filename: str | None) -> tuple[str, str] | None:
    """``(path, text)`` of standard input for ``check - --stdin-filename PATH``."""
    if "-" not in paths and not stdin_filename:
        return None
    if paths != ("-",) or not stdin_filename:
        raise click.UsageError("read standard input with exactly: check - --stdin-filename PATH")
    return stdin_filename, sys.stdin.read()


def _write_report(path: Path, text: str) -> None:
    try:
        path.write_text(text, "utf-8")
    except OSError as exc:
        raise ProofgateError(f"--output {path}: cannot write: {exc.strerror or exc}") from None


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
    config_file: str | None,
    now: str | None,
    backend: str,
    no_cache: bool,
    jobs: int | None,
    output: str | None,
) -> None:
    """Record today's findings so that 'check --baseline FILE' reports only new ones."""
    from . import baseline

    checked = _configured_check(
        root, paths, policies, ledger, now, backend, not no_cache, jobs, config_file=config_file
    )
    entries = baseline.entries(checked.result)
    target = Path(output) if output else checked.repo / baseline.BASELINE_FILE
    baseline.write(target, entries)
    click.echo(f"wrote {len(entries)} finding(s) to {output or target}")


@main.command("compile")
@click.argument("files", nargs=-1, type=click.Path(), required=True)
def compile_command(files: tuple[str, ...]) -> None:
    """Print the Rego generated for policy FILES (or directories).

    A file is compiled with the rest of its directory, whose patterns it may use.
    """
    from .pack import load_policies

    paths = [Path(f).resolve() for f in files]
    policy_set = load_policies(sorted({p.parent if p.is_file() else p for p in paths}))
    chosen = [
        m
        for m in policy_set.modules
        if any(Path(m.path).resolve() == p or p in Path(m.path).resolve().parents for p in paths)
    ]
    click.echo("\n".join(module.text for module in chosen), nl=False)


@main.command("rules")
@click.option(
    "-p",
    "--policies",
    multiple=True,
    help="Policy directory, 'builtin' for the shipped pack (repeatable; default: the "
    "configured policies, else the shipped pack).",
)
@click.option("--root", help="Repo root whose configuration applies (default: the work tree).")
@click.option("--config", "config_file", type=click.Path(), help="Configuration file to use.")
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def rules_command(
    policies: tuple[str, ...], root: str | None, config_file: str | None, fmt: str
) -> None:
    """List every rule a check loads: id, policy, severity as configured, description."""
    from .pack import load_policies
    from .report.rules import render

    config = _repo_config(root, policies, config_file)
    catalogue = load_policies(_policy_dirs(policies, config)).catalogue
    listed = [(rule, config.severity_of(rule.id, rule.severity)) for rule in catalogue.listed()]
    click.echo(render(listed, fmt), nl=False)


@main.command()
@click.argument("rule_id")
@click.option(
    "-p", "--policies", multiple=True, help="Policy directory (default: the shipped pack)."
)
@click.option("--root", help="Repo root whose configuration applies (default: the work tree).")
@click.option("--config", "config_file", type=click.Path(), help="Configuration file to use.")
def explain(
    rule_id: str, policies: tuple[str, ...], root: str | None, config_file: str | None
) -> None:
    """Print a policy's rationale, fix hint, the params it reads with their values
    in force, and its source (or what an engine rule, parse-error or
    suppression-*, reports)."""
    from .pack import configure, load_policies
    from .report.explain import explain as explanation

    config = _repo_config(root, policies, config_file)
    policy_set = configure(load_policies(_policy_dirs(policies, config)), config)
    click.echo(explanation(policy_set, config, rule_id), nl=False)


@main.command("test")
@click.argument("files", nargs=-1, type=click.Path())
@click.option(
    "-p",
    "--policies",
    multiple=True,
    help="Policy directory with a tests/ folder, 'builtin' for the shipped pack "
    "(repeatable; default: the configured policies, else the shipped pack).",
)
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("-k", "pattern", help="Run only the cases whose '<policy>/<case>' contains PATTERN.")
@click.option(
    "--backend", type=click.Choice(["regopy", "regorus"]), default="regopy", show_default=True
)
@_COLOR_OPTION
def policy_tests(
    files: tuple[str, ...],
    policies: tuple[str, ...],
    fmt: str,
    pattern: str | None,
    backend: str,
    color: str,
) -> None:
    """Run the annotated test cases kept under <policy dir>/tests/ (docs/policy-tests.md).

    With FILES (the pre-commit hook passes the staged ones), the cases run only
    when one of them is a policy file (.policy, .rego) or lies in the tests/
    folder of a policy directory loaded; otherwise there is nothing to test.
    """
    from .policytest.run import run_suite
    from .report.tests import render

    config = _repo_config(policies=policies)
    dirs = _policy_dirs(policies, config)
    if files and not any(_is_policy_input(Path(f), dirs) for f in files):
        click.echo("no policy file or policy test case among the files: nothing to test")
        return
    report = run_suite(dirs, pattern, backend, config)
    paint = _color(color, sys.stdout.isatty()) and fmt == "text"
    click.echo(render(report, fmt, color=paint), nl=False, color=paint)
    sys.exit(0 if report.passed else 1)


def _is_policy_input(path: Path, dirs: list[Path]) -> bool:
    """Whether a changed file can change what ``proofgate test`` reports: a policy
    file, or a file under a loaded policy directory's ``tests/``."""
    if path.suffix in (".policy", ".rego"):
        return True
    where = path.resolve()
    return any((d.resolve() / "tests") in where.parents for d in dirs)


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
    from . import matrix
    from .extract import matrix as proof_matrix
    from .pipeline import load_ledger
    from .repo.discover import find_root
    from .repo.inputs import DEFAULT_LEDGER

    if files and not write:
        raise click.UsageError("FILES are only used with --write")
    if write and fmt != "markdown":
        raise click.UsageError("--write embeds the Markdown table; --format is for printing")

    repo, today = find_root(root), _today(now)
    _confine(repo, ledger)
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
    from .repo.discover import find_root
    from .starter import WORKFLOW, write_starters

    for written in write_starters(find_root(root), force):
        why = f": {written.why}" if written.why else ""
        click.echo(f"{written.action} {written.path}{why}")
        if written.path == WORKFLOW and written.action != "skipped":
            click.echo(f"note: set PROOFGATE in {WORKFLOW} to where you install proofgate from")


@main.command("fmt")
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--write", is_flag=True, help="Rewrite the files that change, in place.")
@click.option("--check", "check_only", is_flag=True, help="Exit 1 listing files that would change.")
@click.option(
    "--diff",
    is_flag=True,
    help="Print a unified diff of the files that would change; exit 1 if any.",
)
def fmt_command(files: tuple[str, ...], write: bool, check_only: bool, diff: bool) -> None:
    """Format policy FILES (directories: their .policy files; default: .).

    Prints the formatted text, or rewrites the files (--write), or lists the
    files that would change (--check), or prints how they would change (--diff).
    Comments are kept with the line they precede; a file the formatter cannot
    rewrite faithfully is an error (exit 2).
    """
    from .core.errors import ErrorGroup
    from .dsl.format import format_files, write_changed

    if sum((write, check_only, diff)) > 1:
        raise click.UsageError("--write, --check and --diff exclude each other")
    report = format_files([Path(f) for f in files] or [Path(".")])
    if diff:
        import difflib

        for formatted in report.changed:
            click.echo(
                "".join(
                    difflib.unified_diff(
                        formatted.before.splitlines(keepends=True),
                        formatted.after.splitlines(keepends=True),
                        f"{formatted.path}",
                        f"{formatted.path} (formatted)",
                    )
                ),
                nl=False,
            )
    elif write:
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
    sys.exit(1 if (check_only or diff) and report.changed else 0)


@main.command("lsp")
def lsp_command() -> None:
    """Run the language server: LSP over standard input and output, for editors.

    Diagnostics as you type for every file kind 'check' reads, code actions
    (apply a fix, fix all of a rule, suppress with a reason) and hover
    (the rule's explanation). Setup for VS Code, Neovim and Helix: README.
    """
    from .lsp.server import serve

    serve()
