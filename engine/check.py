"""The ``check`` pipeline: policies → extract → evaluate → findings.

The CLI only wires options into :func:`run_check`; everything it prints comes
from the :class:`CheckResult` returned here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from engine.errors import ErrorGroup, ProofgateError
from engine.extract.base import Extraction, Problem, SourceFile
from engine.finding import Finding
from engine.model import COLLECTIONS
from engine.rules import Rule, file_kinds, rule_catalog

if TYPE_CHECKING:
    from engine.baseline import BaselineReport
    from engine.cache import Cache
    from engine.config import Config
    from engine.dsl.check import Program
    from engine.dsl.compile import RegoModule
    from engine.extract.base import Record
    from engine.extract.batch import Keep
    from engine.scope import Scope

P = ParamSpec("P")
R = TypeVar("R")
DEFAULT_LEDGER = "proofs.yaml"
PARSE_ERROR_RATIONALE = "proofgate could not read this file, so no policy could check it."
PARSE_ERROR_FIX = "Fix the file so that it parses; until then its boundaries are unchecked."


@dataclass
class PolicySet:
    program: Program
    modules: list[RegoModule]
    sources: dict[str, str]
    rego: dict[str, str] = field(default_factory=dict)  # hand-written modules
    bundle: bytes | None = None  # regopy's compiled modules (engine.evaluate.run.regopy_bundle)
    prescreen: Any = None  # its compiled prescreen (engine.evaluate.prescreen.prepared)


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


@dataclass(frozen=True)
class PackSources:
    """The text of a policy pack: ``.policy`` files and hand-written ``.rego`` modules."""

    policies: dict[str, str]  # shown path -> text
    rego: dict[str, str]

    def key_parts(self) -> list[str]:
        return [
            part for files in (self.policies, self.rego) for item in files.items() for part in item
        ]


def read_pack(dirs: list[Path]) -> PackSources:
    """The ``.policy`` and ``.rego`` files under ``dirs`` (leaving out ``tests/``)."""
    sources: dict[str, str] = {}
    errors: list[ProofgateError] = []
    for path in policy_files(dirs):
        try:
            sources[_display_path(path)] = read_policy_file(path)
        except ProofgateError as error:
            errors.append(error)
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    rego: dict[str, str] = {}
    for d in dirs:
        for path in [d] if d.is_file() else sorted(_outside_tests(d, "*.rego")):
            if path.suffix != ".rego":
                continue
            try:
                rego[path.as_posix()] = path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ProofgateError(f"cannot read Rego module: {exc}", path.as_posix()) from None
    return PackSources(sources, rego)


def load_policies(dirs: list[Path], cache: Cache | None = None) -> PolicySet:
    """Parse, check and compile every ``.policy`` file under ``dirs`` (the
    ``.rego`` files beside them are hand-written modules)."""
    return compile_pack(read_pack(dirs), cache)


def compile_pack(pack: PackSources, cache: Cache | None = None) -> PolicySet:
    """The checked and compiled pack; one already in ``cache`` is taken from there
    (one put there carries regopy's bundle and the prescreen's databases too)."""
    entry = ""
    if cache is not None and cache.enabled:
        from engine.cache import key

        entry = key("pack", *pack.key_parts())
        found = cache.get("pack", entry)
        if isinstance(found, PolicySet):
            return found
    policy_set = _compile_pack(pack.policies, pack.rego)
    if cache is not None and entry:
        from engine.evaluate.prescreen import prepared
        from engine.evaluate.run import regopy_bundle

        policy_set.bundle = regopy_bundle(policy_set.modules)
        policy_set.prescreen = prepared(policy_set.program)
        cache.put("pack", entry, policy_set)
    return policy_set


def _compile_pack(sources: dict[str, str], rego: dict[str, str]) -> PolicySet:
    from engine.dsl.check import check
    from engine.dsl.compile import compile_program
    from engine.dsl.parser import parse

    modules = []
    errors: list[ProofgateError] = []
    for name, text in sources.items():
        try:
            modules.append(parse(text, name))
        except ErrorGroup as group:
            errors.extend(group.errors)
        except ProofgateError as error:
            errors.append(error)
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    program = check(modules, sources)
    return PolicySet(program, compile_program(program), sources, rego)


def _display_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def ledger_location(root: Path, ledger: str | None) -> tuple[Path | None, str | None]:
    """The ledger file (None when there is none) and its path as findings name it."""
    path = Path(ledger) if ledger else root / DEFAULT_LEDGER
    if not path.is_absolute() and ledger:
        path = Path.cwd() / path
    if not path.exists():
        if ledger:
            raise ProofgateError(f"{ledger}: no such ledger file")
        return None, None
    try:
        return path, path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path, path.as_posix()


def load_ledger_model(
    root: Path, ledger: str | None, now: dt.date
) -> tuple[dict[str, object], Extraction, str | None]:
    """The ledger global and collections; raises ProofgateError on an invalid ledger."""
    path, rel = ledger_location(root, ledger)
    record, extraction = _load_ledger(root, path, rel, now)
    return record, extraction, rel


def _load_ledger(
    root: Path, path: Path | None, rel: str | None, now: dt.date, cache: Cache | None = None
) -> tuple[dict[str, object], Extraction]:
    """The ledger's global and collections (from ``cache`` when its text, the date
    and the repo's answer to each evidence path are those of a stored load)."""
    if path is None or rel is None:
        from engine.extract.ledger import absent_ledger

        return absent_ledger(), Extraction()
    text = read_policy_file(path)
    entry = ""
    if cache is not None and cache.enabled:
        from engine.cache import key
        from engine.extract.evidence import same_evidence

        entry = key("ledger", rel, text, now.isoformat(), str(root))
        found = cache.get("ledger", entry)
        if isinstance(found, tuple) and same_evidence(found, root):
            return found
    from engine.extract.ledger import load_ledger

    record, extraction = load_ledger(rel, text, root, now)
    if cache is not None and entry and not extraction.problems:
        cache.put("ledger", entry, (record, extraction))
    if extraction.problems:
        raise ErrorGroup(
            [
                ProofgateError(f"invalid ledger: {p.message}", p.path, p.line, p.column, text)
                for p in extraction.problems
            ]
        )
    return record, extraction


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


