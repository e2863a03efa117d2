"""The `torchlint` command: `check` (the default), `rules`, `explain`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from torchlint import __version__
from torchlint.config import ConfigError, ConfigResolver, Overrides, check_selectors
from torchlint.diagnostics import INTERNAL_ERROR_CODE, UNPARSABLE, Diagnostic
from torchlint.files import discover
from torchlint.output import plural, progress_bar, write_json, write_statistics, write_text, write_with_source
from torchlint.runner import FixMode, RunResult, check_stdin, default_jobs, lint_paths
from torchlint.selection import SelectionError, changed_since, in_shard, parse_shard
from torchlint.source import SourceError, decode, split_lines

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
COMMANDS = ("check", "rules", "explain", "server", "shapes")


def _codes(values: list[str] | None, flag: str) -> list[str] | None:
    if values is None:
        return None
    return check_selectors([c for v in values for c in v.split(",")], f"--{flag}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="torchlint", description="Static analysis for PyTorch code.")
    parser.add_argument("--version", action="version", version=f"torchlint {__version__}")
    commands = parser.add_subparsers(dest="command")

    check = commands.add_parser("check", help="lint files and folders (the default command)")
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")])
    check.add_argument("--select", action="append", metavar="CODES", help="only these codes or prefixes")
    check.add_argument("--extend-select", action="append", metavar="CODES", help="add codes to the selection")
    check.add_argument("--ignore", action="append", metavar="CODES", help="skip these codes or prefixes")
    check.add_argument("--exclude", action="append", metavar="GLOB", help="replace the exclude list")
    check.add_argument("--extend-exclude", action="append", metavar="GLOB", help="add to the exclude list")
    check.add_argument("--force-exclude", action="store_true", help="apply excludes to explicitly named files too")
    check.add_argument("--no-respect-gitignore", action="store_true", help="lint files that .gitignore excludes")
    check.add_argument("--config", type=Path, metavar="PYPROJECT", help="use this pyproject.toml for every file")
    check.add_argument("--output-format", choices=("text", "json", "github", "sarif"), default="text")
    check.add_argument("--statistics", action="store_true", help="print counts per rule instead of findings")
    check.add_argument("--show-source", action="store_true", help="show each finding's line with a caret")
    check.add_argument("--no-cache", action="store_true", help="do not read or write .torchlint_cache")
    check.add_argument("--diff-base", metavar="REF", help="lint only files changed since this git ref")
    check.add_argument("--shard", metavar="I/N", help="lint only shard I of N (a stable split for CI matrices)")
    check.add_argument("--stdin-filename", metavar="PATH", help="with `-`: the name (and format) of standard input")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff: unsafe fixes too")
    check.add_argument("--diff", action="store_true", help="print the fixes as a diff; change nothing")
    check.add_argument("--fix-only", action="store_true", help="apply fixes, do not report what remains")
    check.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: all cores)")
    check.add_argument("-v", "--verbose", action="store_true", help="show internal-error tracebacks")

    server = commands.add_parser("server", help="run the language server (stdio unless --tcp)")
    server.add_argument("--tcp", type=int, metavar="PORT", help="listen on this TCP port (for debugging)")
    server.add_argument("--host", default="127.0.0.1", help="address for --tcp (default 127.0.0.1)")

    commands.add_parser("rules", help="list every rule")
    explain_parser = commands.add_parser("explain", help="show a rule's documentation")
    explain_parser.add_argument("code")
    shapes_parser = commands.add_parser("shapes", help="print a file with each tensor assignment's inferred shape")
    shapes_parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (walked like `check`)")
    return parser


def _check(args: argparse.Namespace) -> int:
    overrides = Overrides(
        select=_codes(args.select, "select"),
        extend_select=_codes(args.extend_select, "extend-select") or [],
        ignore=_codes(args.ignore, "ignore") or [],
        exclude=[g for v in args.exclude for g in v.split(",")] if args.exclude else None,
        extend_exclude=[g for v in args.extend_exclude or [] for g in v.split(",")],
        respect_gitignore=False if args.no_respect_gitignore else None,
    )
    resolver = ConfigResolver(overrides, config_file=args.config)
    for warning in resolver.warnings:
        _warn(warning)
    if args.paths == [Path("-")]:
        return _check_stdin(args, resolver)
    files = list(discover(args.paths, resolver, force_exclude=args.force_exclude))
    if not files:
        _warn(_nothing_found(args.paths))
    try:
        narrowed = _narrow(files, args)
    except SelectionError as error:
        print(f"torchlint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    if files and not narrowed:
        _warn(f"{_narrowing(args)} selected none of the {plural(len(files), 'file')} found")
    files = narrowed
    mode = None
    if args.fix or args.fix_only or args.diff:
        mode = FixMode(write=not args.diff, unsafe=args.unsafe_fixes)
    cache = None if args.no_cache else Path.cwd()
    with progress_bar(len(files)) as advance:
        result = lint_paths(files, resolver, args.jobs or default_jobs(), mode, cache, advance)
    for error in result.errors:
        print(f"torchlint: error: {error}", file=sys.stderr)
    if args.diff:
        return _report_diff(result)
    if args.fix_only:
        print(f"Fixed {plural(result.fixed, 'problem')}.")
        refused = any(d.message.endswith(UNPARSABLE) for d in result.diagnostics)
        return EXIT_ERROR if result.errors or result.internal_errors else EXIT_FINDINGS if refused else EXIT_OK
    fixed = result.fixed if mode else None
    _report(result.diagnostics, args, fixed=fixed, checked=result.checked, unread=result.files - result.checked)
    if _plain_text(args) and result.hidden_unsafe and not args.unsafe_fixes:
        print(f"{plural(result.hidden_unsafe, 'hidden fix', 'hidden fixes')} can be enabled with --unsafe-fixes.")
    if result.errors or result.internal_errors:
        return EXIT_ERROR
    if result.diagnostics and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK


def _plain_text(args: argparse.Namespace) -> bool:
    return args.output_format == "text" and not args.statistics and not args.show_source


def _report(
    diagnostics: list[Diagnostic],
    args: argparse.Namespace,
    *,
    fixed: int | None = None,
    checked: int | None = None,
    unread: int = 0,
    sources: dict[str, list[str]] | None = None,
) -> None:
    """Findings in the format the options ask for; `sources` gives the text of files not on disk (stdin)."""
    if args.statistics:
        write_statistics(diagnostics, sys.stdout, checked, unread)
    elif args.output_format == "json":
        write_json(diagnostics, sys.stdout)
    elif args.output_format == "github":
        from torchlint.formats import github

        sys.stdout.write(github.render(diagnostics))
    elif args.output_format == "sarif":
        from torchlint.formats import sarif

        sys.stdout.write(sarif.render(diagnostics, Path.cwd()))
    elif args.show_source:
        write_with_source(diagnostics, sys.stdout, fixed, checked, unread, sources=sources)
    else:
        write_text(
            diagnostics,
            sys.stdout,
            verbose=args.verbose,
            fixed=fixed,
            checked=checked,
            unread=unread,
            unsafe=args.unsafe_fixes,
        )


def _check_stdin(args: argparse.Namespace, resolver: ConfigResolver) -> int:
    """`torchlint check - --stdin-filename nb.ipynb`: findings as the output options ask, the fixes as a
    diff with --diff, or with --fix the fixed text (findings then go to stderr)."""
    name = args.stdin_filename or "-"
    data = sys.stdin.buffer.read()
    fixing = args.fix or args.fix_only
    fix = FixMode(write=False, unsafe=args.unsafe_fixes) if fixing or args.diff else None
    outcome, fixed_text = check_stdin(data, name, resolver, fix)
    if outcome.error is not None:
        print(f"torchlint: error: {outcome.error}", file=sys.stderr)
        return EXIT_ERROR
    internal = any(d.code == INTERNAL_ERROR_CODE for d in outcome.diagnostics)
    if args.diff:
        sys.stdout.write(outcome.diff)
        if outcome.fixed:
            print(f"Would fix {plural(outcome.fixed, 'problem')}.", file=sys.stderr)
        return EXIT_ERROR if internal else EXIT_FINDINGS if outcome.diff else EXIT_OK
    if fixing:
        if fixed_text is None:  # nothing could be fixed (a bad encoding declaration): the input, unchanged
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(fixed_text)
        write_text(outcome.diagnostics, sys.stderr, fixed=outcome.fixed)
    else:
        _report(outcome.diagnostics, args, sources={name: split_lines(_readable(data, name))})
    if internal:
        return EXIT_ERROR
    return EXIT_FINDINGS if outcome.diagnostics and not args.exit_zero and not args.fix_only else EXIT_OK


def _readable(data: bytes, name: str) -> str:
    """Standard input's text for --show-source, even where its encoding declaration is bad."""
    try:
        return decode(data, name)
    except SourceError:
        return data.decode("utf-8", "replace")


