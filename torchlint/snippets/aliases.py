"""Conventional names that snippets use without importing them."""

from __future__ import annotations

from collections.abc import Mapping

from torchlint.config import DEFAULT_SNIPPET_ALIASES as DEFAULT_ALIASES
from torchlint.infer.facts import Fact, Kind

__all__ = ["DEFAULT_ALIASES", "seed"]


def seed(aliases: Mapping[str, str]) -> dict[str, Fact]:
    """Facts for names a snippet leaves unbound; a name the snippet binds itself keeps its own meaning."""
    return {name: Fact(Kind.IMPORT, qualname=module) for name, module in aliases.items()}
