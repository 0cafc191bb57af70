"""Evaluate a checked program over an input model: prefilter, query Rego, make findings."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.finding import Edit, Finding
from ..core.globs import selected
from ..core.model import COLLECTIONS, GLOBALS, rec
from ..dsl import ast
from ..dsl.compile import RegoModule, aggregate_module
from ..dsl.program import RAW, CheckedClause, Program, placeholders, walk
from .backends import Backend, RegopyBackend, make_backend
from .facts import converter, to_rego
from .memo import memo
from .prefilter import prefilter as compiled_prefilter
from .prescreen import prescreened
from .projection import main_fields, projections
from .reference import UNDEF, Evaluator, elements

# Candidate records per Rego query: one huge input can fail ("Maximum statement
# count reached") and one query per record is slow; between 500 and 2,000
# bench/chunking.py measures no clear difference (docs/design.md).
CHUNK = 500
Record = dict[str, Any]
# On a record the extraction kept: (the run's mark, the keys of the clauses that
# chose it), see mark_kept.
KEPT = "_kept"


def _default_params() -> Record:
    from ..core.params import params_record

    return params_record()


@dataclass
class InputModel:
    collections: dict[str, list[Record]]
    ledger: Record
    params: Record = field(default_factory=_default_params)  # the ``params`` global


def candidates(
    program: Program,
    checked: CheckedClause,
    model: InputModel,
    prefilter: bool = True,
    reported: Callable[[str], bool] | None = None,
    kept: str | None = None,
) -> list[Any]:
    """The records a clause's first generator ranges over, after path globs and
    prefilter; with ``reported``, a clause whose findings are located at its
    candidate only keeps those in reported files (a finding elsewhere would be
    dropped), before any regex runs on them. With ``kept``, a run's mark: records
    that all carry it (:func:`mark_kept`) were chosen so for each clause already."""
    evaluator = Evaluator(program, model.collections, model.ledger, model.params)
    source = evaluator.value(checked.clause.generators[0].source, {})
    records = elements(source) if source is not UNDEF else []
    if reported is not None and checked.reports_at_candidate:
        records = _in_reported(model, records, reported)
    if prefilter and kept is not None:  # chosen already, while they were extracted
        by_clause = _kept_by(model, records, kept)
        if by_clause is not None:
            return by_clause.get(checked.key, [])
    if prefilter:  # first: it screens whole collections at once (engine/evaluate/prescreen.py)
        records = prescreened(program, checked, model, records)
    policy = checked.policy
    if policy.paths or policy.exclude:
        by_path: dict[str, bool] = {}  # the globs compile and match once per file, not per record

        def selected(record: Any) -> bool:
            path = record.get("path") if isinstance(record, dict) else None
            if not isinstance(path, str):
                return _selected(policy.paths, policy.exclude, record)
            if path not in by_path:
                by_path[path] = _selected(policy.paths, policy.exclude, record)
            return by_path[path]

        records = [r for r in records if selected(r)]
    if prefilter:
        test = compiled_prefilter(program, checked)
        records = [r for r in records if test(r)]
    return records


def mark_kept(records: list[Any], chosen: dict[int, list[str]], mark: str) -> list[Any]:
    """The records some clause chose (``chosen``: the keys of the clauses that chose
    each, by ``id``), each marked with ``mark`` and those keys, so that
    :func:`candidates` with ``kept=mark`` does not choose them again."""
    out = [r for r in records if id(r) in chosen]
    for record in out:
        record[KEPT] = (mark, tuple(chosen[id(record)]))
    return out


def _kept_by(model: InputModel, records: list[Any], mark: str) -> dict[str, list[Any]] | None:
    """The records of each clause key, as :func:`mark_kept` marked them; None unless
    every record carries ``mark`` (worked out once per collection)."""
    kept: dict[int, tuple[list[Any], dict[str, list[Any]] | None]] = memo(
        model, "_kept_by", mark, dict
    )
    found = kept.get(id(records))
    if found is None or found[0] is not records:
        by_clause: dict[str, list[Any]] = {}
        for record in records:
            marked = record.get(KEPT) if isinstance(record, dict) else None
            if marked is None or marked[0] != mark:
                kept[id(records)] = (records, None)
                return None
            for key in marked[1]:
                by_clause.setdefault(key, []).append(record)
        found = kept[id(records)] = (records, by_clause)
    return found[1]


def _in_reported(
    model: InputModel, records: list[Any], reported: Callable[[str], bool]
) -> list[Any]:
    """The records in reported files, worked out once per collection (the clauses
    that range over it share the list) and ``reported`` asked once per path."""
    kept: dict[int, tuple[list[Any], list[Any]]] = memo(model, "_in_reported", reported, dict)
    found = kept.get(id(records))
    if found is None or found[0] is not records:
        # A file's records lie side by side: ask again only when the path changes.
        chosen: list[Any] = []
        answers: dict[str, bool] = {}
        last, answer = None, False
        for record in records:
            path = record.get("path", "") if isinstance(record, dict) else ""
            if path != last:
                if path not in answers:
                    answers[path] = reported(str(path))
                last, answer = path, answers[path]
            if answer:
                chosen.append(record)
        found = kept[id(records)] = (records, chosen)
    return found[1]


def _selected(paths: tuple[str, ...], exclude: tuple[str, ...], record: Any) -> bool:
    path = record.get("path") if isinstance(record, dict) else None
    return not isinstance(path, str) or selected(path, paths, exclude)


def build_inputs(
    program: Program,
    chosen: dict[str, list[Any]],
    model: InputModel,
    indexes: frozenset[tuple[str, str]] = frozenset(),
) -> list[dict[str, Any]]:
    """Input documents for Rego, each holding at most CHUNK candidates."""
    return build_queries(program, chosen, model, indexes)[0]


# For each candidate of a query document (by clause key, in order): the indices, in
# the clause's chosen records, of the candidates it stands for.
Members = dict[str, list[list[int]]]


def build_queries(
    program: Program,
    chosen: dict[str, list[Any]],
    model: InputModel,
    indexes: frozenset[tuple[str, str]] = frozenset(),
) -> tuple[list[dict[str, Any]], list[Members]]:
    """Input documents for Rego, each holding at most CHUNK candidates, and what each
    candidate stands for.

    A candidate is what Rego reads of a record: the fields and regex facts of its
    clause (:func:`engine.evaluate.projection.main_fields`), no position unless
    Rego reads it. Records whose candidates are equal get the same answer from
    the same query, so each distinct candidate of a clause is sent once and
    stands for every record that has it (in the generated 10x corpus 2,348
    candidates are 1,011 distinct ones); the findings are still made from each
    record, with its own position and message (:func:`evaluate`).
    """
    import orjson

    base = base_input(program, model, indexes)
    types = {c.key: c.var_types[c.main_var] for c in program.clauses}
    keep = {c.key: main_fields(program, c) for c in program.clauses}
    # A candidate carries only the facts of its own clause's regexes.
    clause_atoms = {c.key: program.atoms_by_record(c) for c in program.clauses}
    documents: list[dict[str, Any]] = []
    members: list[Members] = []
    current: dict[str, list[Any]] = {}
    standing: Members = {}
    size = 0
    for key, records in chosen.items():
        seen: dict[bytes | int, list[int]] = {}
        convert = converter(types[key], clause_atoms[key], keep[key])
        for index, record in enumerate(records):
            fact = convert(record)
            try:
                same: bytes | int = orjson.dumps(fact, option=orjson.OPT_SORT_KEYS)
            except TypeError:  # not JSON (a key that is not a string): equal to no other
                same = index
            if same in seen:
                seen[same].append(index)
                continue
            if size >= CHUNK:
                documents.append({**base, "candidates": current})
                members.append(standing)
                current, standing, size = {}, {}, 0
            current.setdefault(key, []).append(fact)
            seen[same] = [index]
            standing.setdefault(key, []).append(seen[same])
            size += 1
    documents.append({**base, "candidates": current})
    members.append(standing)
    return documents, members


def base_input(
    program: Program, model: InputModel, indexes: frozenset[tuple[str, str]] = frozenset()
) -> dict[str, Any]:
    """The part of every input document that is not candidates: the globals
    (``ledger``, ``params``), the whole collections, each record with only the
    fields and regex facts Rego reads of it (:mod:`engine.evaluate.projection`),
    and the ``indexes`` of collections by a field that joins look up
    (``engine.dsl.compile``)."""
    projected = projections(program)
    values = {"ledger": model.ledger, "params": model.params}
    index: dict[str, dict[str, dict[str, list[int]]]] = {}
    for name, key in sorted(indexes):
        positions: dict[str, list[int]] = index.setdefault(name, {}).setdefault(key, {})
        for position, record in enumerate(model.collections.get(name, [])):
            value = record.get(key)
            if isinstance(value, str):
                positions.setdefault(value, []).append(position)
    return {
        "index": index,
        **{
            name: to_rego(values[name], GLOBALS[name], seen.atoms, seen.fields)
            for name, seen in projected.items()
            if name in GLOBALS
        },
        "collections": {
            name: list(
                map(
                    converter(rec(COLLECTIONS[name].record), seen.atoms, seen.fields),
                    model.collections.get(name, []),
                )
            )
            for name, seen in projected.items()
            if name in COLLECTIONS
        },
    }


QUERY = "data.proofgate.hits"


@functools.cache
def _loaded_backend(
    backend_name: str, texts: tuple[tuple[str, str], ...], bundle: bytes | None = None
) -> Backend:
    """One compiled backend per engine and set of modules, reused across queries
    (``proofgate test`` checks many cases with one pack)."""
    backend = make_backend(backend_name)
    backend.load(dict(texts), QUERY, bundle if backend_name == "regopy" else None)
    return backend


def _texts(modules: list[RegoModule]) -> tuple[tuple[str, str], ...]:
    texts = {f"{m.policy_id}.rego": m.text for m in modules}
    texts["proofgate.rego"] = aggregate_module(modules)
    return tuple(sorted(texts.items()))


def regopy_bundle(modules: list[RegoModule]) -> bytes | None:
    """regopy's compiled bundle of the modules, for ``evaluate(bundle=)``."""
    backend = _loaded_backend("regopy", _texts(modules))
    assert isinstance(backend, RegopyBackend)
    return backend.save()


