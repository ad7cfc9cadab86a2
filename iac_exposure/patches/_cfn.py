"""What the CloudFormation YAML and JSON writers share: finding the template node a value came from, choosing
new parameter names, and turning each remedy into edits. The `Style` of each format renders the text.

Edits are anchored on the template's nodes (the writer decodes the file again, once per scan), so an insertion
knows the mapping it goes into and a removal knows the list around the element.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol

from .._records import field, record, replace
from ..model.aws import Resource
from ..model.values import Origin, Sourced
from ..parsers.cloudformation import Node
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
Members = list[tuple[str, Any]]  # (key, rendered scalar text | nested Members)

SECTIONS_AFTER_PARAMETERS = ("Rules", "Mappings", "Conditions", "Transform", "Resources", "Outputs")
_NAMESPACES = ("Parameters", "Resources", "Mappings", "Conditions", "Outputs")
# values a patch rewrites where they are written: a parameter's default, a mapping's value
_WRITTEN_ELSEWHERE = ("parameter ", "Fn::FindInMap ")
_IPV4_PATTERN = r"^(\d{1,3}\.){3}\d{1,3}/([1-9]|[12]\d|3[0-2])$"
_IPV6_PATTERN = r"^[0-9a-fA-F:.]+/([1-9]|[1-9]\d|1[01]\d|12[0-8])$"


@record
class Located:
    node: Node
    parent: Node | None
    argument_of: str | None = None  # the intrinsic function whose argument list holds the node


class Tree:
    """A template's nodes, indexed by span."""

    def __init__(self, file: SourceFile) -> None:
        from ..parsers import ParseError
        from ..parsers.cloudformation import parse

        try:
            self.root = parse(file)
        except ParseError as exc:
            raise Unpatchable(f"the template does not decode: {exc.message}") from None
        self.file = file
        self.text = file.text
        self._by_span: dict[tuple[int, int], list[Located]] = {}
        self._index(self.root, None, None)

    def _index(self, node: Node, parent: Node | None, key: str | None, argument_of: str | None = None) -> None:
        """`key`: the node's member name in `parent`, when it is a mapping member."""
        if not node.exact:
            return
        located = Located(node, parent, argument_of)
        self._by_span.setdefault((node.span.start, node.span.end), []).append(located)
        if node.entry != node.span:
            self._by_span.setdefault((node.entry.start, node.entry.end), []).append(located)
        if isinstance(node.value, dict):
            for name, child in node.value.items():
                self._index(child, node, name)
        elif isinstance(node.value, tuple):
            function = key if key is not None and (key == "Ref" or key.startswith("Fn::")) else None
            for child in node.value:
                self._index(child, node, None, function)

    def _at(self, span: Span) -> list[Located]:
        if span.file is not self.file and span.file.path != self.file.path:
            return []
        return self._by_span.get((span.start, span.end), [])

    def mapping(self, span: Span) -> Node:
        """The mapping whose span (or member span) is `span`: where absent keys are inserted."""
        # a mapping's span can equal its only member's: the anchor is the node whose member text it is
        found = [f.node for f in self._at(span) if f.node.entry == span and isinstance(f.node.value, dict)]
        found = [node for node in found if intrinsic_name(node) is None]
        if not found:
            raise Unpatchable("the mapping to insert into was not found in the template")
        return found[-1]

    def value(self, span: Span) -> Located:
        """The node whose own text is `span`."""
        found = [f for f in self._at(span) if f.node.span == span]
        if not found:
            raise Unpatchable("the value's text was not found in the template")
        return found[0]

    def element(self, span: Span) -> Located:
        """The list element whose text is `span`, with its list."""
        for found in self._at(span):
            if found.parent is not None and isinstance(found.parent.value, tuple) and found.node.span == span:
                if found.argument_of is not None:
                    raise Unpatchable(f"the value is an argument of {found.argument_of}; change it there")
                return found
        raise Unpatchable("the list element was not found in the template")

    def section(self, name: str) -> Node | None:
        return self.root.mapping.get(name)

    def keys(self, section: str) -> set[str]:
        node = self.section(section)
        return set(node.mapping) if node is not None else set()

    def member_of(self, span: Span, parent: Node) -> Located | None:
        for found in self._at(span):
            if found.parent is parent and found.node.entry == span:
                return found
        return None

    def line_start(self, pos: int) -> int:
        return self.text.rfind("\n", 0, pos) + 1

    def line_end(self, pos: int) -> int:
        """The offset after the newline that ends the line holding `pos` (the text's end on the last line)."""
        end = self.text.find("\n", pos)
        return len(self.text) if end == -1 else end + 1

    def column(self, pos: int) -> int:
        return pos - self.line_start(pos)

    def references(self, skip: Node) -> set[str]:
        """Logical ids referenced anywhere in the template outside `skip` (Ref, GetAtt, Sub, DependsOn)."""
        found: set[str] = set()
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node is skip:
                continue
            name = intrinsic_name(node)
            if name is not None:
                found.update(_referenced(name, node.mapping[name]))
            depends = node.mapping.get("DependsOn")
            if depends is not None:
                found.update(_strings(depends))
            if isinstance(node.value, dict):
                stack.extend(node.value.values())
            elif isinstance(node.value, tuple):
                stack.extend(node.value)
        return found


