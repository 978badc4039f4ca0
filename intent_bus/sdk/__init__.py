"""The Python SDK: clients, models and exceptions (public names via ``intent_bus``).

Layout: ``calls`` (pure request builders and response parsers), ``client`` and
``async_client`` (the I/O shells), ``core`` (what both clients share), ``auth``
(request signing), ``retry`` (when to retry), ``transport`` (httpx errors to
ours), ``credentials``, ``models``, ``exceptions``, ``kv`` (KV value encoding)
and ``strict_json``.
"""
