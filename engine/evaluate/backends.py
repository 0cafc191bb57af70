"""Rego engines behind one small interface.

``regopy`` is the default. ``regorus`` (the ``gordon-to-regorus`` package) is
a second backend, used by the tests to demand that every shipped policy gives
the same findings on both.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Protocol

from ..core.errors import ErrorGroup, ProofgateError
from ..core.text import ByteLineIndex


class Backend(Protocol):
    name: str

    def load(self, modules: dict[str, str], query_rule: str, bundle: bytes | None = None) -> None:
        """Compile the modules (name -> Rego text) once; ``query_rule`` is what query() reads.
        ``bundle`` is what :meth:`RegopyBackend.save` returned for the same modules and rule."""

    def query(self, document: Any) -> Any:
        """Evaluate ``query_rule`` against an input document (a JSON value, or its text)."""


_RULE_PATH = re.compile(r"data(\.[A-Za-z_][A-Za-z0-9_]*)+")  # else a query, such as {"p": data.p}


class RegopyBackend:
    name = "regopy"

    def __init__(self) -> None:
        import regopy

        self._regopy = regopy
        self.interpreter = regopy.Interpreter()
        self.interpreter.log_level = regopy.LogLevel.NONE
        self.bundle: Any = None

    def load(self, modules: dict[str, str], query_rule: str, bundle: bytes | None = None) -> None:
        if bundle is not None:
            import tempfile

            try:  # regopy loads a bundle from a file only
                with tempfile.NamedTemporaryFile(prefix="proofgate-", suffix=".bundle") as file:
                    file.write(bundle)
                    file.flush()
                    binary = self._regopy.BundleFormat.Binary
                    self.bundle = self.interpreter.load_bundle(file.name, binary)
                return
            except (OSError, self._regopy.RegoError):
                pass  # no temporary file, or a bundle regopy refuses: compile the modules
        for name, text in modules.items():
            try:
                self.interpreter.add_module(name, text)
            except self._regopy.RegoError as exc:
                raise _compile_error(_regopy_errors(str(exc), modules), modules, name) from None
        try:
            self.bundle = self.interpreter.build(f"pg_result := {query_rule}")
        except self._regopy.RegoError as exc:
            raise _compile_error(_regopy_errors(str(exc), modules), modules, "") from None

    def save(self) -> bytes | None:
        """The loaded modules, compiled: ``load(..., bundle=)`` takes them back in
        milliseconds, where compiling the shipped pack takes about 0.2 s (None
        where no temporary file can be written)."""
        import tempfile

        try:
            with tempfile.NamedTemporaryFile(prefix="proofgate-", suffix=".bundle") as file:
                binary = self._regopy.BundleFormat.Binary
                self.interpreter.save_bundle(file.name, self.bundle, binary)
                return Path(file.name).read_bytes()
        except (OSError, self._regopy.RegoError):
            return None

    def query(self, document: Any) -> Any:
        # A value goes in as regopy's Input, built node by node: several times
        # quicker than set_input_term, which parses JSON text (docs/performance.md).
        if isinstance(document, str):
            self.interpreter.set_input_term(document)
        else:
            self.interpreter.set_input(regopy_input(document))
        try:
            output = self.interpreter.query_bundle(self.bundle)
            if not output.ok():
                raise ProofgateError(f"Rego evaluation failed: {_regopy_output_error(output)}")
            result = json.loads(str(output))
        except self._regopy.RegoError as exc:
            raise ProofgateError(f"Rego evaluation failed: {_first_line(exc)}") from None
        except ValueError:  # regopy's Output parses the engine's text, which may not be JSON
            raise ProofgateError(_NOT_JSON) from None
        if isinstance(result, list):  # several results: take the first
            result = result[0] if result else {}
        return result.get("bindings", {}).get("pg_result")


_NOT_JSON = (
    "Rego evaluation failed: regopy's output is not JSON (a value it cannot serialise, "
    "or an error it reports no other way, such as a built-in given a bad argument)"
)
# Characters JSON text escapes inside a string.
_JSON_ESCAPED = re.compile(r'[\x00-\x1f"\\]')


def regopy_input(document: Any) -> Any:
    """``regopy.Input(_as_parsed(document))``, built in one pass.

    regopy's own builder walks the value in Python and makes several ctypes
    calls per value (a string buffer, a wrapper that checks each result): on
    the bench corpora it is about half the time of a query. This one calls the
    same C functions of regopy's library directly, with the strings in the
    spelling :func:`_as_parsed` gives them (tests/evaluate/test_backends.py
    compares the two on generated values); without those functions, regopy's
    builder does it.
    """
    import regopy
    from regopy import rego_shared

    library: Any = getattr(rego_shared, "rego", None)
    if not hasattr(library, "regoInputObjectItem"):
        return regopy.Input(_as_parsed(document))
    handle = library.regoNewInput()
    string, integer = library.regoInputString, library.regoInputInt
    boolean, null, real = library.regoInputBoolean, library.regoInputNull, library.regoInputFloat
    item, mapping, array = (
        library.regoInputObjectItem,
        library.regoInputObject,
        library.regoInputArray,
    )
    escaped, dumps = _JSON_ESCAPED.search, json.dumps
    failed = 0

    def add(value: Any) -> None:
        nonlocal failed
        kind = type(value)
        if kind is str:
            text = dumps(value, ensure_ascii=False)[1:-1] if escaped(value) else value
            failed |= string(handle, text.encode("utf-8"))
        elif kind is dict:
            for key, member in value.items():
                add(key)
                add(member)
                failed |= item(handle)
            failed |= mapping(handle, len(value))
        elif kind is list or kind is tuple:
            for member in value:
                add(member)
            failed |= array(handle, len(value))
        elif kind is bool:
            failed |= boolean(handle, value)
        elif kind is int:
            failed |= integer(handle, value)
        elif value is None:
            failed |= null(handle)
        elif kind is float:
            failed |= real(handle, value)
        else:
            raise ValueError(f"cannot give {kind.__name__} to regopy")

    try:
        add(document)
        if failed:
            raise ProofgateError("regopy could not build the input document")
    except BaseException:
        rego_shared.rego_free_input(handle)
        raise
    built = regopy.Input.__new__(regopy.Input)
    built._impl = handle  # freed by Input.__del__
    return built


def _as_parsed(value: Any) -> Any:
    """A JSON value with each string as regopy keeps it after parsing JSON text.

    regopy holds a parsed string in its escaped JSON spelling (``a"b`` as
    ``a\\"b``) and compares Rego string literals in that spelling too; an
    Input built from Python values would hold the raw string instead, and
    ``contains "\\"x\\""`` would stop matching. Strings with nothing to escape
    are the same either way.
    """
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)[1:-1] if _JSON_ESCAPED.search(value) else value
    if isinstance(value, dict):
        return {_as_parsed(k): _as_parsed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_parsed(item) for item in value]
    return value


class RegorusBackend:
    name = "regorus"

    def __init__(self) -> None:
        os.environ.setdefault("RUST_BACKTRACE", "0")
        import regorus

        self.engine = regorus.Engine()
        self.rule = ""

    def load(self, modules: dict[str, str], query_rule: str, bundle: bytes | None = None) -> None:
        self.modules = modules
        for name, text in modules.items():
            try:
                self.engine.add_policy(name, text)
            except RuntimeError as exc:
                raise _compile_error(_regorus_errors(str(exc)), modules, name) from None
        self.rule = query_rule

    def query(self, document: Any) -> Any:
        text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
        self.engine.set_input_json(text)
        try:
            if _RULE_PATH.fullmatch(self.rule):
                return json.loads(self.engine.eval_rule_as_json(self.rule))
            results = json.loads(self.engine.eval_query_as_json(self.rule)).get("result") or []
            return results[0]["expressions"][0]["value"] if results else None
        except RuntimeError as exc:
            found = _regorus_errors(str(exc))
            if not found:
                raise ProofgateError(f"Rego evaluation failed: {_first_line(exc)}") from None
            name, line, column, message = found[0]
            raise ProofgateError(
                f"Rego evaluation failed: {message}",
                name,
                line,
                column,
                self.modules.get(name),
            ) from None


Located = tuple[str, int, int, str]  # module name, line, column (1-based, 0: unknown), message

# regopy reports errors as S-expressions with length-prefixed UTF-8 strings and
# byte offsets: (error 8:bad.rego|58|2 (errormsg 27:Invalid assignment operator) ...)
_SEXPR_ERROR = re.compile(rb"\(error(?=[\s)])(?: (\d+):)?")
_SEXPR_OFFSET = re.compile(rb"\|(\d+)\|")
_SEXPR_MESSAGE = re.compile(rb"\(errormsg (\d+):")
# regorus: "--> bad.rego:6:7" ... "error: message"
_REGORUS_AT = re.compile(r"^\s*--> (.+):(\d+):(\d+)\s*$", re.MULTILINE)
_REGORUS_MESSAGE = re.compile(r"^error: (.+)$", re.MULTILINE)


def _regopy_errors(text: str, modules: dict[str, str]) -> list[Located]:
    """Each error regopy reported, located in its module."""
    data = text.encode("utf-8", "surrogateescape")
    found: list[Located] = []
    for match in _SEXPR_ERROR.finditer(data):
        name, line, column, position = "", 0, 0, match.end()
        if match.group(1) is not None:
            end = position + int(match.group(1))
            name, position = data[position:end].decode("utf-8", "replace"), end
            at = _SEXPR_OFFSET.match(data, position)
            if at is not None:
                line, column = _line_column(modules.get(name, ""), int(at.group(1)))
        message = _SEXPR_MESSAGE.search(data, position)
        if message is not None:
            start = message.end()
            text_of = data[start : start + int(message.group(1))].decode("utf-8", "replace")
            found.append((name, line, column, text_of))
    return list(dict.fromkeys(found))


def _regorus_errors(text: str) -> list[Located]:
    at, message = _REGORUS_AT.search(text), _REGORUS_MESSAGE.search(text)
    if at is None or message is None:
        return []
    return [(at.group(1), int(at.group(2)), int(at.group(3)), message.group(1).strip())]


def _compile_error(found: list[Located], modules: dict[str, str], name: str) -> ProofgateError:
    """A compile error of hand-written or generated Rego, at its module, line and column."""
    errors = [
        ProofgateError(
            f"Rego module does not compile: {message}",
            module or name,
            line,
            column,
            modules.get(module or name),
        )
        for module, line, column, message in found
    ]
    if not errors:
        return ProofgateError("Rego module does not compile", name)
    return errors[0] if len(errors) == 1 else ErrorGroup(errors)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a UTF-8 byte offset into ``text`` ((0, 0) if unknown)."""
    data = text.encode("utf-8")
    if offset < 0 or offset > len(data):
        return 0, 0
    return ByteLineIndex(data).position(offset)


def _regopy_output_error(output: Any) -> str:
    """The message of a failed regopy query (kept only in the output's node tree),
    e.g. 'complete rules must not produce multiple outputs (eval_conflict_error)'."""
    from regopy.rego_shared import rego_node_get, rego_node_size, rego_node_value

    values: list[str] = []

    def walk(node: Any) -> None:
        value = rego_node_value(node)
        if value:
            values.append(str(value))
        for index in range(rego_node_size(node)):
            walk(rego_node_get(node, index))

    walk(output.node()._impl)
    unique = list(dict.fromkeys(values))
    if not unique:
        return _first_line(str(output))
    codes = [v for v in unique[1:] if re.fullmatch(r"[a-z_]+_error", v)]
    return f"{unique[0]} ({', '.join(codes)})" if codes else "; ".join(unique)


def _first_line(error: object) -> str:
    text = str(error).strip()
    for line in text.splitlines():
        if line.strip() and not line.startswith("Stack backtrace"):
            return line.strip()
    return text


BACKENDS: dict[str, type[RegopyBackend] | type[RegorusBackend]] = {
    "regopy": RegopyBackend,
    "regorus": RegorusBackend,
}


def make_backend(name: str) -> Backend:
    try:
        factory = BACKENDS[name]
    except KeyError:
        raise ProofgateError(
            f"unknown backend '{name}' (choose from {', '.join(BACKENDS)})"
        ) from None
    try:
        backend: Backend = factory()
    except ImportError as exc:
        raise ProofgateError(f"backend '{name}' is not installed: {exc}") from None
    return backend
