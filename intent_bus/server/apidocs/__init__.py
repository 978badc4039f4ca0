"""The API reference served at /docs, rendered on the server from the OpenAPI
document itself, so it works offline and cannot drift from /openapi.json."""
