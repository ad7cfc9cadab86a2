"""The Terraform HCL writer: remedies → edits on the original text, in the file's own style."""

from __future__ import annotations

import json
import re
from typing import Any

from ..model.aws import SecurityGroupRule
from ..model.values import Origin, Sourced
from ..source import SourceFile, Span
from .edits import Edit
from .remedies import (
    Action,
    NewInput,
    ReferenceOwnGroup,
    RemoveBlock,
    RemoveItem,
    ReplaceItem,
    ReplaceWithInput,
    SetValue,
    UseParameter,
)
from .render import PatchContext, Unpatchable

AnySourced = Sourced[Any]


class Inputs:
    """New inputs added by patches: one variable per module and kind, named so it never collides."""

    def __init__(self) -> None:
        self._chosen: dict[tuple[str, str], tuple[str, Edit]] = {}

    def declare(self, file: SourceFile, new: NewInput, siblings: list[SourceFile]) -> tuple[str, Edit]:
        module = file.path.parent.as_posix()
        key = (module, new.name)
        if key not in self._chosen:
            taken: set[str] = set()
            for sib in siblings:
                taken.update(re.findall(r'^\s*variable\s+"?([\w-]+)"?\s*\{', sib.text, re.MULTILINE))
            name, n = new.name, 1
            while name in taken:
                n += 1
                name = f"{new.name}_{n}"
            self._chosen[key] = (name, _declaration(file, name, new))
        return self._chosen[key]


