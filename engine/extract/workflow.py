"""The GitHub Actions extractor: workflows (``.github/workflows/*.yml``) and
composite actions (``action.yml``) as ``workflows``, ``jobs`` and ``steps``.

Normalization, as GitHub reads the files:

- ``on`` may be an event name, a list of names, or a mapping whose values are
  null, mappings or lists (``schedule``); ``triggers`` lists the event names
  in the order written. ``branches``/``tags`` come from ``on.push`` (a string
  or a list).
- ``runs-on`` may be a label, a list of labels, or ``{group: g, labels: ...}``;
  ``runs_on`` is the label list and ``runs_on_group`` the group ("" if none);
  ``runs_on_labels`` holds the same labels as records placed at the value that
  gives each (the ``runs-on`` scalar, or the list item), so a finding about a
  label can stand on the line that names it.
  Expressions stay as written, except that a label holding exactly one
  ``${{ matrix.KEY }}`` (or ``matrix.KEY.SUB``) reference is expanded, best
  effort, to the literal values the job's ``strategy.matrix`` gives that key:
  its list, plus the ``include`` entries that set it (``exclude`` is ignored;
  a value that is itself a list of labels is flattened). When the matrix is
  an expression or gives no literal value, the label stays as written.
- ``continue-on-error`` is true only when it is literally ``true``; an
  expression such as ``${{ matrix.experimental }}`` counts as false, since
  whether it holds is only known at run time.
- ``with`` and ``env`` values are strings: booleans read ``true``/``false``,
  numbers as written (``3.10`` stays ``"3.10"``), null reads ``""``. An
  ``env`` that is a whole expression (``${{ ... }}``) reads as empty.

Positions: a workflow stands at its ``on`` key (else line 1, column 1), a job
at its id, a step at its first key. They are points: the end equals the
start. Private fields locate what policies look inside: ``_runs_on_pos`` is
[line, column] of the ``runs-on`` value, ``_run_pos`` where the ``run`` text
starts (for a ``|``/``>`` block: the first line after the indicator, at the
block's indentation, found best effort from the first non-blank line).
``spans`` (``StepSpans``) says where a step's parts are written, for the
policies' ``edit`` lines: only what an edit can change cleanly (a block-style
step holding no alias or merged key, entries whose key starts a line, the
flags of a script whose offsets are positions), and nothing in a file with
line breaks other than LF and CRLF.

Malformed YAML is one problem and no records; duplicate keys are a problem
each (the last one wins); a part of the wrong shape is a problem naming its
key and is skipped. Only the first YAML document is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .base import Extraction, Problem, Record, SourceFile, Spans, position
from .yamlsrc import Node, YamlError, duplicate_keys, load, split_lines

# Line breaks other than LF and CRLF: YAML counts lines at them, positions and
# edits do not, so a file holding one gets no spans.
_OTHER_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")
_FLAG = re.compile(r"(?<!\S)-\S*")
_ITEM = re.compile(r"( *)-[ \t]+$")
_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\s*\}\}")


@dataclass
class _File:
    """What every record of one file shares, and where its problems go."""

    source: SourceFile
    lines: list[str]
    out: Extraction
    triggers: list[str]
    spans: Spans | None = None  # None: the file's line breaks rule out edits

    def problem(self, node: Node, message: str) -> None:
        """Report ``message`` at the key holding ``node`` (or at ``node`` itself)."""
        line, column = (
            (node.key_line, node.key_column) if node.key_line else (node.line, node.column)
        )
        self.out.problems.append(Problem(self.source.path, line, column, message))

    def wrong_shape(self, node: Node, what: str, expected: str) -> None:
        """Report a value of the wrong shape under the key path ``what``."""
        self.problem(node, f"'{what}' must be {expected}, not {_shape(node)}")


def extract(source: SourceFile) -> Extraction:
    """Extract ``workflows``, ``jobs`` and ``steps`` from a workflow or composite action."""
    out = Extraction()
    try:
        documents = load(source.text)
    except YamlError as exc:
        out.problems.append(
            Problem(source.path, exc.line, exc.column, f"malformed YAML: {exc.message}")
        )
        return out
    if not documents or documents[0].value is None:
        return out  # empty, comments only, or an empty document
    file = _File(source, split_lines(source.text), out, [])
    if not _OTHER_BREAKS.search(source.text):
        file.spans = Spans(source)
    root = documents[0]
    for extra in documents[1:]:
        file.problem(extra, "a second YAML document is not read (GitHub reads one)")
    for key, line, column in duplicate_keys(root):
        out.problems.append(Problem(source.path, line, column, f"duplicate key '{key}'"))
    if not root.is_map:
        file.problem(root, f"the file must be a mapping of keys, not {_shape(root)}")
    elif source.kind == "action":
        _action(file, root)
    else:
        _workflow(file, root)
    return out


def _workflow(file: _File, root: Node) -> None:
    on = root.get("on")
    file.triggers = _triggers(file, on)
    branches, tags = _push_filters(file, on)
    jobs = _jobs(file, root.get("jobs"))
    where = (on.key_line, on.key_column) if on is not None else (1, 1)
    file.out.add(
        "workflows",
        {
            **position(file.source.path, *where),
            "kind": "workflow",
            "name": _text(file, root, "name", "name"),
            "triggers": list(file.triggers),
            "branches": branches,
            "tags": tags,
            "jobs": jobs,
            "steps": [],
        },
    )


def _action(file: _File, root: Node) -> None:
    runs = root.get("runs")
    steps: list[Record] = []
    if runs is not None and not runs.is_map:
        file.wrong_shape(runs, "runs", "a mapping")
    elif runs is not None:
        steps = _steps(file, runs.get("steps"), "", "runs.steps")
    file.out.add(
        "workflows",
        {
            **position(file.source.path, 1, 1),
            "kind": "action",
            "name": _text(file, root, "name", "name"),
            "triggers": [],
            "branches": [],
            "tags": [],
            "jobs": [],
            "steps": steps,
        },
    )


# --- triggers ---------------------------------------------------------------


def _triggers(file: _File, on: Node | None) -> list[str]:
    """The event names of ``on``, whichever of GitHub's shapes it has."""
    if on is None:
        return []
    if isinstance(on.value, str):
        return [on.value]
    if isinstance(on.value, dict):
        return list(on.value)
    if isinstance(on.value, list):
        return _unique(_strings(file, on, "on"))
    file.wrong_shape(on, "on", "an event, a list of events or a mapping of events")
    return []


