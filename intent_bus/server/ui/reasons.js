// GET /explain/<id> in words: each reason code worded from its details, with
// times shown relative (absolute on hover), rather than the server's message,
// whose wording may change. Unknown codes fall back to that message.

import { el, plural, when } from "./dom.js";

const name = (value) => el("code", {}, value);

function lastSeen(unix, never, worker) {
  if (unix == null) return never;
  return worker ? ["; ", name(worker), " was the last, ", when(unix)] : ["; the last one did ", when(unix)];
}

/** The per-key part of a limit holds it back (else the goal's total does). */
const perKeyFull = (d) => d.max_per_key != null && d.running_with_key != null && d.running_with_key >= d.max_per_key;

const WORDING = {
  delayed: (d) => ["Waiting: it was published with a delay and is due ", when(d.due_at), "."],
  backoff: (d) => [
    `Waiting to retry: attempt ${d.attempt} failed`,
    d.last_error ? [" (", el("span", { class: "error-text" }, d.last_error), ")"] : null,
    "; the next try is due ",
    when(d.due_at),
    ".",
  ],
  claimed: (d) => ["Running: worker ", d.worker ? name(d.worker) : "(unnamed)", " holds its lease until ", when(d.lease_until), "."],
  paused: (d, i) => [
    "Paused: claims of goal ",
    name(d.goal ?? i.goal),
    " (or of all of namespace ",
    name(d.namespace ?? i.namespace),
    ") are paused; ",
    el("a", { href: "#/pauses" }, "resume them"),
    " to let workers take it.",
  ],
  concurrency_limit: (d, i) => {
    const [what, most, running] = perKeyFull(d)
      ? [["intents with concurrency key ", name(d.concurrency_key)], d.max_per_key, d.running_with_key]
      : [["goal ", name(i.goal), " in namespace ", name(i.namespace)], d.max_running, d.running];
    return [
      "Held by a concurrency limit: ",
      what,
      ` may run at most ${most} at once, and ${running} ${running === 1 ? "is" : "are"} running. It starts when one ends or when the `,
      el("a", { href: "#/limits" }, "limit"),
      " is raised.",
    ];
  },
  no_live_worker: (d, i) => [
    "Waiting: no worker has polled goal ",
    name(i.goal),
    " in namespace ",
    name(i.namespace),
    " in the last minute",
    lastSeen(d.last_seen, "; none ever has", d.last_worker),
    ". Start one with ",
    el("code", { class: "command" }, `intent-bus listen ${i.goal}${i.namespace === "default" ? "" : ` --namespace ${i.namespace}`}`),
  ],
  capability_missing: (d) => [
    "Waiting: no live worker offers capability ",
    name(d.required),
    d.offered && d.offered.length ? ["; they offer ", d.offered.flatMap((c, n) => [n ? ", " : "", name(c)])] : "; they offer none",
    ".",
  ],
  target_worker_offline: (d) => ["Waiting: it is for worker ", name(d.target), ", which is not live", lastSeen(d.last_seen, " and has never polled"), "."],
  behind_in_queue: (d) => [`Queued: ${plural(d.ahead, "eligible intent")} ${d.ahead === 1 ? "goes" : "go"} first.`],
  fulfilled: () => ["Fulfilled: a worker completed it."],
  dead: (d, i) => [
    `Dead after ${plural(i.claim_attempts, "attempt")}`,
    d.last_error ? [": ", el("span", { class: "error-text" }, d.last_error)] : ", with no error message",
    ". Requeue it to run it again.",
  ],
  cancelled: () => ["Cancelled: it will not run. Requeue it to run it again."],
};

/** One <li> per reason; `intent` is the intent the reasons are about. */
export function reasonItems(reasons, intent) {
  return reasons.map((r) => {
    const words = WORDING[r.code];
    return el("li", { class: `reason reason-${r.code}` }, words ? words(r.details || {}, intent) : r.message);
  });
}
