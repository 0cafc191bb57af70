"""The Markdown extractor: records, heading paths and an exact source map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.extract.base import Extraction, SourceFile
from engine.extract.markdown import extract, locate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "extract" / "markdown"


def source_lines(text: str) -> list[str]:
    """The lines of ``text`` as the extractor counts them (CRLF, CR and LF breaks)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def read(name: str) -> tuple[Extraction, list[str]]:
    """Extract a fixture file (line endings kept as written) and return its lines."""
    text = (FIXTURES / name).read_bytes().decode("utf-8")
    return extract(SourceFile(name, text, "markdown")), source_lines(text)


def run(text: str) -> Extraction:
    return extract(SourceFile("doc.md", text, "markdown"))


def sentence(out: Extraction, start: str) -> dict[str, Any]:
    """The sentence whose text is ``start``, else the one sentence starting with it."""
    found = [s for s in out.records["sentences"] if s["text"] == start]
    found = found or [s for s in out.records["sentences"] if s["text"].startswith(start)]
    assert len(found) == 1, [s["text"] for s in out.records["sentences"]]
    return found[0]


def texts(out: Extraction, collection: str = "sentences") -> list[str]:
    return [record["text"] for record in out.records[collection]]


def column_of(lines: list[str], line: int, word: str) -> int:
    """The 1-based column of ``word`` on a 1-based ``line`` (code points)."""
    index = lines[line - 1].find(word)
    assert index >= 0, (word, lines[line - 1])
    return index + 1


def assert_spans(record: dict[str, Any], lines: list[str]) -> None:
    """The record's first and last characters stand where its positions say."""
    text = record["text"]
    assert lines[record["line"] - 1][record["column"] - 1] == text[0]
    assert lines[record["end_line"] - 1][record["end_column"] - 2] == text[-1]


def assert_characters_locate(out: Extraction, lines: list[str], skip: str = "") -> None:
    """Every visible character of every sentence (but those in ``skip``) locates
    to itself in the source."""
    for record in out.records["sentences"]:
        for offset, char in enumerate(record["text"]):
            if not char.isspace() and char not in skip:
                line, column = locate(record, offset)
                assert lines[line - 1][column - 1] == char, (record["text"], offset)


def assert_located(out: Extraction, lines: list[str]) -> None:
    """Every sentence's span, and every visible character of it, is where it is in
    the source."""
    for record in out.records["sentences"]:
        assert_spans(record, lines)
    assert_characters_locate(out, lines)


# -- README.md: LF, front matter, lists, tables, code -------------------------


@pytest.fixture(scope="module")
def readme() -> tuple[Extraction, list[str]]:
    return read("README.md")


def test_document_has_title_and_front_matter(readme: tuple[Extraction, list[str]]) -> None:
    out, lines = readme
    [document] = out.records["documents"]
    assert document["title"] == "GloriousFlywheel"
    assert document["front_matter"] == {
        "title": "GloriousFlywheel",
        "description": "Self-hosted CI runners on the honey cluster",
        "tags": ["ci", "nix", "bazel"],
    }
    assert (document["line"], document["column"]) == (1, 1)
    assert document["end_line"] == len(lines)
    assert out.problems == []


def test_sentence_after_bold_span_and_soft_break(readme: tuple[Extraction, list[str]]) -> None:
    out, lines = readme
    first = sentence(out, "GloriousFlywheel is a self-hosted")
    assert first["text"] == (
        "GloriousFlywheel is a self-hosted CI platform: GitHub Actions runners on the "
        "on-prem Kubernetes cluster honey, with Attic, a Bazel remote cache and "
        "FlakeHub around it."
    )
    assert (first["line"], first["column"], first["end_line"], first["end_column"]) == (
        9,
        1,
        11,
        20,
    )
    assert first["block"] == "paragraph"
    assert first["heading"] == "GloriousFlywheel"
    honey = first["text"].index("honey")
    assert locate(first, honey) == (10, column_of(lines, 10, "**honey**") + 2)
    on_prem = first["text"].index("on-prem")
    assert locate(first, on_prem) == (10, 1)
    assert_spans(first, lines)

    second = sentence(out, "It is cache-first")
    assert (second["line"], second["column"]) == (11, column_of(lines, 11, "It is"))
    assert (second["end_line"], second["end_column"]) == (11, len(lines[10]) + 1)


def test_second_sentence_starting_mid_line(readme: tuple[Extraction, list[str]]) -> None:
    out, lines = readme
    they = sentence(out, "They are only slower")
    assert (they["line"], they["column"]) == (27, column_of(lines, 27, "They"))
    assert they["end_line"] == 28
    assert locate(they, they["text"].index("never")) == (28, column_of(lines, 28, "never"))
    assert they["_map"][0] == [0, 27, column_of(lines, 27, "They")]


def test_headings_make_a_path(readme: tuple[Extraction, list[str]]) -> None:
    out, _ = readme
    caches = sentence(out, "Caches")
    assert caches["block"] == "heading"
    assert caches["heading"] == "GloriousFlywheel > Runner classes"
    assert caches["headings"] == ["GloriousFlywheel", "Runner classes"]
    forges = sentence(out, "Forges")
    assert forges["headings"] == ["GloriousFlywheel"]
    attic = sentence(out, "Attic is a Nix binary cache")
    assert attic["heading"] == "GloriousFlywheel > Runner classes > Caches"
    title = sentence(out, "GloriousFlywheel")
    assert (title["heading"], title["headings"]) == ("", [])