def _push_filters(file: _File, on: Node | None) -> tuple[list[str], list[str]]:
    """``on.push.branches`` and ``on.push.tags``."""
    push = on.get("push") if on is not None else None
    if push is None or push.value is None:
        return [], []
    if not push.is_map:
        file.wrong_shape(push, "on.push", "a mapping")
        return [], []
    return (
        _strings(file, push.get("branches"), "on.push.branches"),
        _strings(file, push.get("tags"), "on.push.tags"),
    )


# --- jobs -------------------------------------------------------------------


def _jobs(file: _File, jobs: Node | None) -> list[Record]:
    if jobs is None:
        return []
    if not isinstance(jobs.value, dict):
        file.wrong_shape(jobs, "jobs", "a mapping of job ids to jobs")
        return []
    records: list[Record] = []
    for job_id, job in jobs.value.items():
        if isinstance(job.value, dict):
            records.append(_job(file, job_id, job))
        else:
            file.wrong_shape(job, f"jobs.{job_id}", "a mapping")
    return records


def _job(file: _File, job_id: str, job: Node) -> Record:
    what = f"jobs.{job_id}"
    placed, group = _runs_on(file, job, what)
    labels = [name for name, _ in placed]
    record: Record = {
        **position(file.source.path, job.key_line, job.key_column),
        "workflow": file.source.path,
        "triggers": list(file.triggers),
        "id": job_id,
        "name": _text(file, job, "name", f"{what}.name"),
        "runs_on": labels,
        "runs_on_labels": [
            {
                **position(
                    file.source.path, node.line, node.column, node.end_line, node.end_column
                ),
                "name": name,
            }
            for name, node in placed
        ],
        "runs_on_group": group,
        "if": _text(file, job, "if", f"{what}.if"),
        "continue_on_error": _flag(file, job, "continue-on-error", what),
        "uses": _text(file, job, "uses", f"{what}.uses"),
        "steps": _steps(file, job.get("steps"), job_id, f"{what}.steps"),
    }
    runs_on = job.get("runs-on")
    if runs_on is not None:
        record["_runs_on_pos"] = [runs_on.line, runs_on.column]
    file.out.add("jobs", record)
    return record