def check(text: str) -> None:
    """Raise ParseError when patched text is no longer HCL."""
    from ..parsers import hcl_fast

    if hcl_fast.parse(text) is not None:
        return  # it only accepts what python-hcl2 accepts
    import hcl2
    from lark.exceptions import LarkError

    from ..parsers import ParseError

    try:
        hcl2.parses_to_tree(text)
    except (LarkError, RecursionError, ValueError) as exc:
        raise ParseError(str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error") from None


class Parameters:
    """`data "aws_ssm_parameter"` blocks added by patches: one per module and path, reusing a block the module
    already has for that path, named so it never collides."""

    def __init__(self) -> None:
        self._chosen: dict[tuple[str, str], tuple[str, Edit | None]] = {}

    def declare(self, file: SourceFile, path: str, name: str, siblings: list[SourceFile]) -> tuple[str, Edit | None]:
        module = file.path.parent.as_posix()
        key = (module, path)
        if key not in self._chosen:
            taken = {chosen for (mod, _), (chosen, _) in self._chosen.items() if mod == module}
            for sib in siblings:
                for match in _SSM_DATA.finditer(sib.text):
                    if match.group("path") == path:
                        self._chosen[key] = (match.group("name"), None)
                        return self._chosen[key]
                    taken.add(match.group("name"))
            chosen, n = name, 1
            while chosen in taken:
                n += 1
                chosen = f"{name}_{n}"
            self._chosen[key] = (chosen, _parameter_declaration(file, chosen, path))
        return self._chosen[key]


_SSM_DATA = re.compile(
    r'^\s*data\s+"aws_ssm_parameter"\s+"(?P<name>[\w-]+)"\s*\{(?:[^{}]*?\bname\s*=\s*"(?P<path>[^"]*)")?',
    re.MULTILINE,
)


def _parameter_declaration(file: SourceFile, name: str, path: str) -> Edit:
    text = file.text
    lead = "" if text.endswith("\n") or not text else "\n"
    block = f'{lead}\ndata "aws_ssm_parameter" "{name}" {{\n  name = {_string(path)}\n}}\n'
    return Edit(file, len(text), len(text), block.replace("\n", newline(file)))


def newline(file: SourceFile) -> str:
    """The file's line ending: CRLF files stay CRLF."""
    return "\r\n" if "\r\n" in file.text else "\n"


def _declaration(file: SourceFile, name: str, new: NewInput) -> Edit:
    text = file.text
    lead = "" if text.endswith("\n") or not text else "\n"
    check = f"can(cidrhost(var.{name}, 0))"
    block = (
        f'{lead}\nvariable "{name}" {{\n'
        f"  description = {_string(new.description)}\n"
        f"  type        = string\n\n"
        f"  validation {{\n"
        f'    condition     = {check} && !endswith(var.{name}, "/0")\n'
        f'    error_message = "Must be a CIDR narrower than the whole internet."\n'
        f"  }}\n"
        f"}}\n"
    )
    return Edit(file, len(text), len(text), block.replace("\n", newline(file)))


def edits(action: Action, ctx: PatchContext) -> list[Edit]:
    inputs: Inputs = ctx.memo.setdefault("hcl.inputs", Inputs())
    siblings = ctx.siblings
    if isinstance(action, SetValue):
        return [_set_value(action.target, action.value)]
    if isinstance(action, ReplaceWithInput):
        if _literal_only(action.target):
            return [_leave_to_user(action.target, ctx)]
        span = _own_span(action.target)
        name, declaration = inputs.declare(span.file, action.input, siblings)
        return [Edit(span.file, span.start, span.end, f"var.{name}"), declaration]
    if isinstance(action, ReplaceItem):
        span = _own_span(action.target)
        rendered = ", ".join(_string(v) for v in action.values)
        if not _in_list(span):
            rendered = f"[{rendered}]"
        return [Edit(span.file, span.start, span.end, rendered)]
    if isinstance(action, RemoveItem):
        span = _own_span(action.target)
        if _is_block(span):  # a nested block (a policy document's `statement`)
            return [_remove_lines(span)]
        return [_remove_item(span)]
    if isinstance(action, RemoveBlock):
        if action.target.span is None:
            raise Unpatchable("the block has no location in a file")
        return [_remove_block(action.target.span, siblings, _local_address(action.target.address))]
    if isinstance(action, ReferenceOwnGroup):
        return _reference_own_group(action)
    if isinstance(action, UseParameter):
        return _use_parameter(action, ctx)
    raise Unpatchable(f"no HCL writer for {type(action).__name__}")


def _use_parameter(action: UseParameter, ctx: PatchContext) -> list[Edit]:
    current = action.current
    if current is not None and current.explicit and current.via is None and current.span is not None:
        span = current.span
        if span == action.target.span:  # the image setting itself is a `resolve:ssm:` string
            return [Edit(span.file, span.start, span.end, _string(f"resolve:ssm:{action.path}"))]
        return [Edit(span.file, span.start, span.end, _string(action.path))]
    span = _own_span(action.target)
    parameters: Parameters = ctx.memo.setdefault("hcl.parameters", Parameters())
    name, declaration = parameters.declare(span.file, action.path, action.name, ctx.siblings)
    reference = Edit(span.file, span.start, span.end, f"data.aws_ssm_parameter.{name}.value")
    return [reference] if declaration is None else [reference, declaration]


def _own_span(target: AnySourced) -> Span:
    """The text of the value itself; a value that comes through a variable is changed where it is used."""
    if target.span is None:
        where = " on the command line" if target.via and target.via.startswith("var.") else ""
        raise Unpatchable(f"the value{' of ' + target.via if target.via else ''} is set{where}, not in a file")
    if target.via is not None:
        raise Unpatchable(f"the value comes from {target.via}; change it where it is set")
    return target.span


def _literal_only(target: AnySourced) -> bool:
    """A variable's value written where Terraform takes only literals: a variables file or a default."""
    return target.via is not None and target.via.startswith("var.") and target.span is not None


def _leave_to_user(target: AnySourced, ctx: PatchContext) -> Edit:
    """A value only the user knows, where only a literal may be written (a `.tfvars` file, a variable's
    `default`): remove it, so the variable has no value and Terraform asks for it (or its default, when a
    variables file overrode one, applies again). From a list of several values, only that one goes."""
    span = target.span
    assert span is not None
    owner = _assignment_holding(span, ctx)
    if owner is None:
        raise Unpatchable(f"the value comes from {target.via}; change it where it is set")
    name, whole, expr, elements = owner
    if (expr.start, expr.end) == (span.start, span.end):
        return _remove_lines(whole, comments=False)
    if any((e.start, e.end) == (span.start, span.end) for e in elements):
        return _remove_lines(whole, comments=False) if len(elements) == 1 else _remove_item(span)
    raise Unpatchable(
        f"{span.text} is written inside `{name}` in {span.file.display}, where only literal values are allowed: "
        "replace it there with the CIDR you trust"
    )


def _assignment_holding(span: Span, ctx: PatchContext) -> tuple[str, Span, Span, list[Span]] | None:
    """(name, `name = value` span, value span, spans of the value's elements when it is a list literal) of the
    variables-file assignment or variable default holding `span`."""
    from ..parsers import ParseError
    from ..parsers.terraform_hcl import node_span, parse_body

    parsed: dict[int, Any] = ctx.memo.setdefault("hcl.parsed", {})
    file = span.file
    if id(file) not in parsed:
        try:
            parsed[id(file)] = parse_body(file)
        except ParseError:
            parsed[id(file)] = ({}, [])
    attributes, blocks = parsed[id(file)]
    candidates = [(name, attr) for name, attr in attributes.items()] if _is_tfvars(file) else [
        (b.labels[0], b.attributes["default"]) for b in blocks
        if b.type == "variable" and b.labels and "default" in b.attributes
    ]  # fmt: skip
    for name, attr in candidates:
        if attr.span.start <= span.start and span.end <= attr.span.end:
            return name, attr.span, node_span(file, attr.expr), _list_elements(file, attr.expr)
    return None


def _is_tfvars(file: SourceFile) -> bool:
    return file.path.name.endswith(".tfvars")


def _list_elements(file: SourceFile, expr: Any) -> list[Span]:
    """The spans of a list literal's direct elements; [] when the value is not a list literal."""
    from ..parsers.terraform_hcl import node_span

    while getattr(expr, "data", None) == "expr_term" and len(expr.children) == 1:
        expr = expr.children[0]
    if getattr(expr, "data", None) != "tuple":
        return []
    return [
        node_span(file, c) for c in expr.children if getattr(c, "data", "new_line_or_comment") != "new_line_or_comment"
    ]


def _is_block(span: Span) -> bool:
    first = span.text.split("\n", 1)[0]
    return span.text.endswith("}") and _NESTED_BLOCK.match(first) is not None


def _local_address(address: str) -> str:
    """`module.net.aws_x.y["k"]` → `aws_x.y`: how the module's own files refer to the block."""
    return _INSTANCE_KEY.sub("", _MODULE_PREFIX.sub("", address))


_MODULE_PREFIX = re.compile(r'^(?:module\.[\w-]+(?:\[(?:\d+|"(?:[^"\\]|\\.)*")\])?\.)+')
_INSTANCE_KEY = re.compile(r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]$')


def render(value: Any, like: str = "") -> str:
    """An HCL literal; a boolean stays a string where the original was one (launch templates)."""
    if isinstance(value, bool):
        word = "true" if value else "false"
        return f'"{word}"' if like.startswith('"') else word
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render(v) for v in value) + "]"
    raise Unpatchable(f"cannot write {value!r} as HCL")