def test_list_items_nested_lists_and_item_paragraphs(readme: tuple[Extraction, list[str]]) -> None:
    out, lines = readme
    blocks = {s["text"]: s["block"] for s in out.records["sentences"]}
    assert blocks["Install Nix (e.g. with the Determinate installer) and enable flakes."] == (
        "list_item"
    )
    assert blocks["The shell brings kubectl, tofu and attic into scope."] == "list_item"
    nested = sentence(out, "Configure it under build:ci in .bazelrc.")
    assert nested["block"] == "list_item"
    assert (nested["line"], nested["column"]) == (47, column_of(lines, 47, "Configure"))
    assert blocks["Tagged releases are published to FlakeHub for discovery."] == "paragraph"


def test_inline_code_is_text_and_a_code_record(readme: tuple[Extraction, list[str]]) -> None:
    out, lines = readme
    run_ = sentence(out, "Run nix develop")
    assert run_["text"] == "Run nix develop in the repo root."
    at = run_["text"].index("develop")
    assert locate(run_, at) == (19, column_of(lines, 19, "develop"))
    assert_spans(run_, lines)
    [develop] = [c for c in out.records["code"] if c["text"] == "nix develop"]
    assert develop["kind"] == "inline"
    assert develop["lang"] == ""
    assert develop["heading"] == "GloriousFlywheel > Quick start"
    start = column_of(lines, 19, "nix develop")
    assert (develop["line"], develop["column"], develop["end_column"]) == (19, start, start + 11)


def test_code_blocks_are_code_never_prose(readme: tuple[Extraction, list[str]]) -> None:
    out, lines = readme
    [fence] = [c for c in out.records["code"] if c["kind"] == "fence"]
    assert fence["lang"] == "sh"
    assert fence["text"] == "nix run .#deploy -- --cluster honey"
    assert (fence["line"], fence["column"]) == (24, column_of(lines, 24, "nix run"))
    assert (fence["end_line"], fence["end_column"]) == (24, len(lines[23]) + 1)
    [indented] = [c for c in out.records["code"] if c["kind"] == "indented"]
    assert indented["text"] == "# an indented example\nproofgate check ."
    assert (indented["line"], indented["column"]) == (68, 5)
    prose = " ".join(texts(out))
    assert "nix run" not in prose
    assert "proofgate check ." not in prose


def test_table_cells_are_their_own_sentences(readme: tuple[Extraction, list[str]]) -> None:
    out, lines = readme
    cells = [s for s in out.records["sentences"] if s["block"] == "table_cell"]
    assert [c["text"] for c in cells[:6]] == [
        "Class",
        "State",
        "Labels",
        "KVM",
        "proved",
        "kvm, nix-vm-test",
    ]
    assert [c["table_header"] for c in cells[3:6]] == ["Class", "State", "Labels"]
    labels = cells[5]
    assert (labels["line"], labels["column"]) == (36, column_of(lines, 36, "`kvm`") + 1)
    assert locate(labels, labels["text"].index("nix-vm-test")) == (
        36,
        column_of(lines, 36, "nix-vm-test"),
    )
    assert all(
        s["table_header"] == "" for s in out.records["sentences"] if s["block"] != "table_cell"
    )


def test_alert_blockquote_footnote_and_links(readme: tuple[Extraction, list[str]]) -> None:
    out, _ = readme
    quote = sentence(out, "honey remains the on-prem baseline")
    assert quote["text"] == "honey remains the on-prem baseline; Civo is a review environment."
    assert (quote["block"], quote["in_blockquote"]) == ("blockquote", True)
    assert not any("[!NOTE]" in t for t in texts(out))
    footnote = sentence(out, "Woodpecker is also in the backlog.")
    assert footnote["block"] == "paragraph"
    assert sentence(out, "No date is set.")["line"] == footnote["line"]
    assert "See the runner guide for the details." in texts(out)
    assert not any("docs/runners.md" in t for t in texts(out))  # link targets and definitions


def test_html_comment_is_an_html_record(readme: tuple[Extraction, list[str]]) -> None:
    out, lines = readme
    [comment] = out.records["html"]
    assert comment["text"] == "<!-- proofgate-ignore runner-class-needs-proof -->"
    assert (comment["line"], comment["column"], comment["end_column"]) == (
        54,
        1,
        len(lines[53]) + 1,
    )
    assert not any("proofgate-ignore" in t for t in texts(out))


# -- docs/runners.md: CRLF, non-ASCII, setext, entities, hard breaks ----------


@pytest.fixture(scope="module")
def runners() -> tuple[Extraction, list[str]]:
    raw = (FIXTURES / "docs" / "runners.md").read_bytes()
    assert b"\r\n" in raw, "this fixture must keep CRLF line endings"
    return read("docs/runners.md")


def test_setext_title_wins_over_front_matter(runners: tuple[Extraction, list[str]]) -> None:
    out, _ = runners
    [document] = out.records["documents"]
    assert document["title"] == "Runner classes"
    assert document["front_matter"] == {"title": "Runner guide", "owner": "platform"}
    heading = sentence(out, "Runner classes")
    assert (heading["line"], heading["column"], heading["end_column"]) == (6, 1, 15)


def test_crlf_positions_and_non_ascii_columns(runners: tuple[Extraction, list[str]]) -> None:
    out, lines = runners
    ruiz = sentence(out, "Dr. Ruiz from the Zürich team")
    assert ruiz["text"].endswith("see Fig. 2 in the report.")
    assert (ruiz["line"], ruiz["column"]) == (47, column_of(lines, 47, "Dr. Ruiz"))
    assert (ruiz["end_line"], ruiz["end_column"]) == (49, len("report.") + 1)
    assert locate(ruiz, ruiz["text"].index("team")) == (48, 1)
    cafe = ruiz["text"].index("café-order")
    assert locate(ruiz, cafe) == (48, column_of(lines, 48, "café-order"))
    after = ruiz["text"].index("service")
    assert locate(ruiz, after) == (48, column_of(lines, 48, "service"))
    assert_spans(ruiz, lines)


