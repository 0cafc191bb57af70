"""The prescreen never drops a record that can produce a hit.

Three levels: the literal condition of a pattern holds wherever the ``regex``
package finds a match (hypothesis, over generated patterns and text); the
hyperscan search keeps every record whose value satisfies it; and whole
evaluations give the same hits and findings with and without the prescreen,
over the fixture repos, every policy test case and generated sentences.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import regex
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from engine.core.errors import ProofgateError
from engine.core.resources import shipped_policies
from engine.dsl.checker import check_program
from engine.dsl.literals import FOLDS_TO_ASCII, condition, literals, satisfied
from engine.dsl.parser import parse
from engine.dsl.program import CheckedClause
from engine.dsl.regex import RegexError, compile_regex
from engine.evaluate import prescreen
from engine.evaluate import run as evaluate_run
from engine.evaluate.prefilter import _maybe, prefilter
from engine.evaluate.prescreen import Database, Screen, Search
from engine.evaluate.reference import Evaluator
from engine.evaluate.run import InputModel, candidates, evaluate
from engine.pack import PolicySet, load_policies
from tests.support import run_check

REPO = Path(__file__).resolve().parents[2]
HYPERSCAN = prescreen._hyperscan() is not None
needs_hyperscan = pytest.mark.skipif(not HYPERSCAN, reason="hyperscan is not installed")


@pytest.fixture(scope="module")
def pack() -> PolicySet:
    return load_policies([shipped_policies()])


@pytest.fixture
def always(monkeypatch: pytest.MonkeyPatch) -> None:
    """The prescreen on every collection, however small."""
    monkeypatch.setattr(prescreen, "MIN_RECORDS", 0)


# --- the literal condition ----------------------------------------------------------------


def test_folds_to_ascii_is_what_regex_folds() -> None:
    """The only non-ASCII characters an ASCII pattern character matches (``/i``),
    with the ASCII letters they match, checked over every code point."""
    everything = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000)
    ascii_class = regex.compile(r"[\x00-\x7f]", regex.IGNORECASE | regex.V0)
    assert set(ascii_class.findall(everything)) == set(FOLDS_TO_ASCII)
    for char, letter in FOLDS_TO_ASCII.items():
        for pattern in ("{}", "[{}]"):
            matched = {
                chr(a)
                for a in range(0x80)
                if regex.fullmatch(
                    pattern.format(regex.escape(chr(a))), char, regex.IGNORECASE | regex.V0
                )
            }
            assert matched and {m.lower() for m in matched} == {letter}
    assert not regex.compile(r"[\x00-\x7f]", regex.V0).search(everything)
    assert regex.compile("ss", regex.IGNORECASE | regex.V0).search("ß") is None  # no full folding


@pytest.mark.parametrize(
    ("source", "flags", "text"),
    [
        (r"\b(?<forge>gitlab|forgejo)\b", "i", "We run GITLAB."),
        (r"\bkvm\b", "i", "a \u212avm host"),  # the Kelvin sign folds to k
        (r"(?i:x)|kvm", "", "kvm"),
        ("\u017fsh", "i", "SSH"),  # long s folds to s
        (r"\bcaf\w\b", "", "un café"),
        (r"\btpu", "", "—tpu"),
        (r"\b-gpu", "", "é-gpu"),  # \b next to a non-word character is not searched
        (r"-\bgpu", "", "-gpu"),
        (r"gpu\b-", "", "gpu-"),
        (r"[]k]vm", "i", "KVM"),
        (r"a{,2}bcd", "", "bcd"),
        (r"(?>ab|a)bcd", "", "abbcd"),
        (r"(?=abc)abcd", "", "abcd"),
        (r"(?<=x)abc", "", "xabc"),
        (r"^abc$|^def", "m", "q\nabc\n"),
        (r"remote\s+cache", "i", "REMOTE\u00a0cache"),
        (r"[İ]stanbul", "i", "istanbul"),
        ("Ist", "i", "\u0131st"),  # dotless i folds to I
    ],
)
def test_condition_holds_where_regex_matches(source: str, flags: str, text: str) -> None:
    try:
        compiled = compile_regex(source, flags)
    except RegexError:
        pytest.skip("not a policy regex")
    assert compiled.finditer(text)
    assert satisfied(condition(source, flags), text, "i" in flags)


def test_conditions_of_the_pack_are_useful(pack: PolicySet) -> None:
    """Most regexes of the shipped pack yield a condition (else the prescreen is idle),
    read as the prescreen reads them: a pattern with ledger words by its template,
    where each slot is a token resolved per run (its static source has the slots
    empty, `(?!)`, which yields no condition)."""
    atoms = list(pack.program.atoms.values())
    found = [a for a in atoms if condition(a.template or a.regex.source, a.regex.flags) is not None]
    assert len(found) >= 0.8 * len(atoms)
    forge = condition(r"\b(?<forge>gitlab|forgejo)\b", "i")
    assert forge is not None and literals(forge) == {"\0gitlab\0", "\0forgejo\0"}


# Pattern and text pieces chosen to collide: case, folding characters, word
# boundaries next to non-ASCII letters, whitespace, separators.
ALPHABET = ["a", "b", "k", "s", "i", "I", "K", "S", "-", " ", ".", "\n", "_", "1", "é", "ß", "😀"]
ALPHABET += ["\u212a", "\u017f", "\u0131", "\u0130", "\u00a0"]
ATOMS = ["a", "b", "k", "s", "i", "K", "S", "-", " ", r"\.", ".", "é", "\u017f", r"\x6b", r"\n"]
ATOMS += [r"\w", r"\W", r"\s", r"\S", r"\d", "[ab]", "[^a]", "[k-m]", "[]a]", "[a-]", r"[\w-]"]
ATOMS += ["^", "$", r"\b", r"\B", r"\A", r"\Z", "(?=a)", "(?!b)", "(?<=a)", "(?<!k)"]
ATOMS += ["ab", "kvm", "sab", "abk", "is", "ss"]


def patterns() -> st.SearchStrategy[str]:
    def group(inner: str, kind: str) -> str:
        return f"({kind}{inner})"

    quantifiers = ["", "", "*", "+", "?", "{2}", "{0,2}", "{1,}", "{,1}", "*?", "+?", "??", "++"]
    leaf = st.tuples(st.sampled_from(ATOMS), st.sampled_from(quantifiers)).map("".join)
    return st.recursive(
        st.lists(leaf, min_size=1, max_size=4).map("".join),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map("".join),
            st.lists(inner, min_size=2, max_size=3).map("|".join),
            st.tuples(inner, st.sampled_from(["", "?:", "?<g>", "?>", "?=", "?<="])).map(
                lambda p: group(*p)
            ),
            st.tuples(inner, st.sampled_from(quantifiers)).map(lambda p: f"(?:{p[0]}){p[1]}"),
        ),
        max_leaves=8,
    )


def texts() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from([*ALPHABET, "kvm", "abk", "sab", "ss"]), max_size=12).map(
        "".join
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    patterns(),
    st.sampled_from(["", "i", "m", "s", "im"]),
    st.lists(st.one_of(texts(), st.none()), max_size=6),
)
@example("kvm", "i", [None, "a kvm", None, "sab", "KVM"])
def test_no_condition_no_match(source: str, flags: str, values: list[str | None]) -> None:
    """Where the ``regex`` package finds a match, the condition holds, and the
    hyperscan search keeps the record (values joined as the engine joins them;
    a record without the field, None, is not searched and never kept)."""
    try:
        compiled = compile_regex(source, flags)
    except RegexError:
        assume(False)
        return
    found = condition(source, flags)
    caseless = "i" in flags
    strings = {i: value for i, value in enumerate(values) if value is not None}
    matching = {i for i, value in strings.items() if compiled.finditer(value)}
    for i in matching:
        assert satisfied(found, strings[i], caseless), (source, flags, strings[i], found)
    if HYPERSCAN and found is not None:
        screen = Screen(("text",), caseless, found)
        database = Database.build([screen])
        assert database is not None
        records: list[Any] = [{} if value is None else {"text": value} for value in values]
        kept = Search(database, records, ("text",)).maybe(screen)
        assert matching <= kept, (source, flags, values, found)
        reference = {i for i, value in strings.items() if satisfied(found, value, caseless)}
        assert reference <= kept <= set(strings)


# --- the compiled prefilter ---------------------------------------------------------------

WORDS = ["GitLab", "forgejo", "supports", "planned", "FlakeHub", "boot", "not", "é", "x"]
CONDITIONS = [
    "s.text matches /gitlab/i",
    "s.text matches /(?<w>supports|planned)/",
    's.text contains "boot"',
    "s.line > 2",
    'ledger.repo == "o/r"',
    'some h in s.headings { h == "Intro" }',
    "count(s.headings) == 0",
    's.block != "heading"',
    "s.line == 2",
    's.front_matter["surface"] == "notes"',
    "s.link_only",
    "s.text == s.row",
]


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.sampled_from(CONDITIONS),
        lambda inner: st.one_of(
            st.tuples(inner, inner).map(lambda p: f"({p[0]} and {p[1]})"),
            st.tuples(inner, inner).map(lambda p: f"({p[0]} or {p[1]})"),
            inner.map(lambda c: f"not ({c})"),
        ),
        max_leaves=6,
    ),
    st.lists(st.sampled_from(WORDS), max_size=5).map(" ".join),
    st.integers(1, 4),
    st.lists(st.sampled_from(["Intro", "Usage"]), max_size=2),
    st.fixed_dictionaries(
        {},
        optional={
            "block": st.sampled_from(["heading", "paragraph", 1]),
            "front_matter": st.sampled_from([{}, {"surface": "notes"}, {"surface": 1}, []]),
            "link_only": st.sampled_from([True, False, 0, "x"]),
            "row": st.sampled_from(["GitLab", "x", 2]),
        },
    ),
)
def test_compiled_prefilter_is_the_specification(
    condition_text: str, text: str, line: int, headings: list[str], more: dict[str, Any]
) -> None:
    source = (
        'policy p { rationale "r" fix "f" deny for s in sentences '
        f'where {condition_text} message "m" }}'
    )
    try:
        program = check_program([parse(source, "p.policy")])
    except ProofgateError:
        assume(False)
        return
    (clause,) = program.clauses
    record = {"path": "a.md", "line": line, "text": text, "headings": headings, **more}
    evaluator = Evaluator(program, {}, {})
    assert clause.clause.where is not None
    expected = _maybe(evaluator, clause.clause.where, clause.main_var, dict(record))
    assert prefilter(program, clause)(dict(record)) == (expected is not False)


def test_an_or_of_regex_tests_screens(always: None) -> None:
    """A top-level ``or`` of regex tests on the main record is a necessary condition:
    a record where none of its patterns' literals occurs is dropped."""
    program = check_program(
        [parse(_one_clause("s.row matches /attic/i or s.text matches /bazel cache/i"), "p.policy")]
    )
    (clause,) = program.clauses
    (screens,) = prescreen.clause_screens(program, clause)
    assert [screen.path for screen in screens] == [("row",), ("text",)]
    if not HYPERSCAN:
        return
    records: list[Any] = [
        {"row": "Attic | yes", "text": "x"},
        {"row": "x", "text": "the Bazel cache"},
        {"row": "x", "text": "the Bazel remote cache"},
        {"row": 3, "text": "none"},
    ]
    model = InputModel({"sentences": records}, {})
    assert prescreen.prescreened(program, clause, model, records) == records[:2]