def _string(value: str) -> str:
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def _set_value(target: AnySourced, value: Any) -> Edit:
    if target.span is None:
        raise Unpatchable("the value has no location in a file")
    if target.origin is not Origin.DEFAULT:
        span = target.span
        return Edit(span.file, span.start, span.end, render(value, span.text))
    return _insert(target.span, target.missing, render(value))


def _insert(block: Span, path: tuple[str, ...], rendered: str) -> Edit:
    """Insert `a { b = value }` (the missing path) before the closing brace of `block`."""
    file, text = block.file, block.file.text
    close = block.end - 1
    if text[close] != "}":
        raise Unpatchable("the block does not end with a closing brace")
    nl = newline(file)
    indent = file.indent_at(block.start)
    unit = _indent_unit(block, indent)
    lines: list[str] = []
    depth = 1
    for name in path[:-1]:
        lines.append(f"{indent}{unit * depth}{name} {{")
        depth += 1
    lines.append(f"{indent}{unit * depth}{path[-1]} = {rendered}")
    for _ in path[:-1]:
        depth -= 1
        lines.append(f"{indent}{unit * depth}}}")
    if len(path) == 1:
        at = _after_last_attribute(block)
        if at is not None:
            return Edit(file, at, at, _aligned(lines[0], text, at) + nl)
    body = nl.join(lines) + nl
    line_start = file.line_start(close)
    if text[line_start:close].strip() == "":
        return Edit(file, line_start, line_start, body)
    opening = text.index("{", block.start) + 1
    inner = text[opening:close]
    if inner.strip() == "":  # `metadata_options {}`: open it up
        return Edit(file, opening, close, nl + body + indent)
    if "\n" not in inner:  # a one-line block `{ ami = "x" }` may hold one argument only: open it up
        return Edit(file, opening, close + 1, f"{nl}{indent}{unit}{inner.strip()}{nl}{body}{indent}}}")
    return Edit(file, close, close, nl + body + indent)


_NESTED_BLOCK = re.compile(r'^[ \t]*[A-Za-z_][\w-]*(?:[ \t]+(?:"[^"\n]*"|[A-Za-z_][\w-]*))*[ \t]*\{[ \t]*$')
_ATTRIBUTE = re.compile(r"^([ \t]*)([A-Za-z_][\w-]*)([ \t]*)=(?!=)")