def query_hits(
    modules: list[RegoModule],
    documents: list[dict[str, Any]],
    backend_name: str,
    bundle: bytes | None = None,
    jobs: int = 1,
) -> list[dict[str, list[Any]]]:
    """The hits of each document, in order; with ``jobs`` > 1 and enough candidates,
    the documents are queried in that many worker processes."""
    texts = _texts(modules)
    size = sum(len(records) for d in documents for records in d["candidates"].values())
    if jobs > 1 and len(documents) > 1 and size >= PARALLEL_MIN_CANDIDATES:
        return _in_workers((backend_name, texts, bundle, documents), jobs)
    backend = _loaded_backend(backend_name, texts, bundle)
    return [_hits(backend, document) for document in documents]


# Below this many candidates one process is quicker than starting workers.
PARALLEL_MIN_CANDIDATES = 4000
# regopy keeps memory from every query of a new document (about 2 MB per
# 500-candidate query of the 10x bench corpus, measured; never given back, even
# by a fresh interpreter): a worker exits after this many and a fresh one forks.
TASKS_PER_WORKER = 4
_Job = tuple[str, tuple[tuple[str, str], ...], bytes | None, list[dict[str, Any]]]
_JOB: _Job | None = None  # inherited by fork()ed workers


def _hits(backend: Backend, document: dict[str, Any]) -> dict[str, list[Any]]:
    result = backend.query(document)
    return result if isinstance(result, dict) else {}