def test_an_or_with_a_test_without_literals_screens_nothing() -> None:
    program = check_program(
        [parse(_one_clause('s.row matches /attic/i or s.block == "x"'), "p.policy")]
    )
    (clause,) = program.clauses
    assert prescreen.clause_screens(program, clause) == ()


def _one_clause(where: str) -> str:
    return (
        'policy p { rationale "r" fix "f" deny for s in sentences '
        f'where s.cell == 0 and ({where}) message "m" }}'
    )


# --- whole evaluations ----------------------------------------------------------------------


def case_roots() -> list[Path]:
    repos = REPO / "fixtures" / "repos"
    roots = [repos / "gf-drifting", repos / "gf-compliant"]
    roots += sorted(p for p in (REPO / "policies" / "tests").glob("*/*") if p.is_dir())
    return roots


def model_of(pack: PolicySet, root: Path, monkeypatch: pytest.MonkeyPatch) -> InputModel:
    """The input model a check of ``root`` evaluates."""
    captured: list[InputModel] = []

    def capture(program: Any, modules: Any, model: InputModel, *args: Any, **kw: Any) -> list[Any]:
        captured.append(model)
        return []

    with monkeypatch.context() as patch:
        patch.setattr(evaluate_run, "evaluate", capture)
        run_check(pack, root, [])
    assert captured
    return captured[0]


