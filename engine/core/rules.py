"""Rules as reports describe them, and the rules the engine reports itself.

A rule id is ``policy.clause`` (or a policy's id when it has one clause) for
the rules of the policies; the pack (:mod:`engine.pack`) is the one registry
of the ids a run knows. The engine reports three kinds of finding of its own,
declared here: ``parse-error`` (a repo file that cannot be read) and the
``suppression-*`` reports about ``proofgate-ignore`` comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .globs import selected

if TYPE_CHECKING:
    from .finding import Finding

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
        return selected(path, self.paths, self.exclude)


def names_rule(name: str, rule: str) -> bool:
    """Whether a rule or policy id ``name`` names ``rule`` (``policy`` names ``policy.x``)."""
    return rule == name or rule.startswith(name + ".")


PARSE_ERROR = Rule(
    "parse-error",
    "parse-error",
    "error",
    "proofgate could not read this file, so no policy could check it.",
    "Fix the file so that it parses; until then its boundaries are unchecked.",
)

_SUPPRESSION_RATIONALE = (
    "A suppression hides a boundary crossing: it must name a known rule, say why, "
    "and still hide something, or it hides the next crossing too."
)
SUPPRESSION_INVALID = Rule(
    "suppression-invalid",
    "suppression-invalid",
    "warning",
    _SUPPRESSION_RATIONALE,
    "Write 'proofgate-ignore RULE: reason' with a known rule or policy id "
    "and a reason after the colon (optionally 'until=YYYY-MM-DD' before the colon).",
)
SUPPRESSION_UNUSED = Rule(
    "suppression-unused",
    "suppression-unused",
    "warning",
    _SUPPRESSION_RATIONALE,
    "Remove the suppression (or the rule it names): it suppresses no finding.",
)
SUPPRESSION_EXPIRED = Rule(
    "suppression-expired",
    "suppression-expired",
    "warning",
    _SUPPRESSION_RATIONALE,
    "Fix what the suppression hid, or renew it with a new date and reason.",
)
SUPPRESSION_RULES = (SUPPRESSION_EXPIRED, SUPPRESSION_INVALID, SUPPRESSION_UNUSED)
CHECK_TIMEOUT = Rule(
    "check-timeout",
    "check-timeout",
    "error",
    "A pattern of the pack ran past its time budget on this text, so the policies "
    "could not judge it; the rest of the repo was checked.",
    "Split the text (a sentence of megabytes is usually generated content: exclude "
    "the file), or simplify the pattern the message names.",
)
ENGINE_RULES = (PARSE_ERROR, CHECK_TIMEOUT, *SUPPRESSION_RULES)

# What ``proofgate explain`` says about each engine rule, beyond its rationale and fix.
ENGINE_RULE_DETAILS = {
    PARSE_ERROR.id: "Reported at the place a repo file stops parsing: malformed YAML, "
    "TOML or JSON, a file that is not UTF-8 (or UTF-16 with a BOM), a workflow part of "
    "the wrong shape, a duplicate key. The rest of the repo is still checked.",
    CHECK_TIMEOUT.id: "Reported at a record (a sentence, a step ...) on which a regex of "
    "the pack ran longer than its limit: the text is treated as not matching that "
    "pattern, the finding names the pattern and where it is written, and every other "
    "file is still checked (exit 1, not 2).",
    SUPPRESSION_INVALID.id: "Reported at a proofgate-ignore comment that names no rule, "
    "names an unknown rule or policy id, gives no reason after a colon or a bad "
    "until= date, and at a comment that looks like one but is not (PROOFGATE-IGNORE, "
    "proofgate-ingore, proofgate_ignore): it suppresses nothing. Suppressions are "
    "written 'proofgate-ignore RULE[, RULE] [until=YYYY-MM-DD]: reason', in lower case.",
    SUPPRESSION_UNUSED.id: "Reported at a proofgate-ignore comment for each rule it names "
    "that has no finding on the lines it applies to (the next block in Markdown, the "
    "next line or its own line elsewhere).",
    SUPPRESSION_EXPIRED.id: "Reported at the until= date of a proofgate-ignore comment "
    "once that day has passed (proof ages are measured from --now, else "
    "SOURCE_DATE_EPOCH, else today); the findings it hid are reported again.",
}


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
