"""What a resolver or permission receives as `info`: strawberry's Info over the request's
`GatewayContext` (gateway.schema.context).

The context is named for type checkers only: the schema's types and resolvers never import it
at run time, so the context can build the request's loaders without an import circle
(context -> loaders -> operations; types -> info). The import-linter contract
"gateway schema does not import the context at runtime" keeps it so.
"""

from typing import TYPE_CHECKING

from strawberry.types import Info

if TYPE_CHECKING:
    pass

GatewayInfo = Info["GatewayContext", None]