@dataclass
class RepoInputs:
    """What a check reads of a repo: which files exist, the ones it reports on,
    and the text of every file an extractor reads (and of the ledger)."""

    scope: Scope
    ledger_file: Path | None
    ledger_path: str | None  # the ledger as findings name it
    texts: dict[str, str]  # repo-relative path -> text
    problems: list[Problem] = field(default_factory=list)  # files that should have been readable
    notes: list[str] = field(default_factory=list)


def read_repo(
    root: Path,
    targets: list[str],
    ledger: str | None,
    settings: Config,
    outside: frozenset[str] | None = None,
) -> RepoInputs:
    """Discover the repo and read every file of a kind some extractor reads (the
    pack reads a subset of them; Markdown is also read for embedded matrices);
    of the files findings are not reported in, only those of the ``outside``
    kinds (:func:`shared_kinds`) when it is given."""
    from engine.discover import read_text
    from engine.extract import EXTRACTORS, kind_of
    from engine.scope import check_scope

    ledger_file, ledger_path = ledger_location(root, ledger)
    scope = check_scope(root, targets, ledger_path, settings)
    inputs = RepoInputs(scope, ledger_file, ledger_path, {}, notes=list(scope.notes))
    for rel in scope.files:
        if rel != ledger_path:
            kind = kind_of(rel)
            if kind not in EXTRACTORS or not scope.reads(rel):
                continue
            if outside is not None and kind not in outside and not scope.reports(rel):
                continue
        read = read_text(root, rel)
        if read.text is not None:
            inputs.texts[rel] = read.text
            continue
        if read.error:
            inputs.problems.append(Problem(rel, read.line, 1, read.error))
        if read.note and scope.reports(rel):
            inputs.notes.append(read.note)
    return inputs


def run_check(
    policies: PolicySet,
    root: Path,
    targets: list[str],
    ledger: str | None = None,
    now: dt.date | None = None,
    backend: str = "regopy",
    config: Config | None = None,
    jobs: int | None = None,
) -> CheckResult:
    """Check the repo at ``root``, reporting findings in ``targets`` (default: everywhere);
    see :mod:`engine.scope` for what is read and reported, :mod:`engine.suppress`
    for inline suppressions, :mod:`engine.config` for ``config`` and
    :mod:`engine.extract.batch` for ``jobs`` (worker processes; default: the CPUs)."""
    from engine import config as configuration

    settings = config or configuration.Config()
    inputs = read_repo(root, targets, ledger, settings, shared_kinds(policies))
    return _check(policies, root, inputs, now or dt.date.today(), backend, settings, None, jobs)


