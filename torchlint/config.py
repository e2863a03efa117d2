"""`[tool.torchlint]` in the nearest pyproject.toml, merged with command-line options."""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from torchlint.rule_codes import RULE_CODES

if TYPE_CHECKING:
    from torchlint.rules.base import Rule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__", ".mypy_cache",
    ".ruff_cache", ".pytest_cache", ".torchlint_cache", "build", "dist", "node_modules",
    "site-packages", ".eggs", "__pypackages__", ".ipynb_checkpoints",
)  # fmt: skip

_LIST_KEYS = ("select", "extend-select", "ignore", "exclude", "extend-exclude")
_RULE_OPTION_KEYS = ("target-torch-version",)  # passed to the rules (RuleContext.options)
_BOOL_KEYS = {  # key: (Settings field, default)
    "respect-gitignore": ("respect_gitignore", True),
    "include-notebooks": ("include_notebooks", True),
    "include-markdown": ("include_markdown", False),
    "snippet-mode": ("snippet_mode", False),
}
_KNOWN_KEYS = frozenset(
    (
        *_LIST_KEYS,
        *_BOOL_KEYS,
        "per-file-ignores",
        "snippet-aliases",
        "snippet-tabs",
        "per-file-timeout",
        *_RULE_OPTION_KEYS,
    )
)
DEFAULT_TIMEOUT = 20.0  # seconds one file may take before it is reported as TL003 and skipped
NOTEBOOKS = (".ipynb",)
MARKDOWN = (".md", ".markdown", ".qmd")  # .qmd: Quarto documents, `{python}` chunks run by Jupyter
DOCUMENTS = NOTEBOOKS + MARKDOWN
DEFAULT_SNIPPET_ALIASES = {
    "torch": "torch",
    "nn": "torch.nn",
    "F": "torch.nn.functional",
    "np": "numpy",
    "optim": "torch.optim",
}
DEFAULT_SNIPPET_TABS = ("pytorch",)  # d2lbook framework tabs analysed in notebooks and Markdown
_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


class ConfigError(Exception):
    """A bad configuration: names the file and key so the user can fix it."""


def check_selectors(selectors: list[str], where: str) -> list[str]:
    """Codes or prefixes (`TL1`, `TL301`, `ALL`); anything matching no rule is an error."""
    codes = RULE_CODES
    result = []
    for raw in selectors:
        selector = raw.strip().upper()
        if not selector:
            continue
        if selector != "ALL" and not any(code.startswith(selector) for code in codes):
            raise ConfigError(f"{where}: unknown rule code or prefix {raw.strip()!r}")
        result.append(selector)
    return result


def _matches(selector: str, code: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


@dataclass(frozen=True)
class Settings:
    """Effective options for files under one configuration root."""

    root: Path
    source: Path | None = None  # the pyproject.toml they came from
    select: tuple[str, ...] = ("ALL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    target_torch_version: str | None = None  # the oldest torch the project supports, "2.4"
    include_notebooks: bool = True
    include_markdown: bool = False
    per_file_timeout: float = DEFAULT_TIMEOUT
    snippet_mode: bool = False  # .py files too use the snippet aliases (`torch`, `nn`, `F`... unimported)
    snippet_aliases: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SNIPPET_ALIASES), hash=False)
    snippet_tabs: tuple[str, ...] = DEFAULT_SNIPPET_TABS  # `%%tab pytorch` cells analysed; other tabs skipped
    _rules_cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def excludes(self) -> tuple[str, ...]:
        return self.exclude + self.extend_exclude

    def codes_for(self, path: Path) -> tuple[str, ...]:
        """Codes of the rules that apply to `path` (select, extend-select, ignore, per-file-ignores)."""
        ignored = list(self.ignore)
        relative = _relative(path, self.root)
        for pattern, codes in self.per_file_ignores:
            if glob_match(pattern, relative):
                ignored.extend(codes)
        key = tuple(ignored)
        cached = self._rules_cache.get(key)
        if cached is None:
            selected = (*self.select, *self.extend_select)
            cached = tuple(
                code
                for code in RULE_CODES
                if any(_matches(s, code) for s in selected) and not any(_matches(i, code) for i in ignored)
            )
            self._rules_cache[key] = cached
        return cached

    def rule_options(self) -> tuple[tuple[str, str], ...]:
        """Options the rules read (`RuleContext.options`), as (configuration key, value) pairs."""
        if self.target_torch_version is None:
            return ()
        return (("target-torch-version", self.target_torch_version),)

    def rules_for(self, path: Path) -> tuple[Rule, ...]:
        from torchlint.rules import RULES_BY_CODE  # the rules themselves: imported only when linting

        return tuple(RULES_BY_CODE[code] for code in self.codes_for(path))


