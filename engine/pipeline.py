"""The one way a repo is checked: ``run(pack, root, options) -> CheckResult``.

``proofgate check``, ``baseline`` and ``test``, the benches and the tests all
enter here, with the configuration applied. The steps, each a function below:

1. read the repo (:mod:`engine.repo`): which files exist, which are reported
   on, the text of those an extractor reads; a result stored for exactly these
   inputs is returned as it is (:mod:`engine.cache`);
2. load the proof ledger;
3. extract every file's records (:mod:`engine.extract`), keeping only those
   the evaluation needs;
4. evaluate the policies (:mod:`engine.evaluate`): every finding comes out of Rego;
5. filter (:mod:`engine.filters`): suppressions, the configuration's
   ``disable`` and ``severity``, and the files reported on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from .core.errors import ErrorGroup, ProofgateError
from .core.finding import Finding
from .core.model import COLLECTIONS
from .core.result import CheckResult, Suppressed
from .core.rules import CHECK_TIMEOUT, LEDGER, PARSE_ERROR
from .core.text import read_utf8
from .evaluate.facts import forget_shared_matches
from .extract.base import Extraction, Problem, SourceFile, drain_timeouts
from .pack import local_collections
from .repo.inputs import RepoInputs, ledger_location, read_repo

if TYPE_CHECKING:
    from .cache import Cache
    from .config import Config
    from .dsl.program import Program
    from .extract.base import Record
    from .extract.batch import Keep
    from .extract.suppressions import Suppression
    from .pack import Pack, PolicySet

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Options:
    """How to check: where to report (``targets``: default everywhere), which ledger,
    the date proof ages are measured from, the Rego engine, worker processes
    (default: the CPUs) and whether to use the repo's cache."""

    targets: tuple[str, ...] = ()
    ledger: str | None = None
    today: dt.date = field(default_factory=dt.date.today)
    backend: str = "regopy"
    jobs: int | None = None
    use_cache: bool = False
    # A file's text given instead of the one on disk (``check - --stdin-filename``):
    # (its repo-relative path, the text). The file need not exist; it is the one
    # file reported on, judged with the rest of the repo as context.
    stdin: tuple[str, str] | None = None


def run(pack: Pack, root: Path, options: Options | None = None) -> CheckResult:
    """Check the repo at ``root`` with ``pack`` (and its configuration); see
    :mod:`engine.repo.scope` for what is read and reported."""
    from .cache import open_cache

    options = options or Options()
    cache = open_cache(root, options.use_cache)
    try:
        return _run(pack, root, options, cache)
    finally:
        cache.close()


def _run(pack: Pack, root: Path, options: Options, cache: Cache) -> CheckResult:
    # With PATHS the pack decides which files outside them are read at all (and
    # a miss, the usual case for a pre-commit run, needs it anyway).
    joined = pack.policies.joined_kinds() if options.targets else None
    targets = list(options.targets)
    overrides = dict([options.stdin]) if options.stdin else {}
    if overrides:
        joined = pack.policies.joined_kinds()
    inputs = read_repo(root, targets, options.ledger, _selects(pack, root), joined, overrides)
    entry = _result_key(pack, root, options, inputs) if cache.enabled else ""
    if entry:
        found = cache.get("result", entry)
        if isinstance(found, CheckResult):
            return dataclasses.replace(found, root=root)
    result = _run_steps(pack.policies, pack.config, root, inputs, options, cache)
    # a time-out depends on the machine's load, not only on the inputs: not kept
    if entry and not any(f.rule == CHECK_TIMEOUT.id for f in result.findings):
        cache.put("result", entry, dataclasses.replace(result, root=None))
    return result


def _selects(pack: Pack, root: Path) -> Callable[[str], bool]:
    """Which repo files a check reads and reports: the configuration's
    ``include``/``exclude``, less the test trees of the loaded policy directories
    (their fixtures drift on purpose; ``proofgate test`` runs them)."""
    trees = pack.test_trees(root)
    selects = pack.config.selects
    if not trees:
        return selects
    return lambda rel: not rel.startswith(trees) and selects(rel)


