"""The semantic pass: names, types, regexes and bindings, before anything runs.

regopy reports nothing for unsafe variables or type errors (they silently
make a rule undefined), so this pass must reject them: unknown collections,
fields and functions (with "did you mean"), type mismatches, bad regular
expressions, captures used before they are bound, duplicate policy ids.
Its output, :class:`engine.dsl.program.Program`, is what the compiler and the
evaluators use.
"""

from __future__ import annotations

import dataclasses
import re

from ..core.errors import ErrorGroup, ProofgateError
from ..core.model import (
    ANY,
    BOOL,
    COLLECTIONS,
    GLOBALS,
    NUM,
    RECORD_TYPES,
    STR,
    Type,
    list_of,
    rec,
)
from ..core.text import did_you_mean
from . import ast, ledger_words
from .predicates import Inliner
from .program import PLACEHOLDER, Atom, CheckedClause, Program, conjuncts, placeholders
from .regex import (
    MAX_INLINED_LENGTH,
    MAX_PATTERN_LENGTH,
    CompiledRegex,
    RegexError,
    compile_regex,
)

SPAN = rec("Span")
FUNCTIONS = {"count": "count(list | map) -> num"}
# regopy keeps strings holding quotes, backslashes or control characters in
# their JSON-escaped form, so Rego would count and order those escapes: the
# length and the order of strings are not offered (numbers order; strings compare).
_ESCAPED_STRINGS = "regopy sees quotes, backslashes and control characters JSON-escaped"
_FIELD_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


# The type of an expression that already has an error (an unknown name, field or
# function): accepted everywhere, so that one mistake is one error, not a cascade.
_POISON = Type("any", record="(error)")


# ``(?&name)`` in a pattern: the named pattern, inlined (unless the pattern has a
# group of that name, which ``regex`` then calls as usual). Not after a backslash
# that escapes the parenthesis.
_PATTERN_CALL = re.compile(r"(?<!\\)((?:\\\\)*)\(\?&(\w+)\)")
_GROUP_NAME = re.compile(r"\(\?P?<(\w+)>")


def _suggest(name: str, options: list[str]) -> str:
    close = did_you_mean(name, options)
    return f"did you mean '{close}'?" if close else ""


