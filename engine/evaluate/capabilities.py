"""What Rego from the checked tree may call: the built-ins that only compute.

A hand-written ``.rego`` module can come from a policy directory that the
repo's own configuration names, so a pull request writes it. Before any
module is loaded, its token stream (comments and string literals blanked,
the expressions of template strings kept) is scanned for every built-in it
names, called or not (``with time.now_ns as 1`` names one too), however it
is spaced or split over lines (``opa . runtime (``):

- :data:`DENIED`: built-ins that read the environment, the network, files
  or the clock, draw random numbers, or write to proofgate's output
  (``print``, ``trace``), each with the reason given in the error;
- every other call must be to a built-in in :data:`ALLOWED` (pure functions
  of their arguments), to a function the modules define, or through
  ``data.``, ``input.`` or an import; so a built-in that a later regopy adds
  is refused until someone decides about it: the model of OPA's
  ``--capabilities``;
- a built-in namespace addressed with brackets (``opa["runtime"]``) is
  refused, as that spelling hides the name from the scan.

The modules the DSL compiler generates pass the same check (a test holds
that). docs/security.md describes the model.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..core.errors import ErrorGroup, ProofgateError

_CLOCK = "reads the clock (proofgate's only clock is --now)"
_RANDOM = "draws random numbers (findings must be the same on every run)"
_OUTPUT = "writes to proofgate's output"
# Exact names, then namespaces (a name that starts with one of them).
DENIED: dict[str, str] = {
    "opa.runtime": "reads the process environment and configuration",
    "time.now_ns": _CLOCK,
    "rand.intn": _RANDOM,
    "uuid.rfc4122": _RANDOM,
    "net.lookup_ip_addr": "queries DNS",
    "print": _OUTPUT,
    "internal.print": _OUTPUT,
    "trace": _OUTPUT,
    "io.jwt.decode_verify": _CLOCK,
    "io.jwt.encode_sign": _RANDOM + " and handles signing keys",
    "io.jwt.encode_sign_raw": _RANDOM + " and handles signing keys",
    "crypto.x509.parse_and_verify_certificates": _CLOCK,
    "crypto.x509.parse_and_verify_certificates_with_options": _CLOCK,
    "providers.aws.sign_req": _CLOCK + " and handles credentials",
}
DENIED_NAMESPACES: dict[str, str] = {
    "opa.": "reads the process environment and configuration",
    "http.": "reaches the network (and reads TLS key files)",
    "net.lookup": "queries DNS",
    "rand.": _RANDOM,
    "io.jwt.verify_": "verifies signatures with keys, which a docs lint never needs",
    "providers.": "reaches cloud providers",
}
# The pure built-ins of regopy 1.5.2 (and the pure ones OPA and regorus add).
_PURE = """
    abs all any array.concat array.reverse array.slice assign base64.decode base64.encode
    base64.is_valid base64url.decode base64url.encode base64url.encode_no_pad bits.and bits.lsh
    bits.negate bits.or bits.rsh bits.xor cast_array cast_boolean cast_null cast_object cast_set
    cast_string ceil concat contains count crypto.hmac.equal crypto.hmac.md5 crypto.hmac.sha1
    crypto.hmac.sha256 crypto.hmac.sha512 crypto.md5 crypto.parse_private_keys crypto.sha1
    crypto.sha256 crypto.x509.parse_certificate_request crypto.x509.parse_certificates
    crypto.x509.parse_keypair crypto.x509.parse_rsa_private_key div endswith eq equal floor
    format_int glob.match glob.quote_meta graph.reachable graph.reachable_paths graphql.is_valid
    graphql.parse graphql.parse_and_verify graphql.parse_query graphql.parse_schema
    graphql.schema_is_valid gt gte hex.decode hex.encode indexof indexof_n internal.member_2
    internal.member_3 internal.template_string intersection io.jwt.decode is_array is_boolean
    is_null is_number is_object is_set is_string json.filter json.is_valid json.marshal
    json.marshal_with_options json.match_schema json.patch json.remove json.unmarshal
    json.verify_schema lower lt lte max min minus mul neq net.cidr_contains
    net.cidr_contains_matches net.cidr_expand net.cidr_intersects net.cidr_is_valid
    net.cidr_merge net.cidr_overlap numbers.range numbers.range_step object.filter object.get
    object.keys object.remove object.subset object.union object.union_n or plus product
    re_match regex.find_all_string_submatch_n regex.find_n regex.globs_match regex.is_valid
    regex.match regex.replace regex.split regex.template_match rego.metadata.chain
    rego.metadata.rule rego.parse_module rem replace round semver.compare semver.is_valid
    set_diff sort split sprintf startswith strings.any_prefix_match strings.any_suffix_match
    strings.count strings.render_template strings.replace_n strings.reverse substring sum
    time.add_date time.clock time.date time.diff time.format time.parse_duration_ns
    time.parse_ns time.parse_rfc3339_ns time.weekday to_number trim trim_left trim_prefix
    trim_right trim_space trim_suffix type_name union units.parse units.parse_bytes upper
    urlquery.decode urlquery.decode_object urlquery.encode urlquery.encode_object uuid.parse
    walk yaml.is_valid yaml.marshal yaml.unmarshal