def test_hard_break_ends_a_line_not_a_sentence(runners: tuple[Extraction, list[str]]) -> None:
    out, lines = runners
    numbers = sentence(out, "Numbers above that")
    assert (numbers["line"], numbers["column"]) == (50, 1)
    assert lines[48].endswith("report.\\")


def test_emoji_cells_and_escaped_pipes(runners: tuple[Extraction, list[str]]) -> None:
    out, lines = runners
    experimental = sentence(out, "🧪 experimental")
    assert experimental["table_header"] == "State"
    assert locate(experimental, 2) == (18, column_of(lines, 18, "experimental"))
    assert experimental["end_column"] == column_of(lines, 18, "experimental") + 12
    pipe = sentence(out, "gpu | cuda")
    assert pipe["table_header"] == "Selector"
    assert locate(pipe, pipe["text"].index("cuda")) == (18, column_of(lines, 18, "cuda"))
    [code] = [c for c in out.records["code"] if c["text"] == "gpu | cuda"]
    assert (code["column"], code["end_column"]) == (
        column_of(lines, 18, "gpu \\|"),
        column_of(lines, 18, "cuda`") + 4,
    )


def test_entities_map_to_their_source(runners: tuple[Extraction, list[str]]) -> None:
    out, lines = runners
    dawn = sentence(out, "The Dawn lane")
    assert (
        dawn["text"] == "The Dawn lane needs a headless Vulkan driver\xa0stack & a GPU node pool."
    )
    line = dawn["line"]
    assert locate(dawn, dawn["text"].index("&")) == (line, column_of(lines, line, "&amp;"))
    assert locate(dawn, dawn["text"].index("stack")) == (line, column_of(lines, line, "stack"))
    assert locate(dawn, dawn["text"].index("a GPU")) == (line, column_of(lines, line, "a GPU"))


def test_quoted_list_and_glossary_table(runners: tuple[Extraction, list[str]]) -> None:
    out, _ = runners
    reserved = sentence(out, "The gpu label is reserved.")
    assert (reserved["block"], reserved["in_blockquote"]) == ("list_item", True)
    digest = sentence(out, "action cache, keyed by action digest")
    assert (digest["block"], digest["table_header"]) == ("table_cell", "Meaning")
    assert digest["heading"] == "Runner classes > Glossary"


def test_html_blocks_and_markers(runners: tuple[Extraction, list[str]]) -> None:
    out, _ = runners
    html = texts(out, "html")
    assert html[0] == "<!-- proofgate:matrix -->"
    assert html[1] == '<details>\n<summary>Why "cache-first, verify-later"?</summary>'
    assert "Builds use the cache when it answers." in texts(out)


@pytest.mark.parametrize("name", ["README.md", "docs/runners.md"])
def test_every_visible_character_maps_onto_itself(name: str) -> None:
    out, lines = read(name)
    assert_characters_locate(out, lines, skip="&")  # `&amp;` maps to its `&`


# -- small cases ---------------------------------------------------------------


def test_empty_file() -> None:
    out = run("")
    assert out.problems == []
    assert out.records["sentences"] == out.records["code"] == out.records["html"] == []
    [document] = out.records["documents"]
    assert (document["title"], document["front_matter"]) == ("", {})


def test_file_with_only_front_matter() -> None:
    out = run("---\ntitle: Only front matter\nowners: [platform]\n---\n")
    [document] = out.records["documents"]
    assert document["title"] == "Only front matter"
    assert document["front_matter"] == {"title": "Only front matter", "owners": ["platform"]}
    assert out.records["sentences"] == []


def test_broken_front_matter_is_a_problem_on_its_line() -> None:
    out = run("---\ntitle: x\ntags: [a, b\n\nowner: me\n---\n# Title\n\nBody text.\n")
    [problem] = out.problems
    assert problem.line == 5  # where PyYAML notices the unclosed flow sequence
    assert problem.message.startswith("front matter:")
    [document] = out.records["documents"]
    assert (document["front_matter"], document["title"]) == ({}, "Title")
    assert texts(out) == ["Title", "Body text."]


def test_late_dashes_are_a_rule_and_a_heading_not_front_matter() -> None:
    out = run("---\ntitle: Real\n---\n\nIntro.\n\n---\nFooter text\n---\n\nEnd.\n")
    [document] = out.records["documents"]
    assert document["front_matter"] == {"title": "Real"}
    footer = sentence(out, "Footer text")
    assert (footer["block"], footer["line"]) == ("heading", 8)
    assert sentence(out, "End.")["headings"] == ["Footer text"]


def test_lone_carriage_returns() -> None:
    out = run("# Title\r\rOne line\rtwo. Three\r")
    one = sentence(out, "One line two.")
    assert (one["line"], one["column"], one["end_line"], one["end_column"]) == (3, 1, 4, 5)
    assert locate(one, one["text"].index("two")) == (4, 1)
    assert (sentence(out, "Three")["line"], sentence(out, "Three")["column"]) == (4, 6)


def test_tabs_count_as_one_column() -> None:
    out = run("a\tb **c**\td.\n")
    [record] = out.records["sentences"]
    assert record["text"] == "a\tb c\td."
    assert locate(record, record["text"].index("c")) == (1, 7)
    assert locate(record, record["text"].index("d")) == (1, 11)


