"""Extract many files: from the cache when a file is unchanged, else by its extractor.

The records of files of the ``cached`` kinds are kept in the cache under a key
of their path, kind, bootstrap flag and text (and proofgate's fingerprint, see
:mod:`engine.cache`). The check caches the kinds whose records it needs from
every file even when it reports on a few (workflows, .bazelrc: joined across
files); Markdown, checked record by record, is quicker to parse again than to
unpickle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.extract import extractor
from engine.extract.base import Extraction, SourceFile

if TYPE_CHECKING:
    from engine.cache import Cache


def extract_files(
    sources: list[SourceFile], cache: Cache | None = None, cached: frozenset[str] = frozenset()
) -> list[Extraction]:
    """The extraction of each source, in order."""
    from engine.cache import key

    use_cache = cache is not None and cache.enabled
    results: list[Extraction] = []
    for source in sources:
        entry = ""
        if use_cache and cache is not None and source.kind in cached:
            entry = key("extract", source.kind, source.path, str(source.bootstrap), source.text)
            found = cache.get("extract", entry)
            if isinstance(found, Extraction):
                results.append(found)
                continue
        extract = extractor(source.kind)
        result = extract(source) if extract is not None else Extraction()
        if entry and cache is not None:
            cache.put("extract", entry, result)
        results.append(result)
    return results
