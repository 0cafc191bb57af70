"""The README's editor setups start ``proofgate lsp`` for the file kinds it checks
(the Neovim snippet runs in tests/lsp/test_neovim.py)."""

from __future__ import annotations

import json
import tomllib

from tests.support import readme_block

SECTION = "In the editor: `proofgate lsp`"


def test_the_vs_code_settings_start_the_server_for_docs_and_configs() -> None:
    settings = json.loads(readme_block(SECTION, "json"))
    assert [settings["glspc.server.command"], *settings["glspc.server.commandArguments"]] == [
        "proofgate",
        "lsp",
    ]
    assert {"markdown", "yaml", "json", "toml"} <= set(settings["glspc.server.languageId"])


def test_the_helix_configuration_adds_the_server_beside_the_others() -> None:
    config = tomllib.loads(readme_block(SECTION, "toml"))
    server = config["language-server"]["proofgate"]
    assert [server["command"], *server["args"]] == ["proofgate", "lsp"]
    languages = {entry["name"]: entry["language-servers"] for entry in config["language"]}
    assert {"markdown", "yaml"} <= set(languages)
    assert all("proofgate" in servers and len(servers) > 1 for servers in languages.values())
