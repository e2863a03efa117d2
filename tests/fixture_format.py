"""Reading the fixture convention: `# runtime:`, `# device:`, `# stand-in:` headers and `# expect:` lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>TL\d{3}(?:\s*,\s*TL\d{3})*)")
_HEADER = re.compile(r"#\s*(?P<key>fixed-runtime|runtime|device|stand-in):\s*(?P<value>.+)$")
_RAISES = re.compile(r"raises (?P<type>[A-Za-z_.]+): (?P<message>.+)$")


@dataclass(frozen=True)
class Fixture:
    path: Path
    runtime: str
    device: str | None
    stand_in: str | None
    expected: frozenset[tuple[int, str]]
    # How the fixed snapshot must behave, where that is not `ok` (a refused malicious checkpoint).
    fixed_runtime: str = "ok"

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def code(self) -> str:
        return self.path.parent.name

    @property
    def raises(self) -> tuple[str, str] | None:
        match = _RAISES.match(self.runtime)
        return (match["type"], match["message"]) if match else None

    def after_fix(self) -> Fixture:
        """This fixture as its fixed snapshot must behave."""
        return replace(self, runtime=self.fixed_runtime)


def parse(path: Path) -> Fixture:
    text = path.read_text(encoding="utf-8")
    headers: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if match:
            headers[match["key"]] = match["value"].strip()
    expected = set()
    for number, line in enumerate(text.splitlines(), 1):
        match = _EXPECT.search(line)
        if match:
            expected.update((number, code.strip()) for code in match["codes"].split(","))
    if "runtime" not in headers:
        raise ValueError(f"{path}: no `# runtime:` header")
    return Fixture(
        path,
        headers["runtime"],
        headers.get("device"),
        headers.get("stand-in"),
        frozenset(expected),
        headers.get("fixed-runtime", "ok"),
    )


def all_fixtures() -> list[Fixture]:
    return [parse(p) for p in sorted(FIXTURES.glob("TL*/*.py")) if not p.name.endswith(".fixed.py")]


def meta_stand_in(source: str) -> str:
    """The CPU version of a CUDA fixture: the meta device stands in for cuda."""
    source = source.replace("torch.cuda.is_available()", "True")
    source = re.sub(r"""(["'])cuda(:0)?\1""", '"meta"', source)
    return source.replace(".cuda()", '.to("meta")')
