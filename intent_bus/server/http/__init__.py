"""HTTP plumbing: dispatch, the per-request pipeline, inputs, replies, lifespan.

Route modules (`server/routes/`) see only `Endpoint`, `Call` and `Reply`.
"""