def intrinsic_name(node: Node) -> str | None:
    mapping = node.mapping
    if len(mapping) == 1:
        (name,) = mapping
        if name == "Ref" or name.startswith("Fn::"):
            return name
    return None


def _referenced(name: str, arg: Node) -> set[str]:
    if name == "Ref" and isinstance(arg.value, str):
        return {arg.value}
    if name == "Fn::GetAtt":
        if isinstance(arg.value, str):
            return {arg.value.split(".")[0]}
        if isinstance(arg.value, tuple) and arg.value and isinstance(arg.value[0].value, str):
            return {arg.value[0].value}
    if name == "Fn::Sub":
        return {v.split(".")[0].strip() for text in _strings(arg) for v in re.findall(r"\$\{([^!}][^}]*)\}", text)}
    return set()


def _strings(node: Node) -> list[str]:
    if isinstance(node.value, str):
        return [node.value]
    if isinstance(node.value, tuple):
        return [s for child in node.value for s in _strings(child)]
    return []


class Style(Protocol):
    """How one format writes text."""

    def scalar(self, value: Any, like: str) -> str:
        """A literal, quoted as `like` (the text it replaces) is, when it was a string."""

    def reference(self, tree: Tree, name: str) -> str:
        """A `Ref` to a parameter."""

    def items(self, tree: Tree, element: Located, values: list[str]) -> str:
        """Several list elements in the place of one."""

    def as_list(self, tree: Tree, values: list[str]) -> str:
        """A list replacing a scalar."""

    def insert(self, tree: Tree, mapping: Node, members: Members, before: Node | None = None) -> Edit:
        """New members in a mapping (at its end, or before the member `before`)."""

    def remove_element(self, tree: Tree, element: Located) -> Edit: ...

    def remove_member(self, tree: Tree, member: Located) -> Edit: ...


@record(frozen=False)
class _TemplateInputs:
    names: dict[str, str] = field(default_factory=dict)  # preferred name → chosen parameter name
    declared: dict[str, NewInput] = field(default_factory=dict)  # chosen name → what it asks for


def tree_of(file: SourceFile, ctx: PatchContext) -> Tree:
    """The file's template, decoded once per scan."""
    trees: dict[str, Tree] = ctx.memo.setdefault("cfn.trees", {})
    key = file.display
    if key not in trees:
        trees[key] = Tree(file)
    return trees[key]


def edits(action: Action, ctx: PatchContext, style: Style) -> list[Edit]:
    found = _edits(action, ctx, style)
    # CRLF files stay CRLF (the text written here has LF line breaks)
    return [replace(e, text=e.text.replace("\n", "\r\n")) if "\r\n" in e.file.text else e for e in found]


def _edits(action: Action, ctx: PatchContext, style: Style) -> list[Edit]:
    if isinstance(action, SetValue):
        return [_set_value(action.target, action.value, ctx, style)]
    if isinstance(action, ReplaceWithInput):
        return _replace_with_input(action.target, action.input, ctx, style)
    if isinstance(action, ReplaceItem):
        return [_replace_item(action.target, action.values, ctx, style)]
    if isinstance(action, RemoveItem):
        span = _own_span(action.target)
        tree = tree_of(span.file, ctx)
        return [style.remove_element(tree, tree.element(span))]
    if isinstance(action, RemoveBlock):
        return [_remove_block(action.target, ctx, style)]
    if isinstance(action, UseParameter):
        return [_use_parameter(action, ctx, style)]
    if isinstance(action, ReferenceOwnGroup):
        return _reference_own_group(action, ctx)
    raise Unpatchable(f"no CloudFormation writer for {type(action).__name__}")


