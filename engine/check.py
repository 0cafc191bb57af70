"""The ``check`` pipeline: policies → extract → evaluate → findings.

The CLI only wires options into :func:`run_check`; everything it prints comes
from the :class:`CheckResult` returned here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from engine.dsl.check import Program, check
from engine.dsl.compile import RegoModule, compile_program
from engine.dsl.parser import parse
from engine.errors import ErrorGroup, ProofgateError
from engine.evaluate.run import Finding, InputModel, evaluate
from engine.extract.base import Extraction, Problem, SourceFile
from engine.model import COLLECTIONS
from engine.rules import Rule, file_kinds, rule_catalog

if TYPE_CHECKING:
    from engine.baseline import BaselineReport
    from engine.config import Config

DEFAULT_LEDGER = "proofs.yaml"
PARSE_ERROR_RATIONALE = "proofgate could not read this file, so no policy could check it."
PARSE_ERROR_FIX = "Fix the file so that it parses; until then its boundaries are unchecked."


@dataclass
class PolicySet:
    program: Program
    modules: list[RegoModule]
    sources: dict[str, str]
    rego: dict[str, str] = field(default_factory=dict)  # hand-written modules


@dataclass
class CheckResult:
    findings: list[Finding]
    files: int
    notes: list[str] = field(default_factory=list)
    ledger_present: bool = False
    rules: list[Rule] = field(default_factory=list)  # every rule loaded, found or not
    file_kinds: dict[str, str] = field(default_factory=dict)  # checked file -> input kind
    root: Path | None = None
    baseline: BaselineReport | None = None  # set by check --baseline
    suppressed: int = 0  # findings hidden by proofgate-ignore comments


def read_policy_file(path: Path) -> str:
    """A policy, ledger or case file as UTF-8; errors name the file (and the line)."""
    try:
        data = path.read_bytes()
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        message = f"not valid UTF-8 (byte 0x{data[exc.start]:02x})"
        raise ProofgateError(message, str(path), line, column) from None
    except OSError as exc:
        raise ProofgateError(f"cannot read: {exc.strerror or exc}", str(path)) from None


def policy_files(dirs: list[Path]) -> list[Path]:
    files: list[Path] = []
    for directory in dirs:
        if directory.is_file():
            files.append(directory)
            continue
        if not directory.is_dir():
            raise ProofgateError(f"{directory}: no such policy directory")
        found = sorted(_outside_tests(directory, "*.policy"))
        if not found and not _outside_tests(directory, "*.rego"):
            raise ProofgateError(f"{directory}: no .policy or .rego files in this directory")
        files.extend(found)
    return files


def _outside_tests(directory: Path, pattern: str) -> list[Path]:
    """Files under a policy directory, leaving out its ``tests/`` case repos."""
    return [
        p for p in directory.rglob(pattern) if "tests" not in p.relative_to(directory).parts[:-1]
    ]


def load_policies(dirs: list[Path]) -> PolicySet:
    """Parse, check and compile every ``.policy`` file under ``dirs``."""
    sources: dict[str, str] = {}
    modules = []
    errors: list[ProofgateError] = []
    for path in policy_files(dirs):
        name = _display_path(path)
        try:
            text = read_policy_file(path)
            sources[name] = text
            modules.append(parse(text, name))
        except ErrorGroup as group:
            errors.extend(group.errors)
        except ProofgateError as error:
            errors.append(error)
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    from engine.evaluate.handwritten import read_modules

    rego = [
        p
        for d in dirs
        for p in ([d] if d.is_file() else sorted(_outside_tests(d, "*.rego")))
        if p.suffix == ".rego"
    ]
    program = check(modules, sources)
    return PolicySet(program, compile_program(program), sources, read_modules(rego))


def _display_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def load_ledger_model(
    root: Path, ledger: str | None, now: dt.date
) -> tuple[dict[str, object], Extraction, str | None]:
    """The ledger global and collections; raises ProofgateError on an invalid ledger."""
    from engine.extract.ledger import absent_ledger, load_ledger

    path = Path(ledger) if ledger else root / DEFAULT_LEDGER
    if not path.is_absolute() and ledger:
        path = Path.cwd() / path
    if not path.exists():
        if ledger:
            raise ProofgateError(f"{ledger}: no such ledger file")
        return absent_ledger(), Extraction(), None
    text = read_policy_file(path)
    try:
        rel = path.resolve().relative_to(root).as_posix()
    except ValueError:
        rel = path.as_posix()
    record, extraction = load_ledger(rel, text, root, now)
    if extraction.problems:
        raise ErrorGroup(
            [
                ProofgateError(f"invalid ledger: {p.message}", p.path, p.line, p.column, text)
                for p in extraction.problems
            ]
        )
    return record, extraction, rel


def parse_error(problem: Problem) -> Finding:
    return Finding(
        path=problem.path,
        line=problem.line,
        column=problem.column,
        rule="parse-error",
        message=problem.message,
        severity="error",
        end_line=problem.line,
        end_column=problem.column,
        rationale=PARSE_ERROR_RATIONALE,
        fix=PARSE_ERROR_FIX,
    )


def run_check(
    policies: PolicySet,
    root: Path,
    targets: list[str],
    ledger: str | None = None,
    now: dt.date | None = None,
    backend: str = "regopy",
    config: Config | None = None,
) -> CheckResult:
    """Check the repo at ``root``, reporting findings in ``targets`` (default: everywhere);
    see :mod:`engine.scope` for what is read and reported, :mod:`engine.suppress`
    for inline suppressions and :mod:`engine.config` for ``config``."""
    from engine import config as configuration
    from engine.discover import read_text
    from engine.extract import extractor, kind_of
    from engine.scope import check_scope
    from engine.suppress import Comments, apply, known_rules

    today = now or dt.date.today()
    ledger_record, ledger_extraction, ledger_path = load_ledger_model(root, ledger, today)
    bootstrap = set(ledger_record.get("bootstrap_flakes") or ["flake.nix"])  # type: ignore[call-overload]
    settings = config or configuration.Config()
    scope = check_scope(root, targets, ledger_path, settings)
    needed = policies.program.collections_used()
    kinds = {kind for name in needed for kind in COLLECTIONS[name].kinds}
    if policies.rego:
        from engine.evaluate.handwritten import STRUCTURED_KINDS

        kinds |= STRUCTURED_KINDS
    structured: list[tuple[str, str, str]] = []
    collections: dict[str, list[dict[str, object]]] = {name: [] for name in COLLECTIONS}
    for name, records in ledger_extraction.records.items():
        collections[name] = list(records)
    problems: list[Problem] = []
    notes = list(scope.notes)
    comments = Comments()
    for rel in scope.files:
        if rel == ledger_path:
            comments.scan_file(root, rel)
            continue
        kind = kind_of(rel)
        collections["files"].append(_file_record(rel, kind))
        if kind not in kinds or not scope.reads(rel):
            continue
        extract = extractor(kind)
        if extract is None:
            continue
        read = read_text(root, rel)
        if read.text is None:
            if read.error:
                problems.append(Problem(rel, read.line, 1, read.error))
            if read.note and scope.reports(rel):
                notes.append(read.note)
            continue
        if policies.rego:
            structured.append((rel, kind, read.text))
        result = extract(SourceFile(rel, read.text, kind, _bootstraps(rel, bootstrap)))
        problems.extend(result.problems)
        comments.scan(rel, kind, read.text, result.records.get("html", ()))
        for name, records in result.records.items():
            collections.setdefault(name, []).extend(records)
    model = InputModel(collections, ledger_record)
    findings = evaluate(policies.program, policies.modules, model, backend)
    if policies.rego:
        from engine.evaluate.handwritten import evaluate_files

        findings += evaluate_files(policies.rego, structured, backend)
    if ledger_record.get("present"):
        from engine.matrix import stale_matrices

        markdown = [rel for rel in scope.files if scope.reads(rel) and kind_of(rel) == "markdown"]
        findings += stale_matrices(root, markdown, ledger_record, today)
    findings = sorted(set(findings) | {parse_error(p) for p in problems})
    outcome = apply(findings, comments.found, known_rules(policies), today)
    findings = scope.only_reported(settings.adjust(outcome.findings))
    return CheckResult(
        findings,
        scope.checked,
        notes,
        bool(ledger_record.get("present")),
        rules=settings.adjust_rules(rule_catalog(policies.program)),
        file_kinds=file_kinds(scope.checked_files, ledger_path),
        root=root,
        suppressed=len(scope.only_reported(outcome.suppressed)),
    )


def _bootstraps(rel: str, bootstrap_flakes: set[str]) -> bool:
    """A bootstrap flake, or the lock file beside one."""
    if rel.endswith("flake.lock"):
        rel = rel[: -len("flake.lock")] + "flake.nix"
    return rel in bootstrap_flakes


def _file_record(rel: str, kind: str) -> dict[str, object]:
    directory, _, name = rel.rpartition("/")
    return {
        "path": rel,
        "line": 1,
        "column": 1,
        "end_line": 1,
        "end_column": 1,
        "kind": kind,
        "name": name,
        "dir": directory,
    }
