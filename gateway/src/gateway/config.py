"""Settings of the gateway alone, beside the shared ones."""

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from reengage_common.settings import Settings


class GatewaySettings(Settings):
    # Origins (scheme://host[:port]) of a console hosted elsewhere that browsers may let call
    # the API, comma-separated. None by default: the console the gateway serves is same-origin.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin == "*" or "://" not in origin:
                raise ValueError(f"CORS_ORIGINS: {origin!r} is not an origin like https://host")
        return origins


def as_gateway_settings(settings: Settings | None) -> GatewaySettings:
    if isinstance(settings, GatewaySettings):
        return settings
    if settings is None:
        return GatewaySettings(service="gateway")
    return GatewaySettings(**settings.model_dump())
