"""Configuration: ``.proofgate.toml``, or ``[tool.proofgate]`` in ``pyproject.toml``.

Both are read at the repo root; when both exist ``.proofgate.toml`` wins and
``pyproject.toml`` is not read. Every key is optional:

- ``policies``: policy directories or files, relative to the config file
  (default: the shipped pack, named ``builtin``: ``["builtin", "policies"]``
  extends it; a directory of the repo called ``builtin`` is ``./builtin``).
- ``ledger``: the proof ledger, relative to the config file (default:
  ``proofs.yaml`` at the repo root).
- ``include`` / ``exclude``: gitignore-style globs on repo-relative paths.
  Only files that ``include`` matches (when given) and ``exclude`` does not
  are read and reported.
- ``paths``: a table of policy id → globs that replace that policy's own
  ``paths`` (its ``exclude`` still applies).
- ``primary-surface``: the globs of the primary product surface. It is the
  ``paths`` of the B10 policy ``no-fuzzy-product-claims`` (by default
  ``/README.md``, ``/readme.md``, ``/docs/index.md``), the one policy of the
  shipped pack that checks the product surface, so it is shorthand for
  ``paths.no-fuzzy-product-claims``.
- ``severity``: a table of rule or policy id → ``error``, ``warning`` or
  ``info`` (a rule id beats its policy's id).
- ``disable``: rule or policy ids whose findings are dropped.
- ``fail-on``: the lowest severity that makes ``check`` exit 1.
- ``baseline``: the baseline file ``check`` applies (as ``--baseline``),
  relative to the config file.

Command-line flags (``-p``, ``--ledger``, ``--fail-on``, ``--baseline``) override
the file.

The file is the checked repo's, which a pull request controls
(docs/security.md): ``policies``, ``ledger`` and ``baseline`` must lie inside the repo
root once symlinks are resolved, and so must every file under a configured
policy directory; one that leaves it (absolute, ``..``, a symlink out) is an
error at its key, and the file outside is never opened. The globs cannot
name a ``..`` segment. Paths given on the command line are the user's choice.
Unknown keys, bad values and ids that name no loaded rule or policy are errors
with the file and line (tomllib knows no positions: the TOML scanner of
:mod:`engine.extract.generic` places the keys).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING, Any, Literal

from .core.errors import ErrorGroup, ProofgateError
from .core.finding import Finding
from .core.globs import selected
from .core.rules import names_rule
from .core.text import read_utf8, shown_path
from .repo.inputs import within_root

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic_core import ErrorDetails

    from .core.rules import Rule

CONFIG_FILE = ".proofgate.toml"
PYPROJECT = "pyproject.toml"
PYPROJECT_TABLE = ("tool", "proofgate")
PRIMARY_SURFACE_POLICY = "no-fuzzy-product-claims"

Severity = Literal["error", "warning", "info"]
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
Key = tuple[str | int, ...]


@dataclass(frozen=True)
class Settings:
    """The keys of the configuration (``-`` in the file, ``_`` here); see :func:`schema`."""

    policies: list[str] = field(default_factory=list)
    ledger: str | None = None
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    primary_surface: list[str] | None = None
    paths: dict[str, list[str]] = field(default_factory=dict)
    severity: dict[str, Severity] = field(default_factory=dict)
    disable: list[str] = field(default_factory=list)
    fail_on: Severity | None = None
    baseline: str | None = None
    params: dict[str, Any] = field(default_factory=dict)  # the [params] given (not defaults)


@functools.cache
def schema() -> type[BaseModel]:
    """The pydantic model that validates a configuration file into :class:`Settings`
    (built on first use: a repo without a configuration never imports pydantic)."""
    from typing import Annotated

    from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_serializer
    from pydantic_core import PydanticCustomError

    def valid_glob(glob: str) -> str:
        from .core.globs import glob_error

        if ".." in glob.replace("\\", "/").split("/"):
            raise PydanticCustomError(
                "glob", "globs match paths inside the repo root: a '..' segment leaves it", {}
            )
        problem = glob_error(glob)
        if problem is not None:
            raise PydanticCustomError("glob", "invalid path glob: {reason}", {"reason": problem})
        return glob

    text = Annotated[str, Field(strict=True, min_length=1)]
    glob = Annotated[text, AfterValidator(valid_glob)]

    def valid_name(name: str) -> str:
        if not _NAME.match(name):
            raise PydanticCustomError(
                "name",
                "a name as the ledger writes it: lower-case letters, digits, '.', '_' or '-' "
                "(docs words are compared lower-cased)",
                {},
            )
        return name

    def unique(names: list[str]) -> list[str]:
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise PydanticCustomError(
                "unique",
                "an order names each entry once ({names} repeated)",
                {"names": ", ".join(repeated)},
            )
        return names

    name = Annotated[text, AfterValidator(valid_name)]
    order = Annotated[list[name], Field(min_length=1), AfterValidator(unique)]

    class Params(BaseModel):
        """``[params]``: the pack's constants (engine/core/params.py has the defaults)."""

        model_config = ConfigDict(extra="forbid", frozen=True)
        baseline: name | None = None
        primary_forge: name | None = None
        runner_class_order: order | None = None
        forge_order: order | None = None
        product_surfaces: Annotated[list[glob], Field(min_length=1)] | None = None

    class Schema(BaseModel):
        model_config = ConfigDict(
            extra="forbid", frozen=True, alias_generator=lambda name: name.replace("_", "-")
        )
        policies: list[text] = Field(default_factory=list)
        ledger: text | None = None
        include: list[glob] = Field(default_factory=list)
        exclude: list[glob] = Field(default_factory=list)
        primary_surface: list[glob] | None = None
        paths: dict[str, list[glob]] = Field(default_factory=dict)
        severity: dict[str, Severity] = Field(default_factory=dict)
        disable: list[text] = Field(default_factory=list)
        fail_on: Severity | None = None
        baseline: text | None = None
        params: Params = Field(default_factory=Params)

        @field_serializer("params")
        def given(self, params: Params) -> dict[str, Any]:
            """The params the file sets (the defaults live in engine/core/params.py)."""
            return {k: v for k, v in params.model_dump().items() if v is not None}

    return Schema


