"""The policy pack: read, checked, compiled and cached once, then configured.

This is the one registry of the rule ids a run knows (:class:`Catalogue`): the
rules of the loaded policies, the packages of hand-written Rego, and the rules
the engine reports itself (:data:`engine.core.rules.ENGINE_RULES`). Suppressions,
the configuration, policy tests and reports all ask it.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .core.errors import ErrorGroup, ProofgateError
from .core.model import COLLECTIONS
from .core.params import fill, params_record
from .core.rules import ANY_FILE, ENGINE_RULES, LEDGER, PARSE_ERROR, Rule
from .core.text import did_you_mean, read_utf8, shown_path
from .dsl.files import policy_files

if TYPE_CHECKING:
    from .cache import Cache
    from .config import Config, Key
    from .dsl.compile import RegoModule
    from .dsl.program import CheckedClause, Program


@dataclass
class PolicySet:
    program: Program
    modules: list[RegoModule]
    sources: dict[str, str]
    rego: dict[str, str] = field(default_factory=dict)  # hand-written modules
    bundle: bytes | None = None  # regopy's compiled modules (engine.evaluate.run.regopy_bundle)
    prescreen: Any = None  # its compiled prescreen (engine.evaluate.prescreen.prepared)
    # The ``params`` global in force (engine.core.params): the defaults until
    # :func:`configure` applies a configuration's ``[params]``.
    params: dict[str, Any] = field(default_factory=lambda: params_record())

    @property
    def catalogue(self) -> Catalogue:
        return Catalogue.of(self)

    def joined_kinds(self, reported: frozenset[str] | None = None) -> frozenset[str] | None:
        """The file kinds whose records matter beyond their own file
        (:func:`joined_kinds`; with ``reported``, to a check that reports only in
        files of those kinds); None when every file does (hand-written Rego reads
        whole files)."""
        return None if self.rego else joined_kinds(self.program, reported)


@dataclass(frozen=True)
class Catalogue:
    """Every policy of the loaded set with its rule ids in source order, the rules a
    check runs with their descriptions, and the ids of the engine's own rules."""

    rules: dict[str, list[str]]  # policy id -> its rule ids
    described: tuple[Rule, ...]  # the rules a check runs, and parse-error; sorted by id

    @classmethod
    def of(cls, policy_set: PolicySet) -> Catalogue:
        rules: dict[str, list[str]] = {p.id: [] for p in policy_set.program.policies}
        described: dict[str, Rule] = {}
        for clause in policy_set.program.clauses:
            listed = rules.setdefault(clause.policy.id, [])
            if clause.rule not in listed:
                listed.append(clause.rule)
            described.setdefault(clause.rule, _clause_rule(clause, policy_set.params))
        if policy_set.rego:
            from .evaluate.handwritten import packages

            for package in packages(policy_set.rego):
                rules.setdefault(package, [package])
        described.setdefault(PARSE_ERROR.id, PARSE_ERROR)  # any file checked may not parse
        return cls(rules, tuple(sorted(described.values(), key=lambda rule: rule.id)))

    def policy_of(self, name: str) -> str | None:
        """The policy a rule or policy id belongs to (None when unknown)."""
        if name in self.rules:
            return name
        return next((p for p, rules in self.rules.items() if name in rules), None)

    def engine_rule(self, name: str) -> Rule | None:
        """One of the rules the engine reports itself (``parse-error``, ``suppression-*``)."""
        return next((rule for rule in ENGINE_RULES if rule.id == name), None)

    def listed(self) -> list[Rule]:
        """Every rule a check may report: the policies' and the engine's, sorted by id."""
        rules = {rule.id: rule for rule in (*self.described, *ENGINE_RULES)}
        return sorted(rules.values(), key=lambda rule: rule.id)

    def names(self) -> list[str]:
        """Every id a suppression, the configuration or a test case may name."""
        engine = [rule.id for rule in ENGINE_RULES]
        return [*self.rules, *(r for rules in self.rules.values() for r in rules), *engine]


