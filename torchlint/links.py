"""Where torchlint's documentation is published: the repository's docs/rules.md, one section per rule.

Kept free of the rule registry (and LibCST) so that the language server and the report formats can link
a finding from its code and name alone.
"""

from __future__ import annotations

import re

REPOSITORY = "https://github.com/torchlint/torchlint"
RULES_PAGE = f"{REPOSITORY}/blob/main/docs/rules.md"


def anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation other than `-` and `_` dropped,
    spaces to `-` (`TL101 tensor-constructor-with-data` → `tl101-tensor-constructor-with-data`)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def rule_url(code: str, name: str) -> str:
    """The rule's section of docs/rules.md (`## TL101 tensor-constructor-with-data`)."""
    return f"{RULES_PAGE}#{anchor(f'{code} {name}')}"
