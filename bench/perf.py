"""Benchmark ``proofgate check`` on two corpora: cold, warm and pre-commit runs.

Two corpora, side by side at each size:

- generated: copies of the 73-file unit of bench/corpus.py, the dense case (two
  findings a file, every one a regopy query);
- real (with ``--from CHECKOUT``, a fetched GloriousFlywheel checkout): copies
  of its docs/ and .github/ (bench/realdocs.py), sparse and long real docs,
  where the Markdown front end is the cost.

Each corpus is written and committed (git) in a temporary directory, then
checked by ``proofgate check --root CORPUS --format json`` as a subprocess:

- cold: ``CORPUS/.proofgate_cache`` and the user's cache (the compiled pack;
  the bench points ``XDG_CACHE_HOME`` at its own folder) removed before each run;
- first-run: only ``CORPUS/.proofgate_cache`` removed: a repo's first check on a
  machine where proofgate ran before (a fresh clone, a new worktree);
- warm: one untimed priming run (skipped right after cold runs, which prime
  the cache), then runs with nothing changed;
- pre-commit: an untimed priming run before each run (unless the previous run
  left the cache primed), then one sentence is appended to one doc and only
  that doc is checked
  (``proofgate check --root CORPUS DOC``); the doc is restored afterwards;
- parse-floor: bench/parse_floor.py on the corpus, the same way: what a Python
  tool pays to parse the files a check reads (markdown-it-py and PyYAML, no
  rules). first-run and cold times are also printed as a ratio to it.

Each run records wall time (perf_counter), CPU time and peak RSS of exactly
that child (``os.wait4``: its own and its waited-for descendants' CPU, and the
largest single high-water mark; concurrent worker processes are summed by a
sampler that reads /proc from 0.02 s on, then every 0.25 s, by proportional set
size, so that the pages fork()ed workers share with the parent count once; the
high-water mark only where it is above this bench's own pages, which it also
counts), the exit code (0 or 1, anything else
aborts with its stderr) and the findings. A run is killed above a memory or
time limit (``--max-rss``, ``--timeout``) or when the machine runs short of
memory. The Markdown table is followed by the cold-time growth per
size step, a loud flag when warm or repeated runs report other findings than
the first cold run, the corpus's expected findings per rule against the cold
run, and (``--semgrep``) semgrep with bench/semgrep/rules.yml on the same
corpus.

The bench-only dependencies (markdown-it-py for the parse floor, pyinstrument
and py-spy for profiles) are the ``bench`` extra: ``pip install -e '.[bench]'``.

Usage: python bench/perf.py [--sizes 1,10,100] [--repeat 3] [--semgrep]
                            [--from GLORIOUSFLYWHEEL_CHECKOUT] [--corpora generated,real]
                            [--proofgate CMD] [--cwd DIR]
                            [--modes cold,first-run,warm,pre-commit,parse-floor]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # bench/ is not a package: imported from its own folder
import realdocs

REPO = Path(__file__).resolve().parent.parent
SEMGREP_RULES = Path(__file__).resolve().parent / "semgrep" / "rules.yml"
CACHE_DIRECTORY = ".proofgate_cache"
PARSE_FLOOR = Path(__file__).resolve().parent / "parse_floor.py"
PRE_COMMIT_DOC = "docs/part-000/ops/runbook.md"  # of the generated corpus
MODES = ("cold", "first-run", "warm", "pre-commit", "parse-floor")
CORPORA = ("generated", "real")
USER_CACHE = "user-cache"  # XDG_CACHE_HOME of the runs, in the work directory

Finding = tuple[str, str, int, int, str]  # rule, path, line, column, message


class BenchError(Exception):
    pass


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mib: float
    code: int
    findings: list[Finding]


@dataclass
class Result:
    size: int
    files: int
    mode: str
    runs: list[Run] = field(default_factory=list)
    corpus: str = "generated"

    def walls(self) -> list[float]:
        return [r.wall for r in self.runs]

    @property
    def median(self) -> float:
        return statistics.median(self.walls())

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def rss(self) -> float:
        return max(r.rss_mib for r in self.runs)

    @property
    def findings(self) -> int:
        return len(self.runs[0].findings)


@dataclass
class Limits:
    """Kill a run whose process tree holds more than ``rss_mib`` or runs longer than
    ``seconds``: a corpus too large for the checker must not take the machine down."""

    rss_mib: float
    seconds: float
    min_available_mib: float = 2048  # ... or when the machine runs short of memory


def _tree_rss_kib(pid: int) -> int:
    """Memory of ``pid`` and its descendants (Linux /proc), in KiB: the sum of their
    proportional set sizes, so that pages a fork()ed worker shares with its
    parent count once (their resident sizes where /proc has no smaps_rollup)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            try:
                rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
                total += next(
                    int(x.split()[1]) for x in rollup.splitlines() if x.startswith("Pss:")
                )
            except (OSError, StopIteration):
                for line in Path(f"/proc/{current}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def _available_mib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def _watch(
    pid: int, limits: Limits, done: threading.Event, why: list[str], peak: list[float]
) -> None:
    started = time.monotonic()
    interval = 0.02  # sampled soon after the start too: a warm run takes 0.2 s
    while not done.wait(interval):
        interval = min(0.25, interval * 2)
        rss = _tree_rss_kib(pid) / 1024
        peak[0] = max(peak[0], rss)
        elapsed = time.monotonic() - started
        available = _available_mib()
        if rss > limits.rss_mib or elapsed > limits.seconds or available < limits.min_available_mib:
            why.append(
                f"killed after {elapsed:.0f} s at {rss:.0f} MiB with {available:.0f} MiB "
                f"left on the machine (limits: {limits.rss_mib:.0f} MiB, {limits.seconds:.0f} s, "
                f"{limits.min_available_mib:.0f} MiB available)"
            )
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            return


