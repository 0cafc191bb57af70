"""``proofgate test``: run the annotated fixture repos kept next to the policies.

A case is a folder ``<policy dir>/tests/<policy id>/<case>/`` checked as a repo
root. Comments in its files (``<!-- expect: RULE -->`` in Markdown,
``# expect: RULE`` in YAML, ``.bazelrc``, ``nix.conf``, ``flake.nix`` and TOML)
and its optional ``case.yaml`` say which findings of the case's policy must
appear (``expect``) and must not appear (``ok``) on which lines. See
``docs/policy-tests.md``.

:mod:`.cases` finds and reads the cases and their expectations, :mod:`.run`
checks each through the pipeline and judges it; :mod:`engine.report.tests`
prints the verdicts.
"""