def test_entity_at_the_end_of_a_sentence() -> None:
    out = run("Tom &amp; Jerry &copy;\n")
    [record] = out.records["sentences"]
    assert record["text"] == "Tom & Jerry ©"
    assert (record["end_line"], record["end_column"]) == (1, len("Tom &amp; Jerry &copy;") + 1)


def test_images_html_and_breaks_are_not_text() -> None:
    out = run('Before ![alt words](x.png) after.<br>Next <span class="x">line</span>.\n')
    assert texts(out) == ["Before  after.", "Next line."]
    assert texts(out, "html") == ["<br>", '<span class="x">', "</span>"]


def test_code_span_over_lines_and_with_backticks() -> None:
    out = run("Use ``a `tick` b`` and `x\ny` here.\n")
    codes = out.records["code"]
    assert [c["text"] for c in codes] == ["a `tick` b", "x y"]
    assert (codes[0]["column"], codes[0]["end_column"]) == (7, 17)
    assert (codes[1]["line"], codes[1]["column"], codes[1]["end_line"]) == (1, 25, 2)
    [record] = out.records["sentences"]
    assert locate(record, record["text"].index("y here")) == (2, 1)


def test_heading_in_a_blockquote_is_not_in_the_path() -> None:
    out = run("# Top\n\n> ## Quoted\n> text.\n\nAfter.\n")
    assert sentence(out, "Quoted")["in_blockquote"]
    assert sentence(out, "After.")["headings"] == ["Top"]


def test_task_lists_and_strikethrough_keep_their_words() -> None:
    out = run("- [x] Ship ~~GitLab~~ GitHub runners.\n- [ ] Prove `gpu`.\n")
    assert texts(out) == ["Ship GitLab GitHub runners.", "Prove gpu."]
    ship = sentence(out, "Ship")
    assert (ship["block"], ship["column"]) == ("list_item", 7)
    assert locate(ship, ship["text"].index("GitHub")) == (1, 23)


def test_locate_of_the_end_offset_is_the_end_position() -> None:
    out = run("Intro line\nwith **bold** words.\n")
    [record] = out.records["sentences"]
    assert locate(record, len(record["text"])) == (record["end_line"], record["end_column"])
    assert (record["end_line"], record["end_column"]) == (2, 21)


def test_link_reference_definitions_are_not_sentences() -> None:
    out = run('See [the guide][g].\n\n[g]: https://example.com/guide "Guide"\n')
    assert texts(out) == ["See the guide."]


# -- properties ----------------------------------------------------------------

_MARKDOWN_BITS = st.sampled_from(
    [
        *"ab #*_`-|>[]()!\n\r\t.:&;<>/\\=~é€😀",
        *("---\n", "```\n", "&amp;", "<!-- x -->", "\r\n", "| a | b |\n|---|---|\n"),
        *("[^1]: ", "<br>", "    ", "> ", "- ", "1. "),
        *(":::tip\n", ":::\n", '!!! note "T"\n', "??? info\n", "> [!NOTE]\n"),
    ]
)
_DOCUMENTS = st.one_of(st.text(), st.lists(_MARKDOWN_BITS, max_size=60).map("".join))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCUMENTS)
def test_positions_always_lie_inside_the_file(text: str) -> None:
    out = run(text)
    lines = source_lines(text)
    for records in out.records.values():
        for record in records:
            for line_key, column_key in (("line", "column"), ("end_line", "end_column")):
                line = record[line_key]
                assert 1 <= line <= len(lines)
                assert 1 <= record[column_key] <= len(lines[line - 1]) + 1
            for offset in range(len(record["text"]) if "_map" in record else 0):
                line, column = locate(record, offset)
                assert 1 <= line <= len(lines) and column >= 1
    for problem in out.problems:
        assert 1 <= problem.line <= len(lines)


_PROSE_BITS = st.sampled_from(
    [
        *("Word", "word", "é", "naïve", "日本", "😀", "x", "J.", "No.", "v1.2"),
        *(" ", "  ", "\t", ". ", "! ", "? ", ", ", "\n", "\r\n", "\r", "\n\n", "\r\n\r\n"),
        *("`code`", "``a ` b``", "`é`", "**", "_", "<br>", "- ", "> ", "# "),
        *(":::note\n", ":::\n", "!!! tip\n", '??? info "Á"\n', "    ", "\t"),
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PROSE_BITS, max_size=80).map("".join))
def test_every_sentence_character_locates_to_itself(text: str) -> None:
    """The source map across lines, line ending styles and non-ASCII columns."""
    out = run(text)
    lines = source_lines(text)
    assert_characters_locate(out, lines)


def test_link_list_entries_carry_their_link_text_as_link_term() -> None:
    text = (
        "- [Self-Service Enrollment](enrol.md) -- GitLab runner enrollment. More.\n"
        "- **[Cache](cache.md)**: cache details\n"
        "- See [GitLab parity](docs/gitlab.md) -- the notes\n"
        "- [Docs](a) and [Notes](b)\n"
        "- `gitlab_token` -- a token, not a link\n"
        "\n"
        "[Enrollment](enrol.md) -- a paragraph, not a list item\n"
    )
    sentences = extract(SourceFile("a.md", text, "markdown")).records["sentences"]
    assert [(s["text"], s.get("link_term")) for s in sentences] == [
        ("Self-Service Enrollment -- GitLab runner enrollment.", "Self-Service Enrollment"),
        ("More.", None),  # the entry's first sentence only
        ("Cache: cache details", "Cache"),
        ("See GitLab parity -- the notes", None),  # words before the link
        ("Docs and Notes", None),  # no dash or colon after the link
        ("gitlab_token -- a token, not a link", None),
        ("Enrollment -- a paragraph, not a list item", None),
    ]


