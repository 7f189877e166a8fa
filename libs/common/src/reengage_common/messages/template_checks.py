"""What a message template may contain, decided on its syntax tree before it is ever compiled.

Allowed: text, `{{ merge.field }}`, a short list of filters and tests, `{% if %}`, literals and
plain arithmetic. Everything that could run code, reach Python internals, loop or build big
values (calls, loops, assignments, includes, `**`) is refused here with the line it is on; the
sandbox is the second fence, not the only one.
"""

from collections.abc import Collection
from dataclasses import dataclass, field

from jinja2 import nodes

from reengage_common.messages.merge_fields import KNOWN_MERGE_FIELDS, MERGE_GROUPS, MERGE_LINKS


@dataclass(frozen=True)
class TemplateProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class TemplateInspection:
    merge_fields: frozenset[str]
    problems: tuple[TemplateProblem, ...]


_STANDALONE = "each message stands alone; there are no other templates to use"
_REFUSED_TAGS: dict[type[nodes.Node], str] = {
    nodes.Include: f"{{% include %}} is not available: {_STANDALONE}",
    nodes.Import: f"{{% import %}} is not available: {_STANDALONE}",
    nodes.FromImport: f"{{% from … import %}} is not available: {_STANDALONE}",
    nodes.Extends: f"{{% extends %}} is not available: {_STANDALONE}",
    nodes.Block: f"{{% block %}} is not available: {_STANDALONE}",
    nodes.For: "loops ({% for %}) are not available in message templates; merge fields are "
    "single values, use {% if %} for conditions",
    nodes.Macro: "{% macro %} is not available in message templates",
    nodes.CallBlock: "{% call %} is not available in message templates",
    nodes.Assign: "{% set %} is not available in message templates; use the merge field itself",
    nodes.AssignBlock: "{% set %} is not available in message templates",
    nodes.With: "{% with %} is not available in message templates",
    nodes.FilterBlock: "{% filter %} blocks are not available; apply the filter to the value",
    nodes.ScopedEvalContextModifier: "{% autoescape %} is not available in message templates",
}

_ALLOWED = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.If,
    nodes.Const,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Neg,
    nodes.Pos,
    nodes.Add,
    nodes.Sub,
    nodes.Mul,
    nodes.Div,
    nodes.FloorDiv,
    nodes.Mod,
    nodes.Concat,
    nodes.Compare,
    nodes.Operand,
    nodes.List,
    nodes.Tuple,
    nodes.Dict,
    nodes.Pair,
    nodes.Keyword,
    nodes.Slice,
    nodes.Filter,
    nodes.Test,
)


def inspect_template(
    tree: nodes.Template, *, filters: Collection[str], tests: Collection[str]
) -> TemplateInspection:
    """The merge fields a parsed template uses, and every construct it may not use."""
    inspector = _Inspector(filters=filters, tests=tests)
    inspector.visit(tree)
    return TemplateInspection(frozenset(inspector.used), tuple(inspector.problems))


@dataclass
class _Inspector:
    filters: Collection[str]
    tests: Collection[str]
    used: set[str] = field(default_factory=set)
    problems: list[TemplateProblem] = field(default_factory=list)

    def visit(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            path = _merge_path(node)
            if path is not None:
                self.check_merge_field(path, node.lineno)
                return
            if isinstance(node, nodes.Getattr):
                self.refuse(node, f"'.{node.attr}' can only follow a merge field group")
                return
            if not _is_position(node.arg):
                self.refuse(node, "only positions such as [0] or [:1] can be taken from a value")
                return
        elif isinstance(node, nodes.Name):
            self.check_merge_field((node.name,), node.lineno)
            return
        elif isinstance(node, nodes.Filter) and node.name not in self.filters:
            known = ", ".join(sorted(self.filters))
            self.refuse(node, f"unknown filter '{node.name}' (available: {known})")
            return
        elif isinstance(node, nodes.Test) and node.name not in self.tests:
            self.refuse(node, f"unknown test '{node.name}'")
            return
        elif isinstance(node, nodes.Pow):
            self.refuse(node, "the power operator ** is not allowed in message templates")
            return
        elif isinstance(node, nodes.Call):
            self.refuse(node, "calling functions is not available in message templates")
            return
        elif type(node) in _REFUSED_TAGS:
            self.refuse(node, _REFUSED_TAGS[type(node)])
            return
        elif not isinstance(node, _ALLOWED):
            self.refuse(node, f"{type(node).__name__} is not available in message templates")
            return
        for child in node.iter_child_nodes():
            self.visit(child)

    def check_merge_field(self, path: tuple[str, ...], line: int) -> None:
        root, rest = path[0], path[1:]
        if root in MERGE_LINKS and not rest:
            self.used.add(root)
        elif root in MERGE_LINKS:
            self.problem(line, f"unknown merge field '{'.'.join(path)}': {root} is a single value")
        elif root in MERGE_GROUPS:
            self.check_group_field(root, rest, line)
        else:
            known = ", ".join(KNOWN_MERGE_FIELDS)
            self.problem(line, f"unknown merge field '{root}' (known merge fields: {known})")

    def check_group_field(self, group: str, rest: tuple[str, ...], line: int) -> None:
        fields = sorted(MERGE_GROUPS[group])
        if not rest:
            choices = ", ".join(f"{group}.{name}" for name in fields)
            self.problem(line, f"'{group}' is a group of merge fields; use one of {choices}")
        elif rest[0] not in MERGE_GROUPS[group]:
            self.problem(
                line, f"unknown merge field '{group}.{rest[0]}' ({group} has {', '.join(fields)})"
            )
        elif len(rest) > 1:
            self.problem(
                line,
                f"'{group}.{'.'.join(rest)}' is not a merge field: {group}.{rest[0]} is a single "
                "value; change it with a filter such as | upper",
            )
        else:
            self.used.add(f"{group}.{rest[0]}")

    def refuse(self, node: nodes.Node, message: str) -> None:
        self.problem(node.lineno, message)

    def problem(self, line: int, message: str) -> None:
        self.problems.append(TemplateProblem(line, message))


def _merge_path(node: nodes.Node) -> tuple[str, ...] | None:
    """`patient.firstName` or `patient["firstName"]` as ("patient", "firstName"); None when the
    chain does not start at a name (e.g. `''.__class__`)."""
    parts: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
        ):
            parts.append(node.arg.value)
            node = node.node
        elif isinstance(node, nodes.Name):
            return (node.name, *reversed(parts))
        else:
            return None


def _is_position(arg: nodes.Node) -> bool:
    if isinstance(arg, nodes.Slice):
        return True
    return (
        isinstance(arg, nodes.Const)
        and isinstance(arg.value, int)
        and not isinstance(arg.value, bool)
    )
