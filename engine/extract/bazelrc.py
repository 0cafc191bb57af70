"""Bazel rc files (``.bazelrc``, ``*.bazelrc``, ``bazel.rc``): one ``bazelrc`` record per option.

The syntax follows Bazel's own rc reader (``src/main/cpp/rc_file.cc`` and
``Tokenize`` in ``src/main/cpp/util/strings.cc``):

- a backslash right before a newline joins the two lines, everywhere, even
  inside a comment (``# note \\`` comments out the next line too);
- a line is ``command[:config] word...``; words are split on spaces, tabs and
  carriage returns; ``'`` and ``"`` quote (quotes may open mid-word, as in
  ``--"x"='y'``), a backslash escapes the next character, in or out of
  quotes, and empty words (``""``) are dropped;
- ``#`` outside quotes ends the line, also in the middle of a word;
- a quote left open is a problem and its line is skipped (Bazel closes it
  silently, which hides mistakes);
- ``import PATH`` and ``try-import PATH`` name another rc file;
  ``%workspace%`` and ``${VAR}`` are kept as written.

Bazel knows from its flag table which options take a value in the
``--flag value`` form; proofgate does not ship that table. A word that
follows a ``--flag`` written without ``=`` and does not start with ``-`` is
taken as its value (Bazel reads it that way for every value-taking flag and
rejects it after a boolean one). The flags in :data:`VALUE_FLAGS` always take
the next word, as Bazel does (``--copt -O2``), and a missing value for them is
reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .base import Extraction, Problem, Record, SourceFile, Spans, position

VALUE_FLAGS = frozenset(
    {
        # remote caching and execution
        "--remote_cache",
        "--remote_executor",
        "--remote_instance_name",
        "--remote_header",
        "--remote_cache_header",
        "--remote_exec_header",
        "--remote_downloader_header",
        "--remote_download_outputs",
        "--remote_download_regex",
        "--remote_downloader",
        "--remote_timeout",
        "--remote_retries",
        "--remote_max_connections",
        "--remote_proxy",
        "--remote_default_exec_properties",
        "--remote_grpc_log",
        "--disk_cache",
        "--repository_cache",
        "--google_credentials",
        "--credential_helper",
        "--tls_certificate",
        "--tls_client_certificate",
        "--tls_client_key",
        # build event service
        "--bes_backend",
        "--bes_results_url",
        "--bes_instance_name",
        "--bes_header",
        "--bes_timeout",
        "--build_event_json_file",
        "--build_event_binary_file",
        # configuration and common build flags
        "--config",
        "--compilation_mode",
        "--jobs",
        "--define",
        "--copt",
        "--cxxopt",
        "--conlyopt",
        "--linkopt",
        "--host_copt",
        "--host_cxxopt",
        "--action_env",
        "--host_action_env",
        "--repo_env",
        "--test_env",
        "--test_output",
        "--test_timeout",
        "--test_tag_filters",
        "--build_tag_filters",
        "--test_size_filters",
        "--test_arg",
        "--platforms",
        "--host_platform",
        "--extra_toolchains",
        "--extra_execution_platforms",
        "--spawn_strategy",
        "--strategy",
        "--workspace_status_command",
        "--symlink_prefix",
        "--output_groups",
        "--registry",
        "--java_runtime_version",
        "--java_language_version",
        "--tool_java_runtime_version",
        "--tool_java_language_version",
        # startup options
        "--output_base",
        "--output_user_root",
        "--host_jvm_args",
        # short forms
        "-c",
        "-j",
    }
)

_SEPARATORS = " \t\r\n"
_IMPORTS = ("import", "try-import")


@dataclass(frozen=True)
class Word:
    """A word of a logical rc line: its unquoted value and its span in that line."""

    value: str
    start: int
    end: int  # exclusive


@dataclass(frozen=True)
class Line:
    """A logical line (continuations joined) and where each of its characters stands."""

    text: str
    origin: list[tuple[int, int]]  # (line, column) in the file of each character
    last: int = 0  # the file line it ends on (continuations included)

    def span(self, start: int, end: int) -> tuple[int, int, int, int]:
        """File position of ``text[start:end]``: line, column, end line, end column."""
        line, column = self.origin[start]
        end_line, last_column = self.origin[end - 1]
        return line, column, end_line, last_column + 1


def extract(source: SourceFile) -> Extraction:
    """Read a Bazel rc file into ``bazelrc`` records, one per option or import."""
    result = Extraction()
    spans = Spans(source)
    for line in logical_lines(source.text):
        words, broken = tokenize(line.text)
        if broken is not None:
            message = f"unterminated quote in {line.text[broken.start : broken.end]}"
            result.problems.append(_problem(source, line, message, broken.start))
        elif words:
            _read_line(source, spans, line, words, result)
    return result


def logical_lines(text: str) -> Iterator[Line]:
    """Split ``text`` into lines the way Bazel does, after joining ``\\``-newline."""
    chars: list[str] = []
    origin: list[tuple[int, int]] = []
    line, column, i = 1, 1, 0
    while i < len(text):
        joined = 2 if text.startswith("\\\n", i) else 3 if text.startswith("\\\r\n", i) else 0
        if joined or text[i] == "\n":
            if not joined:
                yield Line("".join(chars), origin, line)
                chars, origin = [], []
            i += joined or 1
            line, column = line + 1, 1
            continue
        chars.append(text[i])
        origin.append((line, column))
        i, column = i + 1, column + 1
    yield Line("".join(chars), origin, line)


def tokenize(text: str) -> tuple[list[Word], Word | None]:
    """The words of a logical line, and the word whose quote is never closed, if any."""
    words: list[Word] = []
    i = 0
    while i < len(text):
        while i < len(text) and text[i] in _SEPARATORS:
            i += 1
        if i >= len(text) or text[i] == "#":
            break
        word, i, quote = _next_word(text, i)
        if quote:
            return words, word
        if word.value:
            words.append(word)
    return words, None


def _next_word(text: str, start: int) -> tuple[Word, int, str]:
    """The word at ``start``, where scanning stops, and the quote still open ("" if none)."""
    out: list[str] = []
    quote = ""
    i = start
    while i < len(text) and (quote or text[i] not in _SEPARATORS):
        char = text[i]
        if char == "\\":
            out.append(text[i + 1 : i + 2])
            i += 2
            continue
        if char == "#" and not quote:
            return Word("".join(out), start, i), len(text), ""
        if quote and char == quote:
            quote = ""
        elif not quote and char in "'\"":
            quote = char
        else:
            out.append(char)
        i += 1
    end = min(i, len(text))
    return Word("".join(out), start, end), end, quote


def _read_line(
    source: SourceFile, spans: Spans, line: Line, words: list[Word], result: Extraction
) -> None:
    head = words[0]
    if head.value in _IMPORTS:
        _read_import(source, line, words, result)
        return
    command, colon, config = head.value.partition(":")
    if not command or (colon and not config):
        missing = "a command before ':'" if not command else "a config name after ':'"
        result.problems.append(
            _problem(source, line, f"'{head.value}' needs {missing}", head.start)
        )
        return
    options = list(_options(words[1:]))
    records = []
    previous = head
    for option in options:
        problem = _option_problem(option)
        if problem:
            result.problems.append(_problem(source, line, problem, option.start))
        if option.value.startswith("-"):
            flag, _, value = option.value.partition("=")
            record = _record(source, line, option, "option", command, config, flag, value)
            record["spans"] = {
                "command": spans.span(*line.span(head.start, head.end)),
                "option": spans.span(*line.span(previous.end, option.end)),
                "line": spans.span(line.origin[0][0], 1, line.last, spans.end(line.last)),
            }
            records.append(record)
        previous = option
    for record in records:
        record["options_on_line"] = len(records)
        result.add("bazelrc", record)


def _read_import(source: SourceFile, line: Line, words: list[Word], result: Extraction) -> None:
    keyword = words[0]
    if len(words) != 2:
        message = f"'{keyword.value}' takes exactly one path"
        result.problems.append(_problem(source, line, message, keyword.start))
        return
    statement = Word(words[1].value, keyword.start, words[1].end)
    kind = keyword.value
    result.add("bazelrc", _record(source, line, statement, kind, kind, "", "", words[1].value))


def _options(words: list[Word]) -> Iterator[Word]:
    """The options of a line; a ``--flag value`` pair becomes one word ``--flag=value``."""
    i = 0
    while i < len(words):
        word = words[i]
        following = words[i + 1] if i + 1 < len(words) else None
        if following is not None and _takes_next(word, following):
            yield Word(f"{word.value}={following.value}", word.start, following.end)
            i += 2
        else:
            yield word
            i += 1


def _takes_next(word: Word, following: Word) -> bool:
    """Whether ``following`` is the value of the flag ``word`` (see the module docstring)."""
    if "=" in word.value or not word.value.startswith("-"):
        return False
    if word.value in VALUE_FLAGS:
        return True
    return not word.value.startswith("--no") and not following.value.startswith("-")


def _option_problem(option: Word) -> str:
    if not option.value.startswith("-"):
        return f"'{option.value}' is not an option; to give a flag a value, write '--flag=value'"
    if option.value in VALUE_FLAGS:
        return f"'{option.value}' expects a value"
    return ""


def _record(
    source: SourceFile,
    line: Line,
    word: Word,
    kind: str,
    command: str,
    config: str,
    flag: str,
    value: str,
) -> Record:
    return {
        **position(source.path, *line.span(word.start, word.end)),
        "kind": kind,
        "command": command,
        "config": config,
        "flag": flag,
        "value": value,
        "text": line.text[word.start : word.end],
    }


def _problem(source: SourceFile, line: Line, message: str, at: int) -> Problem:
    row, column = line.origin[at]
    return Problem(source.path, row, column, message)