def _reference_own_group(action: ReferenceOwnGroup, ctx: PatchContext) -> list[Edit]:
    """`CidrIp: X` → `SourceSecurityGroupId: <the rule's GroupId, as written>` in an AWS::EC2::SecurityGroupIngress."""
    rule = action.rule
    if rule.type == "AWS::EC2::SecurityGroup":
        raise Unpatchable(
            "a group cannot name itself in its own SecurityGroupIngress (a circular dependency): move the rule to "
            "an AWS::EC2::SecurityGroupIngress whose SourceSecurityGroupId is the group"
        )
    span, group = _own_span(action.target), _own_span(rule.security_group)
    if group.file is not span.file:
        raise Unpatchable("the rule's group is written in another file")
    node = tree_of(span.file, ctx).value(span).node
    head = re.match(r"""[ \t]*(["']?)(CidrIpv?6?)\1[ \t]*:""", span.file.text[node.entry.start : span.start])
    if node.entry == node.span or head is None:
        raise Unpatchable("the CIDR is not written as the rule's own CidrIp")
    key = node.entry.start + head.start(2)
    return [
        Edit(span.file, key, key + len(head.group(2)), "SourceSecurityGroupId"),
        Edit(span.file, span.start, span.end, group.text),
    ]


def check(text: str) -> None:
    """Raise ParseError when a patched template no longer decodes."""
    from ..parsers.cloudformation import parse

    parse(SourceFile(Path("template"), text))


def _own_span(target: AnySourced) -> Span:
    """The text of the value itself, written where it is used."""
    if target.span is None:
        raise Unpatchable("the value has no location in a file")
    if target.via is not None:
        raise Unpatchable(f"the value comes from {target.via}; change it where it is set")
    return target.span


def _written_span(target: AnySourced) -> Span:
    """The text of the value, where it is written: in place, or as a parameter's default or in a mapping
    (which changes it for every other use of them too, as a variable's default does in Terraform)."""
    if target.span is not None and target.via is not None and target.via.startswith(_WRITTEN_ELSEWHERE):
        return target.span
    return _own_span(target)


def _set_value(target: AnySourced, value: Any, ctx: PatchContext, style: Style) -> Edit:
    if target.origin is Origin.DEFAULT:
        if target.span is None or target.via is not None or not target.missing:
            why = f"it is left out by {target.via}" if target.via else f"the resource has no {target.key} to set"
            raise Unpatchable(why)
        tree = tree_of(target.span.file, ctx)
        mapping = tree.mapping(target.span)
        members: Members = [(target.missing[-1], style.scalar(value, ""))]
        for name in reversed(target.missing[:-1]):
            members = [(name, members)]
        return style.insert(tree, mapping, members)
    span = _written_span(target)
    tree = tree_of(span.file, ctx)
    node = tree.value(span).node
    if intrinsic_name(node) is None and not isinstance(node.value, (dict, tuple)):
        if str(node.value).lower() != str(target.value).lower():  # one item of a list parameter's default
            raise Unpatchable(f"the value is part of {span.text}; change it there")
        return Edit(span.file, span.start, span.end, style.scalar(value, span.text))
    if isinstance(target.value, str) and isinstance(value, str) and target.via is None:
        return _edit_literal_part(span, target.value, value)
    raise Unpatchable("the value is computed by an intrinsic function; change it there")


def _edit_literal_part(span: Span, old: str, new: str) -> Edit:
    """Change a computed string (`!Sub 'arn:${AWS::Partition}:…FullAccess'`) by editing the literal text that
    differs, found exactly once in the expression, and leaving the rest (the partition) as written."""
    common = 0
    while common < min(len(old), len(new)) and old[common] == new[common]:
        common += 1
    old_tail, new_tail = old[common:], new[common:]
    text = span.text
    if not old_tail or text.count(old_tail) != 1 or not re.fullmatch(r"[\w*:/.-]+", new_tail):
        raise Unpatchable("the value is computed by an intrinsic function; change it there")
    at = span.start + text.index(old_tail)
    return Edit(span.file, at, at + len(old_tail), new_tail)


def _replace_item(target: AnySourced, values: tuple[str, ...], ctx: PatchContext, style: Style) -> Edit:
    span = _own_span(target)
    tree = tree_of(span.file, ctx)
    rendered = [style.scalar(v, span.text) for v in values]
    try:
        element = tree.element(span)
    except Unpatchable:
        tree.value(span)  # the value must be there as written
        return Edit(span.file, span.start, span.end, style.as_list(tree, rendered))
    return Edit(span.file, span.start, span.end, style.items(tree, element, rendered))


def _replace_with_input(target: AnySourced, new: NewInput, ctx: PatchContext, style: Style) -> list[Edit]:
    if target.via is not None and target.via.startswith("parameter "):
        return [_leave_to_user(target, target.via.removeprefix("parameter "), ctx, style)]
    span = _own_span(target)
    tree = tree_of(span.file, ctx)
    tree.value(span)
    name = _declare(tree, new, ctx)
    return [Edit(span.file, span.start, span.end, style.reference(tree, name)), *_declarations(tree, name, ctx, style)]


