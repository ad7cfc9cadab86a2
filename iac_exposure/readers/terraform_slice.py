"""Which files of a module can matter to findings in a few named files (changed-files mode).

A pre-commit run names the changed files, and only findings located in them are reported; parsing every
other file of their module costs ~25 ms each. This picks, from the text alone (no parsing), the files whose
blocks can reach the named files' blocks or be reached from them:

- downstream: files referring to a name a named file defines (a variable default, a local, a resource they
  use), and so on transitively; a finding on their resources may be located in the named file;
- upstream: files defining a name that a picked file refers to (its security group, role, subnet, variables);
- attachers: files with a resource or module call that refers to a picked resource (a rule added to a picked
  security group, a route table association of a picked subnet, a policy attached to a picked role);
- name links: the model also links a resource to another by a literal name (`security_groups = ["web"]`,
  `iam_instance_profile = "app"`); a file with such a value, or with a resource that can be named that way,
  pulls in every file of the other kind;
- always: override files, JSON-syntax files, files with account-wide resources (`aws_default_*`,
  `aws_ec2_instance_metadata_defaults`), and files calling another scanned directory as a module.

It over-approximates (a mention in a comment or a string counts); the files left out are still read (a new
input's name must not collide with theirs), only not parsed nor analysed. `tests/test_slice.py` checks, for
every file of every fixture module, that the named file's findings are the same as with the whole module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .._records import record

# resource types whose model class can be found by a literal name (their adapters pass `aliases`)
ALIASABLE = frozenset({
    "aws_launch_template", "aws_launch_configuration", "aws_autoscaling_group",
    "aws_iam_role", "aws_iam_instance_profile", "aws_iam_policy",
    "aws_lb", "aws_alb", "aws_elb", "aws_lb_target_group", "aws_alb_target_group",
    "aws_security_group", "aws_default_security_group",
})  # fmt: skip

# arguments whose value the model resolves to one of those types
_LINK_ARGUMENTS = (
    "security_groups|vpc_security_group_ids|security_group_id|source_security_group_id|"
    "referenced_security_group_id|security_group_names|iam_instance_profile|role|roles|role_name|"
    "policy_arn|policy_arns|managed_policy_arns|launch_configuration|launch_template_id|launch_template_name|"
    "target_group_arn|target_group_arns|load_balancers|load_balancer_arn|listener_arn|elb|autoscaling_group_name"
)
_LINK = re.compile(rf"^[ \t]*(?:{_LINK_ARGUMENTS})[ \t]*=[ \t]*(.*)$", re.MULTILINE)
# `launch_template { name = … }` in a group, `iam_instance_profile { arn = … }` in a launch template
_LINK_BLOCK = re.compile(r"\b(?:launch_template|iam_instance_profile)\s*\{([^{}]*)\}")
_LINK_IN_BLOCK = re.compile(r"^[ \t]*(?:id|name|arn)[ \t]*=[ \t]*(.*)$", re.MULTILINE)
# what a link value may hold and still name nothing by a literal: references to resources, AWS managed
# policies (they are not defined in code), list punctuation
_PURE = re.compile(
    r'\s+|[\[\],]|null|"arn:aws:iam::aws:policy/[^"]*"|#[^\n]*'
    r"|(?!(?:var|local|module|data)\.)[a-z][a-z0-9]*_[\w-]*\.[\w-]+(?:\[[^\]]*\])*(?:\.[\w*-]+(?:\[[^\]]*\])*)*"
)

_RESOURCE = re.compile(r'^[ \t]*(resource|data)[ \t]+"?([\w-]+)"?[ \t]+"?([\w-]+)"?', re.MULTILINE)
_NAMED_BLOCK = re.compile(r'^[ \t]*(variable|module)[ \t]+"?([\w-]+)"?', re.MULTILINE)
_LOCAL_NAME = re.compile(r"^[ \t]*([\w-]+)[ \t]*=", re.MULTILINE)
_REFERENCE = re.compile(
    r"\b(?:(var|local|module)\.([\w-]+)|data\.([\w-]+)\.([\w-]+)|([a-z][a-z0-9]*_[\w-]*)\.([\w-]+))"
)
_MODULE_SOURCE = re.compile(r'^[ \t]*source[ \t]*=[ \t]*"(\.{1,2}/[^"]*)"', re.MULTILINE)
_ACCOUNT_WIDE = re.compile(r"\baws_default_\w+|\baws_ec2_instance_metadata_defaults\b")


@record(frozen=False)
class _Index:
    defines: set[str]  # `var.x`, `local.x`, `module.x`, `data.T.x`, `T.x`
    resources: set[str]  # what it defines that others attach to: `T.x`, `module.x`
    refers: set[str]  # the same spellings, as used
    module_sources: list[str]  # local `source = "./…"` paths
    names_targets: bool  # defines a resource other resources may name by a literal
    names_by_literal: bool  # a link argument holds something other than resource references


def _index(text: str) -> _Index:
    defines: set[str] = set()
    resources: set[str] = set()
    aliasable = False
    for kind, type_, name in _RESOURCE.findall(text):
        if kind == "data":
            defines.add(f"data.{type_}.{name}")
        else:
            defines.add(f"{type_}.{name}")
            resources.add(f"{type_}.{name}")
            aliasable = aliasable or type_ in ALIASABLE
    for kind, name in _NAMED_BLOCK.findall(text):
        address = f"{'var' if kind == 'variable' else 'module'}.{name}"
        defines.add(address)
        if kind == "module":
            resources.add(address)
    if re.search(r"^[ \t]*locals\b", text, re.MULTILINE):
        defines.update(f"local.{name}" for name in _LOCAL_NAME.findall(text))
    refers: set[str] = set()
    for ns, name, data_type, data_name, type_, res_name in _REFERENCE.findall(text):
        if ns:
            refers.add(f"{ns}.{name}")
        elif data_type:
            refers.add(f"data.{data_type}.{data_name}")
        else:
            refers.add(f"{type_}.{res_name}")
    values = [v for v in _LINK.findall(text)]
    values += [v for block in _LINK_BLOCK.findall(text) for v in _LINK_IN_BLOCK.findall(block)]
    loose = any(_PURE.sub("", _value(value, text)) for value in values)
    return _Index(defines, resources, refers, _MODULE_SOURCE.findall(text), aliasable, loose)


def _value(first_line: str, text: str) -> str:
    """A link value: its first line, and the following lines of a list opened there."""
    if first_line.count("[") <= first_line.count("]"):
        return first_line
    start = text.find(first_line)
    end = text.find("]", start)
    return text[start : end + 1] if end != -1 else text[start:]


def module_sources(text: str) -> list[str]:
    """The local module sources (`./x`, `../x`) a file calls, as written."""
    return _MODULE_SOURCE.findall(text)


def relevant(
    texts: dict[str, str], named: Iterable[str], calls_scanned: Iterable[str] = (), always: Iterable[str] = ()
) -> set[str]:
    """The keys of `texts` (one module's files) whose blocks can matter to findings in the `named` ones.

    `calls_scanned` holds the module sources (as written) that lead to other scanned directories; a file
    calling one is kept so the directory is analysed inside its caller. `always` are kept unread.
    """
    indexes = {key: _index(text) for key, text in texts.items()}
    picked = set(named) & set(texts)
    # downstream of the named files: whatever refers to their names, transitively
    defined = set().union(*(indexes[k].defines for k in picked if k in indexes))
    changed = True
    while changed:
        changed = False
        for key, ix in indexes.items():
            if key not in picked and ix.refers & defined:
                picked.add(key)
                defined |= ix.defines
                changed = True
    scanned = set(calls_scanned)
    picked |= {
        k for k, ix in indexes.items() if _ACCOUNT_WIDE.search(texts[k]) or scanned.intersection(ix.module_sources)
    }
    # then what they use, what attaches to it, and name links, to a fixed point
    changed = True
    while changed:
        changed = False
        chosen = [indexes[k] for k in picked if k in indexes]
        refers = set().union(*(ix.refers for ix in chosen))
        resources = set().union(*(ix.resources for ix in chosen))
        targets = any(ix.names_targets for ix in chosen)
        literal = any(ix.names_by_literal for ix in chosen)
        for key, ix in indexes.items():
            if key in picked:
                continue
            if (
                ix.defines & refers
                or ix.refers & resources
                or (literal and ix.names_targets)
                or (targets and ix.names_by_literal)
            ):
                picked.add(key)
                changed = True
    return picked | set(always)