def _clause_rule(clause: CheckedClause, params: dict[str, Any]) -> Rule:
    """A clause's rule, its fix hint and rationale showing the params in force."""
    policy = clause.policy
    if clause.main_collection is None:
        kinds: tuple[str, ...] = (LEDGER,)  # ``for l in [ledger]``
    else:
        kinds = COLLECTIONS[clause.main_collection].kinds or (ANY_FILE,)
    return Rule(
        clause.rule,
        policy.id,
        clause.severity,
        fill(policy.rationale, params),
        fill(clause.fix, params),
        kinds,
        policy.paths,
        policy.exclude,
    )


# Reading and compiling


@dataclass(frozen=True)
class PackSources:
    """The text of a policy pack: ``.policy`` files and hand-written ``.rego`` modules."""

    policies: dict[str, str]  # shown path -> text
    rego: dict[str, str]
    dirs: tuple[Path, ...] = ()  # the directories (or files) they were read from

    def key_parts(self) -> list[str]:
        return [
            part for files in (self.policies, self.rego) for item in files.items() for part in item
        ]


def read_pack(dirs: list[Path]) -> PackSources:
    """The ``.policy`` and ``.rego`` files under ``dirs`` (:mod:`engine.dsl.files`)."""
    sources: dict[str, str] = {}
    rego: dict[str, str] = {}
    errors: list[ProofgateError] = []
    for path in policy_files(dirs):
        try:
            if path.suffix == ".rego":
                rego[path.as_posix()] = read_utf8(path)
            else:
                sources[shown_path(path)] = read_utf8(path)
        except ProofgateError as error:
            errors.append(error)
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    return PackSources(sources, rego, tuple(dirs))


def load_policies(dirs: list[Path], cache: Cache | None = None) -> PolicySet:
    """Parse, check and compile every ``.policy`` file under ``dirs`` (the
    ``.rego`` files beside them are hand-written modules)."""
    return compile_pack(read_pack(dirs), cache)


def compile_pack(pack: PackSources, cache: Cache | None = None) -> PolicySet:
    """The checked and compiled pack; one already in ``cache`` is taken from there
    (one put there carries regopy's bundle and the prescreen's databases too)."""
    entry = ""
    if cache is not None and cache.enabled:
        from .cache import key

        entry = key("pack", *pack.key_parts())
        found = cache.get("pack", entry)
        if isinstance(found, PolicySet):
            return found
    policy_set = _compile(pack.policies, pack.rego)
    if cache is not None and entry:
        from .evaluate.prescreen import prepared
        from .evaluate.run import regopy_bundle

        policy_set.bundle = regopy_bundle(policy_set.modules)
        policy_set.prescreen = prepared(policy_set.program)
        cache.put("pack", entry, policy_set)
    return policy_set


def _compile(sources: dict[str, str], rego: dict[str, str]) -> PolicySet:
    from .dsl.checker import check_program
    from .dsl.compile import compile_program
    from .dsl.parser import parse

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
    program = check_program(modules, sources)
    program = with_params(program, params_record())  # the defaults, until configured
    return PolicySet(program, compile_program(program), sources, rego)


# The pack as a check uses it


