"""Policy-test cases: the folders, and the findings they expect (annotations, ``case.yaml``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from ..core.errors import ErrorGroup, ProofgateError
from ..core.finding import Finding
from ..core.rules import PARSE_ERROR, names_rule
from ..core.text import did_you_mean, iso_date, read_utf8, shown_path
from ..extract.suppressions import block_end
from ..extract.yamlsrc import Node, anchor, node_at, schema_error_at
from ..pack import Catalogue

DEFAULT_NOW = dt.date(2026, 11, 26)
CASE_FILE = "case.yaml"
Kind = Literal["expect", "ok"]

_MARKDOWN = re.compile(r"^\s*<!--\s*(expect|ok)\s*:(.*?)-->\s*$")
_HASH = re.compile(r"^\s*#\s*(expect|ok)\s*:(.*)$")
_MARKDOWN_KINDS = {"markdown"}
_HASH_KINDS = {"yaml", "workflow", "action", "bazelrc", "nixconf", "flake", "toml"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


# Cases and their expectations


@dataclass(frozen=True)
class Expectation:
    """One rule that must (``expect``) or must not (``ok``) fire on a line."""

    kind: Kind
    path: str  # relative to the case root
    line: int
    last: int  # the last line it applies to: a Markdown annotation covers a block
    rule: str  # a rule id, a policy id or parse-error
    origin: str  # where it is written, "README.md:3" or "case.yaml:5"

    def matches(self, finding: Finding) -> bool:
        return (
            finding.path == self.path
            and self.line <= finding.line <= self.last
            and names_rule(self.rule, finding.rule)
        )

    @property
    def lines(self) -> str:
        return f"{self.line}-{self.last}" if self.last > self.line else str(self.line)


@dataclass(frozen=True)
class CaseDir:
    policy: str
    name: str
    root: Path

    @property
    def id(self) -> str:
        return f"{self.policy}/{self.name}"


@dataclass(frozen=True)
class Case:
    folder: CaseDir
    now: dt.date
    expectations: tuple[Expectation, ...]

    def count(self, kind: Kind) -> int:
        return sum(e.kind == kind for e in self.expectations)


def case_roots(dirs: list[Path]) -> list[Path]:
    """The ``tests`` folders of the policy directories (of a policy file: next to it)."""
    roots: list[Path] = []
    for directory in dirs:
        base = directory.parent if directory.is_file() else directory
        root = (base / "tests").resolve()
        if root.is_dir() and root not in roots:
            roots.append(root)
    return roots


def find_cases(dirs: list[Path], catalogue: Catalogue, pattern: str | None) -> list[CaseDir]:
    """Every case folder, checking that each policy folder names a loaded policy."""
    found: list[CaseDir] = []
    for root in case_roots(dirs):
        for policy_dir in _subdirs(root):
            _require_policy_folder(policy_dir, catalogue)
            for case_dir in _subdirs(policy_dir):
                found.append(CaseDir(policy_dir.name, case_dir.name, case_dir))
    return [c for c in found if pattern is None or pattern in c.id]


def _subdirs(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))


def _require_policy_folder(folder: Path, catalogue: Catalogue) -> None:
    if folder.name in catalogue.rules:
        return
    close = did_you_mean(folder.name, catalogue.rules)
    hint = f"did you mean '{close}'?" if close else "name the folder after the policy it tests"
    message = f"no policy '{folder.name}' among the loaded policies"
    raise ProofgateError(message, shown_path(folder), hint=hint)


def load_case(folder: CaseDir, catalogue: Catalogue) -> Case:
    """Read a case's annotations and ``case.yaml``; raise on any error in them."""
    from ..repo.discover import discover

    paths = [p for p in discover(folder.root, []).paths if p != CASE_FILE]
    errors: list[ProofgateError] = []
    expectations: list[Expectation] = []
    for rel in paths:
        try:
            expectations.extend(file_annotations(folder, rel, catalogue))
        except ProofgateError as error:
            errors.extend(_flatten(error))
    now = DEFAULT_NOW
    try:
        now, listed = read_case_file(folder, set(paths), catalogue)
        expectations.extend(listed)
    except ProofgateError as error:
        errors.extend(_flatten(error))
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    return Case(folder, now, tuple(expectations))