def _own_peak_mib() -> float:
    """This process's own high-water mark (a fork()ed child starts with it)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(cmd: list[str], cwd: Path, limits: Limits, parse: str = "proofgate") -> Run:
    """Run ``cmd`` once; its wall time, CPU time, peak RSS, exit code and findings."""
    own = _own_peak_mib()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        done, why, peak = threading.Event(), list[str](), [0.0]
        watcher = threading.Thread(
            target=_watch, args=(proc.pid, limits, done, why, peak), daemon=True
        )
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        watcher.join()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read().decode("utf-8", "replace")
    if why:
        raise BenchError(
            f"{shlex.join(cmd)}: {why[0]}; CPU {usage.ru_utime + usage.ru_stime:.0f} s, "
            f"peak RSS {usage.ru_maxrss / 1024:.0f} MiB"
        )
    if code not in (0, 1):
        raise BenchError(f"{shlex.join(cmd)} exited {code}:\n{stderr[-4000:]}")
    try:
        data = json.loads(stdout)
    except ValueError as exc:
        raise BenchError(
            f"{shlex.join(cmd)}: output is not JSON ({exc}):\n{stderr[-4000:]}"
        ) from exc
    if parse == "floor":
        findings: list[Finding] = []
    elif parse == "semgrep":
        findings = [
            (r["check_id"], r["path"], r["start"]["line"], r["start"]["col"], "")
            for r in data.get("results", [])
        ]
        if data.get("errors"):
            print(f"  semgrep reported {len(data['errors'])} errors", file=sys.stderr)
    else:
        findings = [
            (f["rule"], f["path"], f["line"], f["column"], f["message"]) for f in data["findings"]
        ]
    # ru_maxrss (KiB on Linux) is the high-water mark of the child or of one of its
    # waited-for descendants, not their sum: parallel workers are summed by the sampler.
    # It starts from this bench's own high-water mark (a fork()ed child inherits
    # it: ~100 MiB at 100x, reading the findings of earlier runs), so it is only
    # believed well above that; else the sampler's peak stands.
    child = usage.ru_maxrss / 1024
    rss = max(child if child > own + 16 else 0.0, peak[0])
    return Run(wall, usage.ru_utime + usage.ru_stime, rss, code, findings)


def _progress(result: Result, run: Run) -> None:
    print(
        f"  {result.corpus:<9} {result.size:>4}x {result.mode:<11} {run.wall:8.2f} s wall "
        f"{run.cpu:8.2f} s cpu "
        f"{run.rss_mib:8.1f} MiB  exit {run.code}  {len(run.findings)} findings",
        file=sys.stderr,
        flush=True,
    )


@dataclass
class Corpus:
    """One corpus written at one size."""

    name: str  # generated | real
    size: int
    root: Path
    files: int
    pre_commit_doc: str
    stats: corpus.Stats | None = None  # the generated corpus's expected findings

    def result(self, mode: str) -> Result:
        return Result(self.size, self.files, mode, corpus=self.name)


def write_corpus(name: str, workdir: Path, size: int, seed: int, checkout: Path | None) -> Corpus:
    root = workdir / f"{name}-{size}"
    if root.exists():
        shutil.rmtree(root)
    if name == "real":
        assert checkout is not None
        built = realdocs.build(checkout, root, size)
        corpus.git_commit(root)
        print(f"real {size}x: {built.summary()}", flush=True)
        return Corpus(name, size, root, built.files, built.pre_commit_doc)
    stats = corpus.generate(root, size, seed)
    stats.commit = corpus.git_commit(root)
    print(f"generated {size}x: {stats.summary()}", flush=True)
    return Corpus(name, size, root, stats.files, PRE_COMMIT_DOC, stats)


def bench_floor(target: Corpus, repeat: int, limits: Limits, results: list[Result]) -> None:
    """Time bench/parse_floor.py on the corpus (the ``parse-floor`` mode)."""
    results.append(result := target.result("parse-floor"))
    cmd = [sys.executable, str(PARSE_FLOOR), str(target.root)]
    for _ in range(repeat):
        result.runs.append(run := measure(cmd, target.root, limits, parse="floor"))
        _progress(result, run)


def bench_proofgate(
    command: list[str],
    cwd: Path,
    target: Corpus,
    repeat: int,
    modes: list[str],
    problems: list[str],
    limits: Limits,
    results: list[Result],
) -> None:
    """Time the modes on one corpus, appending each mode's Result to ``results`` as it
    starts (so a run that is killed leaves the runs before it)."""
    root, size, doc_path = target.root, target.size, target.pre_commit_doc
    check = [*command, "check", "--root", str(root), "--format", "json"]
    cache = root / CACHE_DIRECTORY
    user_cache = Path(os.environ["XDG_CACHE_HOME"], "proofgate")
    # A full run with nothing changed since leaves the cache primed: skip the
    # priming run then (warm right after cold, the first pre-commit after warm).
    primed = False
    # The full-check modes, and the caches removed before each of their runs.
    removed = {"cold": [cache, user_cache], "first-run": [cache], "warm": []}
    for mode in [m for m in removed if m in modes]:
        if not primed and mode != "cold":
            measure(check, cwd, limits)  # fills the caches the mode keeps
        results.append(result := target.result(mode))
        for _ in range(repeat):
            for directory in removed[mode]:
                shutil.rmtree(directory, ignore_errors=True)
            result.runs.append(run := measure(check, cwd, limits))
            _progress(result, run)
        primed = True
    if "pre-commit" in modes:
        reference = results[-1].runs[-1] if primed else None
        results.append(result := target.result("pre-commit"))
        doc = root / doc_path
        original, stat = doc.read_bytes(), doc.stat()
        for _ in range(repeat):
            if reference is None:
                reference = measure(check, cwd, limits)
            expected = Counter((f[0], f[1]) for f in reference.findings if f[1] == doc_path)
            reference = None  # the next repeat primes again
            expected.update((rule, doc_path) for rule in corpus.APPENDED_VIOLATION.rules)
            sentence = corpus.APPENDED_VIOLATION.text.format(n=len(result.runs) + 1)
            try:
                doc.write_bytes(original + b"\n" + sentence.encode() + b"\n")
                result.runs.append(run := measure([*check, str(doc)], cwd, limits))
            finally:
                doc.write_bytes(original)
                os.utime(doc, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            _progress(result, run)
            found = Counter((f[0], f[1]) for f in run.findings)
            if found != expected:
                problems.append(
                    f"{target.name} {size}x pre-commit run {len(result.runs)}: expected "
                    f"{sorted(expected.items())} in {doc_path}, found "
                    f"{sorted(found.items())} (a stale or missing result for the changed file?)"
                )
                print(f"!!! {problems[-1]}", file=sys.stderr)


def bench_semgrep(target: Corpus, repeat: int, limits: Limits) -> Result:
    cmd = [
        "semgrep",
        "--config",
        str(SEMGREP_RULES),
        "--json",
        "--metrics=off",
        "--disable-version-check",
        str(target.root),
    ]
    result = target.result("semgrep")
    for _ in range(repeat):
        result.runs.append(run := measure(cmd, target.root, limits, parse="semgrep"))
        _progress(result, run)
    return result


def table(results: list[Result]) -> str:
    """The corpora side by side: a row per size and mode, for each corpus its median
    wall time (min-max), median CPU time, peak memory, findings, and the wall time
    as a ratio to the corpus's parse floor at that size."""
    names = [c for c in CORPORA if any(r.corpus == c for r in results)]
    found = {(r.corpus, r.size, r.mode): r for r in results}
    head = "| size | mode |" + "".join(
        f" {c}: wall s (min-max) | CPU s | peak MiB | findings | / floor |" for c in names
    )
    lines = [head, "|---|---|" + "---:|---:|---:|---:|---:|" * len(names)]
    sizes = sorted({r.size for r in results})
    modes = [*MODES, "semgrep"]
    for size in sizes:
        files = "/".join(
            f"{next(r.files for r in results if r.corpus == c and r.size == size):,}"
            for c in names
            if any(r.corpus == c and r.size == size for r in results)
        )
        for mode in modes:
            row = [found.get((c, size, mode)) for c in names]
            if not any(row):
                continue
            cells = []
            for name, r in zip(names, row, strict=True):
                if r is None or not r.runs:
                    cells.append(" | | | | |")
                    continue
                floor = found.get((name, size, "parse-floor"))
                ratio = f"{r.median / floor.median:.2f}" if floor and floor.runs else ""
                findings = "" if mode == "parse-floor" else str(r.findings)
                cells.append(
                    f" {r.median:.2f} ({min(r.walls()):.2f}-{max(r.walls()):.2f}) | {r.cpu:.2f} "
                    f"| {r.rss:.0f} | {findings} | {ratio} |"
                )
            lines.append(f"| {size}x ({files} files) | {mode} |" + "".join(cells))
    return "\n".join(lines)