def test_task_items_and_link_only_sentences() -> None:
    text = (
        "- [ ] integrate GitLab. Then Forgejo.\n"
        "- [x] ship the KVM lane\n"
        "- plain item\n"
        "  1. [ ] nested task\n"
        "- See [GitLab parity](docs/gitlab.md).\n"
        "- [Docs](a) · [GitLab parity notes](b)\n"
        "\n"
        "| [GitLab](x) | GitLab [runners](y) |\n"
        "|---|---|\n"
        "| [![logo](i.png) GitLab](x) | z |\n"
    )
    sentences = extract(SourceFile("a.md", text, "markdown")).records["sentences"]
    facts = [(s["text"], s.get("task", ""), s.get("link_only", False)) for s in sentences]
    assert facts == [
        ("integrate GitLab.", "open", False),
        ("Then Forgejo.", "open", False),  # every sentence of the item
        ("ship the KVM lane", "done", False),
        ("plain item", "", False),
        ("nested task", "open", False),
        ("See GitLab parity.", "", False),  # words outside the link
        ("Docs · GitLab parity notes", "", True),  # separators are not words
        ("GitLab", "", True),
        ("GitLab runners", "", False),
        ("GitLab", "", True),  # an image's alt text is not prose
        ("z", "", False),
    ]


def test_reference_entries_carry_their_term() -> None:
    text = (
        "- `NVIDIA_VISIBLE_DEVICES=all` — expose all GPUs. Then more.\n"
        "- `cluster_context` -- the kubeconfig context\n"
        "- `x`: y\n"
        "- **runners** -- plans the GitLab stack\n"
        "- `gpu` lanes run on honey\n"
        "- Use `gpu` - then wait\n"
        "\n"
        "`ATTIC_CACHE`: the cache to push to.\n"
        "\n"
        "| `l40s` — NVIDIA |\n"
        "|---|\n"
    )
    sentences = extract(SourceFile("a.md", text, "markdown")).records["sentences"]
    assert [(s["text"], s.get("term", "")) for s in sentences] == [
        ("NVIDIA_VISIBLE_DEVICES=all — expose all GPUs.", "NVIDIA_VISIBLE_DEVICES=all"),
        ("Then more.", ""),  # the entry's first sentence only
        ("cluster_context -- the kubeconfig context", "cluster_context"),
        ("x: y", "x"),
        ("runners -- plans the GitLab stack", ""),  # bold is not a term
        ("gpu lanes run on honey", ""),  # no separator after the code
        ("Use gpu - then wait", ""),  # the code does not open the item
        ("ATTIC_CACHE: the cache to push to.", "ATTIC_CACHE"),
        ("l40s — NVIDIA", ""),  # a table cell is not a reference entry
    ]


def test_sentences_carry_their_inline_code() -> None:
    text = (
        "We need `attic` and `nix`. To get `attic` fast. Plain.\n\n- `a` — b `c`\n\n"
        "Run `make ci. Then` the GPU lane.\n"
    )
    sentences = extract(SourceFile("a.md", text, "markdown")).records["sentences"]
    assert [(s["text"], s.get("codes", [])) for s in sentences] == [
        ("We need attic and nix.", ["attic", "nix"]),
        ("To get attic fast.", ["attic"]),
        ("Plain.", []),
        ("a — b c", ["a", "c"]),
        ("Run make ci.", ["make ci. Then"]),  # a code span in two sentences is in both
        ("Then the GPU lane.", ["make ci. Then"]),
    ]


def test_table_rows_carry_their_prose_without_inline_code() -> None:
    text = (
        "| Feature | GitLab CI | GitHub Actions |\n|---|---|---|\n"
        "| Config file | `.gitlab-ci.yml` | `.github/workflows/*.yml` |\n"
        "| Scaling | HPA `(warm)` too | ARC |\n"
    )
    sentences = extract(SourceFile("a.md", text, "markdown")).records["sentences"]
    rows = {(s["row"], s["row_prose"]) for s in sentences if s["block"] == "table_cell"}
    assert rows == {
        ("Feature | GitLab CI | GitHub Actions", "Feature | GitLab CI | GitHub Actions"),
        ("Config file | .gitlab-ci.yml | .github/workflows/*.yml", "Config file |  | "),
        ("Scaling | HPA (warm) too | ARC", "Scaling | HPA too | ARC"),
    }


def test_list_items_carry_the_sentence_that_leads_into_their_list() -> None:
    text = (
        "# T\n\nSome prose. An enabled caller supplies:\n\n<!-- a comment -->\n"
        "- the group;\n- a matrix naming `darwin`:\n  - nested\n- macOS\n  - 2 VMs\n\n"
        "Other text.\n\n- no colon before\n\nIntro:\n\n```sh\nx\n```\n\n- after code\n\n"
        "| a |\n|---|\n| cell: |\n\n- after a table\n\n> Quoted:\n>\n> - in the quote\n\n"
        "> Quoted last:\n\n- after the quote\n"
    )
    sentences = extract(SourceFile("a.md", text, "markdown")).records["sentences"]
    items = [(s["text"], s.get("lead", "")) for s in sentences if s["block"] == "list_item"]
    assert items == [
        ("the group;", "An enabled caller supplies:"),
        ("a matrix naming darwin:", "An enabled caller supplies:"),
        ("nested", "a matrix naming darwin:"),
        ("macOS", "An enabled caller supplies:"),
        ("2 VMs", "An enabled caller supplies:"),  # nested in an item leading into nothing
        ("no colon before", ""),
        ("after code", ""),
        ("after a table", ""),
        ("in the quote", "Quoted:"),
        ("after the quote", ""),  # a quote's last words lead into no list outside it
    ]


