"""The ``proofgate`` command line. It only wires options to the pipeline.

Exit codes: 0 no finding at or above the fail level, 1 findings at or above
it, 2 usage, configuration, policy or ledger errors.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from engine.errors import ProofgateError

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


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


def _policy_dirs(policies: tuple[str, ...]) -> list[Path]:
    from engine.resources import shipped_policies

    return [Path(p) for p in policies] if policies else [shipped_policies()]


class _Group(click.Group):
    """Turns ProofgateError into exit code 2 with a rendered message."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ProofgateError as error:
            _fail(error)


@click.group(cls=_Group)
@click.version_option(package_name="proofgate")
def main() -> None:
    """proofgate: claims about your CI platform must be earned by proof."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--root", help="Repo root (default: the enclosing git work tree, else .).")
@click.option(
    "-p",
    "--policies",
    multiple=True,
    help="Policy directory or file (repeatable; default: the shipped pack).",
)
@click.option("--ledger", help="Proof ledger (default: proofs.yaml at the repo root).")
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    default="error",
    show_default=True,
    help="Lowest severity that makes the exit code 1.",
)
@click.option("--now", help="Date to measure proof ages from (YYYY-MM-DD; or SOURCE_DATE_EPOCH).")
@click.option(
    "--backend", type=click.Choice(["regopy", "regorus"]), default="regopy", show_default=True
)
def check(
    paths: tuple[str, ...],
    root: str | None,
    policies: tuple[str, ...],
    ledger: str | None,
    fmt: str,
    fail_on: str,
    now: str | None,
    backend: str,
) -> None:
    """Check the repo (or PATHS inside it) against the policies."""
    from engine.check import load_policies, run_check
    from engine.discover import find_root
    from engine.report import render

    policy_set = load_policies(_policy_dirs(policies))
    result = run_check(policy_set, find_root(root), list(paths), ledger, _today(now), backend)
    click.echo(render(fmt, result, color=fmt == "text" and sys.stdout.isatty()), nl=False)
    threshold = SEVERITY_RANK[fail_on]
    failing = any(SEVERITY_RANK[f.severity] >= threshold for f in result.findings)
    sys.exit(1 if failing else 0)


@main.command("compile")
@click.argument("files", nargs=-1, type=click.Path(), required=True)
def compile_command(files: tuple[str, ...]) -> None:
    """Print the Rego generated for policy FILES (or directories).

    A file is compiled with the rest of its directory, whose patterns it may use.
    """
    from engine.check import load_policies

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
    import difflib

    from engine.check import load_policies

    policy_set = load_policies(_policy_dirs(policies))
    known = {c.rule: c for c in policy_set.program.clauses}
    by_policy = {p.id: p for p in policy_set.program.policies}
    policy = by_policy.get(rule_id) or (known[rule_id].policy if rule_id in known else None)
    if policy is None:
        close = difflib.get_close_matches(rule_id, [*known, *by_policy], n=1)
        hint = f"did you mean '{close[0]}'?" if close else "run 'proofgate check' to see rule ids"
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