def consistency(results: list[Result]) -> list[str]:
    """Runs of one size (cold repeats, warm) that report other findings than the first cold run."""
    problems: list[str] = []
    for name, size in sorted({(r.corpus, r.size) for r in results}):
        full = [
            r
            for r in results
            if r.corpus == name and r.size == size and r.mode in ("cold", "first-run", "warm")
        ]
        if not full:
            continue
        reference = Counter(full[0].runs[0].findings)
        for result in full:
            for i, run in enumerate(result.runs):
                got = Counter(run.findings)
                if got != reference:
                    missing = sum((reference - got).values())
                    extra = sum((got - reference).values())
                    sample = list((reference - got) or (got - reference))[:3]
                    problems.append(
                        f"{name} {size}x {result.mode} run {i + 1}: {len(run.findings)} findings, "
                        f"{missing} missing and {extra} extra against the first "
                        f"{full[0].mode} run; e.g. {sample}"
                    )
    return problems


def expected_vs_found(stats: corpus.Stats, run: Run) -> list[str]:
    found = Counter(f[0] for f in run.findings)
    lines = []
    for rule in sorted(set(found) | set(stats.expected)):
        if found[rule] != stats.expected[rule]:
            lines.append(f"    {rule}: expected {stats.expected[rule]}, found {found[rule]}")
    return lines


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,100", help="copies of the unit (default 1,10,100)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--semgrep", action="store_true", help="also time semgrep, if installed")
    parser.add_argument(
        "--from",
        dest="checkout",
        type=Path,
        help="a GloriousFlywheel checkout: adds the real-docs corpus (bench/realdocs.py)",
    )
    parser.add_argument(
        "--corpora",
        help=f"{','.join(CORPORA)} (default: generated, and real with --from)",
    )
    parser.add_argument(
        "--proofgate",
        help="command that runs proofgate (default: the checkout: python -m engine)",
    )
    parser.add_argument(
        "--cwd", type=Path, default=REPO, help="where the command runs (default: this checkout)"
    )
    parser.add_argument("--modes", default=",".join(MODES), help=",".join(MODES))
    parser.add_argument("--workdir", type=Path, help="keep the corpora here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="write every run's numbers to this file")
    parser.add_argument(
        "--max-rss",
        type=float,
        help="kill a run whose processes hold more MiB (default: 80%% of MemAvailable); "
        "a run is also killed when less than 2 GiB is left on the machine",
    )
    parser.add_argument(
        "--timeout", type=float, default=3600, help="kill a run after this many seconds"
    )
    args = parser.parse_args(argv)
    args.modes = [m for m in args.modes.split(",") if m]
    if unknown := set(args.modes) - set(MODES):
        parser.error(f"unknown modes: {sorted(unknown)}")
    default = "generated,real" if args.checkout else "generated"
    args.corpora = [c for c in (args.corpora or default).split(",") if c]
    if unknown := set(args.corpora) - set(CORPORA):
        parser.error(f"unknown corpora: {sorted(unknown)}")
    if "real" in args.corpora and args.checkout is None:
        parser.error("the real corpus is built from a checkout: give --from DIR")
    return args


def _check_expected(target: Corpus, mine: list[Result]) -> bool:
    """Print parse errors and (generated corpus) findings per rule that differ from the
    corpus's expectation; whether there were parse errors."""
    full = [r for r in mine if r.mode in ("cold", "first-run", "warm") and r.runs]
    if not full:
        return False
    label = f"{target.name} {target.size}x"
    first = full[0].runs[0]
    parse_errors = [f for f in first.findings if f[0] == "parse-error"]
    for f in parse_errors[:5]:
        print(f"!!! {label}: parse-error {f[1]}:{f[2]}: {f[4]}")
    if target.stats is not None and (diffs := expected_vs_found(target.stats, first)):
        print(f"{label}: findings per rule differ from the corpus's expectation:")
        print("\n".join(diffs))
    return bool(parse_errors)


def _summary(results: list[Result], semgrep_results: list[Result]) -> None:
    """The lines after the table: growth, ratios to the parse floor, semgrep."""
    for name in CORPORA:
        cold = {r.size: r for r in results if r.corpus == name and r.mode == "cold"}
        for small, large in itertools.pairwise(sorted(cold)):
            ratio = cold[large].median / cold[small].median
            target = 1.1 * large / small
            verdict = "ok" if ratio <= target else "SUPERLINEAR"
            print(
                f"{name}: cold time {large}x/{small}x = {ratio:.2f} (files "
                f"x{cold[large].files / cold[small].files:.2f}; linear target <= {target:.1f}): "
                f"{verdict}"
            )
        floors = {r.size: r for r in results if r.corpus == name and r.mode == "parse-floor"}
        for r in results:
            if r.corpus == name and r.mode in ("cold", "first-run") and r.size in floors:
                print(
                    f"{name} {r.size}x: {r.mode} / parse floor = "
                    f"{r.median / floors[r.size].median:.2f} "
                    f"({r.median:.2f} s / {floors[r.size].median:.2f} s)"
                )
        for s in semgrep_results:
            first = next((r for r in results if (r.corpus, r.size) == (name, s.size)), None)
            if s.corpus == name and first is not None:
                print(
                    f"{name} {s.size}x: proofgate {first.mode} / semgrep = "
                    f"{first.median / s.median:.2f} (semgrep: {s.findings} matches)"
                )


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    limits = Limits(args.max_rss or 0.8 * _available_mib(), args.timeout)
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    modes: list[str] = args.modes
    command = shlex.split(args.proofgate) if args.proofgate else [sys.executable, "-m", "engine"]
    semgrep = shutil.which("semgrep") if args.semgrep else None
    if args.semgrep and not semgrep:
        print("semgrep is not on PATH: skipping the semgrep comparison")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="proofgate-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["XDG_CACHE_HOME"] = str(workdir.resolve() / USER_CACHE)  # never the user's own
    print(
        f"proofgate: {shlex.join(command)} (cwd {args.cwd}); corpora {','.join(args.corpora)} "
        f"in {workdir}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; a run "
        f"is killed above {limits.rss_mib:.0f} MiB or {limits.seconds:.0f} s",
        flush=True,
    )
    results: list[Result] = []
    semgrep_results: list[Result] = []
    written: list[Corpus] = []
    problems: list[str] = []
    failed = aborted = False
    try:
        for size in sizes:
            for name in args.corpora:
                target = write_corpus(name, workdir, size, args.seed, args.checkout)
                written.append(target)
                mine: list[Result] = []
                failure: BenchError | None = None
                try:
                    check_modes = [m for m in modes if m != "parse-floor"]
                    bench_proofgate(
                        command, args.cwd, target, args.repeat, check_modes, problems, limits, mine
                    )
                    if "parse-floor" in modes:
                        bench_floor(target, args.repeat, limits, mine)
                except BenchError as error:
                    failure = error
                    print(f"\n!!! {name} {size}x: {error}", flush=True)
                results += [r for r in mine if r.runs]
                failed |= _check_expected(target, mine)
                if semgrep:
                    try:
                        semgrep_results.append(bench_semgrep(target, args.repeat, limits))
                    except BenchError as error:
                        failure = failure or error
                        print(f"\n!!! {name} {size}x: {error}", flush=True)
                if not args.workdir:
                    shutil.rmtree(target.root)
                if failure:
                    raise failure
    except BenchError:
        aborted = True
        print("\nFAILED: any larger sizes were skipped", flush=True)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(table(results + semgrep_results))
    print()
    _summary(results, semgrep_results)
    problems += consistency(results)
    if problems:
        failed = True
        print("!!! FINDINGS DIFFER FROM WHAT THE SAME CORPUS GAVE BEFORE (a cache bug?):")
        print("\n".join(f"!!!   {p}" for p in problems))
    elif any(r.mode == "warm" for r in results):
        print("cold, first-run and warm runs report identical findings on every corpus and size")
    if args.json:
        payload = {
            "command": command,
            "stats": {
                f"{t.name} {t.size}": t.stats.as_dict() if t.stats else {"files": t.files}
                for t in written
            },
            "results": [
                {
                    "corpus": r.corpus,
                    "size": r.size,
                    "files": r.files,
                    "mode": r.mode,
                    "runs": [
                        {"wall": x.wall, "cpu": x.cpu, "rss_mib": x.rss_mib, "code": x.code}
                        | {"findings": len(x.findings)}
                        for x in r.runs
                    ],
                }
                for r in results + semgrep_results
            ],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 2 if aborted else 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
