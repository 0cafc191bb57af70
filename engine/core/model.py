"""The input model: the record types extractors produce and policies range over.

Every collection a policy can name (``sentences``, ``steps``, ``bazelrc`` ...)
is a list of plain JSON-able dicts whose fields are declared here. The DSL's
semantic pass type-checks field access against these declarations, the
extractors must produce exactly these fields, and the compiler relies on them.

Conventions every record follows:
- ``path`` is the file path relative to the repo root, with ``/`` separators.
- ``line``/``column``/``end_line``/``end_column`` are 1-based; columns count
  Unicode code points; the end column is exclusive.
- Fields whose name starts with ``_`` are private to Python (source maps,
  parsed originals); they are never sent to Rego and policies cannot name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Type:
    """A value type in the input model.

    ``kind`` is one of ``str``, ``num``, ``bool``, ``any``, ``list``, ``map``
    or ``record``. Lists and maps carry their element type in ``of``; records
    name their :class:`RecordType` in ``record``.
    """

    kind: str
    of: Type | None = None
    record: str | None = None

    def __str__(self) -> str:
        if self.kind in ("list", "map"):
            return f"{self.kind}[{self.of}]"
        if self.kind == "record":
            return str(self.record)
        return self.kind


STR = Type("str")
NUM = Type("num")
BOOL = Type("bool")
ANY = Type("any")


def list_of(t: Type) -> Type:
    return Type("list", of=t)


def map_of(t: Type) -> Type:
    return Type("map", of=t)


def rec(name: str) -> Type:
    return Type("record", record=name)


POSITION = {
    "path": STR,
    "line": NUM,
    "column": NUM,
    "end_line": NUM,
    "end_column": NUM,
}


@dataclass(frozen=True)
class RecordType:
    name: str
    doc: str
    fields: dict[str, Type] = field(default_factory=dict)


def _record(name: str, doc: str, fields: dict[str, Type], positioned: bool = True) -> RecordType:
    merged = {**POSITION, **fields} if positioned else dict(fields)
    return RecordType(name, doc, merged)


# Where a part of a record is written, for a policy's ``edit`` lines (the DSL's
# mechanical fixes): a positioned span of the file, the indentation a sibling
# written on a line of its own takes there, and the line ending of its line
# (a line break in an edit's text is written as this one).
SPAN_FIELDS = {"indent": STR, "eol": STR}

RECORD_TYPES: dict[str, RecordType] = {
    t.name: t
    for t in [
        _record(
            "Span",
            "Where a part of a record is written, for `edit` lines: a range of its file, "
            "the indentation of a sibling on a line of its own (`indent`) and the line "
            "ending there (`eol`).",
            SPAN_FIELDS,
        ),
        _record(
            "StepSpans",
            "Where a step's parts are written (block-style steps in files whose lines "
            "end in LF or CRLF only; a part that cannot be edited cleanly has no span).",
            {
                # from the step's first key to the end of its last line (line break
                # excluded), indent: the column of its keys
                "step": rec("Span"),
                # the step as a list item, whole lines from its "- " (which starts its
                # line), line break included: deleting it removes the step
                "item": rec("Span"),
                # each key's entry as whole lines, line break included, when the key
                # starts its line and its value ends one: deleting it removes the entry
                "keys": map_of(rec("Span")),
                "with": map_of(rec("Span")),  # the same for each key of `with`
                # each flag (a word starting with -) of `run` (its first occurrence),
                # when the script is a one-line plain scalar or a literal (|) block,
                # written as it reads
                "run_flags": map_of(rec("Span")),
            },
            positioned=False,
        ),
        _record(
            "BazelSpans",
            "Where a .bazelrc option's parts are written.",
            {
                "command": rec("Span"),  # the command word (`build`, `build:ci`)
                # the option with the separator before it: deleting it removes the
                # option from its line
                "option": rec("Span"),
                "line": rec("Span"),  # the logical line, line break excluded
            },
            positioned=False,
        ),
        _record(
            "NixSpans",
            "Where a Nix setting's parts are written.",
            {
                "key": rec("Span"),  # the setting's name (a flake's: its attribute path)
                # each value (a word of nix.conf, a string of a flake's list) with the
                # blank before it: deleting it removes the value
                "values": map_of(rec("Span")),
            },
            positioned=False,
        ),
        _record(
            "File",
            "A file of the repo that proofgate looked at.",
            {"kind": STR, "name": STR, "dir": STR},
        ),
        _record(
            "Sentence",
            "A sentence of prose in a Markdown file (headings, paragraphs, list "
            "items, table cells, block quotes, the front matter's description). "
            "Inline code spans keep their text in the sentence and are also `code` "
            "records; code blocks are never sentences.",
            {
                "text": STR,
                # heading | paragraph | list_item | table_cell | blockquote, or
                # front_matter (the front matter's description)
                "block": STR,
                "heading": STR,  # the heading path joined with " > "
                "headings": list_of(STR),
                "table_header": STR,  # for table cells: the column's header text
                "in_blockquote": BOOL,
                "front_matter": map_of(ANY),  # the document's front matter
                # table cells only: the column, the row's cells and the header
                # row's cells joined with " | "
                "cell": NUM,
                "row": STR,
                "row_prose": STR,  # the row without its inline code
                # only when true: every cell but the first is link text only (a
                # docs index row, "Advanced | Templates · Gitea")
                "row_links_only": BOOL,
                "table_headers": STR,
                # task-list items only: "open" (- [ ]) or "done" (- [x])
                "task": STR,
                # only when true: every word of the sentence is link text
                "link_only": BOOL,
                # the first sentence of a link-list entry only: the link text its
                # list item opens with, when a dash or colon follows it
                # ("[Self-Service Enrollment](enrol.md) -- GitLab runner enrollment")
                "link_term": STR,
                # the inline code spans of the sentence, when it has any
                "codes": list_of(STR),
                # the first sentence of a reference entry only: the inline code
                # its block opens with, when a dash or colon follows it
                # ("`NVIDIA_VISIBLE_DEVICES=all` — expose all GPUs")
                "term": STR,
                # list items and table cells: the sentence that leads into their
                # list or table, when it ends with a colon ("An enabled caller
                # supplies:", "Here is a list of the instance types available:")
                "lead": STR,
                # items of a nested list only: the last sentence of the item
                # their list is nested in ("macOS" over "  - 14 (Sonoma)")
                "parent": STR,
                # every sentence but a block's first: the sentence before it in
                # its block ("Buildbot-nix integrates with Gitea." before "This
                # enables webhooks.")
                "prev": STR,
                # the alt text of each image in the sentence's block (a status
                # badge's "deprecated" or "beta"), joined with " | ", when it has any
                "images": STR,
                # only when true: the last sentence of a block a code block
                # follows directly ("For Amazon Linux 2023:" over its commands)
                "before_code": BOOL,
                # call-outs only ("> [!WARNING]", ":::tip[Title]", '!!! note "Title"'):
                # the kind, lower-cased, and the title ("" when it has none)
                "admonition": STR,
                "admonition_title": STR,
                # the sentences after the call-out or block quote a page opens
                # with (before any other block but headings): its text, a
                # page-wide note ("Warning "krunkit" is experimental")
                "page_note": STR,
            },
        ),
        _record(
            "Code",
            "A fenced, indented or inline code span in a Markdown file.",
            {"kind": STR, "lang": STR, "text": STR, "heading": STR},
        ),
        _record(
            "Document",
            "One Markdown file: its title and parsed front matter.",
            {"title": STR, "front_matter": map_of(ANY)},
        ),
        _record(
            "Html",
            "An HTML comment or tag in a Markdown file (for markers and switches).",
            {"text": STR},
        ),
        _record(
            "EmbeddedMatrix",
            "A proof matrix a Markdown file embeds between marker lines (at the opening one).",
            {
                "closed": BOOL,  # a closing marker follows the opening one
                "table": STR,  # the text between the markers, with \n line endings
            },
        ),
        _record(
            "Workflow",
            "A GitHub Actions workflow file or composite action.",
            {
                "kind": STR,  # workflow | action
                "name": STR,
                "triggers": list_of(STR),
                "branches": list_of(STR),  # push branches, if any
                "tags": list_of(STR),  # push tags, if any
                "jobs": list_of(rec("Job")),
                "steps": list_of(rec("Step")),  # composite action steps
            },
        ),
        _record(
            "Job",
            "A job of a workflow.",
            {
                "workflow": STR,
                "triggers": list_of(STR),
                "id": STR,
                "name": STR,
                "runs_on": list_of(STR),  # labels, normalized from string/list/group form
                "runs_on_labels": list_of(rec("RunsOnLabel")),  # the same, each where written
                "runs_on_group": STR,
                "if": STR,
                "continue_on_error": BOOL,
                "uses": STR,  # reusable workflow call
                "steps": list_of(rec("Step")),
            },
        ),
        _record(
            "RunsOnLabel",
            "One label of a job's `runs-on`, at the value that gives it (a matrix-expanded "
            "label: at the `${{ matrix.KEY }}` label).",
            {"name": STR},
        ),
        _record(
            "Step",
            "A step of a job or of a composite action.",
            {
                "workflow": STR,
                "triggers": list_of(STR),
                "job": STR,
                "index": NUM,
                "id": STR,
                "name": STR,
                "uses": STR,
                "run": STR,
                "with": map_of(STR),
                "env": map_of(STR),
                "if": STR,
                "continue_on_error": BOOL,
                "siblings": NUM,  # how many other steps its job (or action) has
                "spans": rec("StepSpans"),
            },
        ),
        _record(
            "BazelOption",
            "One option of a .bazelrc line (`build:ci --remote_cache=grpcs://...`).",
            {
                "kind": STR,  # option | import | try-import
                "command": STR,  # build, test, common, ...
                "config": STR,  # "" when the line has no :config
                "flag": STR,  # --remote_cache (with a leading --), "" for imports
                "value": STR,  # the flag's value, or the imported path
                "text": STR,  # the option as written
                "options_on_line": NUM,  # how many options its line holds
                "spans": rec("BazelSpans"),
            },
        ),
        _record(
            "NixSetting",
            "A nix.conf setting, or a flake's nixConfig attribute.",
            {
                "source": STR,
                "key": STR,
                "value": STR,
                "values": list_of(STR),
                "spans": rec("NixSpans"),
            },
        ),
        _record(
            "FlakeInput",
            "A flake input from flake.nix or a node of flake.lock.",
            {
                "source": STR,  # flake.nix | flake.lock
                "name": STR,
                "url": STR,
                "type": STR,
                "flake": STR,  # the flake.nix it belongs to (a flake.lock's: the one beside it)
            },
        ),
        _record(
            "ConfigValue",
            "A scalar in a YAML, JSON or TOML file, with its dotted key path.",
            {"format": STR, "key": STR, "value": ANY},
        ),
        _record(
            "Proof",
            "A named proof surface of a runner class or forge in the ledger.",
            {
                "surface": STR,
                "evidence": STR,
                "evidence_kind": STR,  # path | url | missing | invalid
                "evidence_exists": BOOL,
                "verified": STR,  # ISO date, "" if absent
                "age_days": NUM,  # -1 if no date
            },
        ),
        _record(
            "RunnerClass",
            "A runner class of the ledger's proof matrix.",
            {
                "name": STR,
                "index": NUM,
                "state": STR,
                "labels": list_of(STR),
                # the name and labels lower-cased: the words prose names the class by
                "words": list_of(STR),
                "proofs": list_of(rec("Proof")),
            },
        ),
        _record(
            "Forge",
            "A forge (github-org, github-user, gitlab, ...) of the ledger.",
            {
                "name": STR,
                "index": NUM,
                "state": STR,
                "labels": list_of(STR),
                # the name and labels lower-cased: the words prose names the forge by
                "words": list_of(STR),
                "proofs": list_of(rec("Proof")),
                "surfaces": list_of(STR),  # distinct proof surfaces
            },
        ),
        _record(
            "Tranche",
            "A cache-first dogfood tranche of the ledger.",
            {"name": STR, "repos": list_of(STR)},
        ),
        _record("LedgerKey", "Where a key of the ledger is written (the key itself).", {}),
        _record(
            "Ledger",
            "The proof ledger (proofs.yaml).",
            {
                "present": BOOL,
                "repo": STR,
                "baseline": STR,
                "primary_forge": STR,
                "freshness_days": NUM,
                "runner_classes": map_of(rec("RunnerClass")),
                "forges": map_of(rec("Forge")),
                "tranches": map_of(rec("Tranche")),
                "bootstrap_flakes": list_of(STR),
                "matrix": STR,  # the proof matrix as `proofgate matrix --write` embeds it
                "keys": map_of(rec("LedgerKey")),  # where each top-level key is written
                "endpoints": map_of(list_of(STR)),  # attic / bazel / flakehub host names
            },
        ),
        _record(
            "Params",
            "The pack's parameters in force (`[params]` of .proofgate.toml, else the "
            "defaults of engine/core/params.py), with the rank of each name of an order.",
            {
                "baseline": STR,
                "primary_forge": STR,
                "runner_class_order": list_of(STR),
                "forge_order": list_of(STR),
                "product_surfaces": list_of(STR),
                "runner_class_rank": map_of(NUM),  # name -> its position in runner_class_order
                "forge_rank": map_of(NUM),  # name -> its position in forge_order
            },
            positioned=False,
        ),
    ]
}


@dataclass(frozen=True)
class Collection:
    name: str
    record: str
    kinds: tuple[str, ...]  # file kinds whose extractors produce it ("ledger" for ledger data)


COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in [
        Collection("files", "File", ()),  # built for every file, no extraction
        Collection("sentences", "Sentence", ("markdown",)),
        Collection("code", "Code", ("markdown",)),
        Collection("documents", "Document", ("markdown",)),
        Collection("html", "Html", ("markdown",)),
        Collection("matrices", "EmbeddedMatrix", ("markdown",)),
        Collection("workflows", "Workflow", ("workflow", "action")),
        Collection("jobs", "Job", ("workflow",)),
        Collection("steps", "Step", ("workflow", "action")),
        Collection("bazelrc", "BazelOption", ("bazelrc",)),
        Collection("nix_settings", "NixSetting", ("nixconf", "flake")),
        Collection("flake_inputs", "FlakeInput", ("flake", "flake_lock")),
        Collection("config_values", "ConfigValue", ("yaml", "json", "toml")),
        Collection("runner_classes", "RunnerClass", ("ledger",)),
        Collection("forges", "Forge", ("ledger",)),
        Collection("tranches", "Tranche", ("ledger",)),
    ]
}

GLOBALS: dict[str, Type] = {"ledger": rec("Ledger"), "params": rec("Params")}