def _runs_on(file: _File, job: Node, what: str) -> tuple[list[tuple[str, Node]], str]:
    """The labels of ``runs-on`` (matrix references expanded), each with the node
    that gives it, and its group."""
    node = job.get("runs-on")
    if node is None:
        return [], ""
    what = f"{what}.runs-on"
    group = ""
    if isinstance(node.value, dict):
        group = _text(file, node, "group", f"{what}.group")
        labels = _placed_strings(file, node.get("labels"), f"{what}.labels")
    elif isinstance(node.value, str | list):
        labels = _placed_strings(file, node, what)
    else:
        file.wrong_shape(node, what, "a label, a list of labels or a {group, labels} mapping")
        return [], ""
    matrix = _matrix(job)
    expanded = [(value, at) for label, at in labels for value in _expand(label, matrix)]
    unique: dict[str, Node] = {}
    for value, at in expanded:
        unique.setdefault(value, at)
    return list(unique.items()), group


def _placed_strings(file: _File, node: Node | None, what: str) -> list[tuple[str, Node]]:
    """:func:`_strings`, each string with the node that holds it."""
    strings = _strings(file, node, what)
    if node is None or not strings:
        return []
    if isinstance(node.value, str):
        return [(strings[0], node)]
    items = [item for item in node.value if isinstance(item.value, str)]
    return list(zip(strings, items, strict=True))


def _matrix(job: Node) -> Node | None:
    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if strategy is not None else None
    return matrix if matrix is not None and matrix.is_map else None


def _expand(label: str, matrix: Node | None) -> list[str]:
    """``label`` with its one ``${{ matrix.KEY }}`` replaced by each literal value of KEY."""
    refs = list(_MATRIX_REF.finditer(label))
    if matrix is None or len(refs) != 1:
        return [label]
    ref = refs[0]
    values = _matrix_values(matrix, ref.group(1).split("."))
    return [label[: ref.start()] + value + label[ref.end() :] for value in values] or [label]


def _matrix_values(matrix: Node, path: list[str]) -> list[str]:
    """The literal values a matrix gives ``matrix.<path>``: the key's list and ``include``."""
    key, rest = path[0], path[1:]
    found: list[Node] = []
    listed = matrix.get(key)
    if listed is not None and listed.is_seq and key not in ("include", "exclude"):
        found.extend(listed.value)
    include = matrix.get("include")
    if include is not None and include.is_seq:
        found.extend(child for entry in include.value if (child := entry.get(key)) is not None)
    for part in rest:
        found = [child for node in found if (child := node.get(part)) is not None]
    values: list[str] = []
    for node in found:
        items = node.value if node.is_seq else [node]
        values.extend(text for item in items if (text := _scalar(item)) is not None)
    return values


# --- steps ------------------------------------------------------------------