def fresh(model: InputModel) -> InputModel:
    """The model with copies of its records (no regex matches remembered)."""
    return InputModel(
        {name: [dict(r) for r in records] for name, records in model.collections.items()},
        model.ledger,
    )


def all_hits(pack: PolicySet, model: InputModel, screened: bool) -> Iterator[tuple[str, int]]:
    """Every clause's hits by the reference evaluator, as (clause, record index):
    over the candidates, or over every record of the first generator."""
    evaluator = Evaluator(pack.program, model.collections, model.ledger)
    for checked in pack.program.clauses:
        everything = candidates(pack.program, checked, model, prefilter=False)
        index = {id(r): i for i, r in enumerate(everything)}
        chosen = candidates(pack.program, checked, model) if screened else everything
        for hit in evaluator.hits(checked, chosen):
            yield checked.key, index[id(chosen[hit["i"]])]


@needs_hyperscan
@pytest.mark.usefixtures("always")
def test_same_hits_on_every_case_repo(pack: PolicySet, monkeypatch: pytest.MonkeyPatch) -> None:
    screened_any = 0
    for root in case_roots():
        model = model_of(pack, root, monkeypatch)
        expected = sorted(all_hits(pack, fresh(model), screened=False))
        assert sorted(all_hits(pack, fresh(model), screened=True)) == expected, root
        screened_any += bool(expected)
    assert screened_any > 20