def _in_workers(job: _Job, jobs: int) -> list[dict[str, list[Any]]]:
    import multiprocessing

    global _JOB
    _JOB = job
    try:
        with multiprocessing.get_context("fork").Pool(
            jobs, maxtasksperchild=TASKS_PER_WORKER
        ) as pool:
            return pool.map(_work, range(len(job[3])), chunksize=1)
    finally:
        _JOB = None


def _work(index: int) -> dict[str, list[Any]]:
    assert _JOB is not None
    backend_name, texts, bundle, documents = _JOB
    # A backend of this process: not one a parent made before the fork.
    backend = _worker_backend(os.getpid(), backend_name, texts, bundle)
    return _hits(backend, documents[index])


@functools.cache
def _worker_backend(
    pid: int, backend_name: str, texts: tuple[tuple[str, str], ...], bundle: bytes | None
) -> Backend:
    return _loaded_backend.__wrapped__(backend_name, texts, bundle)


def evaluate(
    program: Program,
    modules: list[RegoModule],
    model: InputModel,
    backend: str = "regopy",
    prefilter: bool = True,
    reported: Callable[[str], bool] | None = None,
    bundle: bytes | None = None,
    jobs: int = 1,
    kept: str | None = None,
) -> list[Finding]:
    """Every finding of the program over the model, sorted and de-duplicated.

    The candidates of clauses that join the same other collections share input
    documents that hold just those collections: the sentences of most docs
    clauses go without any, so no collection is sent, nor joined, once per chunk
    of them. With ``reported`` (``check PATHS``), clauses whose findings are
    located at their candidate only evaluate the candidates in reported files.
    ``bundle`` (:func:`regopy_bundle` of ``modules``) saves regopy compiling them;
    ``jobs`` worker processes query the documents of a large repo; ``kept``: the
    mark of the records chosen as they were extracted (:func:`candidates`).
    """
    chosen = {
        c.key: candidates(program, c, model, prefilter, reported, kept) for c in program.clauses
    }
    groups: dict[frozenset[str], list[str]] = {}
    for clause in program.clauses:
        if chosen[clause.key]:
            groups.setdefault(_joined(clause), []).append(clause.key)
    documents: list[dict[str, Any]] = []
    members: list[Members] = []
    indexes = frozenset(pair for module in modules for pair in module.indexes)
    for joined, keys in sorted(groups.items(), key=lambda item: sorted(item[0])):
        part = InputModel(
            {n: r for n, r in model.collections.items() if n in joined}, model.ledger, model.params
        )
        used = frozenset(pair for pair in indexes if pair[0] in joined)
        built = build_queries(program, {key: chosen[key] for key in keys}, part, used)
        documents += built[0]
        members += built[1]
    by_key = {c.key: c for c in program.clauses}
    hits: list[Hit] = []
    results = query_hits(modules, documents, backend, bundle, jobs)
    for standing, result in zip(members, results, strict=True):
        for key, found in result.items():
            records = chosen[key]
            for hit in found:  # the answer for a candidate is each of its records' answer
                hits += [(by_key[key], records[i], hit) for i in standing[key][hit["i"]]]
    return sorted(findings_of(program, hits))


