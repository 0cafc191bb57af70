"""Helpers shared by the test modules."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from lsprotocol import types as lsp

from engine.config import Config
from engine.core.errors import ErrorGroup, ProofgateError
from engine.core.finding import Finding
from engine.core.result import CheckResult
from engine.dsl.checker import check_program
from engine.dsl.parser import parse
from engine.evaluate.reference import Evaluator
from engine.evaluate.run import Hit, InputModel, candidates, findings_of
from engine.pack import Pack, PolicySet
from engine.pipeline import Options, run

REPO = Path(__file__).resolve().parent.parent


def bench_module(name: str) -> ModuleType:
    """``bench/<name>.py``, imported from its path (bench/ is not a package), so a
    test and the benchmark can never disagree about a number."""
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def program_errors(source: str) -> list[ProofgateError]:
    """The errors the checker reports for one policy file, ``p.policy``."""
    try:
        check_program([parse(source, "p.policy")], {"p.policy": source})
    except ProofgateError as error:
        return error.errors if isinstance(error, ErrorGroup) else [error]
    raise AssertionError("the program checks without an error")


def apply_edits(text: str, edits: Sequence[lsp.TextEdit]) -> str:
    """The text with LSP edits applied (UTF-16 positions), as an editor applies them:
    every position is in the original text, an insertion stands before the text
    a replacement at its position covers, and insertions at one position keep
    their order."""
    lines = text.split("\n")

    def offset(at: lsp.Position) -> int:
        before = sum(len(line) + 1 for line in lines[: at.line])
        units = lines[at.line].encode("utf-16-le")[: at.character * 2]
        return before + len(units.decode("utf-16-le"))

    spans = [(offset(e.range.start), offset(e.range.end), i) for i, e in enumerate(edits)]
    for start, end, index in sorted(spans, reverse=True):
        text = text[:start] + edits[index].new_text + text[end:]
    return text


def readme_blocks(section: str, language: str) -> list[str]:
    """The fenced ``language`` code blocks under the README heading ``## section``."""
    text = (REPO / "README.md").read_text("utf-8")
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    body = text[start : end if end != -1 else len(text)]
    return re.findall(rf"^```{language}\n(.*?)^```$", body, re.MULTILINE | re.DOTALL)


def readme_block(section: str, language: str) -> str:
    """The first ``language`` code block under ``## section``."""
    blocks = readme_blocks(section, language)
    assert blocks, f"no {language} block under '## {section}'"
    return blocks[0]


def within(text: str, line: int, column: int) -> bool:
    """True when a 1-based (line, column) lies inside ``text`` (or just past a line's end)."""
    lines = text.split("\n")
    return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1


def reference_findings(program: Any, model: InputModel) -> set[Finding]:
    """The findings of the Python reference evaluator, without the prefilter: what
    the compiled Rego must give on the same model."""
    evaluator = Evaluator(program, model.collections, model.ledger, model.params)
    hits: list[Hit] = []
    for clause in program.clauses:
        records = candidates(program, clause, model, prefilter=False)
        hits += [(clause, records[hit["i"]], hit) for hit in evaluator.hits(clause, records)]
    return findings_of(program, hits)


def run_check(
    policies: PolicySet,
    root: Path,
    targets: list[str] | tuple[str, ...] = (),
    ledger: str | None = None,
    now: dt.date | None = None,
    backend: str = "regopy",
    config: Config | None = None,
    jobs: int | None = None,
) -> CheckResult:
    """The pipeline's one entry with an already compiled pack, without caches."""
    options = Options(tuple(targets), ledger, now or dt.date.today(), backend, jobs)
    return run(Pack.of(policies, config), root, options)


def git_copy(source: Path, root: Path, ignore: tuple[str, ...] = ()) -> Path:
    """A copy of the repo ``source`` at ``root`` (leaving out ``ignore``), as a git work tree."""
    shutil.copytree(source, root, ignore=shutil.ignore_patterns(*ignore))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def cli_findings(root: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    """``proofgate check --format json`` run in this process: its exit code (0 or 1,
    never a traceback) and its findings."""
    from click.testing import CliRunner

    from engine.cli import main

    result = CliRunner().invoke(main, ["check", "--root", str(root), "--format", "json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return result.exit_code, json.loads(result.stdout)["findings"]
