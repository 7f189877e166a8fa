"""The resources of the public APIs, one pydantic model each.

The owning service validates requests with them and the gateway generates the OpenAPI
document from them, so what the document promises is what the service accepts.
"""
