"""Client-side CPU per SDK call, of this checkout or of two side by side.

Starts a real server process, then runs the client in short child processes,
each timing only its own loop with ``time.process_time`` (that process only, so
the server's work is excluded):

- ``signed``: publish -> claim -> fulfill cycles with a default ``IntentClient``
  (every request HMAC-signed, as the SDK always sends them); CPU per call;
- ``unsigned``: the same with a bench-only stand-in that sends the API key and
  no signature (signed minus unsigned is signing's cost in context, but on a
  shared machine that difference is smaller than the noise: ``sign`` measures
  it alone);
- ``batch``: ``publish_many`` of small intents; CPU per intent;
- ``sign``: signing alone, in a loop without a server: a publish body and a
  claim's query, each signed as that checkout's sync client signs it (from an
  ``httpx.Request``, or from the ``Call`` where the client has ``wire``);
- ``httpx`` (only when asked with ``--kinds``): ``signed`` over httpx's own
  transport instead of the default ``StdlibTransport``.

With ``--baseline DIR`` every round runs each kind once with this checkout's
SDK and once with DIR's (its own ``.venv``), in A B then B A order, against the
same server, and reports the median of the per-round ratios baseline / this.

Usage:
    .venv/bin/python bench/sdk_calls.py
    .venv/bin/python bench/sdk_calls.py --baseline /work/main --rounds 4

Measured 2026-11-30 20:52 UTC on the 2-core dev machine, shared with other
work (load average 4.2 at the start, 3.9 at the end), one run of
``--baseline <main at 2d39490> --rounds 6`` (1,000 jobs, so 3,000 calls, per
signed and unsigned round; 5,000 intents per batch round; 20,000 x 2 signings
per sign round). Client CPU in microseconds per call, intent or signing
(medians), and the median of the six per-round ratios with their range; the
server's CPU per call over the same rounds (from /proc, 10 ms ticks):

    kind       client 2d39490   this  ratio               server ratio
    signed             558.6   285.7  1.98x (1.66-2.12)   1.07x (0.94-1.17)
    unsigned           502.4   243.5  2.06x (1.74-2.34)   1.07x (0.95-1.29)
    batch               16.6    11.3  1.46x (1.43-1.53)   0.96x (0.81-1.23)
    sign                10.7     4.1  2.58x (2.56-2.60)

The server's CPU per call (617 -> 572 us signed, 508 -> 452 unsigned; this
client sends a request's head and body in one segment) moved within this
machine's noise.

Where it went (py-spy ``--gil``, publish -> claim -> fulfill): before,
``httpx.Client`` around the transport took about half of the client's Python
time (URL parsing and merging, header objects, the auth flow, a cookie
request per response) and ``http.client``'s email-based header parsing a
tenth; both are gone from the default path (``intent_bus/sdk/wire.py``,
``quick_response.py``). What is left is mostly ``http.client`` itself, httpx's
``Response``, JSON and the models.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
KINDS = ("signed", "unsigned", "batch", "sign")


# ------------------------------------------------------------ the client side


def unsigned(client: Any) -> None:
    """Makes `client` send its API key without a signature (bench only: the
    SDK always signs). Works on this checkout's client and on older ones."""
    import httpx

    from intent_bus import protocol

    class KeyOnly(httpx.Auth):
        def __init__(self, key: str) -> None:
            self.key = key

        def auth_flow(self, request: httpx.Request) -> Any:
            request.headers[protocol.HEADER_API_KEY] = self.key
            yield request

        def headers(self, method: str, path: str, body: bytes) -> Any:
            return ((protocol.HEADER_API_KEY, self.key),)

    key_only = KeyOnly(_key(client))
    client._http.auth = key_only
    wire = getattr(client, "_wire", None)
    if wire is not None:
        wire._signer = key_only


def _key(client: Any) -> str:
    auth = client._auth
    signer = getattr(auth, "signer", auth)
    key: str = signer._api_key
    return key


def run_signing(key: str, count: int) -> float:
    """Client CPU seconds per request signed, as this checkout's client signs."""
    from intent_bus.sdk import auth, calls

    publish = calls.publish("bench", {"n": 1}, namespace="bench")
    claim = calls.claim(namespace="bench", goal="bench")
    if hasattr(auth, "Signer"):  # the fast path: from the call itself
        from intent_bus import protocol

        signer = auth.Signer(key)
        cpu0 = time.process_time()
        for _ in range(count):
            for call in (publish, claim):
                path = call.path
                canonical = protocol.canonical_path(path, call.params)
                signer.headers(call.method, canonical, call.body)
        return (time.process_time() - cpu0) / (2 * count)
    import httpx

    signing = auth.SigningAuth(key)
    requests = [
        httpx.Request(
            call.method, "http://h" + call.path, params=call.params, content=call.body
        )
        for call in (publish, claim)
    ]
    cpu0 = time.process_time()
    for _ in range(count):
        for request in requests:
            signing.sign(request)
    return (time.process_time() - cpu0) / (2 * count)