def _result_key(pack: Pack, root: Path, options: Options, inputs: RepoInputs) -> str:
    """The key of a whole result: everything it depends on (:mod:`engine.cache`)."""
    from .cache import key

    parts = [
        "result",
        *pack.key_parts(),
        repr(pack.test_trees(root)),
        repr(options.stdin and options.stdin[0]),
        "\0".join(options.targets),
        options.ledger or "",
        options.today.isoformat(),
        options.backend,
        repr(inputs.ledger_file),
        "\0".join(inputs.scope.files),
        repr(inputs.scope.reported and sorted(inputs.scope.reported)),
        repr(inputs.problems),
        repr(inputs.notes),
    ]
    if inputs.ledger_file is not None and inputs.ledger_path not in inputs.texts:
        parts.append(read_utf8(inputs.ledger_file))  # a ledger outside the repo
    for rel, text in inputs.texts.items():
        parts += (rel, text)
    return key(*parts)


def load_ledger(
    root: Path, ledger: str | None, today: dt.date
) -> tuple[dict[str, object], Extraction, str | None]:
    """The ledger global and collections, and the ledger's path as findings name it;
    raises ProofgateError on an invalid ledger."""
    path, rel = ledger_location(root, ledger)
    record, extraction = _load_ledger(root, path, rel, today)
    return record, extraction, rel


def _load_ledger(
    root: Path, path: Path | None, rel: str | None, today: dt.date, cache: Cache | None = None
) -> tuple[dict[str, object], Extraction]:
    """The ledger's global and collections (from ``cache`` when its text, the date
    and the repo's answer to each evidence path are those of a stored load)."""
    if path is None or rel is None:
        from .extract.ledger_defaults import absent_ledger

        return absent_ledger(), Extraction()
    text = read_utf8(path)
    entry = ""
    if cache is not None and cache.enabled:
        from .cache import key
        from .extract.evidence import same_evidence

        entry = key("ledger", rel, text, today.isoformat(), str(root))
        found = cache.get("ledger", entry)
        if isinstance(found, tuple) and same_evidence(found, root):
            return found
    from .extract.ledger import load_ledger as extract_ledger

    record, extraction = extract_ledger(rel, text, root, today)
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
        from .dsl.regex import time_bounded

        with time_bounded():
            return function(*args, **kwargs)

    return bounded


@dataclass
class _Extracted:
    """Every file's records gathered by collection, with what went wrong and the
    suppression comments found on the way."""

    collections: dict[str, list[dict[str, object]]]
    problems: list[Problem]
    suppressions: list[Suppression]
    structured: list[tuple[str, str, str]]  # (path, kind, text) for hand-written Rego


@_without_cycle_collection
@_with_one_regex_timer
def _run_steps(
    policies: PolicySet,
    config: Config,
    root: Path,
    inputs: RepoInputs,
    options: Options,
    cache: Cache | None,
) -> CheckResult:
    """Load the ledger, extract, evaluate and filter."""
    if policies.prescreen is not None:
        from .evaluate.prescreen import adopt

        adopt(policies.program, policies.prescreen)
    ledger, ledger_extraction = _load_ledger(
        root, inputs.ledger_file, inputs.ledger_path, options.today, cache
    )
    drain_timeouts()  # none of an earlier run in this process
    forget_shared_matches()
    extracted = _extract(policies, inputs, ledger, ledger_extraction, cache, options.jobs)
    findings = _evaluate(policies, inputs, ledger, extracted, options)
    extracted.problems += drain_timeouts()  # those of the evaluation's own matches
    return _filter(policies, config, root, inputs, ledger, extracted, findings, options.today)


def _extract(
    policies: PolicySet,
    inputs: RepoInputs,
    ledger: dict[str, object],
    ledger_extraction: Extraction,
    cache: Cache | None,
    jobs: int | None,
) -> _Extracted:
    """The records of every file read (of the kinds the policies use), the ledger's
    collections, and a ``files`` record for every file of the repo."""
    from .extract import EXTRACTORS, kind_of
    from .extract.batch import extract_files
    from .extract.suppressions import Comments

    program = policies.program
    used = program.collections_used()
    kinds = {kind for name in used for kind in COLLECTIONS[name].kinds}
    if policies.rego:
        from .evaluate.handwritten import STRUCTURED_KINDS

        kinds |= STRUCTURED_KINDS
    collections: dict[str, list[dict[str, object]]] = {name: [] for name in COLLECTIONS}
    for name, records in ledger_extraction.records.items():
        collections[name] = list(records)
    out = _Extracted(collections, list(inputs.problems), [], [])
    comments = Comments()
    sources: list[SourceFile] = []
    for rel in inputs.scope.files:
        kind = kind_of(rel)
        if rel != inputs.ledger_path:
            collections["files"].append(_file_record(rel, kind))
        text = inputs.texts.get(rel)
        if text is None:
            continue
        if rel == inputs.ledger_path:
            comments.scan(rel, kind, text, ())
        elif kind in kinds and kind in EXTRACTORS:
            if policies.rego:
                out.structured.append((rel, kind, text))
            sources.append(SourceFile(rel, text, kind))
    keep = _keeper(program, ledger, policies.params, used, local_collections(program))
    shared = policies.joined_kinds() or frozenset()
    for extracted in extract_files(sources, cache, shared, keep, jobs, program.compile_regexes):
        out.problems.extend(extracted.extraction.problems)
        comments.found += extracted.suppressions
        for name, records in extracted.extraction.records.items():
            collections.setdefault(name, []).extend(records)
    out.suppressions = comments.found
    return out


