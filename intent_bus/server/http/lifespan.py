"""The ASGI lifespan protocol around an async context manager.

The server opens its store and starts housekeeping before the first request
and stops them after the last; a failure to start is reported to the ASGI
server (with the traceback), which then refuses to serve.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from intent_bus.server.http.reply import Receive, Send

Lifespan = Callable[[], AbstractAsyncContextManager[None]]


async def run_lifespan(lifespan: Lifespan, receive: Receive, send: Send) -> None:
    started = False
    await receive()  # lifespan.startup
    try:
        async with lifespan():
            await send({"type": "lifespan.startup.complete"})
            started = True
            await receive()  # lifespan.shutdown
    except BaseException:
        failed = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
        await send({"type": failed, "message": traceback.format_exc()})
        raise
    await send({"type": "lifespan.shutdown.complete"})
