"""JUnit XML for CI test-report viewers: a test suite per file, a failing test case per finding, an
erroring one per file that could not be analysed (skipped for an informational diagnostic), a single
passing case when there is nothing to report."""

from __future__ import annotations

import re
from collections import defaultdict
from xml.etree import ElementTree as ET

from ..api import Report, group_by_file
from ._common import remarks, where

# characters XML 1.0 cannot carry at all, even escaped
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(report: Report) -> str:
    suites: dict[str, ET.Element] = {}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"tests": 0, "failures": 0, "errors": 0, "skipped": 0})

    def suite(name: str) -> ET.Element:
        if name not in suites:
            suites[name] = ET.Element("testsuite", name=_clean(name))
        return suites[name]

    for file, results in group_by_file(report).items():
        for result in results:
            f, patch = result.finding, result.patch
            span = where(f)
            line = span.start_line if span else 0
            case = ET.SubElement(suite(file), "testcase", classname=_clean(file),
                                 name=_clean(f"{f.trait.id} {f.resource.address} (line {line})"),
                                 file=_clean(file), line=str(line))  # fmt: skip
            failure = ET.SubElement(case, "failure", message=_clean(f.message), type=f.trait.id)
            head = f"{f.trait.severity.value.upper()} {f.trait.id} on {f.resource.address} at {file}:{line}"
            text = "\n".join([head, f.message, *(f"- {evidence}" for evidence in f.evidence)])
            if patch is not None:
                text += f"\n{patch.applicability.value} fix: {patch.title} ({patch.reason})\n{patch.diff or ''}"
            failure.text = _clean(text)
            counts[file]["tests"] += 1
            counts[file]["failures"] += 1
    for d in remarks(report):
        case = ET.SubElement(suite(d.file), "testcase", classname=_clean(d.file), name=d.kind, file=_clean(d.file),
                             line=str(d.line or 0))  # fmt: skip
        outcome = "error" if d.error else "skipped"  # informational: the file was left out on purpose
        ET.SubElement(case, outcome, message=_clean(d.message), type=d.kind).text = _clean(d.message)
        counts[d.file]["tests"] += 1
        counts[d.file]["errors" if d.error else "skipped"] += 1
    if not suites:
        ET.SubElement(suite("iac-exposure"), "testcase", classname="iac-exposure",
                      name=f"no exposures in {report.files_scanned} file(s)")  # fmt: skip
        counts["iac-exposure"]["tests"] += 1

    root = ET.Element("testsuites", name="iac-exposure")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for name in sorted(suites):
        element = suites[name]
        for key, value in counts[name].items():
            element.set(key, str(value))
            totals[key] += value
        root.append(element)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)
