"""A query cost limit: refuse, before execution, an operation that would resolve too many fields.

The estimate counts every field once per object it is resolved on: a field under
``tracks(first: 100)`` counts 100 times, under ``tracks(first: 100) { … artists { tracks(first:
100) … } }`` 10,000 times. Page sizes are the ``first``, ``k`` and ``top`` arguments (literals,
variables, or the argument's default; the configured default page size when that is null), at
most the configured largest page (resolvers refuse bigger ones); other lists count once.
Fragments are costed once each, so the estimate takes time linear in the document's size
whatever its nesting.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

CODE = "QUERY_TOO_COMPLEX"
PAGE_ARGUMENTS = ("first", "k", "top")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _argument_default(argument) -> int | None:
    """The argument's default page size; graphql-core keeps it in one of three places."""
    default = _int(getattr(argument, "default_value", None))
    given = getattr(argument, "default", None)
    if default is None and given is not None:
        default = _int(getattr(given, "value", None))
        literal = getattr(given, "literal", None)
        if default is None and isinstance(literal, IntValueNode):
            default = int(literal.value)
    return default


class CostEstimate:
    """The estimated number of fields one operation of a document resolves."""

    def __init__(self, schema: GraphQLSchema, document, variables: dict[str, Any] | None, *,
                 default_page_size: int, max_page_size: int, stop_above: int) -> None:
        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.variables = dict(variables or {})
        self.default_page_size = default_page_size
        self.max_page_size = max_page_size
        self.stop_above = stop_above
        self._fragment_costs: dict[str, int] = {}
        self._in_progress: set[str] = set()

    def operation(self, operation: OperationDefinitionNode) -> int:
        """The cost of ``operation`` (at least ``stop_above + 1`` once it is known to exceed it)."""
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and isinstance(definition.default_value, IntValueNode):
                self.variables[name] = int(definition.default_value.value)
        root = self.schema.get_root_type(operation.operation)
        return self._selections(operation.selection_set, root)

    def _selections(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                type_ = self.schema.get_type(condition.name.value) if condition else parent
                total += self._selections(selection.selection_set, type_)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value)
            if total > self.stop_above:
                break
        return total

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(node.name.value)
        if node.selection_set is None:
            return 1
        child = get_named_type(definition.type) if definition is not None else None
        return 1 + self._page_size(node, definition) * self._selections(node.selection_set, child)

    def _fragment(self, name: str) -> int:
        if name in self._fragment_costs:
            return self._fragment_costs[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._in_progress:  # unknown or cyclic: validation refuses it
            return 0
        self._in_progress.add(name)
        cost = self._selections(fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value))
        self._in_progress.discard(name)
        self._fragment_costs[name] = cost
        return cost

    def _page_size(self, node: FieldNode, definition) -> int:
        if definition is None:
            return 1
        for name in PAGE_ARGUMENTS:
            argument = definition.args.get(name)
            if argument is None:
                continue
            given = next((a.value for a in node.arguments or () if a.name.value == name), None)
            if isinstance(given, VariableNode) and given.name.value not in self.variables:
                given = None  # a variable left out leaves the argument out
            if given is None:
                size = _argument_default(argument)
            elif isinstance(given, IntValueNode):
                size = int(given.value)
            elif isinstance(given, VariableNode):
                size = _int(self.variables[given.name.value])
            else:  # null, or a wrong literal validation will refuse
                size = None
            # resolvers refuse bigger pages, so no page is bigger than the largest one
            return min(max(size if size is not None else self.default_page_size, 0), self.max_page_size)
        return 1


class QueryCostLimiter(SchemaExtension):
    """Refuse an operation whose :class:`CostEstimate` is above ``max_cost`` (code QUERY_TOO_COMPLEX).

    Runs once the document is valid (so depth and alias limits are reported as before) and
    before any resolver: a refused operation costs one pass over its document.
    """

    def __init__(self, *, max_cost: int, default_page_size: int, max_page_size: int) -> None:
        self.max_cost = max_cost
        self.default_page_size = default_page_size
        self.max_page_size = max_page_size

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.result is None:
            cost = self.estimate(context)
            if cost > self.max_cost:
                # A result set before execution is returned instead of executing.
                context.result = ExecutionResult(data=None, errors=[GraphQLError(
                    f"The query is too complex: it would resolve about {cost:,} fields or more, "
                    f"the limit is {self.max_cost:,}. Ask for smaller pages or fewer nested lists.",
                    extensions={"code": CODE, "maxCost": self.max_cost},
                )])
        yield

    def estimate(self, context) -> int:
        """The cost of the operation ``context`` will run (0 when there is none to run)."""
        document = context.graphql_document
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        name = context.operation_name
        operation = next((o for o in operations if name is None or (o.name and o.name.value == name)), None)
        if operation is None:
            return 0
        estimate = CostEstimate(context.schema._schema, document, context.variables,
                                default_page_size=self.default_page_size, max_page_size=self.max_page_size,
                                stop_above=self.max_cost)
        return estimate.operation(operation)
