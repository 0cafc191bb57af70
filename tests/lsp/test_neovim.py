"""A real editor's LSP client: headless Neovim opens a doc with a claim, starts
``proofgate lsp`` as the README says, and reports the diagnostics it received.
`.ci/run` installs Neovim (Debian's ``neovim``) when it can; where it cannot, the
test is skipped and says why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO, git_copy, readme_block

NVIM = shutil.which("nvim")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        NVIM is None, reason="Neovim (nvim) is not installed: .ci/run installs Debian's neovim"
    ),
]

# Neovim 0.8+ runs the README's snippet (vim.lsp.start on FileType); Debian 12
# ships 0.7, where the same client is started with start_client and attached.
SCRIPT = """
local doc, out, readme = vim.env.PG_DOC, vim.env.PG_OUT, vim.env.PG_README
if vim.lsp.start then
  dofile(readme)
  vim.cmd("edit " .. vim.fn.fnameescape(doc))
else
  vim.cmd("edit " .. vim.fn.fnameescape(doc))
  local client = vim.lsp.start_client({
    name = "proofgate",
    cmd = { "proofgate", "lsp" },
    root_dir = vim.fn.fnamemodify(doc, ":h"),
  })
  vim.lsp.buf_attach_client(0, client)
end
local buffer = vim.api.nvim_get_current_buf()
vim.wait(180000, function() return #vim.diagnostic.get(buffer) > 0 end, 100)
local found = {}
for _, d in ipairs(vim.diagnostic.get(buffer)) do
  local lsp = (d.user_data and d.user_data.lsp) or {}
  table.insert(found, {
    line = d.lnum, col = d.col, end_col = d.end_col, message = d.message,
    source = d.source, code = d.code or lsp.code,
  })
end
vim.fn.writefile({ vim.fn.json_encode(found) }, out)
vim.cmd("qa!")
"""


def test_neovim_receives_the_claims_diagnostic(tmp_path: Path) -> None:
    repo = git_copy(REPO / "fixtures/repos/gf-drifting", tmp_path / "repo")
    doc = repo / "docs/draft.md"
    doc.write_text("# Draft\n\n🚀🚀 Woodpecker runners are supported out of the box.\n")
    script, out = tmp_path / "check.lua", tmp_path / "diagnostics.json"
    script.write_text(SCRIPT)
    (readme := tmp_path / "readme.lua").write_text(
        readme_block("In the editor: `proofgate lsp`", "lua")
    )
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "PG_DOC": str(doc), "PG_OUT": str(out), "PG_README": str(readme)}
    env["PATH"] = path  # `proofgate` as installed beside this Python
    assert NVIM is not None
    subprocess.run(
        [NVIM, "--headless", "--clean", "-c", f"luafile {script}"],
        env=env,
        cwd=repo,
        timeout=300,
        check=True,
        capture_output=True,
    )
    found = json.loads(out.read_text())
    claims = [d for d in found if d["code"] == "forge-claims-need-proof.named"]
    assert len(claims) == 1, found
    (claim,) = claims
    assert claim["source"] == "proofgate" and "Woodpecker" in claim["message"]
    # Neovim keeps byte columns: two 4-byte emoji and a space before the claim
    assert (claim["line"], claim["col"], claim["end_col"]) == (2, 9, 9 + len("Woodpecker"))
