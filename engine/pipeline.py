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
from collections.abc import Callable, Iterable
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
from .pack import local_collections, with_ledger
from .repo.inputs import RepoInputs, ledger_location, read_repo

if TYPE_CHECKING:
    from .cache import Cache
    from .config import Config
    from .extract.base import Record
    from .extract.batch import Extracted, Keep
    from .extract.suppressions import Suppression
    from .pack import Pack, PolicySet
    from .repo.discover import FileSet, FileText

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
    # A file's text given instead of the one on disk (``check - --stdin-filename``,
    # the language server's document): (its repo-relative path, the text). The file
    # need not exist; it is the one file reported on, judged with the rest of the
    # repo as context.
    stdin: tuple[str, str] | None = None
    # Other files' texts given instead of the ones on disk (an editor's other
    # unsaved buffers): (path, text) pairs, context only, never reported on.
    texts: tuple[tuple[str, str], ...] = ()
    # What a long-lived process keeps of the repo between runs (:class:`Warm`);
    # with it, no whole result is cached.
    warm: Warm | None = field(default=None, compare=False)


@dataclass
class Warm:
    """What a long-lived process (the language server) keeps of one repo between
    checks with one pack (another pack needs another ``Warm``): the repo's file
    listing, the text of each file read, what was read for the last set of files
    given, the loaded ledger, the records of each file whose text is not given
    (kept as for a file never reported on) and of each given text, and the
    context those records make for the last set of files given. Whoever keeps it
    calls :meth:`forget` with the files that changed on disk."""

    listing: FileSet | None = None
    texts: dict[str, FileText] = field(default_factory=dict)
    inputs: dict[tuple[object, ...], RepoInputs] = field(default_factory=dict)
    ledger: tuple[tuple[object, ...], tuple[dict[str, object], Extraction]] | None = None
    records: dict[str, tuple[str, Extracted]] = field(default_factory=dict)
    given: dict[str, tuple[str, Extracted]] = field(default_factory=dict)
    contexts: dict[frozenset[str], _Extracted] = field(default_factory=dict)

    def read(self, root: Path, rel: str) -> FileText:
        """A repo file's text, read once until it is forgotten."""
        from .repo.discover import read_text

        found = self.texts.get(rel)
        if found is None:
            found = self.texts[rel] = read_text(root, rel)
        return found

    def forget(self, paths: Iterable[str] = (), listing: bool = True) -> None:
        """Drop what depends on the files at ``paths`` (repo-relative), changed on
        disk; with ``listing`` (files came or went), the listing and the ledger
        (whose evidence paths may have come or gone) too."""
        for rel in paths:
            self.texts.pop(rel, None)
            self.records.pop(rel, None)
        self.inputs.clear()
        self.contexts.clear()
        if listing:
            self.listing = None
            self.ledger = None

    def holds(self, options: Options) -> bool:
        """Whether a run with ``options`` finds its context here (and needs nothing
        from the repo's cache)."""
        return frozenset(_given(options)) in self.contexts


def run(pack: Pack, root: Path, options: Options | None = None) -> CheckResult:
    """Check the repo at ``root`` with ``pack`` (and its configuration); see
    :mod:`engine.repo.scope` for what is read and reported."""
    from .cache import open_cache

    options = options or Options()
    # A warm run whose context is kept reads nothing from the repo's cache: not
    # opened, which would cost an SQLite open and close per keystroke.
    warm = options.warm is not None and options.warm.holds(options)
    cache = open_cache(root, options.use_cache and not warm)
    try:
        return _run(pack, root, options, cache)
    finally:
        cache.close()


def _run(pack: Pack, root: Path, options: Options, cache: Cache) -> CheckResult:
    inputs = _read(pack, root, options)
    entry = _result_key(pack, root, options, inputs) if cache.enabled and not options.warm else ""
    if entry:
        found = cache.get("result", entry)
        if isinstance(found, CheckResult):
            return dataclasses.replace(found, root=root)
    result = _run_steps(pack.policies, pack.config, root, inputs, options, cache)
    # a time-out depends on the machine's load, not only on the inputs: not kept
    if entry and not any(f.rule == CHECK_TIMEOUT.id for f in result.findings):
        cache.put("result", entry, dataclasses.replace(result, root=None))
    return result


def _read(pack: Pack, root: Path, options: Options) -> RepoInputs:
    """What the check reads (:func:`engine.repo.inputs.read_repo`); with
    ``options.warm``, what it read for the same files given, their texts replaced."""
    # With PATHS or a text given, the pack decides which files outside them are
    # read at all (and a miss, the usual case for a pre-commit run, needs it anyway).
    given = _given(options)
    only = (options.stdin[0],) if options.stdin else ()
    joined = pack.policies.joined_kinds if options.targets or given else None
    warm = options.warm
    if warm is None:
        return read_repo(
            root, list(options.targets), options.ledger, _selects(pack, root), joined, given, only
        )
    memo = (options.targets, options.ledger, tuple(sorted(given)), only)
    inputs = warm.inputs.get(memo)
    if inputs is None:
        if warm.listing is None:
            from .repo.discover import discover

            warm.listing = discover(root, [])
        warm.inputs.clear()  # the last set of files given only
        inputs = warm.inputs[memo] = read_repo(
            root,
            list(options.targets),
            options.ledger,
            _selects(pack, root),
            joined,
            given,
            only,
            warm.listing,
            warm.read,
        )
    # the given texts of the files read (not those the configuration excludes)
    texts = {**inputs.texts, **{rel: text for rel, text in given.items() if rel in inputs.texts}}
    return dataclasses.replace(inputs, texts=texts)