class Pack:
    """A pack's sources with a configuration, compiled and configured on first use
    (from the user's cache when ``use_cache``), once however many checks use it."""

    def __init__(self, sources: PackSources, config: Config, use_cache: bool = True) -> None:
        self.sources = sources
        self.config = config
        self.use_cache = use_cache

    @classmethod
    def of(cls, policy_set: PolicySet, config: Config | None = None) -> Pack:
        """A pack already compiled (tests and benches compile once for many checks)."""
        from .config import Config

        pack = cls(PackSources(policy_set.sources, policy_set.rego), config or Config(), False)
        pack.__dict__["policies"] = configure(policy_set, pack.config)
        return pack

    def test_trees(self, root: Path) -> tuple[str, ...]:
        """The ``tests/`` folders of the loaded policy directories that lie under
        ``root``, as repo-relative prefixes (``policies/tests/``): a check leaves
        the policy-test fixtures alone."""
        trees: list[str] = []
        top = root.resolve()
        for directory in self.sources.dirs:
            try:
                rel = directory.resolve().relative_to(top).as_posix()
            except (ValueError, OSError):
                continue
            if (directory / "tests").is_dir():
                trees.append("tests/" if rel == "." else f"{rel}/tests/")
        return tuple(trees)

    def key_parts(self) -> list[str]:
        """What a result computed with this pack depends on."""
        return [*self.sources.key_parts(), self.config.text, repr(self.config.settings)]

    @functools.cached_property
    def policies(self) -> PolicySet:
        from .cache import open_user_cache

        packs = open_user_cache(self.use_cache)
        try:
            return configure(compile_pack(self.sources, packs), self.config)
        finally:
            packs.close()


def configure(policy_set: PolicySet, config: Config) -> PolicySet:
    """Check the ids the configuration names against the loaded policies, apply its
    ``[params]`` (the ``params`` global, and the ``paths`` a policy takes from a
    param) and its path overrides; raise ProofgateError (with positions) on unknown
    ids."""
    catalogue = policy_set.catalogue
    errors = _unknown_ids(config, set(catalogue.names()), set(catalogue.rules))
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    params = config.params()
    if params == policy_set.params and not config.path_overrides():
        return policy_set
    program = with_paths(with_params(policy_set.program, params), config.path_overrides())
    return dataclasses.replace(policy_set, program=program, params=params)


def with_ledger(policy_set: PolicySet, ledger: dict[str, Any]) -> PolicySet:
    """The policies with the ledger slots of their patterns holding the words of
    ``ledger`` (the ledger global; :mod:`engine.dsl.ledger_words`): per run, never
    in the cached pack."""
    from .dsl.ledger_words import words

    program = policy_set.program.bound(words(ledger))
    if program is policy_set.program:
        return policy_set
    return dataclasses.replace(policy_set, program=program)


def with_params(program: Program, params: dict[str, Any]) -> Program:
    """The program with the ``paths`` of the policies that take them from a param
    (``paths params.product_surfaces``) set to its value."""
    overrides = {
        p.id: list(params[p.paths_param]) for p in program.policies if p.paths_param is not None
    }
    return with_paths(program, overrides) if overrides else program


def _unknown_ids(config: Config, known: set[str], policies: set[str]) -> list[ProofgateError]:
    from .config import PRIMARY_SURFACE_POLICY

    def unknown(name: str, key: Key, what: str, choices: set[str]) -> ProofgateError:
        close = did_you_mean(name, sorted(choices))
        hint = f" (did you mean '{close}'?)" if close else ""
        return config.error(f"{what} '{name}' is not among the loaded policies{hint}", key)

    settings = config.settings
    errors = [
        unknown(name, ("severity", name), "rule", known)
        for name in settings.severity
        if name not in known
    ]
    errors += [
        unknown(name, ("disable", index), "rule", known)
        for index, name in enumerate(settings.disable)
        if name not in known
    ]
    errors += [
        unknown(name, ("paths", name), "policy", policies)
        for name in settings.paths
        if name not in policies
    ]
    if settings.primary_surface is not None:
        if PRIMARY_SURFACE_POLICY not in policies:
            message = (
                f"primary-surface sets the paths of policy '{PRIMARY_SURFACE_POLICY}', "
                "which is not among the loaded policies (use [paths] for your own policies)"
            )
            errors.append(config.error(message, ("primary-surface",)))
        elif PRIMARY_SURFACE_POLICY in settings.paths:
            message = f"primary-surface and paths.{PRIMARY_SURFACE_POLICY} both set its paths"
            errors.append(config.error(message, ("primary-surface",)))
    return errors


