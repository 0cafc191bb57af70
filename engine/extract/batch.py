"""Extract many files: in parallel on large repos, and from the cache when unchanged.

:func:`extract_files` is the "map" half of a check. Each file is extracted
once and its suppression comments are read; then ``keep`` decides, batch by
batch, which records the evaluation needs (the check keeps every record of
the collections joined across files, and of the others only the candidates
of some clause: most Markdown sentences never reach the evaluator), so the
records that are not needed are dropped where they were made.

Large repos are split across worker processes (``fork``: they inherit the
compiled pack, nothing is sent to them but indices), each returning its
batches' kept records; small ones, or ``jobs=1``, run in this process. Both
give the same records in the same order (a test compares them).

The records of files of the ``cached`` kinds are kept in the cache under a
key of their path, kind and text (and proofgate's
fingerprint, see :mod:`engine.cache`). The check caches the kinds whose
records it needs from every file even when it reports on a few (workflows,
.bazelrc: joined across files); Markdown, checked record by record, is
quicker to parse again than to unpickle.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import extractor
from .base import Extraction, Record, SourceFile, drain_timeouts

if TYPE_CHECKING:
    from ..cache import Cache
    from .suppressions import Suppression

Keep = Callable[[str, list[Record]], list[Record]]

# Below this much text one process is quicker than starting workers.
PARALLEL_MIN_BYTES = 2 << 20
BATCH_FILES = 64  # files per batch handed to ``keep`` (and to a worker)
# A worker is replaced after this many batches: what it keeps of a batch is sent
# back, but its heap keeps the high-water mark of the records it made and
# dropped, the matches it shared across records, and its own copies of the
# pages of the parent's texts it touched. 100x real docs, first run: 202 MiB
# at the peak never replaced, 181 after 24 batches, 175 after 8 (which costs
# 7% more CPU: each new worker starts without the shared matches).
BATCHES_PER_WORKER = 24


@dataclass
class Extracted:
    """One file's extraction: its kept records, problems and suppression comments."""

    extraction: Extraction
    suppressions: list[Suppression] = field(default_factory=list)


def default_jobs() -> int:
    """Worker processes for a large repo: the CPUs this process may use, at most 8."""
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        available = os.cpu_count() or 1
    return max(1, min(available, 8))


def extract_files(
    sources: list[SourceFile],
    cache: Cache | None = None,
    cached: frozenset[str] = frozenset(),
    keep: Keep | None = None,
    jobs: int | None = None,
    before_fork: Callable[[], None] | None = None,
) -> list[Extracted]:
    """The extraction of each source, in order, with only the records ``keep`` keeps;
    ``before_fork`` prepares, once in this process, what every worker would
    otherwise work out for itself (called only when the files go to workers)."""
    results: list[Extracted | None] = [None] * len(sources)
    entries = [""] * len(sources)
    if cache is not None and cache.enabled:
        from ..cache import key

        for index, source in enumerate(sources):
            if source.kind not in cached:
                continue
            entries[index] = key("extract", source.kind, source.path, source.text)
            found = cache.get("extract", entries[index])
            if isinstance(found, Extraction):
                results[index] = Extracted(found, _suppressions(source, found))
    todo = [index for index, result in enumerate(results) if result is None]
    workers = default_jobs() if jobs is None else max(1, jobs)
    size = sum(len(sources[index].text) for index in todo)
    if workers > 1 and size >= PARALLEL_MIN_BYTES and len(todo) > BATCH_FILES:
        if before_fork is not None:
            before_fork()
        done = _in_workers(sources, todo, keep, workers, entries)
    else:
        done = _run_batches(sources, todo, keep, entries)
    fresh = set(todo)
    if keep is not None:  # the cached files' records, batch by batch too
        cached_files = [i for i in range(len(sources)) if i not in fresh]
        for start in range(0, len(cached_files), BATCH_FILES):
            batch = [results[i] for i in cached_files[start : start + BATCH_FILES]]
            _keep_batch([r.extraction for r in batch if r is not None], keep)
    for index, extracted, blob in done:
        results[index] = extracted
        if blob is not None and cache is not None:
            cache.put_pickled("extract", entries[index], blob)
    return [result for result in results if result is not None]


_Done = tuple[int, Extracted, bytes | None]  # index, extraction, its pickle for the cache


def _run_batches(
    sources: list[SourceFile], todo: list[int], keep: Keep | None, entries: list[str]
) -> list[_Done]:
    done: list[_Done] = []
    for start in range(0, len(todo), BATCH_FILES):
        done += _batch(sources, todo[start : start + BATCH_FILES], keep, entries)
    return done


def _batch(
    sources: list[SourceFile], indices: list[int], keep: Keep | None, entries: list[str]
) -> list[_Done]:
    import pickle

    out: list[_Done] = []
    for index in indices:
        source = sources[index]
        extract = extractor(source.kind)
        extraction = extract(source) if extract is not None else Extraction()
        blob = pickle.dumps(extraction, pickle.HIGHEST_PROTOCOL) if entries[index] else None
        out.append((index, Extracted(extraction, _suppressions(source, extraction)), blob))
    if keep is not None:
        _keep_batch([extracted.extraction for _, extracted, _ in out], keep)
        _timeouts_to_files(sources, out)
    return out


def _timeouts_to_files(sources: list[SourceFile], done: list[_Done]) -> None:
    """The regex time-outs of ``keep`` (its prefilter runs the pack's patterns), as
    problems of the files they happened in: they travel back from a worker so."""
    by_path = {sources[index].path: extracted for index, extracted, _ in done}
    for problem in drain_timeouts():
        if problem.path in by_path:
            by_path[problem.path].extraction.problems.append(problem)


def _keep_batch(extractions: list[Extraction], keep: Keep) -> None:
    """Apply ``keep`` to a batch's records, collection by collection, in place."""
    names = {name for extraction in extractions for name in extraction.records}
    for name in sorted(names):
        records = [r for e in extractions for r in e.records.get(name, ())]
        kept = {id(r) for r in keep(name, records)}
        for extraction in extractions:
            if name in extraction.records:
                extraction.records[name] = [r for r in extraction.records[name] if id(r) in kept]


def _suppressions(source: SourceFile, extraction: Extraction) -> list[Suppression]:
    from .suppressions import Comments

    comments = Comments()
    comments.scan(source.path, source.kind, source.text, extraction.records.get("html", ()))
    return comments.found


# --- worker processes ---------------------------------------------------------------

_JOB: tuple[list[SourceFile], Keep | None, list[str]] | None = None  # inherited by fork


def _in_workers(
    sources: list[SourceFile],
    todo: list[int],
    keep: Keep | None,
    workers: int,
    entries: list[str],
) -> list[_Done]:
    import multiprocessing

    global _JOB
    batches = [todo[start : start + BATCH_FILES] for start in range(0, len(todo), BATCH_FILES)]
    _JOB = (sources, keep, entries)
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, maxtasksperchild=BATCHES_PER_WORKER) as pool:
            parts = pool.map(_work, batches, chunksize=1)
    finally:
        _JOB = None
    return [item for part in parts for item in part]


def _work(indices: list[int]) -> list[_Done]:
    assert _JOB is not None
    sources, keep, entries = _JOB
    return _batch(sources, indices, keep, entries)