def _after_last_attribute(block: Span) -> int | None:
    """Where a new attribute goes when the block has nested blocks: after the attributes, before the
    first nested block (Terraform's style). None when the block has no nested block at its top level."""
    text = block.file.text
    body_start = text.index("{", block.start) + 1
    depth, line_begin, last_attr_end = 0, body_start, None
    pos = body_start
    for line in text[body_start : block.end - 1].split("\n"):
        if depth == 0:
            if _NESTED_BLOCK.match(line):
                return last_attr_end
            if line.strip() and not line.strip().startswith(("#", "//")):
                last_attr_end = None
        depth += line.count("{") + line.count("[") + line.count("(")
        depth -= line.count("}") + line.count("]") + line.count(")")
        pos = line_begin + len(line) + 1
        if depth == 0 and line.strip() and not line.strip().startswith(("#", "//")):
            last_attr_end = pos
        line_begin = pos
    return None


def _aligned(line: str, text: str, at: int) -> str:
    """Pad `name = value` to the `=` column of the attribute just above it, as `terraform fmt` aligns."""
    prev_start = text.rfind("\n", 0, at - 1) + 1
    above = _ATTRIBUTE.match(text[prev_start : at - 1])
    mine = _ATTRIBUTE.match(line)
    if above is None or mine is None or len(above.group(1)) != len(mine.group(1)):
        return line
    column = len(above.group(1)) + len(above.group(2)) + len(above.group(3))
    width = len(mine.group(1)) + len(mine.group(2))
    if width >= column:
        return line
    return mine.group(1) + mine.group(2) + " " * (column - width) + line[mine.end() - 1 :]


def _indent_unit(block: Span, indent: str) -> str:
    """The file's indentation step: from the first indented line inside the block, else from the first
    line indented under any block of the file, else two spaces (`terraform fmt`)."""
    text = block.file.text
    for line in text[block.start : block.end].split("\n")[1:]:
        stripped = line.lstrip(" \t")
        if stripped and line.startswith(indent):
            step = line[len(indent) : len(line) - len(stripped)]
            if step:
                return step
    found = re.search(r"\{[ \t]*\r?\n([ \t]+)\S", text)
    return found.group(1) if found else "  "


def _in_list(span: Span) -> bool:
    text = span.file.text
    before = text[: span.start].rstrip()
    after = text[span.end :].lstrip()
    return before.endswith(("[", ",")) and after.startswith(("]", ","))


def _remove_item(span: Span) -> Edit:
    """Remove one element with its separator; a line holding only the element goes whole."""
    file, text = span.file, span.file.text
    start, end = span.start, span.end
    j = end
    while j < len(text) and text[j] in " \t":
        j += 1
    if j < len(text) and text[j] == ",":
        end = j + 1
        line_start = file.line_start(start)
        k = end
        while k < len(text) and text[k] in " \t":
            k += 1
        if text[line_start:start].strip() == "" and (k >= len(text) or text[k] == "\n"):
            return Edit(file, line_start, min(k + 1, len(text)), "")  # the element's whole line
        while end < len(text) and text[end] in " \t":
            end += 1
        return Edit(file, start, end, "")
    i = start
    while i > 0 and text[i - 1] in " \t\r\n":
        i -= 1
    if i > 0 and text[i - 1] == ",":  # the last element: take the comma before it
        return Edit(file, i - 1, end, "")
    line_start = file.line_start(start)
    line_end = text.find("\n", end)
    if text[line_start:start].strip() == "" and line_end != -1 and text[end:line_end].strip() == "":
        return Edit(file, line_start, line_end + 1, "")  # the only element, alone on its line
    return Edit(file, start, end, "")  # the only element


def _remove_block(span: Span, siblings: list[SourceFile], address: str) -> Edit:
    """Remove a resource block, unless something else refers to it."""
    for sib in siblings:
        if _mentions(sib.text, address, span if sib is span.file else None):
            raise Unpatchable(f"{address} is referenced elsewhere; remove the references with it")
    return _remove_lines(span)


def _mentions(text: str, word: str, outside: Span | None) -> bool:
    """`word` occurs in `text` between word boundaries (as regex `\b` has them), outside `outside`.
    A substring search, not a regex per address: it runs once per file and finding."""
    pos = text.find(word)
    while pos != -1:
        end = pos + len(word)
        if (
            (outside is None or not outside.start <= pos < outside.end)
            and _is_word(text, pos - 1) != _is_word(text, pos)
            and _is_word(text, end - 1) != _is_word(text, end)
        ):
            return True
        pos = text.find(word, pos + 1)
    return False


def _is_word(text: str, i: int) -> bool:
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


