"""YAML with positions: PyYAML's composer (libyaml when available) turned into
:class:`Node` trees that remember where every key and value stands.

Scalars resolve with YAML 1.2 core rules (``on``/``yes``/``no`` stay strings,
as GitHub Actions reads them). Duplicate keys and alias expansion beyond a
budget ("billion laughs") are reported, never followed blindly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _Loader

    _BYTE_OFFSETS = True  # libyaml reports reader errors at UTF-8 byte offsets
except ImportError:  # pragma: no cover - libyaml missing
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

    _BYTE_OFFSETS = False

MAX_NODES = 200_000
MAX_DEPTH = 200

_INT = re.compile(r"[-+]?[0-9]+$")
_HEX = re.compile(r"0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf")}


class YamlError(Exception):
    """A YAML file that cannot be read; ``line``/``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class Node:
    """A YAML value with its source span (1-based lines and columns).

    ``value`` is a str/int/float/bool/None for scalars, a list of Nodes for
    sequences, and a dict of str to Node for mappings. ``key_line`` and
    ``key_column`` locate the mapping key that holds this node, if any.
    For scalars, ``raw`` is the text as written (after unquoting: ``3.10``
    stays ``"3.10"`` though ``value`` is ``3.1``) and ``style`` is the YAML
    scalar style: ``""`` plain, ``'"'``/``"'"`` quoted, ``"|"``/``">"`` block.
    """

    value: Any
    line: int
    column: int
    end_line: int
    end_column: int
    key_line: int = 0
    key_column: int = 0
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)
    raw: str = ""
    style: str = ""
    flow: bool = False  # a mapping or sequence in flow style ({a: b}, [a, b])

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_seq(self) -> bool:
        return isinstance(self.value, list)

    def get(self, key: str) -> Node | None:
        return self.value.get(key) if isinstance(self.value, dict) else None

    def text(self, key: str, default: str = "") -> str:
        """The scalar under ``key`` as a string (``default`` when absent or not a scalar).

        Booleans read ``true``/``false``; numbers read as written (``3.10``, ``0x1F``).
        """
        node = self.get(key)
        if node is None or isinstance(node.value, dict | list) or node.value is None:
            return default
        value = node.value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return node.raw
        return str(value)

    def plain(self) -> Any:
        """The value as plain Python data (no positions)."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def _scalar(node: yaml.ScalarNode) -> Any:
    text = node.value
    if node.style or node.tag == "tag:yaml.org,2002:str":
        return text  # quoted or block scalars are strings
    if node.tag not in (
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:null",
    ):
        return text
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("", "~", "null"):
        return None
    try:
        if _INT.match(text):
            return int(text, 10)
        if _HEX.match(text):
            return int(text, 16)
    except ValueError:  # more digits than Python converts: keep the text
        return text
    if _FLOAT.match(text):
        return float(text)
    if low in _SPECIAL_FLOAT:
        return _SPECIAL_FLOAT[low]
    return text


class _Builder:
    def __init__(self, lines: list[str]) -> None:
        self.count = 0
        self.lines = lines

    def at(self, mark: yaml.Mark) -> tuple[int, int]:
        """A mark as a 1-based (line, column) inside the text.

        libyaml ends a stream that lacks a final line break on a line after
        the last one: such marks move to the end of the text.
        """
        if mark.line >= len(self.lines):
            return len(self.lines), len(self.lines[-1]) + 1
        return mark.line + 1, min(mark.column, len(self.lines[mark.line])) + 1

    def build(self, node: yaml.Node, depth: int = 0) -> Node:
        self.count += 1
        start, end = self.at(node.start_mark), self.at(node.end_mark)
        if self.count > MAX_NODES:
            raise YamlError(
                f"more than {MAX_NODES} values after expanding aliases (an alias bomb?)", *start
            )
        if depth > MAX_DEPTH:
            raise YamlError(f"nested deeper than {MAX_DEPTH} levels", *start)
        out = Node(None, *start, *end)
        if isinstance(node, yaml.ScalarNode):
            out.value = _scalar(node)
            out.raw = node.value
            out.style = node.style or ""
        elif isinstance(node, yaml.SequenceNode):
            out.value = [self.build(item, depth + 1) for item in node.value]
            out.flow = bool(node.flow_style)
        elif isinstance(node, yaml.MappingNode):
            out.value = self._mapping(node, out, depth)
            out.flow = bool(node.flow_style)
        return out

    def _mapping(self, node: yaml.MappingNode, out: Node, depth: int) -> dict[str, Node]:
        """The mapping's entries; merged (``<<``) keys yield to keys written here."""
        mapping: dict[str, Node] = {}
        merged: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                source = self.build(value_node, depth + 1)
                for item in source.value if isinstance(source.value, list) else [source]:
                    if isinstance(item.value, dict):
                        for k, v in item.value.items():
                            merged.setdefault(k, v)
                continue
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            child = self.build(value_node, depth + 1)
            child.key_line, child.key_column = self.at(key_node.start_mark)
            if key in mapping:
                out.duplicates.append((key, child.key_line, child.key_column))
            mapping[key] = child
        return {**merged, **mapping} if merged else mapping


