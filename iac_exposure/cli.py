"""The command line: thin — options → api.scan → a reporter."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from ._records import replace
from .config import SEVERITIES, Config

if TYPE_CHECKING:
    from datetime import datetime

    from .api import Report
    from .progress import ProgressBar

_FORMATS = ("text", "json", "sarif", "markdown", "github", "gitlab", "junit")


def _split(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(v.strip() for value in values for v in value.split(",") if v.strip())


class _ScanCommand(click.Command):
    """Remembers the command-line order of --var and --var-file: Terraform lets the later one win."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        order: list[str] = []
        for arg in args:
            if arg == "--":
                break
            name = arg.split("=", 1)[0]
            if name in ("--var", "--var-file"):
                order.append(name)
        ctx.meta["iac_exposure.var_order"] = order
        return super().parse_args(ctx, args)


def _variables(ctx: click.Context, var: tuple[str, ...], var_file: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    values, files = list(var), list(var_file)
    out: list[tuple[str, str]] = []
    for name in ctx.meta.get("iac_exposure.var_order", []):
        if name == "--var" and values:
            out.append(("var", values.pop(0)))
        elif name == "--var-file" and files:
            out.append(("file", files.pop(0)))
    out += [("file", f) for f in files] + [("var", v) for v in values]
    for kind, raw in out:
        if kind == "var" and "=" not in raw:
            raise click.BadParameter(f"{raw!r} is not NAME=VALUE", param_hint="--var")
    return tuple(out)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iac-exposure")
def main() -> None:
    """Find the EC2 exposures AWS Security Hub would report, before you deploy, with a patch for each."""


class ConfigFileError(click.ClickException):
    exit_code = 2


@main.command(cls=_ScanCommand)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE.")
@click.option(
    "--config", "config_file", type=click.Path(dir_okay=False), metavar="FILE",
    help="Read settings from FILE instead of the nearest pyproject.toml [tool.iac-exposure] / .iac-exposure.toml.",
)  # fmt: skip
@click.option("--select", multiple=True, metavar="TRAIT", help="Only these traits (repeatable, comma-separated).")
@click.option("--ignore", multiple=True, metavar="TRAIT", help="Not these traits (repeatable, comma-separated).")
@click.option(
    "--fail-on", type=click.Choice(SEVERITIES), default=None,
    help="Exit 1 when a finding is at or above this severity (default: low).",
)  # fmt: skip
@click.option("--diff", "show_diff", is_flag=True, help="Print the applicable patches as one unified diff.")
@click.option("--fix", "apply_fixes", is_flag=True, help="Apply the applicable patches to the files, then re-scan.")
@click.option("--unsafe-fixes", is_flag=True, help="Include patches that change behaviour in --diff and --fix.")
@click.option(
    "--imds-account-default", type=click.Choice(["no-preference", "optional", "required"]), default=None,
    help="The account's IMDS default; 'required' silences unset http_tokens (default: no-preference).",
)  # fmt: skip
@click.option("--show-suppressed", is_flag=True, help="List the suppressed findings too.")
@click.option(
    "--baseline", "baseline_file", type=click.Path(dir_okay=False), metavar="FILE",
    help="Report only findings not recorded in FILE.",
)  # fmt: skip
@click.option(
    "--write-baseline", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
    help="Record the current findings in FILE (a later --baseline FILE reports only new ones), then exit 0.",
)  # fmt: skip
@click.option(
    "--vulnerabilities",
    "vulnerability_files",
    multiple=True,
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Amazon Inspector findings (`aws inspector2 list-findings` JSON) for the AMIs (repeatable).",
)
@click.option(
    "--epss-threshold",
    type=click.FloatRange(0, 1),
    default=None,
    help="EPSS score from which a network-vector CVE without a known exploit counts as network-exploitable "
    "(default: 0.1).",
)
@click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="DATE",
    help="Judge end-of-life dates as of this day (YYYY-MM-DD) instead of today.",
)  # fmt: skip
@click.option(
    "--var-file", multiple=True, type=click.Path(exists=True, dir_okay=False),
    help="Terraform variables file for root modules (repeatable; in order with --var, later wins).",
)  # fmt: skip
@click.option("--var", multiple=True, metavar="NAME=VALUE", help="Terraform root variable (repeatable).")
@click.option(
    "--source-dir", type=click.Path(exists=True, file_okay=False), metavar="DIR",
    help="Where the configuration of a Terraform plan JSON is (default: the plan's directory).",
)  # fmt: skip
@click.option("--no-cache", is_flag=True, help="Parse and analyse everything again: no cache read or written.")
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
    help="Analyse root modules in N processes on large scans (default: one per CPU).",
)  # fmt: skip
@click.option(
    "--cache-dir", type=click.Path(file_okay=False), metavar="DIR",
    help="Where parsed files, reusable results and recorded runs are kept (default: $XDG_CACHE_HOME/iac-exposure).",
)  # fmt: skip
@click.option(
    "--parameter", "parameters", multiple=True, metavar="NAME=VALUE",
    help="A CloudFormation parameter value, used instead of its Default (repeatable).",
)  # fmt: skip
@click.option("--color/--no-color", default=None, help="Colour the text output (default: on a terminal).")
@click.option("--quiet", "-q", is_flag=True, help="Text output without patches.")
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks of internal errors.")
def scan(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    config_file: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    show_diff: bool,
    apply_fixes: bool,
    unsafe_fixes: bool,
    imds_account_default: str | None,
    show_suppressed: bool,
    baseline_file: str | None,
    write_baseline: str | None,
    vulnerability_files: tuple[str, ...],
    epss_threshold: float | None,
    as_of: datetime | None,
    var_file: tuple[str, ...],
    var: tuple[str, ...],
    source_dir: str | None,
    no_cache: bool,
    jobs: int | None,
    cache_dir: str | None,
    parameters: tuple[str, ...],
    color: bool | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Scan Terraform files, plan JSON, CloudFormation templates and launch-template JSON, files or
    directories (default: .)."""
    from pathlib import Path

    from .api import UsageError, combined_patch
    from .api import scan as run_scan
    from .limits import tune_gc

    tune_gc()
    chosen, dropped = _split(select), _split(ignore)
    if chosen or dropped:  # the traits are imported only to check names, or to run them
        from .traits import by_id

        known = by_id()
        for trait in sorted(chosen | dropped):
            if trait not in known:
                raise click.UsageError(f"unknown trait {trait!r}; see `iac-exposure traits`")
    targets = paths or (".",)
    overrides: dict[str, Any] = {
        "select": chosen if select else None,
        "ignore": dropped if ignore else None,
        "fail_on": fail_on,
        "imds_account_default": imds_account_default,
        "vulnerability_files": vulnerability_files or None,
        "epss_threshold": epss_threshold,
        "as_of": as_of.date() if as_of else None,
        "variables": _variables(click.get_current_context(), var, var_file) or None,
        "source_dir": source_dir,
        "parameters": _parameters(parameters) or None,
        "use_cache": False if no_cache else None,
        "jobs": jobs,
        "cache_dir": Path(cache_dir) if cache_dir else None,
        # writing a baseline records every current finding, whatever an older baseline holds
        "baseline": Path(baseline_file) if baseline_file and not write_baseline else None,
    }
    config = replace(_file_config(config_file, targets), **{k: v for k, v in overrides.items() if v is not None})
    from . import cache, replay

    replay.settle(config.use_cache, config.cache_dir or cache.cache_dir())
    if show_diff and apply_fixes:
        raise click.UsageError("--diff shows what --fix would do: use one of them")
    bar = _progress_bar()
    try:
        report = run_scan(targets, config, progress=bar)
        if apply_fixes:
            _fix(report, unsafe_fixes)
            report = run_scan(targets, config, progress=bar)  # what remains
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()

    if write_baseline:
        from . import baseline

        count = baseline.write((r.finding for r in report.results), Path(write_baseline))
        click.echo(f"Recorded {count} finding{'s' if count != 1 else ''} in {write_baseline}.", err=True)
        sys.exit(2 if any(d.error for d in report.diagnostics) else 0)
    if show_diff:
        diff, hidden = combined_patch(report, unsafe_fixes)
        _emit(diff, output)
        if hidden:
            click.echo(f"{hidden} unsafe patch(es) not shown; add --unsafe-fixes to include them.", err=True)
    elif fmt == "json":
        from .reporters import json as json_reporter

        _emit(json_reporter.chunks(report, show_suppressed=show_suppressed), output)
    elif fmt == "text":
        from .reporters import text

        use_colour = color if color is not None else (output is None and sys.stdout.isatty())
        _emit(text.chunks(report, colour=use_colour, show_patches=not quiet, show_suppressed=show_suppressed), output)
    else:  # the CI formats: what is reported, the files not analysed and the suppressions that do not hold
        from importlib import import_module

        _emit(import_module(f".reporters.{fmt}", __package__).render(report), output)

    if any(d.kind in ("internal-error", "too-slow") for d in report.diagnostics):
        replay.unrepeatable("an internal error or a time limit shaped the report")
    if verbose:
        for diagnostic in report.diagnostics:
            if diagnostic.detail:
                click.echo(f"{diagnostic.file}: {diagnostic.detail}", err=True)
    threshold = SEVERITIES.index(config.fail_on)
    if any(d.error for d in report.diagnostics):
        sys.exit(2)
    from .results import severities

    if any(SEVERITIES.index(severity) >= threshold for severity in severities(report.results)):
        sys.exit(1)


def _file_config(explicit: str | None, targets: tuple[str, ...]) -> Config:
    """The settings of the config file governing `targets` (defaults without one)."""
    from pathlib import Path

    from . import config_file

    try:
        path = Path(explicit) if explicit else config_file.find(targets)
        return config_file.load(path) if path is not None else Config()
    except config_file.ConfigError as exc:
        raise ConfigFileError(str(exc)) from None


def _progress_bar() -> ProgressBar | None:
    from . import progress

    return progress.ProgressBar(sys.stderr) if progress.wanted(sys.stderr) else None


def _fix(report: Report, unsafe: bool) -> None:
    from .fixer import fix

    outcome = fix(report, unsafe)
    files = len(outcome.files_written)
    click.echo(f"Fixed {len(outcome.fixed)} finding(s) in {files} file(s).", err=True)
    for name in outcome.files_written:
        click.echo(f"  wrote {name}", err=True)
    for name, why in outcome.files_refused:
        click.echo(f"  did not write {name}: {why}", err=True)
    reasons: dict[str, int] = {}
    for _, why in outcome.skipped:
        reasons[why] = reasons.get(why, 0) + 1
    for why, count in sorted(reasons.items()):
        click.echo(f"  skipped {count}: {why}", err=True)


def _parameters(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r} is not NAME=VALUE", param_hint="--parameter")
        pairs.append((name.strip(), rest))
    return tuple(pairs)


def _emit(text: str | Iterable[str], output: str | None) -> None:
    """Write the report to `output` or standard output; piece by piece when it comes in pieces."""
    pieces = [text] if isinstance(text, str) else _batched(text)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.writelines(pieces)
    else:
        for piece in pieces:
            click.echo(piece, nl=False)


def _batched(pieces: Iterable[str], size: int = 1 << 16) -> Iterator[str]:
    """Small pieces joined into writes of about `size`; a piece that is big enough is written as it is."""
    batch: list[str] = []
    length = 0
    for piece in pieces:
        if not batch and len(piece) >= size:
            yield piece
            continue
        batch.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(batch)
            batch, length = [], 0
    if batch:
        yield "".join(batch)


@main.command()
def traits() -> None:
    """List the traits."""
    from .traits import TRAITS

    for module in TRAITS:
        meta = module.META
        click.echo(f"{meta.id:26} {meta.category.value:17} {meta.severity.value:8} {meta.title}")


@main.command()
@click.argument("trait")
def explain(trait: str) -> None:
    """Explain a trait: what it flags, why, an example, the fix and its safety."""
    from .traits import by_id

    module = by_id().get(trait)
    if module is None:
        raise click.UsageError(f"unknown trait {trait!r}; see `iac-exposure traits`")
    meta = module.META
    click.echo(f"# {meta.id} — {meta.title}\n")
    click.echo(f"Category: {meta.category.value}. Severity: {meta.severity.value}. Fix: {meta.fix_title}.\n")
    click.echo((module.__doc__ or "").strip() + "\n")
    from .exposures import DEFAULT_TABLE

    rows = DEFAULT_TABLE.explain(meta.id)
    if rows:
        click.echo("## In exposures (our likelihood × impact table; configurable)")
        click.echo("".join(f"- {row}\n" for row in rows))


@main.command("github-review")
@click.option("--repo", required=True, metavar="OWNER/NAME", help="The repository of the pull request.")
@click.option("--pr", type=click.IntRange(min=1), required=True, metavar="N", help="The pull request number.")
@click.option("--commit", metavar="SHA", help="The commit reviewed (default: the pull request's head).")
@click.option(
    "--api-url", envvar="GITHUB_API_URL", default="https://api.github.com", show_default=True,
    help="The REST API root (GitHub Enterprise: https://HOST/api/v3). Environment: GITHUB_API_URL.",
)  # fmt: skip
def github_review(repo: str, pr: int, commit: str | None, api_url: str) -> None:
    """Post one review on a pull request: inline suggestions for findings on its changed lines, the rest in
    the review body. Run it at the root of the pull request's checkout; the token comes from GITHUB_TOKEN.
    Exit 0 when the review is posted or up to date, 2 when GitHub or the options refuse."""
    import os

    from .github.client import Client, GitHubError
    from .github.pull_request import REPO, PartlyPublished, run
    from .limits import tune_gc

    tune_gc()
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        raise click.UsageError("GITHUB_TOKEN is not set: export a token that may write pull-request reviews")
    if not REPO.fullmatch(repo):
        raise click.UsageError(f"--repo must be OWNER/NAME, not {repo!r}")
    try:
        outcome = run(Client(api_url, token), repo, pr, commit, _file_config(None, (".",)))
    except GitHubError as exc:
        suffix = "" if isinstance(exc, PartlyPublished) else "; nothing was posted"
        click.echo(f"error: {exc}{suffix}", err=True)
        sys.exit(2)
    review = outcome.review
    click.echo(
        f"{repo}#{pr}: {outcome.action}; {len(review.inline)} finding(s) with inline suggestions in "
        f"{len(review.comments)} comment(s), {len(review.listed)} in the review body."
    )
