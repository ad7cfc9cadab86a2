"""The command line: thin — options → api.scan → a reporter."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from . import __version__

if TYPE_CHECKING:
    from .api import Report

_FORMATS = ("text", "json")
_SEVERITIES = ("low", "medium", "high", "critical")


def _split(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(v.strip() for value in values for v in value.split(",") if v.strip())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iac-exposure")
def main() -> None:
    """Find the EC2 exposures AWS Security Hub would report, before you deploy, with a patch for each."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE.")
@click.option("--select", multiple=True, metavar="TRAIT", help="Only these traits (repeatable, comma-separated).")
@click.option("--ignore", multiple=True, metavar="TRAIT", help="Not these traits (repeatable, comma-separated).")
@click.option(
    "--fail-on", type=click.Choice(_SEVERITIES), default="low", show_default=True,
    help="Exit 1 when a finding is at or above this severity.",
)  # fmt: skip
@click.option("--diff", "show_diff", is_flag=True, help="Print the applicable patches as one unified diff.")
@click.option("--fix", "apply_fixes", is_flag=True, help="Apply the applicable patches to the files, then re-scan.")
@click.option("--unsafe-fixes", is_flag=True, help="Include patches that change behaviour in --diff and --fix.")
@click.option(
    "--imds-account-default", type=click.Choice(["no-preference", "optional", "required"]), default="no-preference",
    show_default=True, help="The account's IMDS default; 'required' silences unset http_tokens.",
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
    default=0.1,
    show_default=True,
    help="EPSS score from which a network-vector CVE without a known exploit counts as network-exploitable.",
)
@click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="DATE",
    help="Judge end-of-life dates as of this day (YYYY-MM-DD) instead of today.",
)  # fmt: skip
@click.option("--color/--no-color", default=None, help="Colour the text output (default: on a terminal).")
@click.option("--quiet", "-q", is_flag=True, help="Text output without patches.")
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks of internal errors.")
def scan(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str,
    show_diff: bool,
    apply_fixes: bool,
    unsafe_fixes: bool,
    imds_account_default: str,
    vulnerability_files: tuple[str, ...],
    epss_threshold: float,
    as_of: datetime | None,
    color: bool | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Scan Terraform files and directories (default: the current directory)."""
    from .api import UsageError, combined_patch
    from .api import scan as run_scan
    from .config import Config
    from .traits import by_id

    known = by_id()
    chosen, dropped = _split(select), _split(ignore)
    for trait in sorted(chosen | dropped):
        if trait not in known:
            raise click.UsageError(f"unknown trait {trait!r}; see `iac-exposure traits`")
    config = Config(
        select=chosen,
        ignore=dropped,
        imds_account_default=imds_account_default,
        vulnerability_files=vulnerability_files,
        epss_threshold=epss_threshold,
        as_of=as_of.date() if as_of else None,
    )
    if show_diff and apply_fixes:
        raise click.UsageError("--diff shows what --fix would do: use one of them")
    try:
        report = run_scan(paths or (".",), config)
        if apply_fixes:
            _fix(report, unsafe_fixes)
            report = run_scan(paths or (".",), config)  # what remains
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None

    if show_diff:
        diff, hidden = combined_patch(report, unsafe_fixes)
        _emit(diff, output)
        if hidden:
            click.echo(f"{hidden} unsafe patch(es) not shown; add --unsafe-fixes to include them.", err=True)
    elif fmt == "json":
        from .reporters import json as json_reporter

        _emit(json_reporter.render(report), output)
    else:
        from .reporters import text

        use_colour = color if color is not None else (output is None and sys.stdout.isatty())
        _emit(text.render(report, colour=use_colour, show_patches=not quiet), output)

    if verbose:
        for diagnostic in report.diagnostics:
            if diagnostic.detail:
                click.echo(f"{diagnostic.file}: {diagnostic.detail}", err=True)
    threshold = _SEVERITIES.index(fail_on)
    if any(d.error for d in report.diagnostics):
        sys.exit(2)
    if any(_SEVERITIES.index(r.finding.trait.severity.value) >= threshold for r in report.results):
        sys.exit(1)


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


def _emit(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)


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