def check_repo(
    pack: PackSources,
    root: Path,
    targets: list[str],
    ledger: str | None,
    today: dt.date,
    backend: str,
    config: Config,
    cache: Cache,
    jobs: int | None = None,
) -> CheckResult:
    """:func:`run_check` as the command line runs it: the pack configured by
    ``config``, and the result taken from ``cache`` when nothing it depends on
    changed (the compiled pack from the user's cache; see :mod:`engine.cache`)."""
    from engine.cache import key, open_user_cache
    from engine.config import configure

    def configured() -> PolicySet:
        packs = open_user_cache(cache.enabled)
        try:
            return configure(compile_pack(pack, packs), config)
        finally:
            packs.close()

    # With PATHS the pack decides which files outside them are read at all (and
    # a miss, the usual case for a pre-commit run, needs it anyway).
    policies = configured() if targets else None
    outside = shared_kinds(policies) if policies is not None else None
    inputs = read_repo(root, targets, ledger, config, outside)
    entry = ""
    if cache.enabled:
        parts = [
            "result",
            *pack.key_parts(),
            config.text,
            repr(config.settings),
            "\0".join(targets),
            ledger or "",
            today.isoformat(),
            backend,
            repr(inputs.ledger_file),
            "\0".join(inputs.scope.files),
            repr(inputs.scope.reported and sorted(inputs.scope.reported)),
            repr(inputs.problems),
            repr(inputs.notes),
        ]
        if inputs.ledger_file is not None and inputs.ledger_path not in inputs.texts:
            parts.append(read_policy_file(inputs.ledger_file))  # a ledger outside the repo
        for rel, text in inputs.texts.items():
            parts += (rel, text)
        entry = key(*parts)
        found = cache.get("result", entry)
        if isinstance(found, CheckResult):
            return dataclasses.replace(found, root=root)
    policies = policies or configured()
    result = _check(policies, root, inputs, today, backend, config, cache, jobs)
    if entry:
        cache.put("result", entry, dataclasses.replace(result, root=None))
    return result


def shared_kinds(policies: PolicySet) -> frozenset[str] | None:
    """The file kinds whose records matter beyond their own file; None when every
    file does (hand-written Rego reads whole files)."""
    return None if policies.rego else joined_kinds(policies.program)


def joined_kinds(program: Program) -> frozenset[str]:
    """The file kinds of the collections the program reads that are not
    :func:`local_collections`."""
    shared = program.collections_used() - local_collections(program)
    return frozenset(kind for name in shared for kind in COLLECTIONS[name].kinds)


def local_collections(program: Program) -> set[str]:
    """Collections whose records only ever yield findings located at themselves.

    A record of such a collection matters only when its file is reported: no
    clause reads the collection but as its first generator, and every clause
    that ranges over it reports its findings at the record. ``check PATHS``
    extracts a file outside PATHS only for the other collections.
    """
    whole = program.whole_collections()
    local: dict[str, bool] = {}
    for clause in program.clauses:
        if clause.main_collection is not None:
            name = clause.main_collection
            local[name] = local.get(name, True) and clause.at == clause.main_var
    return {name for name, ok in local.items() if ok and name not in whole}


def _keeper(program: Program, ledger: dict[str, object], used: set[str], local: set[str]) -> Keep:
    """Which extracted records the evaluation needs: every record of the collections
    the program reads and joins across files, and of the ``local`` ones
    (local_collections) only the candidates of their clauses."""
    from engine.evaluate.run import InputModel, candidates

    clauses = {name: [c for c in program.clauses if c.main_collection == name] for name in local}

    def keep(name: str, records: list[Record]) -> list[Record]:
        if name not in used:
            return []
        if name not in local:
            return records
        model = InputModel({name: records}, ledger)
        chosen = {id(r) for clause in clauses[name] for r in candidates(program, clause, model)}
        return [r for r in records if id(r) in chosen]

    return keep


