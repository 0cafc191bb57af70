"""Which files of a policy directory are policies: written once for every command.

A policy directory holds ``.policy`` files and hand-written ``.rego`` modules
at any depth, except under hidden folders and under its ``tests/`` folders,
which hold the policy-test case repos (:mod:`engine.policytest`). A file
given by name is taken as it is.
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import ProofgateError

SUFFIXES = (".policy", ".rego")


def policy_files(targets: list[Path], suffixes: tuple[str, ...] = SUFFIXES) -> list[Path]:
    """The files under ``targets`` with one of ``suffixes``, each directory's sorted;
    raise when a target is missing or a directory holds none of them."""
    found: list[Path] = []
    for target in targets:
        if target.is_file():
            found.append(target)
        elif target.is_dir():
            inside = sorted(p for p in target.rglob("*") if _counted(target, p, suffixes))
            if not inside:
                kinds = " or ".join(suffixes)
                raise ProofgateError(f"{target}: no {kinds} files in this directory")
            found.extend(inside)
        else:
            raise ProofgateError(f"{target}: no such file or directory")
    return list(dict.fromkeys(found))


def _counted(directory: Path, path: Path, suffixes: tuple[str, ...]) -> bool:
    if path.suffix not in suffixes or not path.is_file():
        return False
    folders = path.relative_to(directory).parts[:-1]
    return not any(part == "tests" or part.startswith(".") for part in folders)