def _flatten(error: ProofgateError) -> list[ProofgateError]:
    return list(error.errors) if isinstance(error, ErrorGroup) else [error]


def require_rule(
    name: str, folder: CaseDir, catalogue: Catalogue, where: tuple[str, int, int, str | None]
) -> None:
    """Raise unless ``name`` is parse-error or a rule or the id of the case's policy."""
    if name == PARSE_ERROR.id:
        return
    owner = catalogue.policy_of(name)
    if owner == folder.policy:
        return
    path, line, column, source = where
    if owner is not None:
        message = f"'{name}' belongs to policy '{owner}', but this case tests '{folder.policy}'"
        raise ProofgateError(message, path, line, column, source)
    own = [folder.policy, *catalogue.rules.get(folder.policy, [])]
    close = did_you_mean(name, own) or did_you_mean(name, catalogue.names())
    hint = f"did you mean '{close}'?" if close else f"rules of the policy: {', '.join(own)}"
    raise ProofgateError(f"unknown rule '{name}'", path, line, column, source, hint)


# Annotations in comments


def annotation_style(rel: str) -> re.Pattern[str] | None:
    """The annotation comment syntax of a case file (None: it cannot hold annotations)."""
    from ..extract import kind_of

    kind = kind_of(rel)
    if kind in _MARKDOWN_KINDS:
        return _MARKDOWN
    return _HASH if kind in _HASH_KINDS else None


def file_annotations(folder: CaseDir, rel: str, catalogue: Catalogue) -> list[Expectation]:
    """The expectations written as comments in one file of a case (all errors at once)."""
    from ..repo.discover import read_text

    style = annotation_style(rel)
    text = read_text(folder.root, rel).text if style else None
    if style is None or text is None:
        return []
    shown = shown_path(folder.root / rel)
    out: list[Expectation] = []
    errors: list[ProofgateError] = []
    for number, match, target, last in annotation_lines(text, style):
        where = (shown, number, match.start(2) + 1, text)
        names = list(_split_names(match.group(2), match.start(2)))
        if target is None or not names:
            why = "names no rule" if not names else "is at the end of the file: no line follows it"
            errors.append(ProofgateError(f"this annotation {why}", *where))
        for name, column in names:
            try:
                require_rule(name, folder, catalogue, (shown, number, column, text))
            except ProofgateError as error:
                errors.append(error)
                continue
            origin = f"{rel}:{number}"
            kind = _kind(match.group(1))
            out.append(Expectation(kind, rel, target or 0, last, name, origin))
    if errors:
        raise ErrorGroup(errors)
    return out


def annotation_lines(
    text: str, style: re.Pattern[str]
) -> list[tuple[int, re.Match[str], int | None, int]]:
    """Each annotation: its line, its match, and the first and last lines it applies to.

    The first is the next line that is not an annotation (None when none
    follows). A hash comment applies to that line only; a Markdown one to the
    block it opens, up to a blank line or the next annotation, since an HTML
    comment cannot stand inside a paragraph or a table without splitting it.
    """
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    block = style is _MARKDOWN
    found: list[tuple[int, re.Match[str], int | None, int]] = []
    pending: list[tuple[int, re.Match[str]]] = []
    for index, line in enumerate(lines):
        match = style.match(line)
        if match is not None:
            pending.append((index + 1, match))
            continue
        last = block_end(lines, index, style) if block else index + 1
        found += [(n, m, index + 1, last) for n, m in pending]
        pending = []
    return found + [(n, m, None, 0) for n, m in pending]


def _kind(word: str) -> Kind:
    return "expect" if word == "expect" else "ok"


def _split_names(listed: str, offset: int) -> Iterator[tuple[str, int]]:
    position = 0
    for part in listed.split(","):
        name = part.strip()
        if name:
            yield name, offset + position + part.index(name) + 1
        position += len(part) + 1


# case.yaml


