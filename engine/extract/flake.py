"""Nix flakes: the inputs of ``flake.nix`` and ``flake.lock``, and ``flake.nix``'s nixConfig.

``flake.nix`` is parsed with tree-sitter's Nix grammar (``tree-sitter-nix``).
Only the top-level ``inputs`` and ``nixConfig`` attributes are read, in any
mix of nested sets and dotted paths (``inputs.x.url = ...;``,
``inputs = { x = { url = ...; }; };``). Values must be literals, as Nix
requires there: strings without ``${}``, indented strings, bare URIs,
numbers, booleans and lists of those. Anything else, and any syntax error,
becomes a problem with a position (a trailing comma in a function's formals,
``{ self, nixpkgs, }:``, is valid Nix, not an error).

An input's record sits on its ``url`` string, or on its name when it has
none (``follows``-only inputs, ``{ type = "github"; owner = ...; }`` sets,
whose URL is built as ``github:owner/repo``). A nixConfig setting's record
sits on its key; list values are joined by spaces, as Nix passes them on.

``flake.lock`` is JSON: every node but the root becomes an input, its URL
taken from ``locked`` (what is fetched; FlakeHub's ``api.flakehub.com/f/pinned``
tarballs stay as they are) or else ``original``. Key positions come from
walking the text with the standard library's JSON decoder after the whole
file has been validated.

Any input whose URL host is ``flakehub.com`` or a subdomain has type
``flakehub``, whatever its declared type.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import tree_sitter_nix
from tree_sitter import Language, Node, Parser

from ..core.text import ByteLineIndex, LineIndex
from .base import Extraction, Problem, Record, SourceFile, Spans, position

MAX_DEPTH = 32
"""How deep nested attribute sets under ``inputs``/``nixConfig`` are followed."""

_NIX = Language(tree_sitter_nix.language())
_ROOTS = ("inputs", "nixConfig")
_ATTRSETS = ("attrset_expression", "rec_attrset_expression")
_SCALARS = ("integer_expression", "float_expression", "uri_expression")
_CONSTANTS = ("true", "false", "null")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}
_SCHEME_TYPES = {"flake": "indirect", "http": "tarball", "https": "tarball", "hg": "mercurial"}
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON = json.JSONDecoder()
_ENDS = ("line", "column", "end_line", "end_column")


def extract(source: SourceFile) -> Extraction:
    """Read ``flake.nix`` (kind ``flake``) or ``flake.lock`` (kind ``flake_lock``)."""
    if source.kind == "flake_lock":
        return extract_lock(source)
    return extract_flake(source)


def flake_type(url: str, explicit: str = "") -> str:
    """The input type of a flake URL: ``flakehub`` for FlakeHub hosts, else ``explicit``
    when given, else from the URL scheme (``git+https`` is ``git``, ``https`` a tarball,
    a bare name an indirect registry id, ``./x`` a path)."""
    if _is_flakehub(url):
        return "flakehub"
    if explicit:
        return explicit
    scheme, colon, _ = url.partition(":")
    if not colon:
        return "path" if url.startswith(("/", ".")) else "indirect" if url else ""
    base = scheme.split("+", 1)[0]
    return _SCHEME_TYPES.get(base, base)


def source_url(attrs: Mapping[str, str]) -> str:
    """A flake URL for an attribute-set input or a lock entry (``type``, ``owner``, ...)."""
    kind = attrs.get("type", "")
    if kind in ("github", "gitlab", "sourcehut"):
        owner, repo = attrs.get("owner", ""), attrs.get("repo", "")
        return f"{kind}:{owner}/{repo}" if owner and repo else ""
    if kind == "path":
        return f"path:{attrs.get('path', '')}"
    if kind == "indirect":
        return f"flake:{attrs.get('id', '')}"
    return attrs.get("url", "")


def _is_flakehub(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return host == "flakehub.com" or host.endswith(".flakehub.com")


# flake.nix


@dataclass(frozen=True)
class _Leaf:
    """A non-set value under ``inputs``/``nixConfig`` and the attribute path leading to it."""

    path: tuple[str, ...]
    names: tuple[Node, ...]
    value: Node


@dataclass
class _Input:
    name: str
    name_node: Node
    attrs: dict[str, tuple[str, Node]] = field(default_factory=dict)


def extract_flake(source: SourceFile) -> Extraction:
    """Read ``flake.nix`` into ``flake_inputs`` and ``nix_settings`` (source ``flake``)."""
    reader = _FlakeReader(source)
    reader.read()
    reader.result.problems.sort(key=lambda problem: (problem.line, problem.column))
    return reader.result


class _FlakeReader:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.data = source.text.encode("utf-8", "surrogatepass")
        self.offsets = ByteLineIndex(self.data)
        self.spans = Spans(source)
        self.result = Extraction()

    def read(self) -> None:
        root = Parser(_NIX).parse(self.data).root_node
        if root.has_error and (error := _first_error(root)) is not None:
            self._syntax_error(error)
            return
        body = _flake_body(root)
        if body is None:
            self._problem(root, "flake.nix is not an attribute set")
            return
        leaves = list(self._leaves(body, (), (), 0))
        self._inputs([leaf for leaf in leaves if leaf.path[0] == "inputs"])
        self._nix_config([leaf for leaf in leaves if leaf.path[0] == "nixConfig"])

    def _syntax_error(self, node: Node) -> None:
        """Report the first syntax error, as Nix does."""
        snippet = self._text(node).split("\n", 1)[0][:40]
        message = f"missing '{node.type}'" if node.is_missing else f"syntax error at '{snippet}'"
        self._problem(node, f"cannot parse flake.nix: {message}")

    def _leaves(
        self, attrset: Node, path: tuple[str, ...], names: tuple[Node, ...], depth: int
    ) -> Iterator[_Leaf]:
        for binding in _bindings(attrset):
            if binding.type != "binding":
                if path:
                    self._problem(binding, f"'inherit' under {'.'.join(path)} is not followed")
                continue
            attrs = binding.child_by_field_name("attrpath")
            value = binding.child_by_field_name("expression")
            if attrs is None or value is None:
                continue
            keys = _named(attrs)
            words = [self._attr_name(key) for key in keys]
            if not path and words[0] not in _ROOTS:
                continue
            yield from self._follow(path, names, keys, words, value, depth)

    def _follow(
        self,
        path: tuple[str, ...],
        names: tuple[Node, ...],
        keys: list[Node],
        words: list[str | None],
        value: Node,
        depth: int,
    ) -> Iterator[_Leaf]:
        if None in words:
            self._problem(keys[words.index(None)], "a computed attribute name is not followed")
            return
        full = path + tuple(word or "" for word in words)
        full_names = names + tuple(keys)
        if value.type not in _ATTRSETS:
            yield _Leaf(full, full_names, value)
        elif depth >= MAX_DEPTH:
            self._problem(value, f"attribute sets nested deeper than {MAX_DEPTH}")
        else:
            yield from self._leaves(value, full, full_names, depth + 1)

    def _inputs(self, leaves: list[_Leaf]) -> None:
        inputs: dict[str, _Input] = {}
        for leaf in leaves:
            if len(leaf.path) < 2:
                self._problem(leaf.value, "'inputs' must be an attribute set")
                continue
            entry = inputs.setdefault(leaf.path[1], _Input(leaf.path[1], leaf.names[1]))
            if len(leaf.path) > 3:
                continue  # inputs.x.inputs.y.follows: about x's own inputs
            attr = leaf.path[2] if len(leaf.path) == 3 else "url"
            value = self._literal(leaf.value)
            if value is None:
                self._problem(leaf.value, f"inputs.{entry.name}.{attr} is not a literal")
            else:
                entry.attrs[attr] = (value, leaf.value)
        for entry in inputs.values():
            self.result.add("flake_inputs", self._input_record(entry))

    def _input_record(self, entry: _Input) -> Record:
        attrs = {key: value for key, (value, _) in entry.attrs.items()}
        url, anchor = entry.attrs.get("url", (source_url(attrs), entry.name_node))
        return {
            **self._position(anchor, anchor),
            "source": "flake.nix",
            "name": entry.name,
            "url": url,
            "type": flake_type(url, attrs.get("type", "")),
            "flake": self.source.path,
        }

    def _nix_config(self, leaves: list[_Leaf]) -> None:
        for leaf in leaves:
            if len(leaf.path) < 2:
                self._problem(leaf.value, "'nixConfig' must be an attribute set")
                continue
            key = ".".join(leaf.path[1:])
            setting = self._setting(leaf.value)
            if setting is None:
                self._problem(leaf.value, f"nixConfig.{key} is not a literal")
                continue
            value, values = setting
            where = self._position(leaf.names[1], leaf.names[-1])
            record = {
                **where,
                "source": "flake",
                "key": key,
                "value": value,
                "values": values,
                "spans": {
                    "key": self.spans.span(*(where[k] for k in _ENDS)),
                    "values": self._value_spans(leaf.value),
                },
            }
            self.result.add("nix_settings", record)

    def _value_spans(self, node: Node) -> Record:
        """Each string of a list value with the blank before it (deleting it removes
        the value from the list)."""
        found: Record = {}
        if node.type != "list_expression":
            return found
        for item in _named(node):
            value, before = self._literal(item), item.prev_sibling
            if value is not None and before is not None:
                start = self.offsets.position(before.end_byte)
                found.setdefault(
                    value, self.spans.span(*start, *self.offsets.position(item.end_byte))
                )
        return found

    def _setting(self, node: Node) -> tuple[str, list[str]] | None:
        """A nixConfig value as Nix passes it on: lists joined by spaces."""
        if node.type != "list_expression":
            value = self._literal(node)
            return None if value is None else (value, value.split())
        items = [self._literal(item) for item in _named(node)]
        strings = [item for item in items if item is not None]
        return None if len(strings) < len(items) else (" ".join(strings), strings)

    def _literal(self, node: Node) -> str | None:
        """The value of a literal scalar, or None for anything that needs evaluation."""
        if node.type == "string_expression":
            return self._string(node, _unescape)
        if node.type == "indented_string_expression":
            text = self._string(node, _unescape_indented)
            return None if text is None else _strip_indentation(text)
        text = self._text(node)
        if node.type in _SCALARS or (node.type == "variable_expression" and text in _CONSTANTS):
            return text
        return None

    def _string(self, node: Node, unescape: Callable[[str], str]) -> str | None:
        parts: list[str] = []
        for part in _named(node):
            if part.type == "interpolation":
                return None
            if part.type == "escape_sequence":
                parts.append(unescape(self._text(part)))
            elif part.type != "dollar_escape":
                parts.append(self._text(part))
        return "".join(parts)

    def _attr_name(self, node: Node) -> str | None:
        if node.type == "identifier":
            return self._text(node)
        if node.type == "string_expression":
            return self._string(node, _unescape)
        return None

    def _text(self, node: Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def _position(self, first: Node, last: Node) -> Record:
        line, column = self.offsets.position(first.start_byte)
        end_line, end_column = self.offsets.position(last.end_byte)
        return position(self.source.path, line, column, end_line, end_column)

    def _problem(self, node: Node, message: str) -> None:
        line, column = self.offsets.position(node.start_byte)
        self.result.problems.append(Problem(self.source.path, line, column, message))


def _first_error(node: Node) -> Node | None:
    """The first error or missing node under ``node``, in source order, but for
    the formal tree-sitter-nix 0.1.0 (the grammar on PyPI) finds missing after
    a trailing comma: ``{ self, nixpkgs, }:`` is valid Nix (fixed upstream in
    tree-sitter-nix's "Handle trailing comma in formals", not released)."""
    if node.is_error or (node.is_missing and not _trailing_formal(node)):
        return node
    for child in node.children:
        if child.has_error and (error := _first_error(child)) is not None:
            return error
    return None


def _trailing_formal(node: Node) -> bool:
    """``node`` is the missing identifier of an empty formal between a comma and
    the closing brace of a function's formals."""
    formal = node.parent
    if formal is None or formal.type != "formal" or formal.start_byte != formal.end_byte:
        return False
    before, after = formal.prev_sibling, formal.next_sibling
    return (
        formal.parent is not None
        and formal.parent.type == "formals"
        and before is not None
        and before.type == ","
        and after is not None
        and after.type == "}"
    )


def _named(node: Node) -> list[Node]:
    return [child for child in node.named_children if child.type != "comment"]


def _bindings(attrset: Node) -> list[Node]:
    sets = [child for child in attrset.named_children if child.type == "binding_set"]
    return _named(sets[0]) if sets else []


def _flake_body(root: Node) -> Node | None:
    """The attribute set a flake.nix evaluates to, looking through ``let ... in`` and ``( )``."""
    node: Node | None = root
    while node is not None and node.type not in _ATTRSETS:
        if node.type == "let_expression":
            node = node.child_by_field_name("body")
        elif node.type in ("source_code", "parenthesized_expression"):
            children = _named(node)
            node = children[0] if len(children) == 1 else None
        else:
            node = None
    return node


def _unescape(escape: str) -> str:
    """A ``\\x`` escape of a double-quoted Nix string."""
    return _ESCAPES.get(escape[1:], escape[1:])


def _unescape_indented(escape: str) -> str:
    """An escape of an indented string: ``'''`` or ``''\\x``."""
    return "''" if escape == "'''" else _unescape(escape[2:])


def _strip_indentation(text: str) -> str:
    """Nix's indentation stripping, close enough for URLs and cache lists: a first line
    of blanks is dropped and the common leading whitespace removed."""
    first, newline, rest = text.partition("\n")
    return textwrap.dedent(rest if newline and not first.strip(" ") else text)


# flake.lock


def extract_lock(source: SourceFile) -> Extraction:
    """Read ``flake.lock`` into ``flake_inputs`` records (source ``flake.lock``)."""
    result = Extraction()
    if not source.text.strip():
        result.problems.append(Problem(source.path, 1, 1, "flake.lock is empty"))
        return result
    try:
        data = json.loads(source.text)
    except json.JSONDecodeError as error:
        problem = Problem(source.path, error.lineno, error.colno, f"invalid JSON: {error.msg}")
        result.problems.append(problem)
        return result
    except (ValueError, RecursionError) as error:
        result.problems.append(Problem(source.path, 1, 1, f"cannot read JSON: {error}"))
        return result
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if not isinstance(nodes, dict):
        result.problems.append(Problem(source.path, 1, 1, "flake.lock has no 'nodes' object"))
        return result
    keys = _node_keys(source.text)
    root = data.get("root", "root")
    for name, node in nodes.items():
        if name != root:
            _lock_input(source, name, node, keys.get(name, (0, 0)), result)
    return result


def _lock_input(
    source: SourceFile, name: str, node: object, key: tuple[int, int], result: Extraction
) -> None:
    lines = LineIndex(source.text)
    start = lines.position(key[0])
    if not isinstance(node, dict):
        result.problems.append(Problem(source.path, *start, f"lock node '{name}' is not an object"))
        return
    attrs = _lock_attrs(node)
    url = source_url(attrs)
    record = {
        **position(source.path, *start, *lines.position(key[1])),
        "source": "flake.lock",
        "name": name,
        "url": url,
        "type": flake_type(url, attrs.get("type", "")),
        "flake": flake_of(source.path),
    }
    result.add("flake_inputs", record)


def _lock_attrs(node: Mapping[str, Any]) -> dict[str, str]:
    """The string attributes of a node's ``locked`` entry, or of ``original`` without one."""
    for entry in ("locked", "original"):
        attrs = node.get(entry)
        if isinstance(attrs, dict):
            return {key: value for key, value in attrs.items() if isinstance(value, str)}
    return {}


def _node_keys(text: str) -> dict[str, tuple[int, int]]:
    """Where each key of ``nodes`` stands: offsets of its opening and after its closing quote.

    Only called on text that ``json.loads`` accepted, so the walk cannot fail.
    """
    top = _members(text, _skip(text, 0))
    if "nodes" not in top:
        return {}
    return {key: (start, end) for key, (start, end, _) in _members(text, top["nodes"][2]).items()}


def _members(text: str, start: int) -> dict[str, tuple[int, int, int]]:
    """The keys of the JSON object at ``text[start]``: key start, key end, value start."""
    members: dict[str, tuple[int, int, int]] = {}
    i = _skip(text, start + 1)
    while text.startswith('"', i):
        key, key_end = _JSON.raw_decode(text, i)
        value_start = _skip(text, _skip(text, key_end) + 1)
        members[key] = (i, key_end, value_start)
        _, value_end = _JSON.raw_decode(text, value_start)
        i = _skip(text, value_end)
        i = _skip(text, i + 1) if text.startswith(",", i) else i
    return members


def _skip(text: str, i: int) -> int:
    match = _JSON_SPACE.match(text, i)
    return match.end() if match else i


def flake_of(lock: str) -> str:
    """The ``flake.nix`` a ``flake.lock`` locks: the one beside it."""
    return lock[: -len("flake.lock")] + "flake.nix"