def _steps(file: _File, steps: Node | None, job_id: str, what: str) -> list[Record]:
    if steps is None:
        return []
    if not isinstance(steps.value, list):
        file.wrong_shape(steps, what, "a list of steps")
        return []
    records: list[Record] = []
    for index, step in enumerate(steps.value):
        if isinstance(step.value, dict):
            records.append(_step(file, step, job_id, index, f"{what}.{index}"))
        else:
            file.wrong_shape(step, f"{what}.{index}", "a mapping")
    for record in records:
        record["siblings"] = len(steps.value) - 1
    return records


def _step(file: _File, step: Node, job_id: str, index: int, what: str) -> Record:
    record: Record = {
        **position(file.source.path, step.line, step.column),
        "workflow": file.source.path,
        "triggers": list(file.triggers),
        "job": job_id,
        "index": index,
        "id": _text(file, step, "id", f"{what}.id"),
        "name": _text(file, step, "name", f"{what}.name"),
        "uses": _text(file, step, "uses", f"{what}.uses"),
        "run": _text(file, step, "run", f"{what}.run"),
        "with": _string_map(file, step.get("with"), f"{what}.with"),
        "env": _string_map(file, step.get("env"), f"{what}.env"),
        "if": _text(file, step, "if", f"{what}.if"),
        "continue_on_error": _flag(file, step, "continue-on-error", what),
        "spans": _step_spans(file, step),
    }
    run = step.get("run")
    if run is not None and isinstance(run.value, str):
        record["_run_pos"] = _text_start(file.lines, run)
    file.out.add("steps", record)
    return record


def _step_spans(file: _File, step: Node) -> Record:
    """Where the step and its entries are written (``StepSpans``): only for a block
    mapping that holds no alias or merged value from elsewhere in the file."""
    spans = file.spans
    if spans is None or step.flow or not _written_here(step, step.line):
        return {}
    line, column = _last_end(step)
    line = line if column > 1 else line - 1  # a block scalar ends at the next line's start
    found: Record = {
        "step": spans.span(step.line, step.column, line, spans.end(line), _indent(step.column)),
        "keys": _entry_spans(file, spans, step),
    }
    dash = _ITEM.match(file.lines[step.line - 1][: step.column - 1])
    if dash:  # the item's "- " starts its line
        found["item"] = spans.whole_lines(step.line, line, dash.group(1))
    with_ = step.get("with")
    if with_ is not None and with_.is_map and not with_.flow:
        found["with"] = _entry_spans(file, spans, with_)
    run = step.get("run")
    if run is not None and isinstance(run.value, str):
        found["run_flags"] = _run_flags(file, spans, run)
    return found


def _run_flags(file: _File, spans: Spans, node: Node) -> Record:
    """Each flag (a word starting with ``-``) of a ``run`` script where it is written
    (its first occurrence), for
    a one-line plain scalar or a literal block whose lines are the script's: there
    a script offset is a file position (quotes, escapes and folding are not)."""
    rows: list[tuple[int, int, str]] = []
    if node.style == "" and node.line == node.end_line:
        rows.append((node.line, node.column, node.value))
    elif node.style == "|":
        first, column = _text_start(file.lines, node)
        rows += [(first + i, column, text) for i, text in enumerate(node.value.split("\n"))]
    for number, column, text in rows:
        written = file.lines[number - 1] if number <= len(file.lines) else ""
        if text and written[column - 1 : column - 1 + len(text)] != text:
            return {}
    found: Record = {}
    for number, column, text in rows:
        for word in _FLAG.finditer(text):
            where = (number, column + word.start(), number, column + word.end())
            found.setdefault(word.group(), spans.span(*where))
    return found


def _entry_spans(file: _File, spans: Spans, mapping: Node) -> Record:
    """Each entry of a block mapping as whole lines, when its key starts a line and
    its value ends one (deleting those lines removes just the entry)."""
    found: Record = {}
    for key, value in mapping.value.items():
        line, column = _last_end(value)
        before = file.lines[value.key_line - 1][: value.key_column - 1]
        after = file.lines[line - 1][column - 1 :].strip() if column > 1 else ""
        if before.strip() or (after and not after.startswith("#")):
            continue
        end = line if column > 1 else line - 1
        found[key] = spans.whole_lines(value.key_line, end, _indent(value.key_column))
    return found


