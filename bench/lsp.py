"""Benchmark ``proofgate lsp``: keystroke latency, memory and time to open a repo.

On a generated corpus (bench/corpus.py, 100 copies of the unit by default) this
starts the server as an editor does (a subprocess speaking LSP over stdio,
driven by pygls's client) and prints one table:

- open (cold): from starting the server, with the repo's and the user's caches
  removed, to the diagnostics of the first opened doc (a ~5 KB runbook):
  listing the repo, reading and extracting the files joined across files,
  compiling the pack, checking the doc; beside it the cold ``proofgate check``
  of the whole repo (a subprocess, the caches removed the same way), and both
  with only the repo's cache removed (first-run: the compiled pack kept);
- keystroke: in the warm server, one character typed into that doc (a
  ``didChange`` of the whole text, a new version) to the diagnostics of that
  version, ``--edits`` times: median and 90th percentile in milliseconds;
- memory: the server's peak resident set (VmHWM) after the keystrokes, and the
  proportional set size of it and any worker processes then.

The diagnostics of the last keystroke are compared with ``proofgate check -
--stdin-filename DOC`` over the same text: the bench fails when they differ.

Usage: python bench/lsp.py [--copies 100] [--edits 40] [--repeat 3] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # bench/ is not a package: imported from its own folder
import perf

DOC = perf.PRE_COMMIT_DOC  # docs/part-000/ops/runbook.md, about 5 KB
SERVER = [sys.executable, "-m", "proofgate", "lsp"]
CHECK = [sys.executable, "-m", "proofgate", "check", "--format", "json"]


@dataclass
class Session:
    """A server, the client driving it, and when each version's diagnostics came."""

    client: LanguageClient
    arrived: dict[int, float] = field(default_factory=dict)
    diagnostics: dict[int, list[lsp.Diagnostic]] = field(default_factory=dict)
    event: asyncio.Event = field(default_factory=asyncio.Event)

    async def until(self, version: int, timeout: float = 600) -> float:
        """When the diagnostics of ``version`` of the doc arrived."""
        while version not in self.arrived:
            self.event.clear()
            await asyncio.wait_for(self.event.wait(), timeout)
        return self.arrived[version]


async def start(root: Path) -> Session:
    client = LanguageClient("proofgate-bench", "1")
    session = Session(client)
    uri = (root / DOC).as_uri()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def _published(params: lsp.PublishDiagnosticsParams) -> None:
        if params.uri == uri and params.version is not None:
            session.arrived[params.version] = time.perf_counter()
            session.diagnostics[params.version] = list(params.diagnostics)
            session.event.set()

    await client.start_io(*SERVER, cwd=root)
    await client.initialize_async(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(),
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="corpus")],
        )
    )
    client.initialized(lsp.InitializedParams())
    return session


async def stop(session: Session) -> None:
    await session.client.shutdown_async(None)
    session.client.exit(None)
    await session.client.stop()


def server_pid(session: Session) -> int:
    process = session.client._server  # pygls keeps the server's process here
    assert process is not None
    return process.pid


def send(session: Session, uri: str, version: int, text: str) -> None:
    session.client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def open_repo(root: Path) -> tuple[Session, float]:
    """A server that has checked the doc once, and the seconds that took from its start."""
    started = time.perf_counter()
    session = await start(root)
    item = lsp.TextDocumentItem(
        uri=(root / DOC).as_uri(), language_id="markdown", version=1, text=(root / DOC).read_text()
    )
    session.client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
    return session, await session.until(1) - started


