"""Running policy-test cases: each case folder checked as a repo root, then judged."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from .. import fixes
from ..config import Config
from ..core.errors import ErrorGroup, ProofgateError
from ..core.finding import Finding
from ..core.rules import PARSE_ERROR, names_rule
from ..core.text import shown_path
from ..pack import Catalogue, Pack, read_pack
from ..pipeline import Options, run
from .cases import CASE_FILE, Case, Expectation, find_cases, load_cases

# Running cases


def _in_scope(policy: str, rule: str) -> bool:
    """Findings a case of ``policy`` compares with its expectations."""
    return rule == PARSE_ERROR.id or names_rule(policy, rule)


@dataclass(frozen=True)
class Unexpected:
    """A finding no expectation asked for; ``ok`` names the annotation it violates."""

    finding: Finding
    ok: Expectation | None = None


@dataclass(frozen=True)
class CaseResult:
    case: Case
    missing: tuple[Expectation, ...]
    unexpected: tuple[Unexpected, ...]
    exercised: frozenset[str]  # rules with an expected finding in this case
    fixed: tuple[str, ...] = ()  # files the case's fixes change
    fix_problems: tuple[str, ...] = ()  # how the fixes differ from the .fixed files

    @property
    def passed(self) -> bool:
        return not self.missing and not self.unexpected and not self.fix_problems


def run_case(pack: Pack, case: Case, backend: str = "regopy") -> CaseResult:
    """Check the case folder as a repo root and compare with its expectations, and
    its fixes with its ``.fixed`` files (:func:`check_fixes`)."""
    options = Options(today=case.now, backend=backend)
    try:
        findings = _case_findings(pack, case, case.folder.root, options)
        verdict = compare(case, findings)
        fixed, problems = check_fixes(pack, case, findings, options)
    except ProofgateError as error:
        raise _located(error, case.folder.root) from None
    return dataclasses.replace(verdict, fixed=fixed, fix_problems=problems)


def _case_findings(pack: Pack, case: Case, root: Path, options: Options) -> list[Finding]:
    result = run(pack, root, options)
    policy = case.folder.policy
    return [f for f in result.findings if f.path != CASE_FILE and _in_scope(policy, f.rule)]


# Fixes: a file FILE.fixed of a case holds what FILE must read after `check --fix`.
FIXED = ".fixed"


def check_fixes(
    pack: Pack, case: Case, findings: list[Finding], options: Options
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The files ``check --fix`` changes in the case (run in a copy of it), and the
    problems: a changed file without a ``.fixed`` file or whose text is not it, a
    ``.fixed`` file the fixes leave unchanged, a fixed finding still reported after
    the fix, and fixes that do not settle (so are not idempotent)."""
    import shutil
    import tempfile

    root = case.folder.root
    named = {p.relative_to(root).as_posix()[: -len(FIXED)] for p in root.rglob("*" + FIXED)}
    if not named and not any(f.edits for f in findings):
        return (), ()
    problems, expected = [], {}
    for path in sorted(named):  # a case is a repo: no symlink is followed (docs/security.md)
        try:
            expected[path] = fixes.read_text(root, path + FIXED)
        except (OSError, ValueError) as exc:
            problems.append(f"{path}{FIXED}: not read: {exc}")
    with tempfile.TemporaryDirectory() as temporary:
        copy = Path(temporary) / case.folder.name
        shutil.copytree(root, copy, symlinks=True)
        after: list[list[Finding]] = [findings]

        def recheck() -> list[Finding]:
            after.append(_case_findings(pack, case, copy, options))
            return after[-1]

        done = fixes.fix(copy, findings, recheck)
        texts = {path: _text(copy, path) for path in {*expected, *done.written}}
    problems += [f"{note} (a fix cannot apply)" for note in done.notes]
    if not done.settled:
        problems.append(f"the fixes still change files after {fixes.MAX_PASSES} passes")
    for path in sorted(texts):
        rules = ", ".join(sorted({f.rule for f in done.fixed if f.path == path}))
        if path not in expected:
            problems.append(f"{path}: fixed by {rules}, but there is no {path}{FIXED}")
        elif texts[path] != expected[path]:
            problems.append(f"{path}: the fixes do not give {path}{FIXED}")
            problems += _short_diff(expected[path], texts[path], path)
    problems += _still_reported(findings, done.fixed, after[-1])
    return tuple(sorted(done.written)), tuple(problems)