"""
ALLOWED = frozenset(_PURE.split())


@dataclass(frozen=True)
class _Token:
    text: str  # an identifier, or one punctuation character
    offset: int


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9][0-9A-Za-z_.]*")


def _tokens(text: str) -> Iterator[_Token]:
    """Identifiers and punctuation of Rego source: comments, strings, raw strings and
    the literal parts of template strings (``$"…{expr}…"``) left out, numbers skipped.
    Unterminated strings end at the end of the text (the engine rejects them anyway)."""
    # What to go back to: a template's closing quote, or the code around a template.
    stack: list[str] = []
    depth = [0]  # open braces of the code being scanned, per level
    i, size = 0, len(text)
    template = ""  # the quote of the template string being scanned ("" in code)
    while i < size:
        char = text[i]
        if template:
            if char == "\\" and template == '"':
                i += 2
            elif char == template:
                template = stack.pop()
                depth.pop()
                i += 1
            elif char == "{":
                stack.append(template)
                depth.append(0)
                template = ""
                i += 1
            else:
                i += 1
            continue
        if char.isspace():
            i += 1
        elif char == "#":
            end = text.find("\n", i)
            i = size if end < 0 else end
        elif char == '"':
            i = _string_end(text, i + 1, '"')
        elif char == "`":
            i = _string_end(text, i + 1, "`")
        elif char == "$" and text[i + 1 : i + 2] in ('"', "`"):
            stack.append("")
            depth.append(0)
            template = text[i + 1]
            i += 2
        elif char == "}" and depth[-1] == 0 and stack and stack[-1]:
            depth.pop()
            template = stack.pop()
            i += 1
        elif (match := _IDENT.match(text, i)) is not None:
            yield _Token(match.group(), i)
            i = match.end()
        elif (number := _NUMBER.match(text, i)) is not None:
            i = number.end()
        else:
            if char == "{":
                depth[-1] += 1
            elif char == "}":
                depth[-1] = max(depth[-1] - 1, 0)
            yield _Token(char, i)
            i += 1


def _string_end(text: str, start: int, quote: str) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\" and quote == '"':
            i += 2
        elif text[i] == quote:
            return i + 1
        else:
            i += 1
    return len(text)


_KEYWORDS = frozenset(
    (
        "as",
        "contains",
        "default",
        "else",
        "every",
        "false",
        "if",
        "import",
        "in",
        "not",
        "null",
        "package",
        "some",
        "true",
        "with",
    )
)
_OPEN = {"{": 1, "[": 1, "(": 1, "}": -1, "]": -1, ")": -1}


@dataclass(frozen=True)
class _Name:
    """A dotted name that starts a reference (not one after a ``.``)."""

    dotted: str
    offset: int
    after: str  # the token that follows it ("" at the end)
    head: bool  # first on its line outside any bracket: a rule or function being defined
    import_path: bool  # the path of a package or import declaration


def _names(text: str) -> Iterator[_Name]:
    tokens = list(_tokens(text))
    lines, line, seen = [], 0, 0
    for token in tokens:  # the line of each token
        line += text.count("\n", seen, token.offset)
        seen = token.offset
        lines.append(line)
    index, depth = 0, 0
    while index < len(tokens):
        token = tokens[index]
        previous = tokens[index - 1].text if index else ""
        if not _IDENT.fullmatch(token.text) or previous == ".":
            depth = max(depth + _OPEN.get(token.text, 0), 0)
            index += 1
            continue
        first_on_line = index == 0 or lines[index - 1] != lines[index]
        parts, start = [token.text], index
        index += 1
        while (
            index + 1 < len(tokens)
            and tokens[index].text == "."
            and _IDENT.fullmatch(tokens[index + 1].text)
        ):
            parts.append(tokens[index + 1].text)
            index += 2
        yield _Name(
            ".".join(parts),
            tokens[start].offset,
            tokens[index].text if index < len(tokens) else "",
            head=depth == 0 and (first_on_line or previous == "default"),
            import_path=previous in ("package", "import"),
        )


def refusal(name: str) -> str | None:
    """Why Rego from the checked tree may not use built-in ``name`` (None: it may)."""
    if name in DENIED:
        return DENIED[name]
    for namespace, reason in DENIED_NAMESPACES.items():
        if name.startswith(namespace):
            return reason
    return None


@functools.cache
def _namespaces() -> frozenset[str]:
    """Every dotted prefix of a known built-in's name (``io``, ``io.jwt``, ...)."""
    names = [*DENIED, *ALLOWED, *(n.rstrip("._") for n in DENIED_NAMESPACES)]
    prefixes = {
        ".".join(parts[:end])
        for parts in (name.split(".") for name in names)
        for end in range(1, len(parts))
    }
    return frozenset(prefixes | {n.rstrip("._") for n in DENIED_NAMESPACES})