async def keystrokes(session: Session, root: Path, edits: int) -> tuple[list[float], str]:
    """Type ``edits`` characters at the end of a sentence in the middle of the doc;
    the latency of each, in ms, and the final text."""
    uri, text = (root / DOC).as_uri(), (root / DOC).read_text()
    at = text.index(".", len(text) // 2)
    latencies = []
    for n in range(edits):
        text = text[:at] + "abcdefghij"[n % 10] + text[at:]
        at += 1
        sent = time.perf_counter()
        send(session, uri, n + 2, text)
        latencies.append((await session.until(n + 2) - sent) * 1000)
    return latencies, text


def memory(pid: int) -> tuple[float, float]:
    """The server's peak resident set and the PSS of it and its children, in MiB."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return peak / 1024, perf._tree_rss_kib(pid) / 1024


def clear(root: Path, user_cache: bool) -> None:
    shutil.rmtree(root / perf.CACHE_DIRECTORY, ignore_errors=True)
    if user_cache:
        shutil.rmtree(Path(os.environ["XDG_CACHE_HOME"], "proofgate"), ignore_errors=True)


def check_time(root: Path, user_cache: bool) -> float:
    clear(root, user_cache)
    limits = perf.Limits(0.8 * perf._available_mib(), 3600)
    return perf.measure([*CHECK, "--root", str(root)], root, limits).wall


async def open_time(root: Path, user_cache: bool) -> float:
    clear(root, user_cache)
    session, seconds = await open_repo(root)
    await stop(session)
    return seconds


def same_as_check(root: Path, text: str, shown: list[lsp.Diagnostic]) -> list[str]:
    """Where the server's diagnostics differ from ``check -`` over the same text."""
    out = subprocess.run(
        [*CHECK, "--root", str(root), "-", "--stdin-filename", DOC],
        input=text,
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    expected = sorted((f["rule"], f["line"] - 1) for f in json.loads(out.stdout)["findings"])
    found = sorted((str(d.code), d.range.start.line) for d in shown)
    return [] if expected == found else [f"server {found} != check {expected}"]


async def bench(root: Path, edits: int, repeat: int) -> tuple[list[list[str]], list[str]]:
    rows: list[list[str]] = []
    for label, user_cache in (("cold", True), ("first-run", False)):
        checks, opens = [], []
        for _ in range(repeat):  # side by side, alternating
            checks.append(check_time(root, user_cache))
            opens.append(await open_time(root, user_cache))
        check, opened = statistics.median(checks), statistics.median(opens)
        rows.append([f"open the repo ({label}), s", f"{opened:.2f}", f"≤ check {check:.2f}"])
        rows.append([f"`check` of the repo ({label}), s", f"{check:.2f}", ""])
        rows.append([f"open / check ({label})", f"{opened / check:.2f}", "≤ 1"])
    session, _ = await open_repo(root)
    latencies, text = await keystrokes(session, root, edits)
    peak, pss = memory(server_pid(session))
    problems = same_as_check(root, text, session.diagnostics[edits + 1])
    await stop(session)
    cut = statistics.quantiles(latencies, n=10)
    rows += [
        [
            f"keystroke re-check, median ms ({edits} edits)",
            f"{statistics.median(latencies):.1f}",
            "≤ 50",
        ],
        ["keystroke re-check, 90th percentile ms", f"{cut[-1]:.1f}", ""],
        ["server peak RSS (VmHWM), MiB", f"{peak:.0f}", "≤ 300"],
        ["server and workers PSS after the edits, MiB", f"{pss:.0f}", ""],
    ]
    return rows, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="keep the corpus here (default: a temp dir)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="proofgate-lsp-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["XDG_CACHE_HOME"] = str(workdir.resolve() / perf.USER_CACHE)
    os.environ.pop("PROOFGATE_NO_CACHE", None)
    root = workdir / f"corpus-{args.copies}"
    if root.exists():
        shutil.rmtree(root)
    stats = corpus.generate(root, args.copies)
    corpus.git_commit(root)
    doc_size = (root / DOC).stat().st_size
    print(
        f"{args.copies}x corpus: {stats.summary()}; doc {DOC} ({doc_size} bytes); "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs",
        flush=True,
    )
    rows, problems = asyncio.run(bench(root, args.edits, args.repeat))
    print("\n| measure | value | target |\n|---|---:|---|")
    for row in rows:
        print(f"| {' | '.join(row)} |")
    for problem in problems:
        print(f"!!! {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
