"""torchlint's language server: the engine's findings, documentation and fixes in the editor.

`torchlint server` starts it (stdio; `--tcp PORT` for debugging). The engine runs in a child
process (`torchlint.server.worker`), so nothing the engine does to one file can take the server down.
"""