def test_table_cells_carry_the_sentence_that_leads_into_their_table() -> None:
    text = (
        "Types available:\n\n| A | B |\n|---|---|\n| x | y |\n\nNo colon.\n\n"
        "| C |\n|---|\n| z |\n\n- item\n\nLead:\n\n```\ncode\n```\n\n| D |\n|---|\n| w |\n"
    )
    sentences = extract(SourceFile("a.md", text, "markdown")).records["sentences"]
    cells = [(s["text"], s.get("lead", "")) for s in sentences if s["block"] == "table_cell"]
    assert cells == [
        ("A", "Types available:"),
        ("B", "Types available:"),
        ("x", "Types available:"),
        ("y", "Types available:"),
        ("C", ""),
        ("z", ""),
        ("D", ""),  # a code block between: it leads into the code, not the table
        ("w", ""),
    ]


def test_items_of_a_nested_list_carry_the_item_it_is_nested_in() -> None:
    text = (
        "- macOS [^1]\n  - 12 (Monterey)\n  - 13\n- Windows\n  - 10\n\n"
        "Intro:\n\n- a:\n  - b\n    - c\n- d\n\n> - q\n>   - r\n\n"
        "1. one\n   more of it\n   - sub\n\nAfter.\n\n- top\n"
    )
    sentences = extract(SourceFile("a.md", text, "markdown")).records["sentences"]
    items = [(s["text"], s.get("parent", "")) for s in sentences if s["block"] == "list_item"]
    assert items == [
        ("macOS [^1]", ""),
        ("12 (Monterey)", "macOS [^1]"),
        ("13", "macOS [^1]"),
        ("Windows", ""),
        ("10", "Windows"),
        ("a:", ""),
        ("b", "a:"),
        ("c", "b"),
        ("d", ""),
        ("q", ""),
        ("r", "q"),
        ("one more of it", ""),
        ("sub", "one more of it"),
        ("top", ""),
    ]


def test_sentences_carry_the_one_before_them_in_their_block() -> None:
    text = "One. Two here.\nThree.\n\nNew block.\n\n- item one. item two\n"
    sentences = extract(SourceFile("a.md", text, "markdown")).records["sentences"]
    assert [(s["text"], s.get("prev", "")) for s in sentences] == [
        ("One.", ""),
        ("Two here.", "One."),
        ("Three.", "Two here."),
        ("New block.", ""),
        ("item one.", ""),
        ("item two", "item one."),
    ]


def test_front_matter_description_is_prose() -> None:
    text = (
        "---\ntemplate: home.html\ntitle: Build macOS VMs\n"
        "description: Native speed.  Many integrations, GitLab too.\n"
        "tags: [a]\n---\n\n# Home\n"
    )
    extraction = extract(SourceFile("docs/index.md", text, "markdown"))
    got = [(s["block"], s["text"], s["line"], s["column"]) for s in extraction.records["sentences"]]
    assert got == [
        ("front_matter", "Native speed.", 4, 14),
        ("front_matter", "Many integrations, GitLab too.", 4, 29),
        ("heading", "Home", 8, 3),
    ]
    assert column_of(source_lines(text), 4, "Many") == 29
    # each sentence stands where its words are: on the lines of a folded or
    # plain multi-line value, after a quote, across an escape (a reworded
    # suggestion replaces exactly these columns)
    for text, want in [
        (
            "---\ndescription: >\n  One line.\n  Two line.\n---\n",
            [("One line.", 3, 3, 3, 12), ("Two line.", 4, 3, 4, 12)],
        ),
        (
            "---\r\ndescription: Plain one.\r\n  Plain two.\r\n---\r\n",
            [("Plain one.", 2, 14, 2, 24), ("Plain two.", 3, 3, 3, 13)],
        ),
        (
            '---\ndescription: "Say \\"GitLab\\". Next."\n---\n',
            [('Say "GitLab".', 2, 15, 2, 30), ("Next.", 2, 31, 2, 36)],
        ),
    ]:
        sentences = extract(SourceFile("a.md", text, "markdown")).records["sentences"]
        got = [
            (s["text"], s["line"], s["column"], s["end_line"], s["end_column"]) for s in sentences
        ]
        assert got == want


def callout_facts(out: Extraction) -> list[tuple[str, Any, Any, int]]:
    """Each sentence's text, call-out kind and title, and line."""
    return [
        (s["text"], s.get("admonition"), s.get("admonition_title"), s["line"])
        for s in out.records["sentences"]
    ]


