"""Reads compose files as `docker compose config` would, for checks without a Docker engine.

Enough of the Compose Specification for our two files: YAML merge keys (`<<`), the `!override`
tag, interpolation (`${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`,
`${NAME?error}`, `$$`), and the merge of an overlay onto a base (mappings merge key by key,
`ports`, `volumes` and `secrets` add up, a sequence elsewhere or an `!override` replaces).
"""

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ADDING_LISTS = {"ports", "volumes", "secrets", "tmpfs"}
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})"
)


class Override(list):
    """A sequence marked `!override`: it replaces the base's instead of adding to it."""


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor(
    "!override", lambda loader, node: Override(loader.construct_sequence(node, deep=True))
)


class MissingSetting(LookupError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


def load(name: str) -> dict[str, Any]:
    """One compose file as written (merge keys resolved, not interpolated)."""
    return yaml.load((DEPLOY / name).read_text(), Loader=_Loader)


def interpolate(
    value: Any, environment: Mapping[str, str], missing: list[str] | None = None
) -> Any:
    """`value` with every `${...}` replaced; a required one that is unset is added to `missing`
    (or raised when no list is given)."""
    if isinstance(value, dict):
        return {key: interpolate(item, environment, missing) for key, item in value.items()}
    if isinstance(value, list):
        items = [interpolate(item, environment, missing) for item in value]
        return Override(items) if isinstance(value, Override) else items
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        given = environment.get(name)
        unset = given is None or (op is not None and op.startswith(":") and given == "")
        if not unset:
            return given or ""
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            if missing is None:
                raise MissingSetting(name, arg)
            missing.append(name)
            return ""
        return ""

    return _VARIABLE.sub(replace, value)


def merge(base: Any, overlay: Any, key: str = "") -> Any:
    """`overlay` onto `base`, as compose merges a later -f file onto an earlier one."""
    if isinstance(overlay, Override):
        return list(overlay)
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for name, value in overlay.items():
            merged[name] = merge(base[name], value, name) if name in base else _plain(value)
        return merged
    if isinstance(base, list) and isinstance(overlay, list) and key in ADDING_LISTS:
        return base + [item for item in overlay if item not in base]
    return _plain(overlay)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, Override) else value


def parts(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Our processes: the services that run `python -m <part>` from our image."""
    return {
        name: service
        for name, service in document["services"].items()
        if service.get("command", [None, None])[:2] == ["python", "-m"]
    }


def secret_names(service: dict[str, Any]) -> list[str]:
    return [
        item if isinstance(item, str) else item["source"] for item in service.get("secrets", [])
    ]


# A part's settings class builds itself from the environment and prints what it became; a
# production part with anything unsafe exits naming it (reengage_common.settings).
BUILD_SETTINGS = """
import importlib, sys
module, name = sys.argv[1].rsplit(".", 1)
settings = getattr(importlib.import_module(module), name)()
print(settings.env, settings.service_role, settings.listen_port, bool(settings.jwt_public_key))
"""
SETTINGS_CLASSES = {
    "campaign_svc": "campaign_svc.config.CampaignSettings",
    "audience_svc": "audience_svc.config.AudienceSettings",
    "dispatch_svc": "dispatch_svc.config.DispatchSettings",
    "tracking_svc": "tracking_svc.config.TrackingSettings",
    "gateway": "gateway.config.GatewaySettings",
}


def dockerfile_env() -> dict[str, str]:
    """The ENV the runtime stage of deploy/Dockerfile sets (the last stage's ENV lines)."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    runtime = text.rsplit("\nFROM ", 1)[1]
    environment: dict[str, str] = {}
    for line in runtime.splitlines():
        if line.startswith("ENV "):
            for pair in line[4:].split():
                name, _, value = pair.partition("=")
                environment[name] = value
    return environment