def _iso_date(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` (a number is never read as a timestamp)."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and (date := iso_date(value)) is not None:
        return date
    raise PydanticCustomError("iso_date", "not a date in YYYY-MM-DD form")


_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CaseItem(BaseModel):
    """One expectation listed in ``case.yaml``."""

    model_config = _STRICT
    path: Annotated[str, Field(strict=True, min_length=1)]
    line: Annotated[int, Field(strict=True, gt=0)]
    rule: Annotated[str, Field(strict=True, min_length=1)]


class CaseFile(BaseModel):
    """The whole of ``case.yaml``."""

    model_config = _STRICT
    now: Annotated[dt.date, BeforeValidator(_iso_date)] = DEFAULT_NOW
    expect: list[CaseItem] = Field(default_factory=list)
    ok: list[CaseItem] = Field(default_factory=list)


def read_case_file(
    folder: CaseDir, paths: set[str], catalogue: Catalogue
) -> tuple[dt.date, list[Expectation]]:
    """The date and the expectations of a case's ``case.yaml`` (defaults when absent)."""
    full = folder.root / CASE_FILE
    if not full.is_file():
        return DEFAULT_NOW, []

    text = read_utf8(full)
    shown = shown_path(full)
    root = _case_tree(text, shown)
    try:
        parsed = CaseFile.model_validate(root.plain() if root else {})
    except ValidationError as invalid:
        raise ErrorGroup(
            [_schema_error(error, root, shown, text) for error in invalid.errors()]
        ) from None
    listed: list[Expectation] = []
    errors: list[ProofgateError] = []
    for kind, items in (("expect", parsed.expect), ("ok", parsed.ok)):
        for index, item in enumerate(items):
            node = node_at(root, (kind, index)) if root else None
            where = (shown, *(anchor(node) if node else (1, 1)), text)
            try:
                listed.extend(
                    _item_expectations(_kind(kind), item, folder, paths, catalogue, where)
                )
            except ProofgateError as error:
                errors.extend(_flatten(error))
    if errors:
        raise ErrorGroup(errors)
    return parsed.now, listed


def _case_tree(text: str, shown: str) -> Node | None:
    """The root mapping of ``case.yaml`` (None when the file is empty)."""
    from ..extract import yamlsrc

    try:
        documents = [d for d in yamlsrc.load(text) if d.value is not None]
    except yamlsrc.YamlError as error:
        raise ProofgateError(error.message, shown, error.line, error.column, text) from None
    if not documents:
        return None
    if len(documents) > 1 or not documents[0].is_map:
        node = documents[-1]
        raise ProofgateError(
            "case.yaml must be one mapping of keys", shown, node.line, node.column, text
        )
    duplicates = yamlsrc.duplicate_keys(documents[0])
    if duplicates:
        key, line, column = duplicates[0]
        raise ProofgateError(f"duplicate key '{key}'", shown, line, column, text)
    return documents[0]


def _item_expectations(
    kind: Kind,
    item: CaseItem,
    folder: CaseDir,
    paths: set[str],
    catalogue: Catalogue,
    where: tuple[str, int, int, str],
) -> list[Expectation]:
    shown, line, column, text = where
    if item.path not in paths:
        message = f"{kind}: no file '{item.path}' in this case"
        raise ProofgateError(message, shown, line, column, text)
    origin = f"{CASE_FILE}:{line}"
    out = []
    for name, _ in _split_names(item.rule, 0):
        require_rule(name, folder, catalogue, where)
        out.append(Expectation(kind, item.path, item.line, item.line, name, origin))
    return out


def _schema_error(error: ErrorDetails, root: Node | None, shown: str, text: str) -> ProofgateError:
    where, line, column = schema_error_at(root, error)
    message = _describe(error, tuple(error["loc"]))
    return ProofgateError(f"{where}: {message}" if where else message, shown, line, column, text)


def _describe(error: ErrorDetails, loc: tuple[str | int, ...]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        known = ", ".join(CaseItem.model_fields if len(loc) > 1 else CaseFile.model_fields)
        return f"unknown key '{loc[-1]}' (known keys: {known})"
    if kind == "missing":
        return "required key is missing"
    return f"{error['msg']} (got {error['input']!r})"


def load_cases(folders: list[CaseDir], catalogue: Catalogue) -> list[Case]:
    """Every case, or one error listing every problem in their annotations."""
    cases: list[Case] = []
    errors: list[ProofgateError] = []
    for folder in folders:
        try:
            cases.append(load_case(folder, catalogue))
        except ProofgateError as error:
            errors.extend(_flatten(error))
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    return cases