@needs_hyperscan
@pytest.mark.usefixtures("always")
@pytest.mark.parametrize("name", ["gf-drifting", "gf-compliant"])
def test_same_findings_on_fixture_repos(
    pack: PolicySet, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_of(pack, REPO / "fixtures" / "repos" / name, monkeypatch)
    unfiltered = evaluate(pack.program, pack.modules, fresh(model), prefilter=False)
    assert evaluate(pack.program, pack.modules, fresh(model)) == unfiltered
    if name == "gf-drifting":
        assert unfiltered


def test_candidates_kept_as_extracted_are_the_candidates(
    pack: PolicySet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check chooses each clause's candidates while it extracts, and marks them: the
    evaluation takes them as marked, the same records choosing again would give;
    one record without the run's mark and it chooses again."""
    captured: list[tuple[InputModel, Any]] = []

    def capture(program: Any, modules: Any, model: InputModel, *args: Any, **kw: Any) -> list[Any]:
        captured.append((model, kw.get("kept")))
        return []

    with monkeypatch.context() as patch:
        patch.setattr(evaluate_run, "evaluate", capture)
        run_check(pack, REPO / "fixtures" / "repos" / "gf-drifting", [])
    ((model, mark),) = captured
    assert isinstance(mark, str)
    local = [c for c in pack.program.clauses if c.main_collection == "sentences"]
    chosen = 0
    for checked in local:
        marked = candidates(pack.program, checked, model, kept=mark)
        again = candidates(pack.program, checked, fresh(model))
        where = [(r["path"], r["line"], r["column"]) for r in marked]
        assert where == [(r["path"], r["line"], r["column"]) for r in again], checked.key
        chosen += len(marked)
    assert chosen
    sentences = model.collections["sentences"]
    del next(r for r in sentences if r[evaluate_run.KEPT][1])[evaluate_run.KEPT]
    unmarked = InputModel({"sentences": sentences}, model.ledger, model.params)
    for checked in local:
        assert candidates(pack.program, checked, unmarked, kept=mark) == candidates(
            pack.program, checked, unmarked
        )


_WORDS = (
    "GitLab gitlab GITLAB Forgejo forgejo-runner codeberg woodpecker gitea Gitea Bitbucket "
    "supports support supported available ready production parity integrates ships enabled "
    "runs on works with is the primary default canonical main forge platform host ci "
    "vcs-agnostic forge agnostic any forge multi-forge cross-forge already now fully mature "
    "planned roadmap experimental not never unlike compared versus later future "
    "FlakeHub flakehub install boot cache caches substitutes substituters at startup pull "
    "Attic attic bazel Bazel remote cache bazel-remote binary nix store paths publish release "
    "registry discovery requires required needs depends on must reach fail fails without "
    "honey Honey civo aws eks gke hetzner cluster baseline runners pool is becomes moved to "
    "gpu GPU kvm macos mac os x darwin apple silicon riscv output nix-vm-test tpu cuda "
    "optional optionally adjacent coming soon seamless production-ready multi-runner-class "
    "\u212avm \u017fubstitute \u0130nstall \u0131s café naïve — … “quoted” \u2018single\u2019 é 😀 "
    "; , . : ( ) / -"
)
VOCABULARY = _WORDS.split()


def generated_sentences(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        words = [rng.choice(VOCABULARY) for _ in range(rng.randint(0, 14))]
        text = "".join(w + rng.choice([" ", " ", " ", "  ", "\n", "\u00a0", ""]) for w in words)
        out.append(
            {
                "path": rng.choice(["README.md", "docs/a.md", "docs/index.md", "archive/x.md"]),
                "line": n + 1,
                "column": 1,
                "end_line": n + 1,
                "end_column": 2,
                "text": text.strip(),
                "block": rng.choice(["paragraph", "heading", "list", "table"]),
                "heading": rng.choice(["", "Roadmap", "History", "Runners", "Support"]),
                "headings": [],
                "table_header": rng.choice(["", "", "Primary forge", "default runner", "Status"]),
                "in_blockquote": rng.random() < 0.1,
            }
        )
    return out


@needs_hyperscan
@pytest.mark.usefixtures("always")
def test_same_hits_on_generated_sentences(pack: PolicySet, monkeypatch: pytest.MonkeyPatch) -> None:
    base = model_of(pack, REPO / "fixtures" / "repos" / "gf-drifting", monkeypatch)
    collections = dict(base.collections)
    collections["sentences"] = generated_sentences(2500, seed=7)
    model = InputModel(collections, base.ledger)
    expected = sorted(all_hits(pack, fresh(model), screened=False))
    assert len(expected) > 50
    assert sorted(all_hits(pack, fresh(model), screened=True)) == expected
    small = InputModel({**collections, "sentences": collections["sentences"][:400]}, base.ledger)
    unfiltered = evaluate(pack.program, pack.modules, fresh(small), prefilter=False)
    assert evaluate(pack.program, pack.modules, fresh(small)) == unfiltered


@pytest.mark.usefixtures("always")
def test_without_hyperscan_same_findings(pack: PolicySet, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ``import hyperscan`` fails, every record takes the exact path."""
    base = model_of(pack, REPO / "fixtures" / "repos" / "gf-drifting", monkeypatch)
    model = InputModel(
        {**base.collections, "sentences": generated_sentences(500, seed=3)}, base.ledger
    )
    with_hyperscan = evaluate(pack.program, pack.modules, fresh(model))
    monkeypatch.setattr(prescreen, "_HYPERSCAN", [])
    monkeypatch.setitem(sys.modules, "hyperscan", None)  # import hyperscan raises ImportError
    assert prescreen._hyperscan() is None
    program = load_policies([shipped_policies()]).program  # no database compiled yet
    assert all(
        prescreen.prescreened(program, c, model, model.collections["sentences"])
        is model.collections["sentences"]
        for c in program.clauses
        if c.main_collection == "sentences"
    )
    assert evaluate(program, pack.modules, fresh(model)) == with_hyperscan


@needs_hyperscan
@pytest.mark.usefixtures("always")
def test_prescreen_drops_records(pack: PolicySet) -> None:
    """It does screen: a clause's candidates skip records without its keywords."""
    sentences = generated_sentences(2000, seed=11)
    model = InputModel({"sentences": sentences}, {"present": False})
    checked = next(  # the first `named` clause: a forge named with a claim word
        c
        for c in pack.program.clauses
        if c.key.startswith("forge-claims-need-proof/") and c.rule.endswith("named")
    )
    kept = prescreen.prescreened(pack.program, checked, model, sentences)
    assert 0 < len(kept) < len(sentences) / 2
    forge = compile_regex(r"\b(gitlab|forgejo|gitea|woodpecker|codeberg)\b", "i")
    claim = compile_regex(r"\b(support|supports|supported|available)\b", "i")
    kept_ids = {id(k) for k in kept}
    dropped = [s for s in sentences if id(s) not in kept_ids]
    assert not any(forge.finditer(s["text"]) and claim.finditer(s["text"]) for s in dropped)


def test_copies_and_pickles_leave_the_memo_behind(pack: PolicySet) -> None:
    import copy
    import pickle

    program = load_policies([shipped_policies()]).program
    checked: CheckedClause = program.clauses[0]
    prefilter(program, checked)
    prescreen._plan(program)
    assert pickle.loads(pickle.dumps(checked)) == checked
    assert copy.deepcopy(program).clauses[0] == checked


@needs_hyperscan
def test_a_prepared_plan_from_the_cache_screens_small_collections_alike(
    pack: PolicySet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pack cache keeps the compiled databases (pickled as hyperscan's serialized
    form); adopted, they screen even a few records, with the same findings."""
    import pickle

    base = model_of(pack, REPO / "fixtures" / "repos" / "gf-drifting", monkeypatch)
    small = InputModel(
        {**base.collections, "sentences": generated_sentences(60, seed=11)}, base.ledger
    )
    expected = evaluate(pack.program, pack.modules, fresh(small), prefilter=False)
    program = load_policies([shipped_policies()]).program
    plan = pickle.loads(pickle.dumps(prescreen.prepared(program)))
    assert plan.ready and any(plan.databases.values())
    fresh_program = load_policies([shipped_policies()]).program
    prescreen.adopt(fresh_program, plan)
    sentences = small.collections["sentences"]
    screened = [
        prescreen.prescreened(fresh_program, c, small, sentences)
        for c in fresh_program.clauses
        if c.main_collection == "sentences"
    ]
    assert any(len(kept) < len(sentences) for kept in screened)  # fewer than MIN_RECORDS
    assert evaluate(fresh_program, pack.modules, fresh(small)) == expected
