"""Between GraphQL values and the services' camelCase JSON."""

import dataclasses
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic.alias_generators import to_camel
from strawberry import UNSET


def to_wire(value: Any) -> Any:
    """A strawberry input as camelCase JSON; arguments left out stay out (the service defaults)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            to_camel(item.name): to_wire(getattr(value, item.name))
            for item in dataclasses.fields(value)
            if getattr(value, item.name) is not UNSET
        }
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    return value


def to_datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