def _relative(path: Path, root: Path) -> str:
    return relative_to(path, root) or path.as_posix()


@functools.lru_cache(maxsize=64)
def _absolute_root(root: Path) -> str:
    return os.path.realpath(root) + os.sep


def relative_to(path: Path, root: Path) -> str | None:
    """`path` relative to `root` in POSIX form, None when outside it. String work, not one `resolve()`
    per file: discovery asks this for every file and folder of a large tree."""
    absolute = os.path.abspath(path)
    base = _absolute_root(root)
    if not absolute.startswith(base):
        absolute = os.path.realpath(path)
        if not absolute.startswith(base):
            return None
    return absolute[len(base) :].replace(os.sep, "/")


@functools.lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> str:
    return fnmatch.translate(pattern)


def glob_match(pattern: str, relative: str) -> bool:
    """Ruff-style: a pattern without `/` matches a file name or any folder name; else the relative path."""
    pattern = pattern.rstrip("/")
    if "/" not in pattern:
        return any(fnmatch.fnmatchcase(part, pattern) for part in relative.split("/"))
    pattern = pattern.removeprefix("./")
    return fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(relative, pattern + "/*")


@dataclass
class Overrides:
    """Command-line options that take precedence over the configuration file."""

    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] | None = None
    extend_exclude: list[str] = field(default_factory=list)
    respect_gitignore: bool | None = None
    snippet_mode: bool | None = None


def _list_of_strings(table: dict, key: str, where: str) -> list[str]:
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: `{key}` must be a list of strings, got {value!r}")
    return value