def _given(options: Options) -> dict[str, str]:
    """The texts given instead of the files on disk, by repo-relative path."""
    given = dict(options.texts)
    if options.stdin:
        given[options.stdin[0]] = options.stdin[1]
    return given


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
        repr(sorted(path for path, _ in options.texts)),
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
    root: Path,
    path: Path | None,
    rel: str | None,
    today: dt.date,
    cache: Cache | None = None,
    text: str | None = None,
) -> tuple[dict[str, object], Extraction]:
    """The ledger's global and collections (from ``cache`` when its text, the date
    and the repo's answer to each evidence path are those of a stored load);
    ``text``, when given, instead of the file's (an editor's unsaved buffer)."""
    if path is None or rel is None:
        from .extract.ledger_defaults import absent_ledger

        return absent_ledger(), Extraction()
    text = read_utf8(path) if text is None else text
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
    # The mark of records chosen as candidates as they were extracted (_keeper);
    # None when some were kept by an earlier run (a warm one).
    kept: str | None = None

    def copy(self) -> _Extracted:
        """A copy whose lists can grow without changing this one's (records are shared)."""
        return _Extracted(
            {name: list(records) for name, records in self.collections.items()},
            list(self.problems),
            list(self.suppressions),
            list(self.structured),
        )


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
    """Load the ledger, bind the policies' ledger words to it, extract, evaluate
    and filter."""
    ledger, ledger_extraction = _ledger(root, inputs, options, cache)
    policies = with_ledger(policies, ledger)
    if policies.prescreen is not None:
        from .evaluate.prescreen import adopt

        adopt(policies.program, policies.prescreen)
    drain_timeouts()  # none of an earlier run in this process
    forget_shared_matches()
    extracted = _extract(policies, inputs, ledger, ledger_extraction, cache, options)
    findings = _evaluate(policies, inputs, ledger, extracted, options)
    extracted.problems += drain_timeouts()  # those of the evaluation's own matches
    return _filter(policies, config, root, inputs, ledger, extracted, findings, options.today)


def _ledger(
    root: Path, inputs: RepoInputs, options: Options, cache: Cache | None
) -> tuple[dict[str, object], Extraction]:
    """The loaded ledger (its text as read or given); a warm one while its text,
    the date and the repo's files are unchanged."""
    rel = inputs.ledger_path
    text = inputs.texts.get(rel) if rel is not None else None
    warm = options.warm
    memo = (rel, text, options.today)
    if warm is not None and warm.ledger is not None and warm.ledger[0] == memo:
        return warm.ledger[1]
    loaded = _load_ledger(root, inputs.ledger_file, rel, options.today, cache, text)
    if warm is not None:
        warm.ledger = (memo, loaded)
        warm.contexts.clear()  # which records are kept depends on the ledger
        warm.records.clear()
        warm.given.clear()
    return loaded


def _extract(
    policies: PolicySet,
    inputs: RepoInputs,
    ledger: dict[str, object],
    ledger_extraction: Extraction,
    cache: Cache | None,
    options: Options,
) -> _Extracted:
    """The records of every file read (of the kinds the policies use), the ledger's
    collections, and a ``files`` record for every file of the repo; with
    ``options.warm``, from what it keeps (:func:`_extract_warm`)."""
    import secrets

    from .extract.batch import extract_files

    mark = secrets.token_hex(8)
    keep = _keeper(policies, ledger, mark)
    if options.warm is not None:
        keeps = (keep, _keeper(policies, ledger, mark, reported=False))
        return _extract_warm(policies, inputs, ledger_extraction, keeps, cache, options)
    out, sources = _gather(policies, inputs, ledger_extraction)
    shared = policies.joined_kinds() or frozenset()
    before_fork = policies.program.compile_regexes
    _absorb(out, extract_files(sources, cache, shared, keep, options.jobs, before_fork))
    out.kept = mark
    return out


