"""GraphQL types and inputs derived from the shared resource models (`reengage_common.resources`,
`reengage_common.events`) with strawberry's pydantic integration, so a resource has one shape.

The class names the fields GraphQL shows: `name: strawberry.auto` takes the model's type, an
explicit annotation replaces it where GraphQL deliberately differs (an `ID`, a time strawberry
cannot map from pydantic's `AwareDatetime`, a nested input). What strawberry's integration would
otherwise take from the model stays the GraphQL contract's own, as the committed SDL has it:

- the order of the fields is the class's (annotations, then resolver methods), not the model's;
- a field's description is the one the class gives, or none: the model's are written for the
  REST document (often about request defaults) and are not the GraphQL contract's;
- in an input, a field the model defaults is optional with no default of its own: left out, it
  stays out of the call (`UNSET`), so the owning service applies the model's default;
- an output type's `from_pydantic` converts by a plan made once per type: strawberry's own
  resolves every field's type for every instance (~115 us for a campaign, 6 us to validate it).
"""

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, Field, create_model
from strawberry import UNSET
from strawberry.experimental import pydantic as from_pydantic
from strawberry.experimental.pydantic.conversion import convert_pydantic_model_to_strawberry_class
from strawberry.types.base import StrawberryList, StrawberryOptional, has_object_definition
from strawberry.types.field import StrawberryField
from strawberry.types.private import is_private

T = TypeVar("T", bound=type)


def output_type(
    model: type[BaseModel], *, name: str | None = None, description: str | None = None
) -> Callable[[T], T]:
    """`strawberry.experimental.pydantic.type` keeping the class's order and descriptions."""

    def derive(cls: T) -> T:
        contract = _Contract.of(cls)
        derived = from_pydantic.type(model=model, name=name, description=description)(cls)
        derived.from_pydantic = staticmethod(_Conversion(derived).of)  # type: ignore[attr-defined]
        return contract.applied_to(derived)

    return derive


def input_type(
    model: type[BaseModel], *, name: str | None = None, description: str | None = None
) -> Callable[[T], T]:
    """`strawberry.experimental.pydantic.input` whose fields left out stay out of the call."""

    def derive(cls: T) -> T:
        contract = _Contract.of(cls)
        derived = from_pydantic.input(
            model=_given_fields(model), name=name or cls.__name__, description=description
        )(cls)
        return contract.applied_to(derived)

    return derive


@dataclass(frozen=True)
class _Contract:
    """What the class declares and strawberry's pydantic integration does not keep."""

    module: str
    order: tuple[str, ...]
    descriptions: dict[str, str | None]

    @classmethod
    def of(cls, declared: type) -> "_Contract":
        fields = {
            name: value
            for name, value in vars(declared).items()
            if isinstance(value, StrawberryField)
        }
        resolvers = [name for name, value in fields.items() if value.base_resolver is not None]
        annotated = list(getattr(declared, "__annotations__", {}))
        return cls(
            module=declared.__module__,
            order=tuple(annotated + [name for name in resolvers if name not in annotated]),
            descriptions={name: value.description for name, value in fields.items()},
        )

    def applied_to(self, derived: T) -> T:
        # strawberry remakes the class with `dataclasses.make_dataclass`, whose module (Python
        # 3.11) is `types`: a forward reference ("CampaignStatsResult") would be looked up there.
        derived.__module__ = self.module
        namespace = vars(sys.modules[self.module])
        definition = derived.__strawberry_definition__  # type: ignore[attr-defined]
        definition.fields.sort(key=lambda field: self.order.index(field.python_name))
        for field in definition.fields:
            if field.base_resolver is not None:
                # The remade class annotates a resolver's field with what its forward reference
                # resolved to while the module was loading (UNRESOLVED): the resolver knows.
                field.type_annotation = None
                continue
            if field.type_annotation is not None:
                field.type_annotation.namespace = namespace
            field.description = self.descriptions.get(field.python_name)
        return derived


def _given_fields(model: type[BaseModel]) -> type[BaseModel]:
    """The model as an input carries it: each field left out (`UNSET`) unless given, nullable
    where the model has a default. A field the model requires stays required in GraphQL unless
    the class declares it optional (e.g. a targeting a saved audience may stand for)."""
    given: dict[str, Any] = {
        name: (field.annotation if field.is_required() else field.annotation | None, _left_out())
        for name, field in model.model_fields.items()
    }
    return create_model(f"{model.__name__}AsGiven", __base__=model, **given)


def _left_out() -> Any:
    # A factory: strawberry reads a plain `UNSET` default as no default, hence None.
    return Field(default_factory=lambda: UNSET)


Convert = Callable[[Any], Any]


class _Conversion:
    """A derived type's `from_pydantic(instance, extra=None)`, as strawberry's: each field from
    the model's attribute of its name (else from `extra`), a nested model by its own type; a
    private field from `extra`, else from the model. The plan waits for the first call, when
    every type the fields name exists."""

    def __init__(self, derived: type) -> None:
        self._derived = derived
        self._fields: list[tuple[str, Convert | None]] | None = None
        self._private: list[str] = []

    def of(self, instance: BaseModel, extra: dict[str, Any] | None = None) -> Any:
        if self._fields is None:
            self._plan()
        extra = extra or {}
        values = {}
        for name, convert in self._fields or ():
            value = getattr(instance, name, None)
            if value is None:
                value = extra.get(name)
            values[name] = value if convert is None or value is None else convert(value)
        for name in self._private:
            values[name] = extra[name] if name in extra else getattr(instance, name, None)
        return self._derived(**values)

    def _plan(self) -> None:
        definition = self._derived.__strawberry_definition__  # type: ignore[attr-defined]
        self._private = [
            field.name for field in dataclasses.fields(self._derived) if is_private(field.type)
        ]
        self._fields = [
            (field.python_name, _converter(field.type)) for field in definition.fields if field.init
        ]


def _converter(type_: Any) -> Convert | None:
    """How a model's value becomes the field's; None: as it is (scalars, enums)."""
    if isinstance(type_, StrawberryOptional):
        inner = _converter(type_.of_type)
        return None if inner is None else lambda value: None if value is None else inner(value)
    if isinstance(type_, StrawberryList):
        item = _converter(type_.of_type)
        return None if item is None else lambda values: [item(value) for value in values]
    if not has_object_definition(type_):
        return None
    if hasattr(type_, "from_pydantic"):
        return type_.from_pydantic
    # A hand-written type over a nested model (e.g. RecallTargeting): strawberry's conversion.
    return lambda value: convert_pydantic_model_to_strawberry_class(type_, model_instance=value)
