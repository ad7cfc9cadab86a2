"""GitHub Actions workflow commands: one annotation per finding on its file and lines.

Escaping follows the Actions toolkit: `%`, CR and LF in the message; also `:` and `,` in properties.
"""

from __future__ import annotations

from ..api import Report
from ..findings import Severity
from ._common import remarks, where

_COMMAND = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "notice"}


def render(report: Report) -> str:
    out = []
    for result in report.results:
        f, patch = result.finding, result.patch
        span = where(f)
        props = {"title": f"{f.trait.id} ({f.trait.severity.value}): {f.resource.address}"}
        if span is not None:
            props = {"file": span.file.display, "line": str(span.start_line), "endLine": str(span.end_line), **props}
        message = "\n".join([f.message, *(f"- {line}" for line in f.evidence)])
        if patch is not None:
            message += f"\n{patch.applicability.value} fix: {patch.title} ({patch.reason})"
        out.append(command(_COMMAND[f.trait.severity], props, message))
    for d in remarks(report):
        props = {"file": d.file, **({"line": str(d.line)} if d.line else {}), "title": d.kind}
        out.append(command("error" if d.error else "notice", props, d.message))
    n = len(report.results)
    out.append(f"iac-exposure: {n} finding{'' if n == 1 else 's'} in {report.files_scanned} file(s)")
    return "\n".join(out) + "\n"


def command(name: str, props: dict[str, str], message: str) -> str:
    rendered = ",".join(f"{key}={_escape_property(value)}" for key, value in props.items())
    return f"::{name} {rendered}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
