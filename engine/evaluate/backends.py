"""Rego engines behind one small interface.

``regopy`` is the default. ``regorus`` (the ``gordon-to-regorus`` package) is
a second backend, used by the tests to demand that every shipped policy gives
the same findings on both.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Protocol

from engine.errors import ProofgateError


class Backend(Protocol):
    name: str

    def load(self, modules: dict[str, str], query_rule: str) -> None:
        """Compile the modules (name -> Rego text) once; ``query_rule`` is what query() reads."""

    def query(self, input_json: str) -> Any:
        """Evaluate ``query_rule`` against an input document given as JSON text."""


_BYTE_OFFSET = re.compile(r"\b(\d+):(\d+)\b")


class RegopyBackend:
    name = "regopy"

    def __init__(self) -> None:
        import regopy

        self._regopy = regopy
        self.interpreter = regopy.Interpreter()
        self.interpreter.log_level = regopy.LogLevel.NONE
        self.bundle: Any = None

    def load(self, modules: dict[str, str], query_rule: str) -> None:
        for name, text in modules.items():
            try:
                self.interpreter.add_module(name, text)
            except self._regopy.RegoError as exc:
                raise ProofgateError(
                    f"Rego module does not compile: {_first_line(exc)}", name
                ) from None
        try:
            self.bundle = self.interpreter.build(f"pg_result := {query_rule}")
        except self._regopy.RegoError as exc:
            raise ProofgateError(f"Rego does not compile: {_first_line(exc)}") from None

    def query(self, input_json: str) -> Any:
        self.interpreter.set_input_term(input_json)
        try:
            output = self.interpreter.query_bundle(self.bundle)
        except self._regopy.RegoError as exc:
            raise ProofgateError(f"Rego evaluation failed: {_first_line(exc)}") from None
        if not output.ok():
            raise ProofgateError(f"Rego evaluation failed: {_first_line(str(output))}")
        result = json.loads(str(output))
        if isinstance(result, list):  # several results: take the first
            result = result[0] if result else {}
        return result.get("bindings", {}).get("pg_result")


class RegorusBackend:
    name = "regorus"

    def __init__(self) -> None:
        os.environ.setdefault("RUST_BACKTRACE", "0")
        import regorus

        self.engine = regorus.Engine()
        self.rule = ""

    def load(self, modules: dict[str, str], query_rule: str) -> None:
        for name, text in modules.items():
            try:
                self.engine.add_policy(name, text)
            except RuntimeError as exc:
                raise ProofgateError(
                    f"Rego module does not compile: {_first_line(exc)}", name
                ) from None
        self.rule = query_rule

    def query(self, input_json: str) -> Any:
        self.engine.set_input_json(input_json)
        try:
            return json.loads(self.engine.eval_rule_as_json(self.rule))
        except RuntimeError as exc:
            raise ProofgateError(f"Rego evaluation failed: {_first_line(exc)}") from None


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
