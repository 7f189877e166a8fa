"""A cost limit per GraphQL operation: fields that make a service read a whole clinic or
campaign may be asked only a few times per request, however they are aliased or spread.

An audience estimate reads every patient of the clinic, a campaign's stats fold its
recipients, a recipients page walks them; thirty aliases of one would be thirty such reads
for one request of a view-only user. The rule counts each such field wherever the operation
selects it (through fragments and inline fragments, each use of a fragment counted), before
anything runs; over its limit, the operation is refused as a whole with `TOO_COSTLY`.
Fields inside lists that DataLoaders batch (a page of campaigns' `stats`) are one call
whatever the page holds, so they are not counted here.
"""

from collections import Counter
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
)

# (type, field) -> most uses of it one operation may make.
COSTLY_FIELDS: dict[tuple[str, str], int] = {
    ("Query", "audienceEstimate"): 2,
    ("Query", "campaignStats"): 5,
    ("Query", "campaignRecipients"): 5,
    ("Subscription", "campaignStats"): 1,
}
TOO_COSTLY = "TOO_COSTLY"


class OperationCostRule(ValidationRule):
    """Refuses an operation using a costly field more often than `COSTLY_FIELDS` allows."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        root = self.context.schema.get_root_type(node.operation)
        if root is None:
            return
        uses: Counter[tuple[str, str]] = Counter()
        _count(self.context, root, node.selection_set, uses, frozenset())
        for (type_name, field_name), used in sorted(uses.items()):
            limit = COSTLY_FIELDS[(type_name, field_name)]
            if used > limit:
                self.report_error(
                    GraphQLError(
                        f"This operation asks for {field_name} {used} times; at most {limit} "
                        "per request (each reads a whole clinic or campaign). Split it.",
                        node,
                        extensions={
                            "code": TOO_COSTLY,
                            "field": field_name,
                            "limit": limit,
                            "requested": used,
                        },
                    )
                )


def _count(
    context: ValidationContext,
    parent: GraphQLNamedType,
    selections: SelectionSetNode | None,
    uses: Counter[tuple[str, str]],
    spreading: frozenset[str],
) -> None:
    """Adds to `uses` the costly fields under `selections` on `parent`, fragments expanded
    (`spreading` holds those on the current path: a cycle is another rule's error)."""
    if selections is None:
        return
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            _count_field(context, parent, selection, uses, spreading)
        elif isinstance(selection, InlineFragmentNode):
            inner = _type_named(context, selection.type_condition, parent)
            _count(context, inner, selection.selection_set, uses, spreading)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = context.get_fragment(name)
            if fragment is None or name in spreading:
                continue  # unknown or cyclic: reported by graphql's own rules
            inner = _type_named(context, fragment.type_condition, parent)
            _count(context, inner, fragment.selection_set, uses, spreading | {name})


def _count_field(
    context: ValidationContext,
    parent: GraphQLNamedType,
    node: FieldNode,
    uses: Counter[tuple[str, str]],
    spreading: frozenset[str],
) -> None:
    key = (parent.name, node.name.value)
    if key in COSTLY_FIELDS:
        uses[key] += 1
    fields = getattr(parent, "fields", None)  # objects and interfaces; a union has none
    if fields is None or node.selection_set is None:
        return
    definition = fields.get(node.name.value)
    if definition is not None:
        inner = get_named_type(definition.type)
        _count(context, inner, node.selection_set, uses, spreading)


def _type_named(context: ValidationContext, condition: Any, default: GraphQLNamedType) -> Any:
    if condition is None:
        return default
    return context.schema.get_type(condition.name.value) or default
