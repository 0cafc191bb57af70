"""The rule-based sentence splitter."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.extract.sentences import split


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four.", ["One.", "Two!", "Three?", "Four."]),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ("(See below.) Next one.", ["(See below.)", "Next one."]),
        ("Version 2. 3 runners are up.", ["Version 2.", "3 runners are up."]),
        ("It passed. [Details] follow.", ["It passed.", "[Details] follow."]),
        ("Edit flake.nix. Then rebuild.", ["Edit flake.nix.", "Then rebuild."]),
        ("It takes 30 ms. The next one is faster.", ["It takes 30 ms.", "The next one is faster."]),
        ("Really?! Yes.", ["Really?!", "Yes."]),
        ("Loading... Done.", ["Loading...", "Done."]),
        ("No. That is wrong.", ["No.", "That is wrong."]),
        ("  padded sentence.  ", ["padded sentence."]),
        # a lower-case start after a single period: names such as macOS, iOS, npm
        (
            "Builds run on Linux images. macOS runners are planned.",
            ["Builds run on Linux images.", "macOS runners are planned."],
        ),
        (
            "Install the tools. npm ci runs the build.",
            ["Install the tools.", "npm ci runs the build."],
        ),
        ("Use the `gitlab` runner. then continue.", ["Use the `gitlab` runner.", "then continue."]),
        ('It said "done." iOS builds follow.', ['It said "done."', "iOS builds follow."]),
        (
            "Use Travis, Circle, etc. It is no longer required.",
            ["Use Travis, Circle, etc.", "It is no longer required."],
        ),
        # CJK full stops end a sentence with or without a space after them
        (
            "缓存很快。它支持 macOS\uff01真的吗\uff1f 是的。Done.",
            ["缓存很快。", "它支持 macOS\uff01", "真的吗\uff1f", "是的。", "Done."],
        ),
        ("「引号。」后面。", ["「引号。」", "后面。"]),
    ],
)
def test_splits(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Install Nix (e.g. With the installer) first.",
        "Use a cache, i.e. Attic, for speed.",
        "Bazel, Nix, etc. are all supported.",
        "Attic vs. Cachix is a fair question.",
        "Compare it, cf. The design notes.",
        "It takes approx. 3 minutes.",
        "Dr. Ruiz and Mr. Smith agreed.",
        "J. Smith wrote it.",
        "The U.S. Office runs it.",
        "See Fig. 2 for the layout.",
        "It is item No. 5 in the list.",
        "We ship v1.2.3 and 3.14 today.",
        "Put it in .bazelrc or flake.nix and rebuild.",
        "Fetch https://cache.nixos.org/nix-cache-info first.",
        "We waited... and it passed.",
        "Really? yes, it passed.",
        "Use a runner, e.g. macos-arm64, for it.",
        "Builds are fast; Attic is up.",
        "A line ending without punctuation\nContinues here.",
        "ends with e.g Something else.",
    ],
)
def test_does_not_split(text: str) -> None:
    assert len(split(text)) == 1


def test_empty_and_blank_text() -> None:
    assert split("") == []
    assert split(" \t\n ") == []


def test_offsets_point_into_the_text() -> None:
    text = "  First one.   Second one!  "
    assert split(text) == [(2, 12), (15, 26)]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_spans_are_ordered_trimmed_and_inside(text: str) -> None:
    previous_end = 0
    for start, end in split(text):
        assert previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip()
        previous_end = end


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Word", "word", ".", "!", "?", " ", "e.g.", "\n", '"', ")", "。", "字"])
    )
)
def test_spans_cover_every_visible_character(words: list[str]) -> None:
    text = "".join(words)
    covered = "".join(text[start:end] for start, end in split(text))
    assert "".join(covered.split()) == "".join(text.split())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Really?. Yes.", ["Really?.", "Yes."]),
        ("Done.) Next. And.", ["Done.)", "Next.", "And."]),
        ("Wait… Then go! Now? ok. Fine", ["Wait…", "Then go!", "Now? ok.", "Fine"]),
        ("Odd .?! Case", ["Odd .?!", "Case"]),
        ("End.\u2028Next", ["End.", "Next"]),
        ("Stop.\u00a0Go.", ["Stop.", "Go."]),
    ],
)
def test_mixed_terminator_runs_and_unicode_whitespace(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected
