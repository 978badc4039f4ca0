"""The Python SDK: clients, models and exceptions (public names via ``intent_bus``).

Layout, pure core first: ``call`` (a request as data, and its retry safety),
``args`` (argument checks against the protocol's limits), ``replies`` (reading
answers and error envelopes), ``calls`` and ``admin_calls`` (one request
builder and parser per operation), ``leases`` (the claim tokens a client
holds), ``operations`` (every public client method once: signature, docstring
and the calls it makes). Then the I/O shells: ``client`` and ``async_client``
run those plans, ``core`` is what both share, ``retry`` (when to retry, and the
loops), ``transport`` (httpx errors to ours), ``stdlib_transport``, ``auth``
(request signing), ``credentials``, ``models``, ``exceptions``, ``kv`` (KV value
encoding) and ``strict_json``.
"""