Hit = tuple[CheckedClause, Any, dict[str, Any]]  # a clause, the candidate it hit, the hit


def findings_of(program: Program, hits: list[Hit]) -> set[Finding]:
    """The findings of the hits Rego (or the reference evaluator) returned: one per
    hit, but one per rule and sentence or table row (:func:`_one_per_sentence`)."""
    findings: dict[Finding, Finding] = {}
    sentences: dict[tuple[object, ...], list[Hit]] = {}
    made: list[Finding] = []
    for checked, record, hit in hits:
        if checked.main_collection == "sentences" and checked.at == checked.main_var:
            sentences.setdefault(_sentence_key(checked, record), []).append((checked, record, hit))
        else:
            made.append(make_finding(program, checked, record, hit))
    made += [_one_per_sentence(program, group) for group in sentences.values()]
    for finding in made:  # hits that make one finding with other edits: the first edits
        kept = findings.setdefault(finding, finding)
        if _edit_order(finding) < _edit_order(kept):
            findings[finding] = finding
    return set(findings.values())


def _edit_order(finding: Finding) -> list[tuple[int, int, int, int, str]]:
    return [(e.line, e.column, e.end_line, e.end_column, e.text) for e in finding.edits]


def _sentence_key(checked: CheckedClause, record: Any) -> tuple[object, ...]:
    """What one finding of a rule stands for: a sentence, or a whole table row (its
    cells' sentences share the row's line). Rules stay apart, so suppressions, the
    configuration and --select treat each as before."""
    if "cell" in record:
        return checked.rule, record.get("path"), record.get("line")
    return checked.rule, id(record)


def _one_per_sentence(program: Program, hits: list[Hit]) -> Finding:
    """One finding for the hits of one rule on one sentence or table row (a sentence
    was reported two or three times by one boundary): the first of the rule's
    clauses that hit, at its first match, with every distinct value a placeholder
    took (two class words, a word and its alias) named in its message."""
    first = min(checked.index for checked, _, _ in hits)
    chosen = [(c, r, h) for c, r, h in hits if c.index == first]
    chosen.sort(key=lambda item: tuple(item[2].get("o", ())))
    checked, record, hit = chosen[0]
    values: dict[str, list[Any]] = {}
    for _, _, each in chosen:
        for name, value in each.get("v", {}).items():
            seen = values.setdefault(name, [])
            if value not in seen:
                seen.append(value)
    merged = {name: found[0] if len(found) == 1 else found for name, found in values.items()}
    return make_finding(program, checked, record, {**hit, "v": merged})