def load(text: str) -> list[Node]:
    """Parse every document of a YAML stream into Node trees.

    Raises :class:`YamlError` with a 1-based position on malformed YAML,
    alias bombs, or nesting deeper than ``MAX_DEPTH``.
    """
    builder = _Builder(split_lines(text))
    documents: list[Node] = []
    try:
        for doc in yaml.compose_all(text, Loader=_Loader):
            if doc is not None:
                documents.append(builder.build(doc))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = builder.at(mark) if mark else (1, 1)
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "malformed YAML"
        if builder.lines[line - 1][column - 1 : column] == "\t" and "tab" not in message:
            message += " (a tab: YAML indents with spaces only)"
        raise YamlError(message, line, column) from None
    except yaml.reader.ReaderError as exc:
        line, column = _char_position(text, exc.position)
        raise YamlError(str(exc).splitlines()[0], line, column) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc).splitlines()[0] or "malformed YAML", 1, 1) from None
    except UnicodeEncodeError as exc:
        line, column = _line_column(text, exc.start)
        raise YamlError("text is not valid Unicode (a lone surrogate)", line, column) from None
    except RecursionError:
        raise YamlError(f"nested deeper than {MAX_DEPTH} levels", 1, 1) from None
    return documents


_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` as YAML counts them (CRLF, CR, LF, NEL, LS and PS end a line).

    A text ending in a line break has an empty last line: positions just past
    the final break (where a block ends) fall on it.
    """
    return _BREAK.split(text)


def _line_column(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of a character index, counting YAML line breaks."""
    index = max(0, min(index, len(text)))
    line, start = 1, 0
    for brk in _BREAK.finditer(text, 0, index):
        line, start = line + 1, brk.end()
    return line, index - start + 1


def _char_position(text: str, offset: int) -> tuple[int, int]:
    """Line and column of a reader error: libyaml reports UTF-8 byte offsets."""
    if _BYTE_OFFSETS:
        prefix = text.encode("utf-8", "surrogatepass")[:offset]
        offset = len(prefix.decode("utf-8", "ignore"))
    return _line_column(text, offset)


def duplicate_keys(node: Node) -> list[tuple[str, int, int]]:
    """Every duplicate mapping key in the tree, as (key, line, column)."""
    found = list(node.duplicates)
    if isinstance(node.value, dict):
        for child in node.value.values():
            found.extend(duplicate_keys(child))
    elif isinstance(node.value, list):
        for child in node.value:
            found.extend(duplicate_keys(child))
    return found


def node_at(root: Node, path: Iterable[str | int]) -> Node:
    """The deepest node reachable along ``path`` (keys and list indexes), e.g. a
    pydantic error location."""
    node = root
    for part in path:
        if isinstance(node.value, dict) and str(part) in node.value:
            node = node.value[str(part)]
        elif isinstance(node.value, list) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
    return node


def anchor(node: Node) -> tuple[int, int]:
    """Where a message about ``node`` points: its key when it has one."""
    return (node.key_line, node.key_column) if node.key_line else (node.line, node.column)


def schema_error_at(root: Node | None, error: Mapping[str, Any]) -> tuple[str, int, int]:
    """Where a pydantic validation error of a document read as YAML (or JSON) points:
    the key path it is about as users write it (the mapping's, for an unknown key),
    and the line and column of that key or value (1, 1 without a document)."""
    loc = tuple(error["loc"])
    line, column = anchor(node_at(root, loc)) if root is not None else (1, 1)
    return dotted(loc[:-1] if error["type"] == "extra_forbidden" else loc), line, column


def dotted(path: Iterable[str | int]) -> str:
    """A path as users write it: ``runner_classes.gpu.proofs[0].surface``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text
