"""``proofgate lsp``: the language server, a front end beside the command line.

:mod:`.repos` keeps each repo's configured pack and :class:`engine.pipeline.Warm`
memory and checks one document through the pipeline; :mod:`.convert` turns
findings into diagnostics, code actions and hovers; :mod:`.server` speaks LSP
(pygls) over standard input and output.
"""