def _remove_lines(span: Span, comments: bool = True) -> Edit:
    """Remove the lines of a block or attribute, the comment lines just above it (when they belong to it:
    a block's, not an assignment's, which may be the file's header), and one blank line."""
    file, text = span.file, span.file.text
    start = file.line_start(span.start)
    while comments and start > 0:
        prev = file.line_start(start - 1)
        line = text[prev : start - 1].strip()
        if not line.startswith(("#", "//")):
            break
        start = prev
    end = text.find("\n", span.end)
    end = len(text) if end == -1 else end + 1
    line_before = text[file.line_start(start - 1) : start].strip() if start > 0 else ""
    before_blank = start == 0 or line_before == ""
    next_end = text.find("\n", end)
    next_line = text[end : next_end if next_end != -1 else len(text)].strip()
    if (before_blank or line_before.endswith("{")) and next_line == "" and next_end != -1:
        end = next_end + 1  # keep one blank line between neighbours, not two
    elif before_blank and start > 0 and (next_line.startswith("}") or end >= len(text)):
        start = file.line_start(start - 1)  # the last block of its parent or file: no blank line left
    return Edit(file, start, end, "")


def _reference_own_group(action: ReferenceOwnGroup) -> list[Edit]:
    """`cidr_blocks = [X]` → `self = true` (keeping the `=` column); `cidr_ipv4 = X` →
    `referenced_security_group_id = <the rule's security_group_id>` for the one-source-per-rule resources."""
    rule = action.rule
    span = _in_rule(action.target, rule)
    file, text = span.file, span.file.text
    if rule.type in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
        line_start = file.line_start(span.start)
        head = re.match(r"[ \t]*([A-Za-z_][\w-]*)[ \t]*=[ \t]*$", text[line_start : span.start])
        if head is None:
            raise Unpatchable("the CIDR is not written as its own attribute")
        group = _in_rule(rule.security_group, rule)
        return [Edit(file, line_start + head.start(1), span.end, f"referenced_security_group_id = {group.text}")]
    listed = _list_attribute(span)
    if listed is None:
        raise Unpatchable("the CIDR is not written in a list of the rule")
    name_start, eq_col, list_end, only = listed
    if rule.type == "aws_security_group_rule" and (len(rule.cidrs) > 1 or rule.sources):
        raise Unpatchable("`self` cannot be combined with other sources in aws_security_group_rule: "
                          "move them to a rule of their own first")  # fmt: skip
    self_attr = "self" + " " * max(1, eq_col - name_start - len("self")) + "= true"
    if only and rule.self_reference:
        line_start, line_end = file.line_start(name_start), text.find("\n", list_end)
        return [Edit(file, line_start, len(text) if line_end == -1 else line_end + 1, "")]
    if only:
        return [Edit(file, name_start, list_end, self_attr)]
    edits = [_remove_item(span)]
    if not rule.self_reference:
        nl = newline(file)
        line_end = text.find(nl, list_end)
        at = len(text) if line_end == -1 else line_end
        edits.append(Edit(file, at, at, nl + text[file.line_start(name_start) : name_start] + self_attr))
    return edits


def _in_rule(value: AnySourced, rule: SecurityGroupRule) -> Span:
    """The text of a value written in the rule itself: the rule is rewritten there even when the value came
    through a reference (a plan's substituted CIDR); a value set elsewhere (a variable's default) is not."""
    span, outer = value.span, rule.span
    if (
        span is None
        or outer is None
        or span.file is not outer.file
        or not outer.start <= span.start <= span.end <= outer.end
    ):
        raise Unpatchable(f"the value comes from {value.via or 'elsewhere'}; change it where it is set")
    return span


def _list_attribute(element: Span) -> tuple[int, int, int, bool] | None:
    """For an element of `name = [ … ]`: (start of name, offset of `=`, end of the list, is it the only element)."""
    text = element.file.text
    depth, i = 0, element.start - 1
    while i >= 0:
        ch = text[i]
        if ch in ")]}":
            depth += 1
        elif ch in "([{":
            if depth == 0:
                break
            depth -= 1
        i -= 1
    if i < 0 or text[i] != "[":
        return None
    line_start = element.file.line_start(i)
    head = re.match(r"[ \t]*([A-Za-z_][\w-]*)([ \t]*)=[ \t]*$", text[line_start:i])
    if head is None:
        return None
    depth, j = 0, element.end
    while j < len(text):
        ch = text[j]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        j += 1
    if j >= len(text) or text[j] != "]":
        return None
    rest = text[i + 1 : element.start] + text[element.end : j]
    rest = re.sub(r"(#|//)[^\n]*", "", rest)
    only = rest.replace(",", "").strip() == ""
    return line_start + head.start(1), line_start + head.end(2), j + 1, only
