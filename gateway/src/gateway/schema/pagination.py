"""Relay-style paging shared by every connection."""

from typing import Any

import strawberry


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def from_wire(cls, document: dict[str, Any]) -> "PageInfo":
        return cls(
            has_next_page=bool(document.get("hasNextPage")), end_cursor=document.get("endCursor")
        )


def edge_cursors(page: dict[str, Any]) -> list[str | None]:
    """Each item's cursor: its own `cursor` when the service gives one, else the page's
    `endCursor` for the last item (resuming `after` it is what a client needs)."""
    items = page.get("items", [])
    end_cursor = (page.get("pageInfo") or {}).get("endCursor")
    return [
        item.get("cursor") or (end_cursor if index == len(items) - 1 else None)
        for index, item in enumerate(items)
    ]
