"""Admonitions written as text markers, turned into plain Markdown before parsing.

Two documentation generators mark a call-out ("note", "warning", "tip") with
lines that CommonMark reads as prose or code:

- Docusaurus (and other remark-directive sites): a ``:::kind`` or
  ``:::kind[Title]`` line opens it and a ``:::`` line closes it; the body in
  between is ordinary Markdown. Unhandled, the markers become words of the
  body's first and last sentences.
- MkDocs / Python-Markdown (``!!! kind "Title"``, and pymdownx's collapsible
  ``??? kind`` and ``???+ kind``): the body is indented four spaces under the
  marker line. Unhandled, a body after a blank line is an indented code block
  (its prose is lost) and a body right under the marker joins the marker's
  paragraph.

:func:`unmark` blanks the marker lines and takes the four spaces of
indentation off an MkDocs body, keeping every line where it was, and says for
each line of a call-out its kind and title and how many columns were taken
off it. The Markdown extractor parses the result and puts the columns back.
- MyST (Sphinx, Jupyter Book): a fence whose info string names a directive
  in braces, with backticks or tildes (```` ```{note} ````, ```` ````{tab-set} ````,
  ```` ```{tab-item} Linux ````) or colons (``:::{warning}``), and its option lines
  (``:sync: linux``). Unhandled, a backtick or tilde directive is a code block
  and its prose is lost. Only the directives that hold prose are opened (call-outs
  such as note, warning, deprecated, and containers such as tab-set, tab-item,
  card, dropdown); ``{code-block}``, ``{literalinclude}``, ``{toctree}`` and the
  like stay code. A MyST page's target lines (``(install-linux)=``) and comment
  lines (``% a note``) are blanked too: unhandled, each is a sentence.
GitHub's ``> [!WARNING]`` alerts need none of this: the parser reads them.

MDX pages (Docusaurus, Fumadocs, Nextra) mark components the same way, with
JSX tags on lines of their own (``<Accordion title="...">``, ``</Accordion>``,
``<Steps />``) and ESM lines (``import { Tabs } from "..."``). A component's
children are Markdown however far they are indented (MDX has no indented code
blocks), but CommonMark reads the tag line and the lines under it as one HTML
block, and the prose is lost. For an MDX file :func:`unmark` also blanks the
tag and ESM lines and takes off the indentation a component's children share
(the first child line's), and a component with a ``type`` or ``title``
attribute (``<Callout type="warn" title="Experimental">``) is a call-out of
that kind and title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
# ":::warning", ":::tip[A title]", ":::note A title"; "::::" for a nested one; MyST's
# ":::{note} A title"
_DIRECTIVE = re.compile(
    r"^ {0,3}(?P<colons>:{3,})(?P<brace>\{)?(?P<kind>[A-Za-z][\w-]*)(?(brace)\})"
    r"(?:\[(?P<bracketed>[^\]]*)\]|[ \t]+(?P<rest>.*?))?[ \t]*$"
)
_DIRECTIVE_END = re.compile(r"^ {0,3}(?P<colons>:{3,})[ \t]*$")
# '!!! warning "A title"', '??? note', '???+ tip ""', '!!! note inline end "A title"'
_MKDOCS = re.compile(
    r"^(?P<indent>[ \t]*)(?:!!!|\?\?\?\+?)[ \t]+(?P<kind>[A-Za-z][\w-]*)"
    r'(?:[ \t]+[\w -]*?)?(?:[ \t]*"(?P<title>[^"]*)")?[ \t]*$'
)


# MyST's "```{note}", "````{tab-item} Linux", "~~~{warning} A title"
_MYST_FENCE = re.compile(
    r"^ {0,3}(?P<fence>`{3,}|~{3,})\{(?P<kind>[A-Za-z][\w-]*)\}[ \t]*(?P<rest>.*?)[ \t]*$"
)
# a MyST directive's option line (":sync: linux", ":class: dropdown")
_MYST_OPTION = re.compile(r"^ {0,3}:[\w-]+:(\s|$)")
# MyST's target line ("(install-linux)=") and comment line ("% a note to editors"):
# markup, not prose (a comment line only on a page that is MyST by another line)
_MYST_TARGET = re.compile(r"^ {0,3}\([^()\s]+\)=\r?$", re.MULTILINE)
_MYST_COMMENT = re.compile(r"^ {0,3}%(\s.*)?$")
# the MyST directives whose body is prose: call-outs (their kind is the directive's)
# and containers (no call-out)
_MYST_CALLOUTS = frozenset(
    [
        "admonition",
        "attention",
        "caution",
        "danger",
        "deprecated",
        "error",
        "hint",
        "important",
        "note",
        "seealso",
        "tip",
        "todo",
        "versionadded",
        "versionchanged",
        "warning",
    ]
)
_MYST_CONTAINERS = frozenset(
    [
        "card",
        "container",
        "div",
        "dropdown",
        "grid",
        "grid-item",
        "grid-item-card",
        "margin",
        "sidebar",
        "tab",
        "tab-item",
        "tab-set",
        "tabs",
        "topic",
    ]
)

# an MDX component's tag alone on its line: "<Tab value="x">", "<Steps />", or the
# first line of a tag whose attributes go on ("<Accordion", "  title="...">")
_JSX_OPEN = re.compile(r"^[ \t]*<(?P<name>[A-Z][\w.]*)(?P<attrs>\s[^<>]*?)?(?P<end>/?>)?[ \t]*$")
_JSX_CLOSE = re.compile(r"^[ \t]*</[A-Z][\w.]*>[ \t]*$")
_JSX_TAG_END = re.compile(r"/?>[ \t]*$")
_JSX_ATTR = re.compile(r"""\b(?P<key>type|title)=(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""")
_ESM = re.compile(r"^(import|export)\s")
_LINE_BREAK = re.compile(r"\r(?!\n)|\n")


@dataclass
class Unmarked:
    """The text to parse, and what it says of the lines of the original (1-based)."""

    text: str
    # each line inside a call-out (its marker lines included): (kind, title)
    callouts: dict[int, tuple[str, str]] = field(default_factory=dict)
    # each line some columns were taken off: how many
    shifts: dict[int, int] = field(default_factory=dict)


def unmark(text: str, mdx: bool = False) -> Unmarked | None:
    """``text`` with its admonition markers (and an MDX file's component tags and
    ESM lines) blanked, or None when it has none."""
    markers = (":::", "!!!", "???", "```{", "~~~{")
    targets = ")=" in text and _MYST_TARGET.search(text)  # the regex only where it may match
    if not mdx and not any(marker in text for marker in markers) and not targets:
        return None
    # lines as the Markdown parser counts them: a lone CR ends a line too (a CRLF
    # line keeps its CR, see `_blank`)
    lines = _LINE_BREAK.split(text)
    out = Unmarked(text)
    changed = _jsx(lines, out) if mdx else False
    changed = _myst(lines, out) or changed
    changed = _directives(lines, out) or changed
    for _ in range(4):  # an MkDocs call-out nested in one is found once the outer is unindented
        if not _mkdocs(lines, out):
            break
        changed = True
    if not changed:
        return None
    out.text = "\n".join(lines)
    return out


def _blank(line: str) -> str:
    """An empty line in place of ``line``, keeping the CR of a CRLF line break."""
    return "\r" if line.endswith("\r") else ""


def _closes(fence: str, line: str) -> bool:
    """Whether ``line`` closes a code block opened by ``fence`` (its backticks or
    tildes): a run of the same character, as long or longer, and nothing else."""
    match = _FENCE.match(line)
    return (
        match is not None
        and match[1][0] == fence[0]
        and len(match[1]) >= len(fence)
        and not line.strip().strip(fence[0])
    )


def _open_fences(lines: list[str]) -> list[str]:
    """For each line: the code fence open before it ("" when none)."""
    opened = []
    fence = ""
    for line in lines:
        opened.append(fence)
        if fence:
            if _closes(fence, line):
                fence = ""
        elif match := _FENCE.match(line):
            fence = match[1]
    return opened


def _outside_code(lines: list[str]) -> list[bool]:
    """For each line: whether it is outside every fenced code block."""
    return [
        not fence and _FENCE.match(line) is None
        for fence, line in zip(_open_fences(lines), lines, strict=True)
    ]


def _myst(lines: list[str], out: Unmarked) -> bool:
    """Blank the fence and option lines of MyST's prose directives (see the module's
    docstring); other fenced blocks, and everything inside them, stay as they are."""
    # each open fence: (its marker, its first line index, (kind, title) or None,
    # and whether its body is prose)
    opened: list[tuple[str, int, tuple[str, str] | None, bool]] = []
    changed = False
    myst = _is_myst(lines)
    for index, line in enumerate(lines):
        bare = line.rstrip("\r")
        fence = _FENCE.match(bare)
        if fence and opened:
            marker, first, callout, prose = opened[-1]
            if _closes(marker, bare):
                opened.pop()
                if prose:
                    lines[index] = _blank(line)
                    if callout is not None:
                        for number in range(first + 1, index + 2):
                            out.callouts.setdefault(number, callout)
                continue
            if not prose:
                continue  # a fence inside code is code
        if fence is None:
            if (
                opened
                and opened[-1][3]
                and _MYST_OPTION.match(bare)
                and _options_only(lines, index, opened[-1][1])
            ) or (
                (not opened or opened[-1][3])
                and (_MYST_TARGET.match(bare) or (myst and _MYST_COMMENT.match(bare)))
            ):
                lines[index] = _blank(line)
                changed = True
            continue
        start = _MYST_FENCE.match(bare)
        kind = start["kind"].lower() if start else ""
        if kind in _MYST_CALLOUTS or kind in _MYST_CONTAINERS:
            callout = (kind, start["rest"]) if start and kind in _MYST_CALLOUTS else None
            opened.append((fence[1], index, callout, True))
            lines[index] = _blank(line)
            changed = True
        elif not opened or opened[-1][3]:
            opened.append((fence[1], index, None, False))
    return changed


def _is_myst(lines: list[str]) -> bool:
    """Whether a line outside code is MyST's: a directive fence (backticks, tildes or
    colons with the kind in braces) or a target line."""
    for fence, line in zip(_open_fences(lines), lines, strict=True):
        if fence:
            continue
        bare = line.rstrip("\r")
        directive = _DIRECTIVE.match(bare)
        if (
            _MYST_FENCE.match(bare)
            or _MYST_TARGET.match(bare)
            or (directive and directive["brace"])
        ):
            return True
    return False


def _options_only(lines: list[str], index: int, first: int) -> bool:
    """Whether every line between a directive's opening line ``first`` and ``index``
    is an option line too (options come first in a directive's body)."""
    return all(
        not lines[i].strip() or _MYST_OPTION.match(lines[i]) for i in range(first + 1, index)
    )


def _directives(lines: list[str], out: Unmarked) -> bool:
    outside = _outside_code(lines)
    opened: list[tuple[int, int, str, str]] = []  # (line index, colons, kind, title)
    changed = False
    for index, line in enumerate(lines):
        if not outside[index] or ":::" not in line:
            continue
        bare = line.rstrip("\r")
        if (end := _DIRECTIVE_END.match(bare)) and opened:
            colons = len(end["colons"])
            depths = [d for d, (_, count, _, _) in enumerate(opened) if count == colons]
            if not depths:
                continue
            depth = depths[-1]
            first, _, kind, title = opened[depth]
            del opened[depth:]
            for number in range(first + 1, index + 2):
                out.callouts.setdefault(number, (kind, title))
            lines[first], lines[index] = _blank(lines[first]), _blank(line)
            changed = True
        elif start := _DIRECTIVE.match(bare):
            title = start["bracketed"] if start["bracketed"] is not None else start["rest"] or ""
            opened.append((index, len(start["colons"]), start["kind"].lower(), title.strip()))
    return changed


def _mkdocs(lines: list[str], out: Unmarked) -> bool:
    outside = _outside_code(lines)
    changed = False
    index = 0
    while index < len(lines):
        match = _MKDOCS.match(lines[index].rstrip("\r")) if outside[index] else None
        if match is None:
            index += 1
            continue
        indent = match["indent"]
        kind, title = match["kind"].lower(), (match["title"] or "").strip()
        lines[index] = indent + _blank(lines[index])
        changed = True
        body = index + 1
        last = index
        while body < len(lines):
            line = lines[body]
            if line.strip():  # a blank line (a lone CR too) stays in the body
                if not line.startswith(indent) or not line[len(indent) :][:1].isspace():
                    break
                rest = line[len(indent) :]
                cut = 1 if rest[0] == "\t" else min(4, len(rest) - len(rest.lstrip(" ")))
                if cut < 4 and rest[0] != "\t":
                    break
                lines[body] = indent + rest[cut:]
                out.shifts[body + 1] = out.shifts.get(body + 1, 0) + cut
                last = body
            body += 1
        for number in range(index + 1, last + 2):
            out.callouts.setdefault(number, (kind, title))
        index = last + 1
    return changed


@dataclass
class _Component:
    """An open MDX component: the indentation its children lose (None before the
    first child line), and its call-out kind and title, if it is one."""

    cut: int | None = None
    callout: tuple[str, str] | None = None


def _jsx(lines: list[str], out: Unmarked) -> bool:
    """Blank an MDX file's component tag lines and ESM lines, and unindent the
    children of its components (see the module's docstring)."""
    outside = _outside_code(lines)
    changed = False
    opened: list[_Component] = []
    index = 0
    while index < len(lines):
        bare = lines[index].rstrip("\r")
        if outside[index] and not opened and _ESM.match(bare):
            while index < len(lines) and lines[index].strip():  # up to a blank line
                lines[index] = _blank(lines[index])
                index += 1
            changed = True
            continue
        if outside[index] and _JSX_CLOSE.match(bare):
            if opened:
                opened.pop()
            lines[index] = _blank(lines[index])
            changed = True
            index += 1
            continue
        if outside[index] and (tag := _JSX_OPEN.match(bare)):
            attrs, end, last = tag["attrs"] or "", tag["end"], index
            while end is None and last + 1 < len(lines) and lines[last + 1].strip():
                last += 1  # attributes on the next lines, up to the one that ends the tag
                attrs += " " + lines[last]
                if found := _JSX_TAG_END.search(lines[last].rstrip("\r")):
                    end = found[0].strip()
            if end is not None:  # a tag that never ends (a blank line first) is prose
                for number in range(index, last + 1):
                    lines[number] = _blank(lines[number])
                if end != "/>":
                    opened.append(_Component(callout=_callout(tag["name"], attrs)))
                changed = True
                index = last + 1
                continue
        if opened and bare.strip():
            indent = len(bare) - len(bare.lstrip(" \t"))
            inner = opened[-1]
            if inner.cut is None:
                inner.cut = indent
            if cut := min(indent, inner.cut):
                lines[index] = lines[index][cut:]
                out.shifts[index + 1] = out.shifts.get(index + 1, 0) + cut
        callout = next((c.callout for c in reversed(opened) if c.callout), None)
        if callout is not None:
            out.callouts.setdefault(index + 1, callout)
        index += 1
    return changed


def _callout(name: str, attrs: str) -> tuple[str, str] | None:
    """A component's call-out kind and title, when it has a ``type`` or ``title``
    attribute (``<Callout type="warn" title="Experimental">``)."""
    values = {
        m["key"]: m["dq"] if m["dq"] is not None else m["sq"] for m in _JSX_ATTR.finditer(attrs)
    }
    if not values:
        return None
    return values.get("type", name).lower(), values.get("title", "")