def _keeper(
    program: Program,
    ledger: dict[str, object],
    params: dict[str, object],
    used: set[str],
    local: set[str],
) -> Keep:
    """Which extracted records the evaluation needs: every record of the collections
    the program reads and joins across files, and of the ``local`` ones
    (:func:`engine.pack.local_collections`) only the candidates of their clauses."""
    from .evaluate.run import InputModel, candidates

    clauses = {name: [c for c in program.clauses if c.main_collection == name] for name in local}

    def keep(name: str, records: list[Record]) -> list[Record]:
        if name not in used:
            return []
        if name not in local:
            return records
        model = InputModel({name: records}, ledger, params)
        chosen = {id(r) for clause in clauses[name] for r in candidates(program, clause, model)}
        return [r for r in records if id(r) in chosen]

    return keep


def _evaluate(
    policies: PolicySet,
    inputs: RepoInputs,
    ledger: dict[str, object],
    extracted: _Extracted,
    options: Options,
) -> list[Finding]:
    """The findings of the compiled policies and of hand-written Rego."""
    from .evaluate.run import InputModel, evaluate
    from .extract.batch import default_jobs

    scope = inputs.scope
    findings = evaluate(
        policies.program,
        policies.modules,
        InputModel(extracted.collections, ledger, policies.params),
        options.backend,
        reported=scope.reports if scope.reported is not None else None,
        bundle=policies.bundle,
        jobs=default_jobs() if options.jobs is None else max(1, options.jobs),
    )
    if policies.rego:
        from .evaluate.handwritten import evaluate_files

        findings += evaluate_files(policies.rego, extracted.structured, options.backend)
    return findings


def _filter(
    policies: PolicySet,
    config: Config,
    root: Path,
    inputs: RepoInputs,
    ledger: dict[str, object],
    extracted: _Extracted,
    findings: list[Finding],
    today: dt.date,
) -> CheckResult:
    """The result: parse errors added, suppressions and the configuration applied,
    only the findings in the files reported on."""
    from .extract import kind_of
    from .filters import apply

    scope = inputs.scope
    found = sorted(set(findings) | {parse_error(p) for p in extracted.problems})
    catalogue = policies.catalogue
    outcome = apply(found, extracted.suppressions, catalogue.names(), today)
    checked = scope.checked_files
    return CheckResult(
        scope.only_reported(config.adjust(outcome.findings)),
        scope.checked,
        inputs.notes,
        bool(ledger.get("present")),
        rules=config.adjust_rules(list(catalogue.described)),
        file_kinds={rel: LEDGER if rel == inputs.ledger_path else kind_of(rel) for rel in checked},
        root=root,
        suppressed=len(scope.only_reported(outcome.suppressed)),
        suppressions=[
            Suppressed(f, outcome.reasons.get(f, ""))
            for f in scope.only_reported(config.adjust(outcome.suppressed))
        ],
    )


def parse_error(problem: Problem) -> Finding:
    """The finding of a repo file that could not be read (or judged: ``check-timeout``)."""
    rule = CHECK_TIMEOUT if problem.rule == CHECK_TIMEOUT.id else PARSE_ERROR
    return Finding(
        path=problem.path,
        line=problem.line,
        column=problem.column,
        rule=rule.id,
        message=problem.message,
        severity=rule.severity,
        end_line=problem.line,
        end_column=problem.column,
        rationale=rule.rationale,
        fix=rule.fix,
    )


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