def with_paths(program: Program, overrides: dict[str, list[str]]) -> Program:
    """The program with the ``paths`` of the named policies replaced."""
    replaced = {
        p.id: dataclasses.replace(p, paths=tuple(overrides[p.id]))
        for p in program.policies
        if p.id in overrides
    }
    policies = [replaced.get(p.id, p) for p in program.policies]
    clauses = [
        dataclasses.replace(c, policy=replaced[c.policy.id]) if c.policy.id in replaced else c
        for c in program.clauses
    ]
    return dataclasses.replace(program, policies=policies, clauses=clauses)


def params_read(program: Program, policy_id: str) -> list[str]:
    """The params a policy reads (in its conditions, messages, fix hints or
    ``paths``), by their configured names, in the order of the defaults."""
    from .core.params import DEFAULTS, source_of
    from .dsl import ast
    from .dsl.program import placeholders, walk_clause

    read: set[str] = set()
    for checked in program.clauses:
        if checked.policy.id != policy_id:
            continue
        policy = checked.policy
        if policy.paths_param is not None:
            read.add(policy.paths_param)
        for node in walk_clause(checked.clause):
            if isinstance(node, ast.Field) and node.base == ast.Var("params"):
                read.add(source_of(node.name))
        for text in (checked.clause.message.text, checked.fix, policy.rationale):
            for placeholder in placeholders(text):
                head, _, name = placeholder.strip().partition(".")
                if head == "params" and name:
                    read.add(source_of(name.split(".")[0]))
    return [name for name in DEFAULTS if name in read]


# Which records matter beyond their own file


def joined_kinds(program: Program, reported: frozenset[str] | None = None) -> frozenset[str]:
    """The file kinds of the collections the program reads that are not
    :func:`local_collections`: their records are read from every file, even
    when a check reports on a few. With ``reported`` (the kinds of the files a
    check reports findings in), only the collections of the clauses whose
    findings can lie in such a file (:func:`finding_kinds`): the findings of the
    others would all be dropped (a check of docs reads no workflow)."""
    if reported is None:
        used = program.collections_used()
    else:
        clauses = [c for c in program.clauses if _may_report_in(c, reported)]
        used = {name for c in clauses for name in _collections_named(c)}
    shared = used - local_collections(program)
    return frozenset(kind for name in shared for kind in COLLECTIONS[name].kinds)


def _may_report_in(checked: CheckedClause, reported: frozenset[str]) -> bool:
    kinds = finding_kinds(checked)
    return not kinds or not reported.isdisjoint(kinds)


def finding_kinds(checked: CheckedClause) -> tuple[str, ...]:
    """The kinds of the files a clause's findings can lie in: those of the collection
    its located record (``at``) comes from, directly or nested in one of its
    records; () when that is not known (any file)."""
    collection = _collection_of(checked, checked.at)
    return COLLECTIONS[collection].kinds if collection is not None else ()


def _collection_of(checked: CheckedClause, var: str) -> str | None:
    """The collection the records a clause's variable ranges over come from."""
    from .dsl import ast

    for generator in checked.clause.generators:
        if generator.var != var:
            continue
        root = generator.source
        while isinstance(root, ast.Field | ast.Index):
            root = root.base
        if not isinstance(root, ast.Var) or root.name == var:
            return None
        return root.name if root.name in COLLECTIONS else _collection_of(checked, root.name)
    return None


def _collections_named(checked: CheckedClause) -> set[str]:
    from .dsl import ast
    from .dsl.program import walk_clause

    nodes = walk_clause(checked.clause)
    return {n.name for n in nodes if isinstance(n, ast.Var) and n.name in COLLECTIONS}


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
            local[name] = local.get(name, True) and clause.reports_at_candidate
    return {name for name, ok in local.items() if ok and name not in whole}
