"""The Python SDK: clients, models and exceptions (public names via ``intent_bus``).

Layout, pure core first: ``call`` (a request as data, and its retry safety),
``args`` (argument checks against the protocol's limits), ``replies`` (reading
answers and error envelopes), ``calls``, ``admin_calls`` and
``control_calls`` (one request builder and parser per operation), ``leases``
(the claim tokens a client holds), ``plan`` (what a method's plan yields),
``operations`` and ``control_ops`` (every public client method once:
signature, docstring and the calls it makes). Then the I/O shells: ``client``
and ``async_client`` run those plans, ``core`` is what both share, ``retry``
(when to retry, and the loops), ``transport`` (httpx errors to ours),
``stdlib_transport``, ``auth`` (request signing), ``credentials``; and the
models: ``models``, ``control_models``, ``admin_models``; ``exceptions``,
``kv`` (KV value encoding) and ``strict_json``.
"""
