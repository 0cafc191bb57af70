"""Parse ``.policy`` text into the AST of ``engine.dsl.ast``.

One LALR parser is built from ``grammar/proofgate.lark`` on first use and
cached. Syntax errors become :class:`engine.core.errors.ProofgateError` with the
file, line, column, what was expected, and the source line with a caret.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..core.errors import ErrorGroup, ProofgateError
from ..core.resources import grammar_text
from . import ast


@dataclass(frozen=True)
class _ParamPaths:
    """``paths params.NAME``, read by :meth:`_Builder.setting` (``name`` None: none)."""

    name: str | None
    span: ast.Span


# What a user would call the grammar's terminals, for "expected ..." messages.
_TERMINAL_NAMES = {
    "KEBAB": "a kebab-case name",
    "NAME": "a name",
    "STRING": 'a "string"',
    "NUMBER": "a number",
    "REGEX": "a /regex/",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "DOT": "'.'",
    "EQUAL": "'='",
    "COMPARE": "a comparison (==, !=, <, <=, >, >=)",
    "$END": "end of file",
}


@functools.cache
def _parser() -> Any:
    import lark

    return lark.Lark(
        grammar_text(), parser="lalr", propagate_positions=True, maybe_placeholders=True
    )


def _describe(terminals: set[str]) -> str:
    names: set[str] = set()
    for name in terminals:
        if name in _TERMINAL_NAMES:
            names.add(_TERMINAL_NAMES[name])
        elif name.startswith("__") or name.isupper():
            import lark

            pattern = next((t.pattern for t in _parser().terminals if t.name == name), None)
            if isinstance(pattern, lark.lexer.PatternStr):
                names.add(f"'{pattern.value}'")
            else:
                names.add(name.lower())
        else:
            names.add(name)
    return ", ".join(sorted(names))


def tokens(text: str) -> Iterator[Any]:
    """Every lark token of ``text``, comments and white space included (for the
    formatter, which keeps the comments the parser drops)."""
    return iter(_parser().lex(text, dont_ignore=True))


def parse(text: str, path: str = "<policy>") -> ast.Module:
    """Parse one policy file. Raises ProofgateError on any syntax error."""
    import lark

    try:
        tree = _parser().parse(text)
    except lark.UnexpectedCharacters as exc:
        raise ProofgateError(
            f"unexpected character {text[exc.pos_in_stream or 0]!r}",
            path,
            exc.line,
            exc.column,
            text,
            hint=f"expected {_describe(set(exc.allowed))}" if exc.allowed else "",
        ) from None
    except lark.UnexpectedToken as exc:
        token = exc.token
        if token.type == "$END":
            lines = text.splitlines() or [""]
            line, column, found = len(lines), len(lines[-1]) + 1, "end of file"
        else:
            line, column, found = token.line, token.column, repr(str(token))
        raise ProofgateError(
            f"unexpected {found}",
            path,
            line or 1,
            column or 1,
            text,
            hint=f"expected {_describe(set(exc.expected))}",
        ) from None
    except lark.UnexpectedInput as exc:  # pragma: no cover - other lark input errors
        raise ProofgateError(str(exc), path, exc.line, exc.column, text) from None
    return _Builder(path, text).module(tree)


class _Builder:
    """Turns a lark parse tree into AST nodes (the only code that sees lark trees)."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.errors: list[ProofgateError] = []

    def span(self, node: Any) -> ast.Span:
        meta = getattr(node, "meta", None)
        if meta is not None and not getattr(meta, "empty", True):
            return ast.Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)
        line = getattr(node, "line", None)
        if line is not None:
            return ast.Span(self.path, line, node.column, node.end_line, node.end_column)
        return ast.NO_SPAN

    def error(self, message: str, node: Any, hint: str = "") -> None:
        span = self.span(node)
        self.errors.append(
            ProofgateError(message, self.path, span.line, span.column, self.text, hint)
        )

    def module(self, tree: Any) -> ast.Module:
        patterns: list[ast.PatternDef] = []
        predicates: list[ast.PredicateDef] = []
        policies: list[ast.Policy] = []
        for item in tree.children:
            if item.data == "pattern_def":
                name, regex = item.children
                patterns.append(ast.PatternDef(str(name), self.regex(regex), self.span(item)))
            elif item.data == "predicate_def":
                predicates.append(self.predicate(item))
            else:
                policies.append(self.policy(item))
        if self.errors:
            raise ErrorGroup(self.errors) if len(self.errors) > 1 else self.errors[0]
        return ast.Module(self.path, tuple(patterns), tuple(policies), tuple(predicates))

    def predicate(self, item: Any) -> ast.PredicateDef:
        name, *params, body = item.children
        names = tuple(str(param) for param in params)
        for index, param in enumerate(names):
            if param in names[:index]:
                self.error(f"predicate {name} names parameter '{param}' twice", item)
        return ast.PredicateDef(str(name), names, self.expr(body), self.span(item))

    def policy(self, tree: Any) -> ast.Policy:
        name, *items = tree.children
        settings: dict[str, Any] = {}
        clauses: list[ast.Clause] = []
        for item in items:
            if item.data == "clause":
                clauses.append(self.clause(item))
                continue
            if item.data in settings:
                self.error(f"'{item.data}' is given twice in policy {name}", item)
            settings[item.data] = self.setting(item)
        for required in ("rationale", "fix"):
            if required not in settings:
                self.error(
                    f"policy {name} has no {required}",
                    tree,
                    hint=f'add a line: {required} "..."',
                )
        if not clauses:
            self.error(
                f"policy {name} has no deny or warn clause",
                tree,
                hint='add e.g.: deny for s in sentences where ... message "..."',
            )
        paths = settings.get("paths", ())
        param = paths if isinstance(paths, _ParamPaths) else _ParamPaths(None, ast.NO_SPAN)
        return ast.Policy(
            id=str(name),
            severity=settings.get("severity", "error"),
            rationale=settings.get("rationale", ""),
            fix=settings.get("fix", ""),
            paths=() if isinstance(paths, _ParamPaths) else paths,
            exclude=settings.get("exclude", ()),
            clauses=tuple(clauses),
            span=self.span(tree),
            paths_param=param.name,
            paths_param_span=param.span,
        )

    def setting(self, item: Any) -> Any:
        (value,) = item.children
        if item.data == "severity":
            return str(value.children[0])
        if item.data == "paths" and value.data == "param_paths":
            base, name = value.children
            if str(base) != "params":
                self.error(
                    f"paths takes quoted globs or params.NAME, not '{base}.{name}'",
                    value,
                    hint='paths "/README.md", "docs/**/*.md" or paths params.product_surfaces',
                )
            return _ParamPaths(str(name), self.span(value))
        if item.data in ("paths", "exclude"):
            return tuple(self.string(s) for s in value.children)
        return self.text_of(value)

    def text_of(self, tree: Any) -> str:
        return "".join(self.string(s) for s in tree.children)

    def string(self, token: Any) -> str:
        try:
            value = json.loads(str(token))
        except json.JSONDecodeError:
            self.error(f"invalid escape in string {token}", token, hint=r"use \", \\, \n or \t")
            return str(token)[1:-1]
        return str(value)

    def clause(self, tree: Any) -> ast.Clause:
        kind, name, *rest = tree.children
        generators = [self.generator(c) for c in rest if getattr(c, "data", "") == "generator"]
        where, message, fix, *edits, suggest, at = rest[len(generators) :]
        return ast.Clause(
            kind=str(kind.children[0]),  # type: ignore[arg-type]
            name=str(name) if name is not None else None,
            generators=tuple(generators),
            where=self.expr(where.children[0]) if where is not None else None,
            message=ast.Template(self.text_of(message.children[0]), self.span(message)),
            fix=self.text_of(fix.children[0]) if fix is not None else None,
            at=str(at.children[0]) if at is not None else None,
            span=self.span(tree),
            edits=tuple(self.edit(edit) for edit in edits),
            suggest=self.text_of(suggest.children[0]) if suggest is not None else None,
        )

    def edit(self, tree: Any) -> ast.Edit:
        when = tree.children[-1]
        condition = self.expr(when.children[0]) if when is not None else None
        span = self.span(tree)
        if tree.data == "edit_delete":
            return ast.Edit("delete", self.expr(tree.children[0]), "", condition, span)
        if tree.data == "edit_replace":
            target, text = tree.children[:2]
            return ast.Edit("replace", self.expr(target), self.text_of(text), condition, span)
        side, target, text = tree.children[:3]
        action = f"insert {side.children[0]}"
        return ast.Edit(action, self.expr(target), self.text_of(text), condition, span)  # type: ignore[arg-type]

    def generator(self, tree: Any) -> ast.Generator:
        var, source = tree.children
        return ast.Generator(str(var), self.expr(source), self.span(tree))

    def regex(self, token: Any) -> ast.Regex:
        raw = str(token)
        end = raw.rindex("/")
        source = raw[1:end].replace("\\/", "/")
        return ast.Regex(source, raw[end + 1 :], self.span(token))

    def expr(self, node: Any) -> ast.Expr:
        handler = getattr(self, "x_" + node.data, None)
        if handler is None:  # pragma: no cover - grammar and builder out of step
            raise AssertionError(f"no AST rule for {node.data}")
        result: ast.Expr = handler(node, self.span(node))
        return result

    def x_string(self, node: Any, span: ast.Span) -> ast.Expr:
        return ast.Literal(self.string(node.children[0]), span)

    def x_number(self, node: Any, span: ast.Span) -> ast.Expr:
        text = str(node.children[0])
        return ast.Literal(float(text) if "." in text else int(text), span)

    def x_true(self, node: Any, span: ast.Span) -> ast.Expr:
        return ast.Literal(True, span)

    def x_false(self, node: Any, span: ast.Span) -> ast.Expr:
        return ast.Literal(False, span)

    def x_var(self, node: Any, span: ast.Span) -> ast.Expr:
        return ast.Var(str(node.children[0]), span)

    def x_call(self, node: Any, span: ast.Span) -> ast.Expr:
        name, *args = node.children
        return ast.Call(str(name), tuple(self.expr(a) for a in args if a is not None), span)

    def x_list(self, node: Any, span: ast.Span) -> ast.Expr:
        return ast.ListExpr(tuple(self.expr(a) for a in node.children if a is not None), span)

    def x_field(self, node: Any, span: ast.Span) -> ast.Expr:
        base, name = node.children
        return ast.Field(self.expr(base), str(name), span)

    def x_index(self, node: Any, span: ast.Span) -> ast.Expr:
        base, key = node.children
        return ast.Index(self.expr(base), self.expr(key), span)

    def x_compare(self, node: Any, span: ast.Span) -> ast.Expr:
        left, op, right = node.children
        return ast.Compare(str(op), self.expr(left), self.expr(right), span)  # type: ignore[arg-type]

    def x_member(self, node: Any, span: ast.Span) -> ast.Expr:
        item, container = node.children
        return ast.Member(self.expr(item), self.expr(container), False, span)

    def x_not_member(self, node: Any, span: ast.Span) -> ast.Expr:
        item, container = node.children
        return ast.Member(self.expr(item), self.expr(container), True, span)

    def x_strtest(self, node: Any, span: ast.Span) -> ast.Expr:
        left, op, right = node.children
        return ast.StrTest(
            str(op.children[0]),  # type: ignore[arg-type]
            self.expr(left),
            self.expr(right),
            span,
        )

    def x_matches(self, node: Any, span: ast.Span) -> ast.Expr:
        subject, ref, bind = node.children
        regex: ast.Regex | ast.PatternRef
        if ref.data == "regex_literal":
            regex = self.regex(ref.children[0])
        else:
            regex = ast.PatternRef(str(ref.children[0]), self.span(ref))
        return ast.Matches(self.expr(subject), regex, str(bind) if bind else None, span)

    def x_and_(self, node: Any, span: ast.Span) -> ast.Expr:
        return ast.And(self._flatten(node, "and_"), span)

    def x_or_(self, node: Any, span: ast.Span) -> ast.Expr:
        return ast.Or(self._flatten(node, "or_"), span)

    def _flatten(self, node: Any, data: str) -> tuple[ast.Expr, ...]:
        items: list[ast.Expr] = []
        for child in node.children:
            if getattr(child, "data", None) == data:
                items.extend(self._flatten(child, data))
            else:
                items.append(self.expr(child))
        return tuple(items)

    def x_not_(self, node: Any, span: ast.Span) -> ast.Expr:
        return ast.Not(self.expr(node.children[0]), span)

    def x_quantified(self, node: Any, span: ast.Span) -> ast.Expr:
        kind, var, source, body = node.children
        return ast.Quantified(
            str(kind.children[0]),  # type: ignore[arg-type]
            str(var),
            self.expr(source),
            self.expr(body),
            span,
        )