class _Checker:
    def __init__(self, modules: list[ast.Module], sources: dict[str, str]) -> None:
        self.modules = modules
        self.sources = sources
        self.errors: list[ProofgateError] = []
        self.patterns: dict[str, ast.Regex] = {}
        self.expanded: dict[str, str] = {}  # pattern name -> source with (?&name) inlined
        self.templates: dict[int, str] = {}  # id() of a regex using ledger slots -> its source
        self.atoms: dict[int, Atom] = {}
        self.inliner = Inliner({}, self.error)

    def error(self, message: str, span: ast.Span, hint: str = "") -> None:
        self.errors.append(
            ProofgateError(
                message, span.path, span.line, span.column, self.sources.get(span.path), hint
            )
        )

    # --- program level ------------------------------------------------------

    def program(self) -> Program:
        for module in self.modules:
            for pattern in module.patterns:
                if pattern.name in self.patterns:
                    self.error(f"pattern '{pattern.name}' is defined twice", pattern.span)
                self.patterns[pattern.name] = pattern.regex
        for module in self.modules:  # once every pattern is known: one may use another
            for pattern in module.patterns:
                self.compile(pattern.regex)
            for predicate in module.predicates:
                self.predicate(predicate)
        seen: dict[str, ast.Span] = {}
        policies: list[ast.Policy] = []
        clauses: list[CheckedClause] = []
        for module in self.modules:
            for policy in module.policies:
                if policy.id in seen:
                    first = seen[policy.id]
                    self.error(
                        f"policy id '{policy.id}' is already used at {first.path}:{first.line}",
                        policy.span,
                    )
                    continue
                seen[policy.id] = policy.span
                policies.append(policy)
                clauses.extend(self.policy(policy))
        for checked in clauses:
            if checked.anchor is not None and id(checked.anchor) in self.atoms:
                atom = self.atoms[id(checked.anchor)]
                self.atoms[id(checked.anchor)] = dataclasses.replace(atom, anchor=True)
        if self.errors:
            unique = list({(e.path, e.line, e.column, e.message): e for e in self.errors}.values())
            raise ErrorGroup(unique) if len(unique) > 1 else unique[0]
        return Program(policies, clauses, self.patterns, self.atoms, self.modules)

    def predicate(self, predicate: ast.PredicateDef) -> None:
        known = self.inliner.predicates
        if predicate.name in known:
            first = known[predicate.name].span
            message = (
                f"predicate '{predicate.name}' is already defined at {first.path}:{first.line}"
            )
            self.error(message, predicate.span)
        elif predicate.name in FUNCTIONS:
            self.error(
                f"'{predicate.name}' is a function: name the predicate otherwise", predicate.span
            )
        else:
            known[predicate.name] = predicate

    def compile(self, regex: ast.Regex) -> CompiledRegex | None:
        """The regex, its patterns inlined and its ledger slots empty (a run binds
        them: :mod:`engine.dsl.ledger_words`); None after an error."""
        if len(regex.source) > MAX_PATTERN_LENGTH:
            self.error(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters", regex.span)
            return None
        known = self.ledger_slots(regex)
        source = self.expand(regex, ())
        if source is None or not known:
            return None
        used = ledger_words.slots(source)
        if any(name not in ledger_words.SLOTS for name in used):
            return None  # reported where the slot is written
        if used:
            self.templates[id(regex)] = source
        try:
            return compile_regex(
                ledger_words.substitute(source, ledger_words.EMPTY),
                regex.flags,
                MAX_INLINED_LENGTH,
                what="the pattern, inlined,",
            )
        except RegexError as exc:
            self.error(str(exc), regex.span)
            return None

    def ledger_slots(self, regex: ast.Regex) -> bool:
        """Whether every ``(?&ledger.NAME)`` the regex writes is a known slot."""
        for name in ledger_words.slots(regex.source):
            if name not in ledger_words.SLOTS:
                known = ", ".join(f"ledger.{slot}" for slot in ledger_words.SLOTS)
                hint = _suggest(name, list(ledger_words.SLOTS))
                self.error(
                    f"unknown ledger slot 'ledger.{name}' in (?&ledger.{name})",
                    regex.span,
                    hint=f"{hint} (the slots: {known})".lstrip(),
                )
                return False
        return True

    def expand(self, regex: ast.Regex, using: tuple[str, ...]) -> str | None:
        """``regex``'s source with each ``(?&name)`` of a pattern replaced by that
        pattern (itself expanded) as a non-capturing group; None after an error.
        ``using`` is the chain of patterns being expanded, to report a cycle."""
        own_groups = set(_GROUP_NAME.findall(regex.source))
        failed = False

        def inline(call: re.Match[str]) -> str:
            nonlocal failed
            escapes, name = call.group(1), call.group(2)
            if name in own_groups:
                return call.group(0)
            target = self.patterns.get(name)
            problem = ""
            if target is None:
                problem = f"unknown pattern '{name}' in (?&{name})"
                hint = _suggest(name, list(self.patterns))
            elif name in using:
                problem = f"pattern '{name}' uses itself: {' -> '.join((*using, name))}"
                hint = "a pattern cannot contain itself; write the repetition out"
            elif target.flags != regex.flags:
                problem = (
                    f"pattern '{name}' has flags '{target.flags}', this pattern '{regex.flags}'"
                )
                hint = "a pattern used with (?&name) must have the same flags as the one using it"
            if problem:
                if not failed:
                    self.error(problem, regex.span, hint=hint)
                failed = True
                return call.group(0)
            assert target is not None
            body = self.expanded.get(name)
            if body is None:
                body = self.expand(target, (*using, name))
                if body is None:
                    failed = True
                    return call.group(0)
                self.expanded[name] = body
            return f"{escapes}(?:{body})"

        source = _PATTERN_CALL.sub(inline, regex.source)
        return None if failed else source

    def policy(self, policy: ast.Policy) -> list[CheckedClause]:
        from ..core.globs import glob_error

        for glob in (*policy.paths, *policy.exclude):
            problem = glob_error(glob)
            if problem is not None:
                self.error(f"invalid path glob {glob!r}: {problem}", policy.span)
        if policy.paths_param is not None:
            self.param_paths(policy.paths_param, policy.paths_param_span)
        self.braces(policy.fix, "fix hint", policy.span)
        checked = []
        for index, clause in enumerate(policy.clauses):
            if self.inliner.predicates:
                clause = self.inline(clause)
            result = self.clause(policy, clause, index)
            if result is not None:
                checked.append(result)
        return checked

    def inline(self, clause: ast.Clause) -> ast.Clause:
        """The clause with every predicate call inlined (its ``where`` and ``when``s)."""
        where = self.inliner.inline(clause.where) if clause.where is not None else None
        edits = tuple(
            dataclasses.replace(edit, when=self.inliner.inline(edit.when))
            if edit.when is not None
            else edit
            for edit in clause.edits
        )
        return dataclasses.replace(clause, where=where, edits=edits)

    def param_paths(self, name: str, span: ast.Span) -> None:
        """``paths params.NAME`` names a param that holds globs."""
        fields = RECORD_TYPES["Params"].fields
        globs = [field for field, t in fields.items() if t == list_of(STR)]
        if name not in fields:
            hint = _suggest(name, list(fields)) or f"params: {', '.join(fields)}"
            self.error(f"Params has no field '{name}'", span, hint=hint)
        elif fields[name] != list_of(STR):
            self.error(
                f"paths needs globs, and params.{name} is a {fields[name]}",
                span,
                hint=f"use one of: {', '.join(globs)}",
            )

    def clause(self, policy: ast.Policy, clause: ast.Clause, index: int) -> CheckedClause | None:
        errors_before = len(self.errors)
        scope: dict[str, Type] = {}
        main_collection = None
        for position, generator in enumerate(clause.generators):
            source_type = self.type_of(generator.source, scope)
            element = self.element_type(source_type, generator.source)
            if position == 0 and isinstance(generator.source, ast.Var):
                main_collection = (
                    generator.source.name if generator.source.name in COLLECTIONS else None
                )
            self.declare(generator.var, element, scope, generator.span)
        bound = dict(scope)
        for item in conjuncts(clause.where):
            self.condition(item, bound, binds=True)
        main_var = clause.generators[0].var
        at = clause.at or main_var
        if at not in scope:
            self.error(
                f"'at {at}' names no variable of this clause",
                clause.span,
                hint=f"use one of: {', '.join(scope)}",
            )
        elif scope[at] != _POISON and not self.positioned(scope[at]):
            self.error(
                f"findings need a position, and '{at}' ({scope[at]}) has none",
                clause.span,
                hint="range the first generator over records, or add 'at VAR' naming one",
            )
        found: dict[str, ast.Expr] = {}
        fix = clause.fix or policy.fix
        self.braces(clause.message.text, "message", clause.message.span)
        self.braces(clause.fix or "", "fix hint", clause.message.span)
        templates = [(clause.message.text, clause.message.span), (fix, clause.message.span)]
        for edit in clause.edits:
            self.edit(edit, bound)
            templates.append((edit.text, edit.span))
        if clause.suggest is not None:
            self.braces(clause.suggest, "suggestion", clause.message.span)
            templates.append((clause.suggest, clause.message.span))
        for template, span in templates:
            for text in placeholders(template):
                if text not in found:
                    expr = self.placeholder(text.strip(), bound, self.placeholder_span(text, span))
                    if expr is not None:
                        found[text] = expr
        if len(self.errors) > errors_before:
            return None
        anchor = next(
            (
                item
                for item in conjuncts(clause.where)
                if isinstance(item, ast.Matches) and self.root_var(item.subject) == at
            ),
            None,
        )
        severity = policy.severity if clause.kind == "deny" else "warning"
        if clause.kind == "warn" and policy.severity == "info":
            severity = "info"
        return CheckedClause(
            policy=policy,
            clause=clause,
            index=index,
            key=f"{policy.id}/{index}",
            rule=policy.rule_id(clause),
            severity=severity,
            fix=clause.fix or policy.fix,
            main_var=main_var,
            main_collection=main_collection,
            var_types=bound,
            placeholders=tuple(found.items()),
            at=at,
            anchor=anchor,
        )

    def edit(self, edit: ast.Edit, scope: dict[str, Type]) -> None:
        """An edit's target is a Span the clause binds; its ``when`` is a condition
        on the clause's variables, whose captures the target may use (and nothing
        else: the text takes the clause's values, as the message does)."""
        inner = dict(scope)
        if edit.when is not None:
            self.condition(edit.when, inner, binds=True)
        target = self.type_of(edit.target, inner)
        if target not in (_POISON, ANY, SPAN):
            self.error(
                f"an edit needs a Span to {edit.action}, not a {target}",
                _span(edit.target) if _span(edit.target) != ast.NO_SPAN else edit.span,
                hint="name a span of a record, e.g. st.spans.step, o.spans.command or "
                "n.spans.key (engine/core/model.py lists them)",
            )
        self.braces(edit.text, "edit text", edit.span)

    @staticmethod
    def positioned(t: Type) -> bool:
        return (
            t.kind == "record" and t.record is not None and "path" in RECORD_TYPES[t.record].fields
        )

    def declare(self, name: str, t: Type, scope: dict[str, Type], span: ast.Span) -> None:
        if name in scope or name in GLOBALS or name in COLLECTIONS:
            self.error(
                f"'{name}' is already a name here", span, hint="choose another variable name"
            )
        scope[name] = t

    def braces(self, template: str, what: str, span: ast.Span) -> None:
        """A lone ``{`` or ``}`` is a typo for a placeholder, not text to print."""
        rest = PLACEHOLDER.sub("", template.replace("{{", "").replace("}}", ""))
        if "{" in rest or "}" in rest:
            self.error(
                f"unbalanced brace in the {what}: {template!r}",
                span,
                hint="close the placeholder ({var.field}), or write {{ or }} for a literal brace",
            )

    def placeholder_span(self, text: str, span: ast.Span, lines_after: int = 8) -> ast.Span:
        """Where ``{text}`` is written, at or after ``span`` (the clause's message; a
        fix hint follows it): errors point at the placeholder, not at ``message``."""
        source = self.sources.get(span.path)
        if not source or span.line < 1:
            return span
        lines = source.splitlines()
        wanted = "{" + text + "}"
        for number in range(span.line, min(span.line + lines_after, len(lines)) + 1):
            line = lines[number - 1]
            start = line.find(wanted, span.column - 1 if number == span.line else 0)
            if start >= 0:
                column = start + 2  # the first character inside the brace
                return ast.Span(span.path, number, column, number, column + len(text))
        return span

    def placeholder(self, text: str, scope: dict[str, Type], span: ast.Span) -> ast.Expr | None:
        if not _FIELD_PATH.match(text):
            self.error(
                f"message placeholder {{{text}}} is not a variable or field path",
                span,
                hint="write {var} or {var.field}; use {{ and }} for literal braces",
            )
            return None
        names = text.split(".")
        expr: ast.Expr = ast.Var(names[0], span)
        for name in names[1:]:
            expr = ast.Field(expr, name, span)
        self.type_of(expr, scope)
        return expr

    # --- types --------------------------------------------------------------

    def element_type(self, t: Type, expr: ast.Expr) -> Type:
        if t == _POISON:
            return _POISON
        if t.kind in ("list", "map") and t.of is not None:
            return t.of
        if t.kind == "any":
            return ANY
        self.error(f"cannot range over a {t}", _span(expr), hint="range over a list or a map")
        return ANY

    def type_of(self, expr: ast.Expr, scope: dict[str, Type]) -> Type:
        if isinstance(expr, ast.Literal):
            if isinstance(expr.value, bool):
                return BOOL
            return STR if isinstance(expr.value, str) else NUM
        if isinstance(expr, ast.ListExpr):
            types = [self.type_of(item, scope) for item in expr.items]
            return list_of(types[0] if types and all(t == types[0] for t in types) else ANY)
        if isinstance(expr, ast.Var):
            return self.var_type(expr, scope)
        if isinstance(expr, ast.Field):
            return self.field_type(self.type_of(expr.base, scope), expr.name, expr)
        if isinstance(expr, ast.Index):
            return self.index_type(expr, scope)
        if isinstance(expr, ast.Call):
            return self.call_type(expr, scope)
        self.condition(expr, dict(scope), binds=False)
        return BOOL

    def var_type(self, expr: ast.Var, scope: dict[str, Type]) -> Type:
        if expr.name in scope:
            return scope[expr.name]
        if expr.name in GLOBALS:
            return GLOBALS[expr.name]
        if expr.name in COLLECTIONS:
            return list_of(rec(COLLECTIONS[expr.name].record))
        if expr.name in self.patterns:
            self.error(
                f"'{expr.name}' is a pattern; use it after 'matches'",
                expr.span,
                hint=f"s.text matches {expr.name}",
            )
            return ANY
        options = [*scope, *GLOBALS, *COLLECTIONS]
        self.error(f"unknown name '{expr.name}'", expr.span, hint=_suggest(expr.name, options))
        return _POISON

    def field_type(self, base: Type, name: str, expr: ast.Expr) -> Type:
        if base.kind == "any":
            return base if base == _POISON else ANY
        if base.kind == "map" and base.of is not None:
            return base.of
        if base.kind == "record" and base.record is not None:
            fields = RECORD_TYPES[base.record].fields
            if name in fields and not name.startswith("_"):
                return fields[name]
            self.error(
                f"{base.record} has no field '{name}'",
                _span(expr),
                hint=_suggest(name, list(fields)) or f"fields: {', '.join(fields)}",
            )
            return _POISON
        hint = "use some/every to look inside a list" if base.kind == "list" else ""
        self.error(f"a {base} has no fields (reading '.{name}')", _span(expr), hint=hint)
        return _POISON

    def index_type(self, expr: ast.Index, scope: dict[str, Type]) -> Type:
        base = self.type_of(expr.base, scope)
        key = self.type_of(expr.key, scope)
        if base.kind == "record" and isinstance(expr.key, ast.Literal):
            return self.field_type(base, str(expr.key.value), expr)
        expected = {"list": NUM, "map": STR}.get(base.kind)
        if base.kind == "any":
            return base if base == _POISON else ANY
        if expected is None:
            self.error(f"cannot index a {base}", expr.span)
            return ANY
        if not _compatible(key, expected):
            self.error(f"a {base} is indexed by a {expected}, not a {key}", _span(expr.key))
        return base.of or ANY

    def call_type(self, expr: ast.Call, scope: dict[str, Type]) -> Type:
        if expr.func not in FUNCTIONS:
            self.error(
                f"unknown function '{expr.func}'",
                expr.span,
                hint=_suggest(expr.func, list(FUNCTIONS)) or f"functions: {', '.join(FUNCTIONS)}",
            )
            return _POISON
        if len(expr.args) != 1:
            self.error(f"count takes one argument, not {len(expr.args)}", expr.span)
            return NUM
        arg = self.type_of(expr.args[0], scope)
        if arg.kind == "str":
            self.error(
                f"count of a string is not supported ({_ESCAPED_STRINGS})",
                _span(expr.args[0]),
                hint="test the length with a regex instead: x matches /^.{0,80}$/",
            )
        elif arg.kind not in ("list", "map", "any"):
            self.error(f"count needs a list or map, not a {arg}", _span(expr.args[0]))
        return NUM

    # --- conditions ---------------------------------------------------------

    def condition(self, expr: ast.Expr, scope: dict[str, Type], binds: bool) -> None:
        """Check a condition. With ``binds``, regex captures join ``scope``.

        Captures bound inside ``or`` branches, ``not`` and quantifier bodies are
        visible only there, after the regex test that binds them.
        """
        if isinstance(expr, ast.And):
            inner = scope if binds else dict(scope)
            for item in expr.items:
                self.condition(item, inner, binds)
        elif isinstance(expr, ast.Or):
            for item in expr.items:  # each branch binds its captures for itself
                self.condition(item, dict(scope), binds=True)
        elif isinstance(expr, ast.Not):
            self.condition(expr.item, dict(scope), binds=True)
        elif isinstance(expr, ast.Compare):
            self.compare(expr, scope)
        elif isinstance(expr, ast.Member):
            self.member(expr, scope)
        elif isinstance(expr, ast.StrTest):
            for side in (expr.left, expr.right):
                t = self.type_of(side, scope)
                if not _compatible(t, STR):
                    self.error(f"{expr.op} needs strings, not a {t}", _span(side))
        elif isinstance(expr, ast.Matches):
            self.matches(expr, scope, binds)
        elif isinstance(expr, ast.Quantified):
            source = self.type_of(expr.source, scope)
            inner = dict(scope)
            self.declare(expr.var, self.element_type(source, expr.source), inner, expr.span)
            self.condition(expr.body, inner, binds=True)
        else:
            t = self.type_of(expr, scope)
            if not _compatible(t, BOOL):
                self.error(
                    f"a {t} is not a condition",
                    _span(expr),
                    hint='compare it, e.g. x != "" or count(x) > 0',
                )

    def compare(self, expr: ast.Compare, scope: dict[str, Type]) -> None:
        left, right = self.type_of(expr.left, scope), self.type_of(expr.right, scope)
        if not _compatible(left, right):
            self.error(f"cannot compare a {left} with a {right}", expr.span)
        elif expr.op not in ("==", "!=") and "str" in (left.kind, right.kind):
            self.error(
                f"'{expr.op}' orders numbers, not strings ({_ESCAPED_STRINGS})",
                expr.span,
                hint="compare strings with ==, !=, startswith, endswith, contains or matches; "
                "for dates use a number such as age_days",
            )
        elif expr.op not in ("==", "!=") and not _compatible(left, NUM):
            self.error(f"'{expr.op}' needs numbers, not a {left}", expr.span)

    def member(self, expr: ast.Member, scope: dict[str, Type]) -> None:
        item, container = self.type_of(expr.item, scope), self.type_of(expr.container, scope)
        if container.kind == "any":
            return
        if container.kind != "list" or container.of is None:
            hint = (
                'test a key with m[key] != "" or range over it' if container.kind == "map" else ""
            )
            self.error(f"'in' needs a list on its right, not a {container}", expr.span, hint=hint)
        elif not _compatible(item, container.of):
            self.error(f"a {item} can never be in a {container}", expr.span)

    def matches(self, expr: ast.Matches, scope: dict[str, Type], binds: bool) -> None:
        if isinstance(expr.regex, ast.PatternRef):
            regex = self.patterns.get(expr.regex.name)
            if regex is None:
                self.error(
                    f"unknown pattern '{expr.regex.name}'",
                    expr.regex.span,
                    hint=_suggest(expr.regex.name, list(self.patterns)),
                )
                return
        else:
            regex = expr.regex
        subject_type = self.type_of(expr.subject, scope)
        if not _compatible(subject_type, STR):
            self.error(f"matches needs a string on its left, not a {subject_type}", expr.span)
            return
        target = self.fact_target(expr.subject, scope)
        compiled = self.compile(regex)
        if compiled is None:
            return
        if target is not None and id(expr) not in self.atoms:
            record, path = target
            bind = bool(compiled.groups or expr.bind)
            key = f"r{len(self.atoms)}"
            template = self.templates.get(id(regex), "")
            self.atoms[id(expr)] = Atom(
                key, record, path, compiled, bind, origin=regex.span, template=template
            )
        if binds:  # also after an error in the subject: its captures are not unknown names
            for name in (*compiled.groups, *([expr.bind] if expr.bind else [])):
                self.declare(name, STR, scope, expr.span)

    def fact_target(
        self, subject: ast.Expr, scope: dict[str, Type]
    ) -> tuple[str, tuple[str, ...]] | None:
        """The record type holding a regex subject, and the field path from it."""
        path: list[str] = []
        node = subject
        while True:
            node_type = self.type_of(node, scope)
            if node_type == _POISON:
                return None  # its error is reported already
            if node_type.kind == "record" and node_type.record is not None and path:
                return node_type.record, tuple(reversed(path))
            if isinstance(node, ast.Field):
                path.append(node.name)
                node = node.base
            elif isinstance(node, ast.Index) and isinstance(node.key, ast.Literal):
                path.append(str(node.key.value))
                node = node.base
            else:
                self.error(
                    "matches needs a field of a record on its left (like s.text or step.with.x)",
                    _span(subject),
                    hint="regex facts are computed per record field; "
                    "compare captured values with == or startswith instead",
                )
                return None

    def root_var(self, expr: ast.Expr) -> str | None:
        while isinstance(expr, ast.Field | ast.Index):
            expr = expr.base
        return expr.name if isinstance(expr, ast.Var) else None


def _span(expr: object) -> ast.Span:
    span = getattr(expr, "span", ast.NO_SPAN)
    return span if isinstance(span, ast.Span) else ast.NO_SPAN


def _compatible(a: Type, b: Type) -> bool:
    if a.kind == "any" or b.kind == "any":
        return True
    if a.kind != b.kind:
        return False
    if a.kind in ("list", "map"):
        return a.of is None or b.of is None or _compatible(a.of, b.of)
    if a.kind == "record":
        return a.record == b.record
    return True


def check_program(modules: list[ast.Module], sources: dict[str, str] | None = None) -> Program:
    """Check parsed policy files together; raise ProofgateError (or ErrorGroup)."""
    return _Checker(modules, sources or {}).program()