def _defined(modules: dict[str, str]) -> tuple[set[str], dict[str, set[str]]]:
    """The rule and function names the modules define, and each module's import aliases."""
    defined: set[str] = set()
    aliases: dict[str, set[str]] = {}
    for module, text in modules.items():
        names = list(_names(text))
        aliases[module] = set()
        for index, name in enumerate(names):
            if name.import_path and name.dotted.split(".")[0] in ("data", "input"):
                alias = names[index + 2] if index + 2 < len(names) else None
                if name.after == "as" and alias is not None:
                    aliases[module].add(alias.dotted)
                else:
                    aliases[module].add(name.dotted.rsplit(".", 1)[-1])
            elif name.head and not name.import_path and name.dotted not in _KEYWORDS:
                defined.add(name.dotted)
    return defined, aliases


def module_problems(
    name: str, text: str, defined: set[str] | None = None, aliases: set[str] | None = None
) -> list[ProofgateError]:
    """The built-ins module ``name`` may not use, each at its line and column
    (``defined``: the functions of the module set; ``aliases``: its imports)."""
    if defined is None or aliases is None:
        own, imports = _defined({name: text})
        defined, aliases = own, imports[name]
    problems: list[ProofgateError] = []

    def refuse(message: str, offset: int) -> None:
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        hint = "hand-written Rego may only compute on its input (see docs/security.md)"
        problems.append(ProofgateError(message, name, line, column, text, hint))

    for found in _names(text):
        parts = found.dotted.split(".")
        if found.import_path or parts[0] in ("data", "input"):
            continue
        prefixes = [".".join(parts[:end]) for end in range(len(parts), 0, -1)]
        reasons = [(p, r) for p in prefixes if (r := refusal(p)) is not None]
        if reasons:
            prefix, reason = reasons[0]
            refuse(
                f"built-in '{prefix}' is not allowed in Rego from the checked repo: it {reason}",
                found.offset,
            )
        elif found.after == "[" and found.dotted in _namespaces():
            refuse(
                f"built-in namespace '{found.dotted}' addressed with brackets: name "
                "built-ins with dots, so that they can be checked",
                found.offset,
            )
        elif (
            found.after == "("
            and not found.head
            and found.dotted not in ALLOWED
            and found.dotted not in defined
            and found.dotted not in _KEYWORDS
            and parts[0] not in aliases
        ):
            refuse(
                f"'{found.dotted}' is neither a built-in proofgate allows in Rego from the "
                "checked repo nor a function these modules define",
                found.offset,
            )
    return problems


def check_modules(modules: dict[str, str]) -> None:
    """Raise every built-in that ``modules`` (name -> Rego text) may not use."""
    defined, aliases = _defined(modules)
    problems = [
        problem
        for name, text in sorted(modules.items())
        for problem in module_problems(name, text, defined, aliases[name])
    ]
    if problems:
        raise ErrorGroup(problems) if len(problems) > 1 else problems[0]