def test_admonitions_carry_their_kind_and_title_and_lose_their_markers() -> None:
    text = (
        ":::warning\nAddon forges are experimental. They can break.\n:::\n\n"
        ":::tip[Use the cache]\nGitLab runners are here.\n:::\n\n"
        '!!! warning "Limits of KVM"\n    It takes a minute.\n    KVM VMs are `small`.\n\n'
        '??? tip "FreeBSD caveats"\n\n    Vanilla FreeBSD VMs set no `HOME`.\n\n'
        "    ```yaml\n    env: {HOME: /tmp}\n    ```\n\n"
        "- item\n\n    !!! note\n        Nested in the item.\n\n"
        "After.\n\n> [!IMPORTANT]\n> macOS runners are experimental.\n\n"
        "```\n:::note\nnot a directive\n:::\n```\n"
    )
    out = run(text)
    lines = source_lines(text)
    assert callout_facts(out) == [
        ("Addon forges are experimental.", "warning", "", 2),
        ("They can break.", "warning", "", 2),
        ("GitLab runners are here.", "tip", "Use the cache", 6),
        ("It takes a minute.", "warning", "Limits of KVM", 10),
        ("KVM VMs are small.", "warning", "Limits of KVM", 11),
        ("Vanilla FreeBSD VMs set no HOME.", "tip", "FreeBSD caveats", 15),
        ("item", None, None, 21),
        ("Nested in the item.", "note", "", 24),
        ("After.", None, None, 26),
        ("macOS runners are experimental.", "important", "", 29),
    ]
    assert_located(out, lines)
    code = {(c["text"], c["line"], c["column"]) for c in out.records["code"]}
    assert ("env: {HOME: /tmp}", 18, 5) in code  # a code block in the body stays code
    assert (":::note\nnot a directive\n:::", 32, 1) in code  # markers in code are code
    assert ("small", 11, column_of(lines, 11, "small")) in code
    crlf = run(text.replace("\n", "\r\n")).records["sentences"]
    assert [(s["text"], s.get("admonition"), s["line"], s["column"]) for s in crlf] == [
        (s["text"], s.get("admonition"), s["line"], s["column"]) for s in out.records["sentences"]
    ]


def test_a_block_right_before_a_code_block_says_so() -> None:
    text = (
        "Run it. Like this:\n\n```sh\nrun\n```\n\n"
        "1. Install it.\n\n   For Amazon Linux 2023:\n\n   ```sh\n   dnf install x\n   ```\n\n"
        "- macOS runners:\n  - signing\n\n# Next\n\n```\nafter a heading\n```\n\n"
        "| a |\n|---|\n| b |\n\n```\nafter a table\n```\n"
    )
    sentences = run(text).records["sentences"]
    assert [s["text"] for s in sentences if s.get("before_code")] == [
        "Like this:",
        "For Amazon Linux 2023:",
        "Next",  # a heading is a block too
    ]


def test_sentences_carry_the_alt_text_of_their_blocks_images() -> None:
    text = (
        "![logo](logo.png)\n\n| Image | Label |\n|---|---|\n"
        "| macOS 14 [![deprecated](d.svg)](https://x) | `macos-14` |\n"
        "| macOS 15 ![beta](b.svg) ![Endpoint Badge](e.svg) | `macos-15` |\n\n"
        "Plain text. More of it ![new *shiny*](n.png).\n"
    )
    sentences = run(text).records["sentences"]
    assert [(s["text"], s.get("images", "")) for s in sentences] == [
        ("Image", ""),
        ("Label", ""),
        ("macOS 14", "deprecated"),
        ("macos-14", ""),
        ("macOS 15", "beta | Endpoint Badge"),
        ("macos-15", ""),
        ("Plain text.", "new shiny"),
        ("More of it .", "new shiny"),  # the image leaves its space
    ]


def test_mdx_components_are_markup_and_their_children_prose() -> None:
    """In an .mdx file a component's tag lines and the ESM lines are not prose, and
    its children are Markdown however far they are indented; in an .md file the
    same tag starts an HTML block, whose lines are not prose."""
    text = (
        'import { Tabs, Tab } from "fumadocs-ui/components/tabs";\n\n'
        "# Install\n\n"
        '<Tabs items={["Docker", "Nix"]}>\n'
        '  <Tab value="Docker">\n'
        "    The image runs on ARM64 hosts.\n\n"
        "    ```bash\n    docker run image\n    ```\n"
        "  </Tab>\n"
        "</Tabs>\n\n"
        '<Accordion\n  title="What platforms does it run on?"\n>\n'
        "    Linux and macOS on ARM64.\n"
        "    - Windows is experimental.\n"
        "</Accordion>\n\n"
        '<Callout type="warn" title="Experimental">\n'
        "  GPU workers are a preview.\n"
        "</Callout>\n\n"
        '<Steps />\n\n<Callout type="tip" />\n  After.\n\n'
        "<Broken\n\nA tag that never ends is prose.\n"
    )
    out = extract(SourceFile("docs/install.mdx", text, "markdown"))
    lines = source_lines(text)
    got = [
        (s["text"], s["block"], s.get("admonition"), s.get("admonition_title"), s["line"])
        for s in out.records["sentences"]
    ]
    assert got == [
        ("Install", "heading", None, None, 3),
        ("The image runs on ARM64 hosts.", "paragraph", None, None, 7),
        (
            "Linux and macOS on ARM64.",
            "paragraph",
            "accordion",
            "What platforms does it run on?",
            18,
        ),
        (
            "Windows is experimental.",
            "list_item",
            "accordion",
            "What platforms does it run on?",
            19,
        ),
        ("GPU workers are a preview.", "paragraph", "warn", "Experimental", 23),
        ("After.", "paragraph", None, None, 29),
        ("<Broken", "paragraph", None, None, 31),
        ("A tag that never ends is prose.", "paragraph", None, None, 33),
    ]
    assert_located(out, lines)
    assert ("docker run image", 10, 5) in {
        (c["text"], c["line"], c["column"]) for c in out.records["code"]
    }
    as_markdown = texts(extract(SourceFile("docs/install.md", text, "markdown")))
    assert "Linux and macOS on ARM64." not in as_markdown