def read_table(path: Path) -> dict | None:
    """The `[tool.torchlint]` table of a pyproject.toml, None when it has none."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read: {error}") from error
    tool = data.get("tool", {})
    table = tool.get("torchlint") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.torchlint] must be a table")
    return table


def settings_from_table(table: dict, path: Path, overrides: Overrides) -> Settings:
    where = f"{path}: [tool.torchlint]"
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key `{unknown[0]}` (known: {', '.join(sorted(_KNOWN_KEYS))})")
    values: dict[str, list[str]] = {k: _list_of_strings(table, k, where) for k in _LIST_KEYS if k in table}
    for key in ("select", "extend-select", "ignore"):
        if key in values:
            values[key] = check_selectors(values[key], f"{where} `{key}`")
    per_file: list[tuple[str, tuple[str, ...]]] = []
    raw = table.get("per-file-ignores", {})
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: `per-file-ignores` must be a table of glob = [codes]")
    for pattern, codes in raw.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"{where}: `per-file-ignores.{pattern}` must be a list of rule codes")
        per_file.append((pattern, tuple(check_selectors(codes, f"{where} `per-file-ignores.{pattern}`"))))
    flags = {}
    for key, (name, default) in _BOOL_KEYS.items():
        flags[name] = table.get(key, default)
        if not isinstance(flags[name], bool):
            raise ConfigError(f"{where}: `{key}` must be true or false")
    aliases = table.get("snippet-aliases", DEFAULT_SNIPPET_ALIASES)
    if not isinstance(aliases, dict) or not all(
        isinstance(k, str) and k.isidentifier() and isinstance(v, str) and _DOTTED.match(v) for k, v in aliases.items()
    ):
        raise ConfigError(f'{where}: `snippet-aliases` must map names to modules, like {{ F = "torch.nn.functional" }}')
    tabs = table.get("snippet-tabs", list(DEFAULT_SNIPPET_TABS))
    if not isinstance(tabs, list) or not all(isinstance(t, str) and re.fullmatch(r"\w+", t) for t in tabs):
        raise ConfigError(f'{where}: `snippet-tabs` must be a list of tab names, like ["pytorch"]')
    timeout = table.get("per-file-timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(f"{where}: `per-file-timeout` must be a positive number of seconds, got {timeout!r}")
    target = table.get("target-torch-version")
    if target is not None and (not isinstance(target, str) or not _VERSION.match(target)):
        raise ConfigError(f'{where}: `target-torch-version` must be a version string like "2.4", got {target!r}')
    return _merge(
        Settings(
            root=path.parent,
            source=path,
            select=tuple(values.get("select", ["ALL"])),
            extend_select=tuple(values.get("extend-select", [])),
            ignore=tuple(values.get("ignore", [])),
            per_file_ignores=tuple(per_file),
            exclude=tuple(values.get("exclude", DEFAULT_EXCLUDE)),
            extend_exclude=tuple(values.get("extend-exclude", [])),
            target_torch_version=target,
            snippet_aliases=dict(aliases),
            snippet_tabs=tuple(tabs),
            per_file_timeout=float(timeout),
            **flags,
        ),
        overrides,
    )


def _merge(settings: Settings, overrides: Overrides) -> Settings:
    """Command-line options over the file's, as in ruff: a `--select` starts the rule selection afresh,
    so the file's `select`, `extend-select` and `ignore` no longer apply (`per-file-ignores` still do);
    without one, `--extend-select` and `--ignore` add to the file's."""
    if overrides.select is not None:
        select, extend_select, ignore = tuple(overrides.select), (), ()
    else:
        select, extend_select, ignore = settings.select, settings.extend_select, settings.ignore
    return replace(
        settings,
        select=select,
        extend_select=extend_select + tuple(overrides.extend_select),
        ignore=ignore + tuple(overrides.ignore),
        exclude=tuple(overrides.exclude) if overrides.exclude is not None else settings.exclude,
        extend_exclude=settings.extend_exclude + tuple(overrides.extend_exclude),
        respect_gitignore=(
            overrides.respect_gitignore if overrides.respect_gitignore is not None else settings.respect_gitignore
        ),
        snippet_mode=overrides.snippet_mode if overrides.snippet_mode is not None else settings.snippet_mode,
        _rules_cache={},
    )


class ConfigResolver:
    """Finds and caches the settings that apply to each folder."""

    def __init__(self, overrides: Overrides, config_file: Path | None = None, cwd: Path | None = None) -> None:
        self.overrides = overrides
        self.cwd = (cwd or Path.cwd()).resolve()
        self._by_dir: dict[Path, Settings] = {}
        self._by_path: dict[str, Settings] = {}
        self._forced: Settings | None = None
        self.warnings: list[str] = []  # for the front to show: the run goes on
        if config_file is not None:
            table = read_table(config_file)
            if table is None:
                self.warnings.append(f"{config_file} has no [tool.torchlint] table; the defaults apply")
            self._forced = settings_from_table(table or {}, config_file.resolve(), overrides)
        self._default = _merge(Settings(root=self.cwd), overrides)

    def for_path(self, path: Path) -> Settings:
        if self._forced is not None:
            return self._forced
        key = str(path)
        settings = self._by_path.get(key)
        if settings is None:
            folder = Path(os.path.abspath(path))
            if not folder.is_dir():
                folder = folder.parent
            settings = self._by_path[key] = self._for_dir(folder)
        return settings

    def _for_dir(self, folder: Path) -> Settings:
        cached = self._by_dir.get(folder)
        if cached is not None:
            return cached
        candidate = folder / "pyproject.toml"
        table = read_table(candidate) if candidate.is_file() else None
        if table is not None:
            settings = settings_from_table(table, candidate, self.overrides)
        elif folder.parent == folder:
            settings = self._default
        else:
            settings = self._for_dir(folder.parent)
        self._by_dir[folder] = settings
        return settings