def _leave_to_user(target: AnySourced, name: str, ctx: PatchContext, style: Style) -> Edit:
    """A value only the user knows, given as a parameter's default: remove the default, so the stack asks for
    the value (as a Terraform variable's default is removed)."""
    if target.span is None:
        raise Unpatchable(f"the value comes from parameter {name}; change it where it is set")
    tree = tree_of(target.span.file, ctx)
    parameters = tree.section("Parameters")
    declared = parameters.mapping.get(name) if parameters is not None else None
    default = declared.mapping.get("Default") if declared is not None else None
    if declared is None or default is None or default.span != target.span or default.value != target.value:
        raise Unpatchable(f"the value is part of parameter {name}'s default; change it there")
    member = tree.member_of(default.entry, declared)
    if member is None:
        raise Unpatchable(f"parameter {name}'s default was not found in the template")
    return style.remove_member(tree, member)


def _use_parameter(action: UseParameter, ctx: PatchContext, style: Style) -> Edit:
    """Point the image at an SSM public parameter: rewrite the path in use (a parameter's default, a
    `{{resolve:ssm:…}}` reference), or make the image setting such a reference."""
    current = action.current
    if current is not None and current.explicit and current.span is not None and current.via is None:
        span = current.span
        tree = tree_of(span.file, ctx)
        tree.value(span)
        if span == action.target.span:  # the setting itself is a `{{resolve:ssm:…}}` reference
            return Edit(span.file, span.start, span.end, style.scalar(f"{{{{resolve:ssm:{action.path}}}}}", span.text))
        return Edit(span.file, span.start, span.end, style.scalar(action.path, span.text))
    span = _own_span(action.target)
    tree_of(span.file, ctx).value(span)
    return Edit(span.file, span.start, span.end, style.scalar(f"{{{{resolve:ssm:{action.path}}}}}", span.text))


def _inputs(tree: Tree, ctx: PatchContext) -> _TemplateInputs:
    registry: dict[str, _TemplateInputs] = ctx.memo.setdefault("cfn.inputs", {})
    return registry.setdefault(tree.file.display, _TemplateInputs())


def _declare(tree: Tree, new: NewInput, ctx: PatchContext) -> str:
    """The parameter for `new` in this template: named once, never colliding with a logical id."""
    inputs = _inputs(tree, ctx)
    if new.name not in inputs.names:
        taken = {key for section in _NAMESPACES for key in tree.keys(section)}
        taken |= set(inputs.declared)
        base = "".join(part.capitalize() for part in new.name.split("_"))
        chosen, n = base, 1
        while chosen in taken:
            n += 1
            chosen = f"{base}{n}"
        inputs.names[new.name] = chosen
        inputs.declared[chosen] = new
    return inputs.names[new.name]


def _declarations(tree: Tree, name: str, ctx: PatchContext, style: Style) -> list[Edit]:
    """The new parameter's declaration. A template without Parameters gets the section, declaring every input
    its patches need at once (the scan plans all patches first), so that combined patches add one section."""
    section = tree.section("Parameters")
    inputs = _inputs(tree, ctx)
    if section is not None:
        if not isinstance(section.value, dict):
            raise Unpatchable("the template's Parameters section is not a mapping")
        return [style.insert(tree, section, [(name, _parameter(inputs.declared[name], style))])]
    members: Members = [(chosen, _parameter(new, style)) for chosen, new in inputs.declared.items()]
    following = [tree.root.mapping[s] for s in SECTIONS_AFTER_PARAMETERS if s in tree.root.mapping]
    before = min(following, key=lambda n: n.entry.start) if following else None
    return [style.insert(tree, tree.root, [("Parameters", members)], before)]


def _parameter(new: NewInput, style: Style) -> Members:
    pattern = _IPV6_PATTERN if new.ipv6 else _IPV4_PATTERN
    family = "an IPv6" if new.ipv6 else "an IPv4"
    return [
        ("Type", style.scalar("String", "")),
        ("Description", style.scalar(new.description, "")),
        ("AllowedPattern", style.scalar(pattern, "'")),
        ("ConstraintDescription", style.scalar(f"Must be {family} CIDR narrower than the whole internet.", "")),
    ]


def _remove_block(target: Resource, ctx: PatchContext, style: Style) -> Edit:
    if target.span is None:
        raise Unpatchable("the block has no location in a file")
    tree = tree_of(target.span.file, ctx)
    resources = tree.section("Resources")
    member = tree.member_of(target.span, resources) if resources is not None else None
    if member is not None and resources is not None:
        if target.name in tree.references(member.node):
            raise Unpatchable(f"{target.name} is referenced elsewhere in the template; remove the references with it")
        if len(resources.mapping) == 1:
            raise Unpatchable("a template needs at least one resource")
        return style.remove_member(tree, member)
    return style.remove_element(tree, tree.element(target.span))
