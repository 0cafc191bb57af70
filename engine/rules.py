"""The rules a check ran with, for reports that describe rules without findings too.

SARIF lists every rule of the loaded policy set with its rationale, fix and
default severity; JUnit has a test case per policy and file it reads. Both
need the rules, not only the findings, so :func:`rule_catalog` builds them
from the checked program plus the two rules the engine itself reports
(``parse-error`` and the embedded proof matrix).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.model import COLLECTIONS

PARSE_ERROR = "parse-error"

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

    from engine.check import PolicySet
    from engine.dsl.check import CheckedClause, Program
    from engine.finding import Finding

ANY_FILE = "*"  # a kind that stands for every file (the ``files`` collection)
LEDGER = "ledger"  # the kind of the proof ledger


@dataclass(frozen=True)
class Rule:
    """One rule id: what it is for, how to fix it, and which files it reads."""

    id: str
    policy: str
    severity: str
    rationale: str
    fix: str
    kinds: tuple[str, ...] = ()  # input kinds it reads; () when it only fires (parse-error)
    paths: tuple[str, ...] = ()  # the policy's path globs (gitignore style)
    exclude: tuple[str, ...] = ()

    def reads(self, path: str, kind: str) -> bool:
        """True when this rule examines the file ``path`` of input kind ``kind``."""
        if ANY_FILE not in self.kinds and kind not in self.kinds:
            return False
        if self.paths and not path_spec(self.paths).match_file(path):
            return False
        return not (self.exclude and path_spec(self.exclude).match_file(path))


@functools.cache
def path_spec(patterns: tuple[str, ...]) -> GitIgnoreSpec:
    """A compiled gitignore-style matcher, one per set of globs."""
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(patterns)


def rule_catalog(program: Program) -> list[Rule]:
    """Every rule of the program, then the engine's own rules, sorted by id."""
    from engine.check import PARSE_ERROR_FIX, PARSE_ERROR_RATIONALE
    from engine.matrix import FIX, RATIONALE, RULE

    rules: dict[str, Rule] = {}
    for clause in program.clauses:
        rules.setdefault(clause.rule, _clause_rule(clause))
    rules["parse-error"] = Rule(
        "parse-error", "parse-error", "error", PARSE_ERROR_RATIONALE, PARSE_ERROR_FIX
    )
    rules.setdefault(RULE, Rule(RULE, RULE.split(".")[0], "warning", RATIONALE, FIX, ("markdown",)))
    return sorted(rules.values(), key=lambda rule: rule.id)


def _clause_rule(clause: CheckedClause) -> Rule:
    policy = clause.policy
    if clause.main_collection is None:
        kinds: tuple[str, ...] = (LEDGER,)  # ``for l in [ledger]``
    else:
        kinds = COLLECTIONS[clause.main_collection].kinds or (ANY_FILE,)
    return Rule(
        clause.rule,
        policy.id,
        clause.severity,
        policy.rationale,
        clause.fix,
        kinds,
        policy.paths,
        policy.exclude,
    )


def with_finding_rules(rules: list[Rule], findings: list[Finding]) -> list[Rule]:
    """``rules`` plus a rule for each finding whose id is not among them (hand-written
    Rego packages), described by the finding itself; sorted by id."""
    known = {rule.id: rule for rule in rules}
    for finding in findings:
        if finding.rule not in known:
            known[finding.rule] = Rule(
                finding.rule, finding.rule, finding.severity, finding.rationale, finding.fix
            )
    return sorted(known.values(), key=lambda rule: rule.id)


def file_kinds(paths: list[str], ledger_path: str | None) -> dict[str, str]:
    """The input kind of each checked file, the proof ledger's being ``ledger``."""
    from engine.extract import kind_of

    return {rel: LEDGER if rel == ledger_path else kind_of(rel) for rel in paths}


@dataclass(frozen=True)
class Catalogue:
    """Every policy of the loaded set with its rule ids, in source order."""

    rules: dict[str, list[str]]

    @classmethod
    def of(cls, policy_set: PolicySet) -> Catalogue:
        rules: dict[str, list[str]] = {p.id: [] for p in policy_set.program.policies}
        for clause in policy_set.program.clauses:
            listed = rules.setdefault(clause.policy.id, [])
            if clause.rule not in listed:
                listed.append(clause.rule)
        for package in _rego_packages(policy_set):
            rules.setdefault(package, [package])
        return cls(rules)

    def policy_of(self, name: str) -> str | None:
        """The policy a rule or policy id belongs to (None when unknown)."""
        if name in self.rules:
            return name
        return next((p for p, rules in self.rules.items() if name in rules), None)

    def names(self) -> list[str]:
        return [*self.rules, *(r for rules in self.rules.values() for r in rules)]


def _rego_packages(policy_set: PolicySet) -> list[str]:
    if not policy_set.rego:
        return []
    from engine.evaluate.handwritten import packages

    return packages(policy_set.rego)