def _joined(checked: CheckedClause) -> frozenset[str]:
    """The collections a clause reads besides the one it ranges over."""
    clause = checked.clause
    nodes = [n for g in clause.generators[1:] for n in walk(g.source)]
    nodes += walk(clause.where) if clause.where is not None else []
    nodes += [n for _, expr in checked.rego_placeholders() for n in walk(expr)]
    nodes += [n for root in checked.edit_roots() for n in walk(root)]
    return frozenset(n.name for n in nodes if isinstance(n, ast.Var) and n.name in COLLECTIONS)


def render_message(template: str, values: dict[str, Any]) -> str:
    """The message with its placeholders filled; a capture of a case-insensitive
    regex is shown as written (its ``RAW`` value), not lower-cased as it is for
    ledger look-ups."""
    out = template.replace("{{", "\0").replace("}}", "\1")
    for text in placeholders(template):
        value = values[text + RAW] if text + RAW in values else values.get(text)
        out = out.replace("{" + text + "}", _display(value))
    return out.replace("\0", "{").replace("\1", "}")


def _display(value: Any) -> str:
    if value is None or value is UNDEF:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_display(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(_public(value), ensure_ascii=False, sort_keys=True)
    return str(value)


def _public(value: Any) -> Any:
    """A record as a message shows it: without the private fields the engine keeps
    on it (``_map``, the regex results, the run's marks), at any depth."""
    if isinstance(value, dict):
        return {
            k: _public(v)
            for k, v in value.items()
            if not (isinstance(k, str) and k.startswith("_"))
        }
    if isinstance(value, list):
        return [_public(v) for v in value]
    return value


def make_finding(
    program: Program, checked: CheckedClause, record: Any, hit: dict[str, Any]
) -> Finding:
    from .locate import locate

    if "at" in hit:
        path, line, column, end_line, end_column = hit["at"]
    else:
        path, line, column = record.get("path", ""), record.get("line", 1), record.get("column", 1)
        end_line, end_column = record.get("end_line", line), record.get("end_column", column)
        if "o" in hit and checked.anchor is not None:
            atom = program.atom(checked.anchor)
            record_type = checked.var_types[checked.main_var].record or ""
            start = locate(record, record_type, atom.path, hit["o"][0])
            end = locate(record, record_type, atom.path, hit["o"][1])
            if start is not None and end is not None:
                (line, column), (end_line, end_column) = start, end
    values = dict(hit.get("v", {}))
    evaluator = Evaluator(program, {}, {})
    for text, expr in checked.placeholders:
        if checked.from_record(expr):
            values[text] = evaluator.value(expr, {checked.main_var: record})
    edits = _edits(checked, hit.get("e", []), values, str(path))
    return Finding(
        path=str(path),
        line=int(line),
        column=int(column),
        rule=checked.rule,
        message=render_message(checked.clause.message.text, values),
        severity=checked.severity,
        end_line=int(end_line),
        end_column=int(end_column),
        rationale=checked.policy.rationale,
        fix=render_message(checked.fix, values),
        edits=edits,
        suggestion=render_message(checked.clause.suggest or "", values),
    )


def _edits(
    checked: CheckedClause, found: list[list[list[Any]]], values: dict[str, Any], path: str
) -> tuple[Edit, ...]:
    """The edits of a hit: each edit of the clause at every span Rego returned for
    it (none when its ``when`` failed or its target is undefined; one per match
    when the target reads a capture of the ``when``) in the finding's own file;
    the text rendered as the message is, each line break written as the span's
    line ending."""
    edits: set[Edit] = set()
    for edit, spans in zip(checked.clause.edits, found, strict=False):
        for where, line, column, end_line, end_column, eol in spans:
            if where != path:
                continue
            if edit.action == "insert before":
                end_line, end_column = line, column
            elif edit.action == "insert after":
                line, column = end_line, end_column
            text = render_message(edit.text, values)
            text = text.replace("\n", eol if eol == "\r\n" else "\n")
            edits.add(Edit(int(line), int(column), int(end_line), int(end_column), text))
    return tuple(sorted(edits, key=lambda e: (e.line, e.column, e.end_line, e.end_column, e.text)))