def _text(root: Path, path: str) -> str:
    try:
        return fixes.read_text(root, path)
    except (OSError, ValueError) as exc:
        return f"(not read: {exc})"


def _still_reported(before: list[Finding], fixed: list[Finding], after: list[Finding]) -> list[str]:
    """Each rule has fewer findings in each file, by the number its fixes removed."""
    from collections import Counter

    counts = [Counter((f.path, f.rule) for f in found) for found in (before, fixed, after)]
    return [
        f"{path}: {rule} is still reported after its fix"
        for (path, rule), count in sorted(counts[1].items())
        if counts[2][(path, rule)] > counts[0][(path, rule)] - count
    ]


def _short_diff(want: str, got: str, path: str) -> list[str]:
    import difflib

    lines = difflib.unified_diff(
        want.splitlines(), got.splitlines(), f"{path}{FIXED}", "fixed", lineterm="", n=1
    )
    return [f"  {line}" for line in lines]


def _located(error: ProofgateError, root: Path) -> ProofgateError:
    """An error about a case file, with the path shown from the current directory."""
    if isinstance(error, ErrorGroup):
        return ErrorGroup([_located(e, root) for e in error.errors])
    if error.path and not Path(error.path).is_absolute():
        error.path = shown_path(root / error.path)
    return error


def compare(case: Case, findings: list[Finding]) -> CaseResult:
    """The verdict of a case: missing expected findings, unexpected ones, rules exercised."""
    expects = [e for e in case.expectations if e.kind == "expect"]
    oks = [e for e in case.expectations if e.kind == "ok"]
    missing = tuple(e for e in expects if not any(e.matches(f) for f in findings))
    unexpected: list[Unexpected] = []
    exercised: set[str] = set()
    for finding in findings:
        if any(e.matches(finding) for e in expects):
            exercised.add(finding.rule)
            continue
        violated = next((o for o in oks if o.matches(finding)), None)
        unexpected.append(Unexpected(finding, violated))
    return CaseResult(case, missing, tuple(unexpected), frozenset(exercised))


# The whole run


@dataclass(frozen=True)
class Coverage:
    """How many cases exercise each rule of a policy."""

    policy: str
    cases: int
    rules: dict[str, int]

    @property
    def unexercised(self) -> list[str]:
        return [rule for rule, count in self.rules.items() if count == 0]


@dataclass
class SuiteReport:
    results: list[CaseResult]
    coverage: list[Coverage]
    annotations: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results)


def run_suite(
    dirs: list[Path],
    pattern: str | None = None,
    backend: str = "regopy",
    config: Config | None = None,
) -> SuiteReport:
    """Load the policies once (with ``config`` applied, as ``check`` would), then
    read, run and judge every selected case."""
    pack = Pack(read_pack(dirs), config or Config(), use_cache=False)
    catalogue = pack.policies.catalogue
    folders = find_cases(dirs, catalogue, pattern)
    cases = load_cases(folders, catalogue)
    results = [run_case(pack, case, backend) for case in cases]
    return SuiteReport(results, coverage(catalogue, results), annotation_counts(cases))


def coverage(catalogue: Catalogue, results: list[CaseResult]) -> list[Coverage]:
    out = []
    for policy, rules in catalogue.rules.items():
        mine = [r for r in results if r.case.folder.policy == policy]
        counts = {rule: sum(rule in r.exercised for r in mine) for rule in rules}
        out.append(Coverage(policy, len(mine), counts))
    return out


def annotation_counts(cases: list[Case]) -> dict[str, dict[str, int]]:
    """Per policy with cases: how many ``expect`` and ``ok`` expectations they hold."""
    counts: dict[str, dict[str, int]] = {}
    for case in cases:
        entry = counts.setdefault(case.folder.policy, {"expect": 0, "ok": 0})
        entry["expect"] += case.count("expect")
        entry["ok"] += case.count("ok")
    return counts