@dataclass(frozen=True)
class Config:
    """The settings in force and where they were read (no file: the defaults)."""

    settings: Settings = field(default_factory=Settings)
    path: Path | None = None
    text: str = ""
    table: tuple[str, ...] = ()  # where the keys live: ("tool", "proofgate") in pyproject.toml

    @property
    def base(self) -> Path:
        """The directory relative paths in the file start from."""
        return self.path.parent if self.path else Path.cwd()

    def policy_dirs(self) -> list[Path]:
        """The configured policy directories; raise at the key when one is missing
        or leaves the repo root (or holds a symlink that does)."""
        from .core.resources import BUILTIN, policy_location

        dirs = [
            policy_location(name) if name == BUILTIN else self.inside(name, ("policies", i))
            for i, name in enumerate(self.settings.policies)
        ]
        for index, (name, path) in enumerate(zip(self.settings.policies, dirs, strict=True)):
            if name == BUILTIN:
                continue  # the installed pack: trusted, not the repo's
            if not path.exists():
                raise self.error(
                    f"policies: no such policy directory '{name}'", ("policies", index)
                )
            escape = self._symlink_out(path)
            if escape:
                raise self.error(
                    f"policies: '{name}' holds '{escape}', a symlink that leaves the repo "
                    "root: files outside it are not read",
                    ("policies", index),
                )
        return dirs

    def ledger(self) -> str | None:
        """The configured ledger; raise at the key when it is missing or leaves the root."""
        if self.settings.ledger is None:
            return None
        path = self.inside(self.settings.ledger, ("ledger",))
        if not path.is_file():
            raise self.error(f"ledger: no such ledger file '{self.settings.ledger}'", ("ledger",))
        return str(path)

    def baseline(self) -> str | None:
        """The configured baseline file; raise at the key when it is missing or leaves
        the root."""
        if self.settings.baseline is None:
            return None
        path = self.inside(self.settings.baseline, ("baseline",))
        if not path.is_file():
            raise self.error(
                f"baseline: no such baseline file '{self.settings.baseline}' "
                "(write it with 'proofgate baseline')",
                ("baseline",),
            )
        return str(path)

    def inside(self, value: str, key: Key) -> Path:
        """``value``, a path from the file, as a path under the repo root (where the
        file lies); raise at ``key`` when it leaves the root. Nothing is opened:
        symlinks are resolved, not followed into files."""
        path = self.base / value
        if self.path is None:
            return path
        root = self.base.resolve()
        name = "/".join(str(part) for part in key if isinstance(part, str))
        if Path(value).is_absolute() or PureWindowsPath(value).drive:
            why = "an absolute path"
        else:
            try:
                resolved = path.resolve()
            except (OSError, RuntimeError):  # a symlink loop
                why = "a symlink loop"
            else:
                if resolved == root or root in resolved.parents:
                    return path
                why = "a symlink out of it" if ".." not in Path(value).parts else "'..' leaves it"
        raise self.error(
            f"{name}: '{value}' is outside the repo root ({why}); a path in "
            f"{self.path.name} must stay inside the repo (a path outside can be given "
            "on the command line)",
            key,
        )

    def _symlink_out(self, directory: Path) -> str:
        """The first symlink under ``directory`` whose target leaves the repo root, or ""."""
        if self.path is None or not directory.is_dir():
            return ""
        root = self.base.resolve()
        for current, dirnames, filenames in os.walk(directory):
            for name in sorted([*dirnames, *filenames]):
                entry = Path(current, name)
                if not entry.is_symlink():
                    continue
                try:
                    target = entry.resolve()
                except (OSError, RuntimeError):
                    return entry.relative_to(self.base).as_posix()
                if target != root and root not in target.parents:
                    return entry.relative_to(self.base).as_posix()
        return ""

    def params(self) -> dict[str, Any]:
        """The ``params`` global in force: ``[params]`` over the defaults
        (``primary-surface`` is the older name of ``params.product_surfaces``)."""
        from .core.params import params_record

        given = dict(self.settings.params)
        if self.settings.primary_surface is not None:
            given["product_surfaces"] = list(self.settings.primary_surface)
        return params_record(given)

    def path_overrides(self) -> dict[str, list[str]]:
        """Policy id → the globs that replace its ``paths`` (``primary-surface`` included)."""
        overrides = dict(self.settings.paths)
        if self.settings.primary_surface is not None:
            overrides[PRIMARY_SURFACE_POLICY] = list(self.settings.primary_surface)
        return overrides

    def selects(self, rel: str) -> bool:
        """Whether the ``include``/``exclude`` globs keep a repo-relative path."""
        return selected(rel, *self._globs)

    @functools.cached_property
    def _globs(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(self.settings.include), tuple(self.settings.exclude)

    def severity_of(self, rule: str, default: str) -> str | None:
        """The configured severity of a rule id (None when it is disabled).

        The most specific name wins: a rule id over its policy id.
        """
        if any(names_rule(name, rule) for name in self.settings.disable):
            return None
        named = [n for n in self.settings.severity if names_rule(n, rule)]
        return self.settings.severity[max(named, key=len)] if named else default

    def adjust(self, findings: Iterable[Finding]) -> list[Finding]:
        """Drop the disabled findings and apply the severity overrides."""
        out: list[Finding] = []
        for finding in findings:
            severity = self.severity_of(finding.rule, finding.severity)
            if severity is not None:
                out.append(dataclasses.replace(finding, severity=severity))
        return out

    def adjust_rules(self, rules: Iterable[Rule]) -> list[Rule]:
        """The rule catalog as configured: disabled rules dropped, severities overridden."""
        out: list[Rule] = []
        for rule in rules:
            severity = self.severity_of(rule.id, rule.severity)
            if severity is not None:
                out.append(dataclasses.replace(rule, severity=severity))
        return out

    def error(self, message: str, key: Key) -> ProofgateError:
        """An error about the value at ``key`` (a key path inside the table), placed in the file."""
        if self.path is None:
            return ProofgateError(message)
        line, column = key_position(self.text, (*self.table, *key))
        return ProofgateError(message, shown_path(self.path), line, column, self.text)


def key_position(text: str, key: Key) -> tuple[int, int]:
    """The 1-based line and column of a key in TOML text: the key's name on the line
    where the scanner placed its value (a dotted key ``a.b = 1`` places ``a`` at
    its first child), else its nearest placed parent, else line 1."""
    from .extract.generic import nearest_span, toml_spans

    spans = toml_spans(text)
    children = [span for path, span in spans.items() if path[: len(key)] == key]
    line, column, _, _ = (
        min(children) if key not in spans and children else nearest_span(spans, key)
    )
    lines = text.splitlines()
    name = key[-1] if key and isinstance(key[-1], str) else ""
    if name and line <= len(lines):
        found = lines[line - 1].rfind(name, 0, max(column - 1, 0) or None)
        if found >= 0:
            quoted = found > 0 and lines[line - 1][found - 1] in "\"'"
            return line, found if quoted else found + 1
    return line, column


# Reading


def config_file(root: Path) -> tuple[Path, tuple[str, ...]] | None:
    """The file the configuration is read from at ``root``, and the table its keys live in.

    One that is a symlink out of the root is an error: it is never read.
    """
    dedicated = root / CONFIG_FILE
    if dedicated.is_file():
        return within_root(root, dedicated), ()
    pyproject = root / PYPROJECT
    return (within_root(root, pyproject), PYPROJECT_TABLE) if pyproject.is_file() else None


def load_config(root: Path) -> Config:
    """The configuration at the repo root (the defaults when there is none)."""
    found = config_file(root)
    return read_config(*found) if found else Config()


def read_config(path: Path, table: tuple[str, ...] = ()) -> Config:
    """Read and validate a configuration file; raise ProofgateError with positions."""
    from .extract.generic import toml_error_at

    text = read_utf8(path)
    try:
        document: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line, column = toml_error_at(exc, text)
        raise ProofgateError(message, shown_path(path), line, column, text) from None
    values: Any = document
    for part in table:
        if not isinstance(values, dict) or part not in values:
            return Config()  # a pyproject.toml without [tool.proofgate]
        values = values[part]
    config = Config(Settings(), path, text, table)
    if not isinstance(values, dict):
        raise config.error(f"[{'.'.join(table)}] must be a table", ())
    from pydantic import ValidationError

    try:
        validated = schema().model_validate(values)
    except ValidationError as invalid:
        errors = [_schema_error(config, error) for error in invalid.errors()]
        errors.sort(key=lambda error: (error.line, error.column))
        raise (ErrorGroup(errors) if len(errors) > 1 else errors[0]) from None
    dumped = validated.model_dump()
    if dumped["primary_surface"] is not None and "product_surfaces" in dumped["params"]:
        raise config.error(
            "primary-surface is the older name of params.product_surfaces: set one of them",
            ("primary-surface",),
        )
    return dataclasses.replace(config, settings=Settings(**dumped))


def _schema_error(config: Config, error: ErrorDetails) -> ProofgateError:
    from .extract.generic import key_path

    loc = tuple(error["loc"])
    where = key_path((*config.table, *loc))
    if error["type"] == "extra_forbidden" and len(loc) == 2 and loc[0] == "params":
        from .core.params import DEFAULTS
        from .core.text import did_you_mean

        close = did_you_mean(str(loc[1]), list(DEFAULTS))
        hint = f"did you mean '{close}'? " if close else ""
        table = key_path((*config.table, "params"))
        known = ", ".join(DEFAULTS)
        message = f"unknown param '{loc[1]}' in [{table}] ({hint}known params: {known})"
    elif error["type"] == "extra_forbidden":
        known = ", ".join(f.alias or name for name, f in schema().model_fields.items())
        table = f" in [{'.'.join(config.table)}]" if config.table else ""
        message = f"unknown key '{loc[-1]}'{table} (known keys: {known})"
    elif error["type"] == "missing":
        message = f"{where}: required key is missing"
    elif loc[0] in ("severity", "paths") and isinstance(error["input"], dict):
        first = next(iter(error["input"]), "rule")
        message = (
            f"{where}: expected a value, got a table: TOML reads the dots of an unquoted key "
            f'as tables, so quote ids that hold dots ("{loc[-1]}.{first}" = ...)'
        )
    else:
        message = f"{where}: {error['msg']} (got {error['input']!r})"
    return config.error(message, loc)
