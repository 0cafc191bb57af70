"""The repos a language server checks, one per root, each kept warm.

A document's repo root is found from its path as ``proofgate check`` finds it
(:func:`engine.repo.discover.find_root`), so the server needs no workspace
folder and serves a multi-root workspace (each folder, or each git work tree
in it, is a repo of its own). A :class:`Repo` keeps its configuration, the
compiled and configured pack and the pipeline's :class:`engine.pipeline.Warm`
memory; one document is checked through the pipeline's one entry, its text
(and the other open documents' texts) given instead of the files on disk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..core.errors import ErrorGroup, ProofgateError, confined
from ..pipeline import Options, Warm, run

if TYPE_CHECKING:
    from ..config import Config
    from ..core.finding import Finding
    from ..pack import Pack

# What an edit of a file changes: the pack (configuration, policies), every open
# document of the repo (the ledger, a file whose records are joined across files),
# or the file's own findings only.
Reach = Literal["pack", "repo", "file"]
_CONFIG_FILES = (".proofgate.toml", "pyproject.toml")


@dataclass
class Outcome:
    """A document's check: its findings, or the errors that stopped the check (a
    broken configuration, policy or ledger), each naming its file."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[ProofgateError] = field(default_factory=list)


class Repo:
    """One repo root: its configuration and pack (loaded on first use, again after
    :meth:`reset`) and what the pipeline keeps of it between checks."""

    def __init__(self, root: Path, use_cache: bool = True) -> None:
        self.root = root
        self.use_cache = use_cache
        self.warm = Warm()
        self._loaded: tuple[Config, Pack] | None = None

    def _trusted(self) -> list[Path]:
        from ..core.resources import shipped_policies

        return [shipped_policies()]

    def loaded(self) -> tuple[Config, Pack]:
        """The configuration and the compiled, configured pack; raises
        ProofgateError (kept for no check: the next one tries again)."""
        if self._loaded is None:
            from ..config import load_config
            from ..core.resources import shipped_policies
            from ..pack import Pack, read_pack

            with confined(self.root, self._trusted()):
                config = load_config(self.root)
                dirs = config.policy_dirs() if config.settings.policies else [shipped_policies()]
                pack = Pack(read_pack(dirs), config, self.use_cache)
                pack.policies  # noqa: B018 -- compiled and configured now, errors raised here
            self._loaded = (config, pack)
        return self._loaded

    def reset(self) -> None:
        """Forget the configuration, the pack and everything read: they changed."""
        self._loaded = None
        self.warm = Warm()

    def check(self, rel: str, text: str, others: dict[str, str], today: dt.date) -> Outcome:
        """The findings in the document at ``rel`` with ``text``, judged with the
        repo as context and ``others`` (the other open documents' texts) instead
        of those files on disk."""
        try:
            config, pack = self.loaded()
            with confined(self.root, self._trusted()):
                given = tuple((path, body) for path, body in others.items() if path != rel)
                options = Options(
                    ledger=config.ledger(),
                    today=today,
                    use_cache=self.use_cache,
                    stdin=(rel, text),
                    texts=given,
                    warm=self.warm,
                )
                result = run(pack, self.root, options)
        except ProofgateError as error:
            return Outcome(errors=error.errors if isinstance(error, ErrorGroup) else [error])
        return Outcome(findings=[f for f in result.findings if f.path == rel])

    def explain(self, rule: str) -> str:
        """What ``proofgate explain RULE`` prints for this repo ("" when the pack
        does not load or knows no such rule)."""
        from ..report.explain import explain

        try:
            config, pack = self.loaded()
            with confined(self.root, self._trusted()):
                return explain(pack.policies, config, rule)
        except ProofgateError:
            return ""

    def rule_source(self, rule: str) -> tuple[Path, int] | None:
        """The policy file that states ``rule`` and its line (None for the engine's own
        rules, or when the pack does not load)."""
        try:
            _, pack = self.loaded()
        except ProofgateError:
            return None
        program = pack.policies.program
        policy = next((c.policy for c in program.clauses if c.rule == rule), None)
        if policy is None:
            return None
        return Path(policy.span.path).resolve(), policy.span.line

    def reach(self, path: Path) -> Reach:
        """What an edit of the file at ``path`` changes (:data:`Reach`)."""
        from ..extract import kind_of

        config, pack = self._loaded or (None, None)
        if path.parent == self.root and path.name in _CONFIG_FILES:
            return "pack"
        if config is not None and config.path is not None and path == config.path.resolve():
            return "pack"
        if path.suffix in (".policy", ".rego") and (
            pack is None or any(d.resolve() in path.parents for d in pack.sources.dirs)
        ):
            return "pack"
        try:
            rel = path.relative_to(self.root).as_posix()
        except ValueError:
            return "file"
        if pack is None or self.warm.ledger is None or rel == self.warm.ledger[0][0]:
            return "repo"
        joined = pack.policies.joined_kinds()
        return "repo" if joined is None or kind_of(rel) in joined else "file"


class Repos:
    """The repos of the documents seen so far, by root."""

    def __init__(self, use_cache: bool = True) -> None:
        self.use_cache = use_cache
        self.by_root: dict[Path, Repo] = {}
        self._roots: dict[Path, Path] = {}  # a document's folder -> its repo root

    def of(self, path: Path) -> tuple[Repo, str] | None:
        """The repo of the file at ``path`` (absolute) and its repo-relative path;
        None for a file outside its root or of a kind ``check`` does not read."""
        from ..extract import kind_of
        from ..repo.discover import find_root

        folder = path.parent
        if folder not in self._roots:
            self._roots[folder] = find_root(None, (str(path),))
        root = self._roots[folder]
        try:
            rel = path.resolve().relative_to(root).as_posix()
        except ValueError:
            return None
        if kind_of(rel) == "other":
            return None
        repo = self.by_root.get(root)
        if repo is None:
            repo = self.by_root[root] = Repo(root, self.use_cache)
        return repo, rel