def _without_cycle_collection(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with Python's cyclic garbage collector paused.

    A check makes millions of small dicts and lists (records, facts) and no
    cycles; the collector's passes over them cost 10-25% of the CPU time of a
    large check (docs/performance.md). Reference counting still frees them.
    """

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return paused


def _with_one_regex_timer(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with its regex matches bounded by one timer
    (:func:`engine.dsl.regex.time_bounded`) instead of a clock read per match."""

    @functools.wraps(function)
    def bounded(*args: P.args, **kwargs: P.kwargs) -> R:
        from engine.dsl.regex import time_bounded

        with time_bounded():
            return function(*args, **kwargs)

    return bounded


@_without_cycle_collection
@_with_one_regex_timer
def _check(
    policies: PolicySet,
    root: Path,
    inputs: RepoInputs,
    today: dt.date,
    backend: str,
    settings: Config,
    cache: Cache | None = None,
    jobs: int | None = None,
) -> CheckResult:
    """Extract the records of the files read, evaluate the policies, apply suppressions."""
    from engine.evaluate.run import InputModel, evaluate
    from engine.extract import EXTRACTORS, kind_of
    from engine.extract.batch import default_jobs, extract_files
    from engine.suppress import Comments, apply, known_rules

    scope, ledger_path = inputs.scope, inputs.ledger_path
    if policies.prescreen is not None:
        from engine.evaluate.prescreen import adopt

        adopt(policies.program, policies.prescreen)
    ledger_record, ledger_extraction = _load_ledger(
        root, inputs.ledger_file, inputs.ledger_path, today, cache
    )
    used = policies.program.collections_used()
    kinds = {kind for name in used for kind in COLLECTIONS[name].kinds}
    if policies.rego:
        from engine.evaluate.handwritten import STRUCTURED_KINDS

        kinds |= STRUCTURED_KINDS
    bootstrap = set(ledger_record.get("bootstrap_flakes") or ["flake.nix"])  # type: ignore[call-overload]
    # Kinds whose records matter beyond their own file (see local_collections): with
    # PATHS, only these were read outside them (read_repo), and they are cached.
    local = local_collections(policies.program)
    shared = joined_kinds(policies.program)
    structured: list[tuple[str, str, str]] = []
    collections: dict[str, list[dict[str, object]]] = {name: [] for name in COLLECTIONS}
    for name, records in ledger_extraction.records.items():
        collections[name] = list(records)
    problems = list(inputs.problems)
    comments = Comments()
    sources: list[SourceFile] = []
    for rel in scope.files:
        kind = kind_of(rel)
        if rel != ledger_path:
            collections["files"].append(_file_record(rel, kind))
        text = inputs.texts.get(rel)
        if text is None:
            continue
        if rel == ledger_path:
            comments.scan(rel, kind, text, ())
            continue
        if kind not in kinds or kind not in EXTRACTORS:
            continue
        if policies.rego:
            structured.append((rel, kind, text))
        sources.append(SourceFile(rel, text, kind, _bootstraps(rel, bootstrap)))
    keep = _keeper(policies.program, ledger_record, used, local)
    for extracted in extract_files(sources, cache, shared, keep, jobs):
        problems.extend(extracted.extraction.problems)
        comments.found += extracted.suppressions
        for name, records in extracted.extraction.records.items():
            collections.setdefault(name, []).extend(records)
    model = InputModel(collections, ledger_record)
    only = scope.reports if scope.reported is not None else None
    workers = default_jobs() if jobs is None else max(1, jobs)
    findings = evaluate(
        policies.program,
        policies.modules,
        model,
        backend,
        reported=only,
        bundle=policies.bundle,
        jobs=workers,
    )
    if policies.rego:
        from engine.evaluate.handwritten import evaluate_files

        findings += evaluate_files(policies.rego, structured, backend)
    if ledger_record.get("present"):
        from engine.matrix import stale_matrices

        markdown = {rel: t for rel, t in inputs.texts.items() if kind_of(rel) == "markdown"}
        findings += stale_matrices(markdown, ledger_record, today)
    findings = sorted(set(findings) | {parse_error(p) for p in problems})
    outcome = apply(findings, comments.found, known_rules(policies), today)
    findings = scope.only_reported(settings.adjust(outcome.findings))
    return CheckResult(
        findings,
        scope.checked,
        inputs.notes,
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