def _warn(message: str) -> None:
    print(f"torchlint: warning: {message}", file=sys.stderr)


def _nothing_found(paths: list[Path]) -> str:
    """Why discovery found nothing: named files that --force-exclude dropped, or folders without Python files."""
    if all(path.exists() and not path.is_dir() for path in paths):
        return f"{', '.join(map(str, paths))}: excluded by the configuration (--force-exclude); 0 files to check"
    return f"No Python files found under {', '.join(map(str, paths))}"


def _narrowing(args: argparse.Namespace) -> str:
    parts = ([f"--diff-base {args.diff_base}"] if args.diff_base else []) + (
        [f"--shard {args.shard}"] if args.shard else []
    )
    return " with ".join(parts)


def _narrow(files: list[Path], args: argparse.Namespace) -> list[Path]:
    if args.diff_base:
        changed = changed_since(args.diff_base, Path.cwd())
        files = [f for f in files if f.resolve() in changed]
    if args.shard:
        index, count = parse_shard(args.shard)
        files = [f for f in files if in_shard(f, Path.cwd(), index, count)]
    return files


def _report_diff(result: RunResult) -> int:
    for diff in sorted(result.diffs):
        sys.stdout.write(diff)
    if result.fixed:
        print(f"Would fix {plural(result.fixed, 'problem')}.", file=sys.stderr)
    if result.errors or result.internal_errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if result.diffs else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version"):
        argv.insert(0, "check")
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command in (None, "check"):
            if args.command is None:
                args = parser.parse_args(["check"])
            return _check(args)
        if args.command == "server":
            from torchlint.server.main import start  # imported only here: pygls is not needed to lint

            start(tcp_port=args.tcp, host=args.host)
            return EXIT_OK
        if args.command == "shapes":
            from torchlint.shapes_command import run as show_shapes

            return show_shapes(args.paths)
        from torchlint.docs import explain, rules_listing
        from torchlint.rules import RULES_BY_CODE

        if args.command == "rules":
            sys.stdout.write(rules_listing())
            return EXIT_OK
        rule = RULES_BY_CODE.get(args.code.upper())
        if rule is None:
            print(f"torchlint: error: unknown rule {args.code!r}; `torchlint rules` lists them", file=sys.stderr)
            return EXIT_ERROR
        sys.stdout.write(explain(rule))
        return EXIT_OK
    except ConfigError as error:
        print(f"torchlint: error: {error}", file=sys.stderr)
        return EXIT_ERROR


def run() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `torchlint ... | head`: the reader left; that is not our error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_FINDINGS
    sys.exit(code)