_MDX_BITS = st.sampled_from(
    [
        *("Word", "é", "😀", ". ", " ", "  ", "\t", "\n", "\r\n", "\n\n", "- ", "`c`"),
        *("<Tab>\n", "</Tab>\n", '<Callout type="warn">\n', "</Callout>\n", "<Steps />\n"),
        *("<Accordion\n", ' title="T"\n', ">\n", "import x from 'y'\n", "```\n", ":::note\n"),
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_MDX_BITS, max_size=60).map("".join))
def test_every_mdx_sentence_character_locates_to_itself(text: str) -> None:
    """Unindented component children keep their source positions."""
    out = extract(SourceFile("doc.mdx", text, "markdown"))
    lines = source_lines(text)
    assert_characters_locate(out, lines)


def test_a_row_whose_cells_but_the_first_are_links_only() -> None:
    text = (
        "| Section | Guides |\n"
        "|---|---|\n"
        "| **Advanced** | [Providers](p.md) · [Gitea](g.md) |\n"
        "| **Forges** | [Gitea](g.md) · supported |\n"
        "| [Gitea](g.md) | [guide](g.md) |\n"
        "| [Gitea](g.md) | yes |\n"
        "| [Gitea](g.md) |\n"
    )
    sentences = extract(SourceFile("a.md", text, "markdown")).records["sentences"]
    rows = {(s["line"], s.get("row_links_only", False)) for s in sentences}
    # every cell of a row carries the row's fact; a row of one cell has no others
    assert rows == {(1, False), (3, True), (4, False), (5, True), (6, False), (7, False)}


def test_sentences_carry_the_note_their_page_opens_with() -> None:
    opened = run(
        "---\ntitle: Krunkit\n---\n# Krunkit\n\n> **Warning**\n> It is experimental.\n\n"
        "It runs VMs.\n\n> A later quote.\n"
    ).records["sentences"]
    assert {s["text"]: s.get("page_note") for s in opened} == {
        "Krunkit": None,
        "Warning It is experimental.": None,  # the note is judged by its own words
        "It runs VMs.": "Warning It is experimental.",
        "A later quote.": "Warning It is experimental.",
    }
    directive = run(":::warning[Experimental]\nThe driver is in beta.\n:::\n\nIt runs VMs.\n")
    assert [s.get("page_note") for s in directive.records["sentences"]] == [
        None,
        "The driver is in beta.",  # the title hedges the call-out's own body only
    ]
    later = run("# Title\n\nIt runs VMs.\n\n> Experimental: not yet.\n").records["sentences"]
    after_code = run("# Title\n\n```sh\nrun\n```\n\n> Experimental.\n\nIt runs VMs.\n")
    assert all("page_note" not in s for s in later + after_code.records["sentences"])


def test_myst_directives_that_hold_prose_are_read_and_code_directives_stay_code() -> None:
    text = (
        "`````{tab-set}\n\n````{tab-item} macOS\n:sync: macos\n\n"
        "VirtualBox runs the VMs.\n\n```{code-block} text\nbrew install tool\n```\n\n"
        "````\n\n`````\n\n"
        "```{note} Heads up\nGPU runners are experimental.\n```\n\n"
        ":::{warning}\nIt can break.\n:::\n\n"
        "~~~{deprecated} 1.2\nThe old driver is gone.\n~~~\n\n"
        "```{toctree}\nintro\n```\n\n```python\n```{note}\n```\n"
    )
    out = run(text)
    lines = source_lines(text)
    assert callout_facts(out) == [
        ("VirtualBox runs the VMs.", None, None, 6),
        ("GPU runners are experimental.", "note", "Heads up", 17),
        ("It can break.", "warning", "", 21),
        ("The old driver is gone.", "deprecated", "1.2", 25),
    ]
    assert_located(out, lines)
    code = {(c["text"], c["line"]) for c in out.records["code"]}
    assert ("brew install tool", 9) in code  # a code directive in a tab stays code
    assert ("intro", 29) in code
    assert ("```{note}", 33) in code  # a directive inside code is code


def test_myst_target_and_comment_lines_are_markup_not_sentences() -> None:
    text = "(install-linux)=\n# Install on Linux\n\n% TODO: the macOS tab\nIt runs on Linux.\n"
    out = run(text)
    assert [(s["text"], s["line"]) for s in out.records["sentences"]] == [
        ("Install on Linux", 2),
        ("It runs on Linux.", 5),
    ]
    assert_located(out, source_lines(text))
    # a target line alone is enough to be read as MyST; in code it stays code
    code = run("```text\n(install-linux)=\n```\n").records["code"]
    assert [c["text"] for c in code] == ["(install-linux)="]
    # a comment line needs a page that is MyST by another line outside code: on a
    # Docusaurus or MkDocs page a paragraph wrapped onto "% of jobs" keeps that line
    for page in (
        ":::note\nHeads up.\n:::\n",
        "!!! note\n    Heads up.\n",
        "```md\n```{note}\n```\n",
    ):
        out = run(page + "\nThe pool runs 90\n% of jobs on Linux.\n")
        assert "The pool runs 90 % of jobs on Linux." in [
            s["text"] for s in out.records["sentences"]
        ]
    out = run("```{note}\nHeads up.\n```\n\nThe pool runs.\n% of jobs on Linux.\n")
    assert [s["text"] for s in out.records["sentences"]] == ["Heads up.", "The pool runs."]


def test_a_lone_carriage_return_ends_a_line_for_the_admonition_pass_too() -> None:
    # found by the hypothesis test below: the MkDocs body's shift landed a line early
    text = "\r:::note\n!!! tip\n    Word"
    out = run(text)
    assert_characters_locate(out, source_lines(text))
    assert [(s["text"], s["line"], s["column"]) for s in out.records["sentences"]] == [
        (":::note", 2, 1),
        ("Word", 4, 5),
    ]
