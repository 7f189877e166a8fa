"""What the gateway can do for a caller, shared by the GraphQL resolvers and the REST handlers.

Each operation checks the caller's permission, calls a service with the caller's own token and
answers with the service's JSON, or raises one of `gateway.operations.errors`. No rules live
here: the services decide, the gateway authenticates, authorizes and translates.
"""