def _written_here(node: Node, first: int) -> bool:
    """Whether every value under ``node`` stands at or after line ``first`` (an alias
    or a merged key stands where its anchor is, earlier)."""
    if node.line < first or (node.key_line and node.key_line < first):
        return False
    children = node.value.values() if node.is_map else node.value if node.is_seq else []
    return all(_written_here(child, first) for child in children)


def _last_end(node: Node) -> tuple[int, int]:
    """Where the last value written under ``node`` ends (a block collection's own
    end lies at the next token, after any comments)."""
    children = list(node.value.values()) if node.is_map else node.value if node.is_seq else []
    if children and not node.flow:
        return max(_last_end(child) for child in children)
    return node.end_line, node.end_column


def _indent(column: int) -> str:
    return " " * (column - 1)


def _text_start(lines: list[str], node: Node) -> list[int]:
    """[line, column] of the first character of a string scalar's value."""
    if node.style in ("|", ">") and node.value and node.line < len(lines):
        last = node.end_line if node.end_column > 1 else node.end_line - 1  # a block ends at col 1
        body = lines[node.line : last]
        indent = next((len(s) - len(s.lstrip(" ")) for s in body if s.strip()), 0)
        return [node.line + 1, min(indent, len(lines[node.line])) + 1]
    if node.style in ('"', "'"):
        return [node.line, node.column + 1]
    return [node.line, node.column]


# --- values -----------------------------------------------------------------


def _scalar(node: Node) -> str | None:
    """A scalar as a string (booleans ``true``/``false``, numbers as written); None otherwise."""
    value = node.value
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return node.raw
    return str(value)


def _text(file: _File, parent: Node, key: str, what: str) -> str:
    """The scalar under ``key`` as a string; "" when absent or null; a problem if not a scalar."""
    node = parent.get(key)
    if node is None:
        return ""
    text = _scalar(node)
    if text is None and node.value is not None:
        file.wrong_shape(node, what, "a string")
    return text or ""


def _flag(file: _File, parent: Node, key: str, what: str) -> bool:
    """True only for a literal ``true`` (an expression is unknown until run time)."""
    node = parent.get(key)
    if node is not None and isinstance(node.value, dict | list):
        file.wrong_shape(node, f"{what}.{key}", "a boolean or an expression")
    return node is not None and node.value is True


def _strings(file: _File, node: Node | None, what: str) -> list[str]:
    """A string or a list of strings as a list; anything else is a problem."""
    if node is None:
        return []
    if isinstance(node.value, str):
        return [node.value]
    if not isinstance(node.value, list):
        file.wrong_shape(node, what, "a string or a list of strings")
        return []
    found: list[str] = []
    for index, item in enumerate(node.value):
        if isinstance(item.value, str):
            found.append(item.value)
        else:
            file.wrong_shape(item, f"{what}.{index}", "a string")
    return found


def _string_map(file: _File, node: Node | None, what: str) -> dict[str, str]:
    """A mapping of scalars as strings (``with``, ``env``)."""
    if node is None or node.value is None:
        return {}
    if isinstance(node.value, str) and node.value.lstrip().startswith("${{"):
        return {}
    if not isinstance(node.value, dict):
        file.wrong_shape(node, what, "a mapping")
        return {}
    found: dict[str, str] = {}
    for key, value in node.value.items():
        text = _scalar(value)
        if text is None and value.value is not None:
            file.wrong_shape(value, f"{what}.{key}", "a string, a number or a boolean")
        else:
            found[key] = text or ""
    return found


def _shape(node: Node) -> str:
    value = node.value
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "empty" if value is None else "a string"


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