def run_client(kind: str, url: str, key: str, count: int) -> dict[str, Any]:
    """One measurement in this process: client CPU seconds per call or item."""
    import intent_bus
    from intent_bus import IntentClient

    sdk = str(Path(intent_bus.__file__).resolve().parent.parent)
    if kind == "sign":
        per = run_signing(key, count)
        return {"cpu_per_unit": per, "units_per_s": 1 / per, "sdk": sdk}

    transport = None
    if kind == "httpx":
        import httpx

        transport = httpx.HTTPTransport()
    namespace = f"bench-{kind}-{time.monotonic_ns()}"
    with IntentClient(url, key, transport=transport) as client:
        if kind == "unsigned":
            unsigned(client)
        for _ in range(20):  # warm up: connection, imports, caches
            client.publish("warm", {}, namespace=namespace + "-warm")
        if kind == "batch":
            items = [
                {"goal": "bench", "payload": {"n": n}, "namespace": namespace}
                for n in range(count)
            ]
            cpu0, wall0 = time.process_time(), time.perf_counter()
            outcomes = client.publish_many(items)
            cpu = time.process_time() - cpu0
            wall = time.perf_counter() - wall0
            assert all(outcome.ok for outcome in outcomes)
            units = count
        else:
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for n in range(count):
                client.publish("bench", {"n": n}, namespace=namespace)
                job = client.claim(namespace=namespace)
                assert job, "published intent was not claimable"
                client.fulfill(job.id, result="ok", result_type="text")
            cpu = time.process_time() - cpu0
            wall = time.perf_counter() - wall0
            units = 3 * count
    return {
        "cpu_per_unit": cpu / units,
        "units_per_s": units / wall,
        "sdk": sdk,
    }


# ------------------------------------------------------------ the driver


def measure(checkout: Path, kind: str, url: str, key: str, count: int) -> Any:
    """Runs one measurement with `checkout`'s SDK in a child process."""
    python = checkout / ".venv" / "bin" / "python"
    command = [str(python), str(Path(__file__).resolve()), "--client", kind]
    command += ["--url", url, "--key", key, "--count", str(count)]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)
    if Path(result["sdk"]) != checkout.resolve():
        raise RuntimeError(f"{python} imported the SDK of {result['sdk']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to compare")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=500, help="cycles per round")
    parser.add_argument("--items", type=int, default=5000, help="batch size")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        print(json.dumps(run_client(args.client, args.url, args.key, args.count)))
        return

    sys.path.insert(0, str(BENCH))
    from ab import cpu_seconds, server

    checkouts = {"this": ROOT}
    if args.baseline:
        checkouts = {"base": args.baseline.resolve(), "this": ROOT}
    kinds = args.kinds.split(",")
    cpu: dict[tuple[str, str], list[float]] = {}
    served: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        with server(ROOT, tmp) as (pid, port, key):
            url = f"http://127.0.0.1:{port}"
            for round_no in range(1, args.rounds + 1):
                order = list(checkouts.items())
                if round_no % 2 == 0:
                    order.reverse()
                for kind in kinds:
                    count = {"batch": args.items, "sign": 20 * args.jobs}.get(
                        kind, args.jobs
                    )
                    for name, checkout in order:
                        server0 = cpu_seconds(pid)
                        result = measure(checkout, kind, url, key, count)
                        units = count * (3 if kind in ("signed", "unsigned") else 1)
                        server_per = (cpu_seconds(pid) - server0) / units
                        per = result["cpu_per_unit"]
                        cpu.setdefault((name, kind), []).append(per)
                        served.setdefault((name, kind), []).append(server_per)
                        unit = {"batch": "item", "sign": "signing"}.get(kind, "call")
                        print(
                            f"round {round_no} {name:>4} {kind:>8}: "
                            f"{per * 1e6:7.1f} us CPU/{unit}"
                            f" (server {server_per * 1e6:6.1f})"
                            f"  {result['units_per_s']:8.1f} {unit}s/s",
                            flush=True,
                        )

    print(f"\n{args.rounds} rounds, medians (client CPU, us per call or item):")
    for kind in kinds:
        line = f"  {kind:>8}:"
        for name in checkouts:
            line += f"  {name} {statistics.median(cpu[name, kind]) * 1e6:7.1f}"
        if args.baseline:
            ratios = [
                base / this
                for base, this in zip(cpu["base", kind], cpu["this", kind], strict=True)
            ]
            line += f"  base/this {statistics.median(ratios):.2f}x"
            line += f" (rounds {min(ratios):.2f}-{max(ratios):.2f})"
        if kind != "sign":
            line += "  server:"
            for name in checkouts:
                median = statistics.median(served[name, kind])
                line += f" {name} {median * 1e6:.1f}"
            if args.baseline:
                pairs = zip(served["base", kind], served["this", kind], strict=True)
                ratios = [base / this for base, this in pairs if this]
                line += f" base/this {statistics.median(ratios):.2f}x"
                line += f" (rounds {min(ratios):.2f}-{max(ratios):.2f})"
        print(line)


if __name__ == "__main__":
    main()