def _extract_warm(
    policies: PolicySet,
    inputs: RepoInputs,
    ledger_extraction: Extraction,
    keeps: tuple[Keep, Keep],
    cache: Cache | None,
    options: Options,
) -> _Extracted:
    """The records of the files whose text is not given (the context: extracted
    once, while they are unchanged, keeping what ``keeps[1]`` keeps of files
    never reported on) and of each given text (extracted again only when it
    changed, keeping what ``keeps[0]`` keeps)."""
    warm = options.warm
    assert warm is not None
    given = set(_given(options))
    context = warm.contexts.get(frozenset(given))
    if context is None:
        context, sources = _gather(policies, inputs, ledger_extraction, given)
        shared = policies.joined_kinds() or frozenset()
        _remember(warm.records, sources, keeps[1], cache, shared, options.jobs)
        _absorb(context, [warm.records[s.path][1] for s in sources])
        warm.contexts.clear()  # the last set of files given only
        warm.contexts[frozenset(given)] = context
    out = context.copy()
    kinds = _kinds_read(policies)
    sources = [s for rel in sorted(given) if (s := _source(policies, inputs, kinds, rel))]
    _remember(warm.given, sources, keeps[0])
    _absorb(out, [warm.given[s.path][1] for s in sources])
    for source in sources:
        if policies.rego:
            out.structured.append((source.path, source.kind, source.text))
    return out


def _remember(
    memory: dict[str, tuple[str, Extracted]],
    sources: list[SourceFile],
    keep: Keep,
    cache: Cache | None = None,
    cached: frozenset[str] = frozenset(),
    jobs: int | None = 1,
) -> None:
    """Extract the sources whose text ``memory`` does not hold yet, into it."""
    from .extract.batch import extract_files

    fresh = [s for s in sources if memory.get(s.path, ("", None))[0] != s.text]
    done = extract_files(fresh, cache, cached, keep, jobs)
    for source, extracted in zip(fresh, done, strict=True):
        memory[source.path] = (source.text, extracted)


def _kinds_read(policies: PolicySet) -> set[str]:
    """The file kinds whose records the policies read."""
    used = policies.program.collections_used()
    kinds = {kind for name in used for kind in COLLECTIONS[name].kinds}
    if policies.rego:
        from .evaluate.handwritten import STRUCTURED_KINDS

        kinds |= STRUCTURED_KINDS
    return kinds


def _source(
    policies: PolicySet, inputs: RepoInputs, kinds: set[str], rel: str
) -> SourceFile | None:
    """The file to extract at ``rel`` (None when it is the ledger, not read or of a
    kind no policy reads)."""
    from .extract import EXTRACTORS, kind_of

    kind = kind_of(rel)
    text = inputs.texts.get(rel)
    if text is None or rel == inputs.ledger_path or kind not in kinds or kind not in EXTRACTORS:
        return None
    return SourceFile(rel, text, kind)


def _gather(
    policies: PolicySet,
    inputs: RepoInputs,
    ledger_extraction: Extraction,
    leave: set[str] | None = None,
) -> tuple[_Extracted, list[SourceFile]]:
    """The ledger's collections and its suppression comments, a ``files`` record
    for every file of the repo, and the files to extract (less those in ``leave``)."""
    from .extract import kind_of
    from .extract.suppressions import Comments

    collections: dict[str, list[dict[str, object]]] = {name: [] for name in COLLECTIONS}
    for name, records in ledger_extraction.records.items():
        collections[name] = list(records)
    out = _Extracted(collections, list(inputs.problems), [], [])
    comments = Comments()
    kinds = _kinds_read(policies)
    sources: list[SourceFile] = []
    for rel in inputs.scope.files:
        if rel != inputs.ledger_path:
            collections["files"].append(_file_record(rel, kind_of(rel)))
        elif rel in inputs.texts:
            comments.scan(rel, kind_of(rel), inputs.texts[rel], ())
        source = _source(policies, inputs, kinds, rel)
        if source is None or (leave and rel in leave):
            continue
        if policies.rego:
            out.structured.append((rel, source.kind, source.text))
        sources.append(source)
    out.suppressions = comments.found
    return out, sources


def _absorb(out: _Extracted, extractions: Iterable[Extracted]) -> None:
    """Add files' extractions to ``out``: records, problems, suppression comments."""
    for extracted in extractions:
        out.problems.extend(extracted.extraction.problems)
        out.suppressions += extracted.suppressions
        for name, records in extracted.extraction.records.items():
            out.collections.setdefault(name, []).extend(records)


def _keeper(
    policies: PolicySet, ledger: dict[str, object], mark: str, reported: bool = True
) -> Keep:
    """Which extracted records the evaluation needs: every record of the collections
    the program reads and joins across files, and of the local ones
    (:func:`engine.pack.local_collections`) only the candidates of their clauses,
    marked with ``mark`` and the clauses that chose them (the evaluation does not
    choose them again); none of those when the files are never ``reported`` on (a
    warm run's context: a local record matters only in a reported file)."""
    from .evaluate.run import InputModel, candidates, mark_kept

    program, params = policies.program, policies.params
    used, local = program.collections_used(), local_collections(program)

    clauses = {name: [c for c in program.clauses if c.main_collection == name] for name in local}

    def keep(name: str, records: list[Record]) -> list[Record]:
        if name not in used:
            return []
        if name not in local:
            return records
        if not reported:
            return []
        model = InputModel({name: records}, ledger, params)
        chosen: dict[int, list[str]] = {}
        for clause in clauses[name]:
            for record in candidates(program, clause, model):
                chosen.setdefault(id(record), []).append(clause.key)
        return mark_kept(records, chosen, mark)

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
        kept=extracted.kept,
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
