"""Input rules every operation obeys before a resolver runs: ids, dates, strings, one operation.

Each broken rule is a ``BAD_USER_INPUT`` error, so nothing malformed reaches a database driver
(where it would fail as an internal error). ``Date`` and ``DateTime`` check themselves (see
:data:`SCALAR_OVERRIDES`); graphql-core reserves ``ID`` and ``String``, so their rules are
checked by :class:`InputGuard`: on literals during validation, on variables before it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLID,
    GraphQLInputType,
    GraphQLSchema,
    IntValueNode,
    OperationDefinitionNode,
    StringValueNode,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    is_input_object_type,
    is_list_type,
)
from graphql.utilities import type_from_ast
from strawberry.extensions import SchemaExtension
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

from domain.errors import BadUserInput
from domain.validation import check_calendar_date, check_id

# NUL (PostgreSQL cannot store it) and lone surrogates (no encoding can write them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def check_text(text: str) -> None:
    """``BAD_USER_INPUT`` when ``text`` holds a character no database can store."""
    found = _UNSTORABLE.search(text)
    if found:
        raise BadUserInput(f"Strings cannot contain the character U+{ord(found.group()):04X}")


def _bounded(definition: ScalarDefinition) -> ScalarDefinition:
    """``definition`` whose parsed values must lie inside the accepted calendar."""
    parse = definition.parse_value

    def parse_value(value: Any) -> Any:
        parsed = parse(value)
        check_calendar_date(parsed)
        return parsed

    return ScalarDefinition(
        name=definition.name, description=definition.description, specified_by_url=definition.specified_by_url,
        serialize=definition.serialize, parse_value=parse_value, parse_literal=None, origin=definition.origin,
    )


# The schema's ``scalar_overrides``: same names and descriptions, so the printed schema is unchanged.
SCALAR_OVERRIDES = {dt.date: _bounded(DateDefinition), dt.datetime: _bounded(DateTimeDefinition)}


def _coded(error: BadUserInput, node=None) -> GraphQLError:
    return GraphQLError(error.message, node, original_error=error)


class LiteralRule(ValidationRule):
    """Strings of the document hold no unstorable character; ``ID`` literals are well-formed."""

    def enter_string_value(self, node: StringValueNode, *_args) -> None:
        try:
            check_text(node.value)
            self._check_id(node)
        except BadUserInput as error:
            self.report_error(_coded(error, node))

    def enter_int_value(self, node: IntValueNode, *_args) -> None:
        try:
            self._check_id(node)
        except BadUserInput as error:
            self.report_error(_coded(error, node))

    def _check_id(self, node: StringValueNode | IntValueNode) -> None:
        expected = self.context.get_input_type()
        if expected is not None and get_named_type(expected) is GraphQLID:
            check_id(node.value)


def _check_strings(value: Any) -> None:
    # A loop, not recursion: a client chooses how deep variables nest.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _check_ids(value: Any, type_: GraphQLInputType) -> None:
    """Every ``ID`` inside a variable's value, following the variable's type."""
    type_ = get_nullable_type(type_)
    if value is None:
        return
    if is_list_type(type_):
        for item in value if isinstance(value, list) else [value]:
            _check_ids(item, type_.of_type)
    elif is_input_object_type(type_):
        if isinstance(value, dict):
            for name, field in type_.fields.items():
                if name in value:
                    _check_ids(value[name], field.type)
    elif type_ is GraphQLID:
        try:  # the text the resolver will get: graphql-core also takes integral floats (1e300)
            text = GraphQLID.parse_value(value)
        except GraphQLError:
            return  # not an ID at all; variable coercion reports it
        check_id(text)


def _operation(document, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        if len(operations) > 1:
            raise BadUserInput("The document has several operations: name the one to run in operationName")
        return operations[0] if operations else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def _check_variables(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: dict[str, Any]) -> None:
    _check_strings(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        type_ = type_from_ast(schema, definition.type)
        if name in variables and type_ is not None:
            _check_ids(variables[name], type_)


class DocumentTextGuard(SchemaExtension):
    """Refuse a document holding characters no database stores, before it is parsed (or looked
    up in the parse cache); escaped ones are checked by :class:`InputGuard`'s literal rule."""

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        if query:
            check_text(query)
        yield


class InputGuard(SchemaExtension):
    """Refuse what no resolver should see, before it runs.

    - characters no database stores (NUL, lone surrogates) in literals or variables;
    - malformed ids (:func:`domain.validation.check_id`);
    - a document of several operations without ``operationName`` (Strawberry would run the first).
    """

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (*context.validation_rules, LiteralRule)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        # None before validation, or the (cached) validation's errors, empty for a valid document
        if not context.pre_execution_errors:
            # Strawberry fills in the first operation's name when the client gave none; only
            # the private attribute tells whether one was given.
            name = getattr(context, "_provided_operation_name", None)
            try:
                operation = _operation(context.graphql_document, name)
                if operation is not None and context.variables:
                    _check_variables(context.schema._schema, operation, context.variables)
            except BadUserInput as error:
                # set before validation runs, so validation and execution are skipped
                context.pre_execution_errors = [_coded(error)]
        yield
