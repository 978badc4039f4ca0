// One intent: facts, the explanation in words, payload and result as readable
// JSON, the timeline, and the actions that apply (cancel, requeue).

import { ApiError, get, post, seg, session } from "./api.js";
import { badge, confirmButton, duration, el, jsonBlock, notice, plural, when } from "./dom.js";
import { TERMINAL, errorText } from "./shared.js";

/** GET that maps "this server lacks the endpoint" (404 once the intent is
 * known to exist) to {missing: true}. */
async function optional(path) {
  try {
    return { data: await get(path) };
  } catch (err) {
    if (err instanceof ApiError && err.missing) return { missing: true };
    return { error: err };
  }
}

export async function render(ctx) {
  const id = ctx.rest[0] || "";
  const body = el("div", { class: "flow" });
  const flash = el("div", { class: "flash" });
  ctx.view.append(
    el("div", { class: "page-head" }, el("h1", {}, "Intent ", el("span", { class: "mono id" }, id))),
    flash,
    body,
  );
  let status;
  try {
    status = await get(`/status/${seg(id)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      body.append(notice("info", "No intent with this id is visible to your key. Tenant keys see only their own tenant's intents."));
      return;
    }
    throw err;
  }
  const draw = async () => {
    const [full, result, events, explain] = await Promise.all([
      optional(`/intents/${seg(id)}`),
      TERMINAL.has(status.status) ? optional(`/result/${seg(id)}`) : Promise.resolve({}),
      optional(`/intents/${seg(id)}/events`),
      optional(`/explain/${seg(id)}`),
    ]);
    const view = { ...status, ...(full.data || {}) };
    body.replaceChildren(
      facts(view),
      actions(view, async (text) => {
        flash.replaceChildren(notice("ok", text));
        await refresh();
      }, (err) => flash.replaceChildren(notice("error", errorText(err)))),
      explanation(view, explain),
      el(
        "div",
        { class: "two" },
        section("Payload", full.missing ? notice("info", "This server does not show payloads yet (GET /intents/<id>).") : full.error ? notice("error", errorText(full.error)) : jsonBlock(view.payload ?? null)),
        section("Result", resultBlock(view, full, result)),
      ),
      timeline(view, events),
    );
  };
  const refresh = async () => {
    status = await get(`/status/${seg(id)}`);
    await draw();
  };
  await draw();
  ctx.live(() => {
    if (!TERMINAL.has(status.status)) refresh().catch((err) => flash.replaceChildren(notice("error", errorText(err))));
  });
}

function section(title, ...content) {
  return el("section", { class: "card" }, el("h2", {}, title), ...content);
}

function fact(label, value) {
  return el("div", { class: "fact" }, el("dt", {}, label), el("dd", {}, value ?? el("span", { class: "muted" }, "—")));
}

function facts(i) {
  return el(
    "dl",
    { class: "facts card" },
    fact("Status", [badge(i.status), i.cancel_requested ? el("span", { class: "badge badge-cancelled" }, "cancel requested") : null]),
    fact("Goal", i.goal),
    fact("Namespace", i.namespace),
    i.owner !== undefined ? fact("Owner", i.owner) : null,
    fact("Attempts", `${i.claim_attempts} of ${i.max_attempts}`),
    fact("Priority", String(i.priority)),
    fact("Visibility", i.visibility),
    fact("Target worker", i.target_worker),
    fact("Needs capability", i.required_capability),
    i.worker !== undefined ? fact("Last worker", i.worker) : null,
    fact("Published", when(i.created_at)),
    fact("Due", when(i.run_at)),
    i.lease_expires_at ? fact("Lease until", when(i.lease_expires_at)) : null,
    fact("Completed", i.completed_at ? when(i.completed_at) : null),
    i.error ? fact("Last error", el("span", { class: "error-text" }, i.error)) : null,
  );
}

function actions(i, done, failed) {
  const buttons = [];
  const id = seg(i.id);
  if ((i.status === "open" || i.status === "claimed") && !i.cancel_requested) {
    buttons.push(
      confirmButton("Cancel intent", "Cancel this intent?", async () => {
        try {
          await post(`/cancel/${id}`);
          await done("Cancelled (a claimed intent ends when its worker hears of it).");
        } catch (err) {
          failed(err instanceof ApiError && err.missing ? new Error("This server cannot cancel intents yet (POST /cancel).") : err);
        }
      }),
    );
  }
  if (i.status === "dead" || i.status === "cancelled") {
    buttons.push(
      confirmButton("Requeue", "Run it again with fresh attempts?", async () => {
        try {
          await requeue(i);
          await done("Requeued: the intent is open again.");
        } catch (err) {
          failed(err);
        }
      }, "primary"),
    );
  }
  return buttons.length ? el("div", { class: "actions" }, buttons) : null;
}

/** POST /requeue/<id>; before it exists an admin can still use the
 * dead-letter endpoint. */
export async function requeue(i) {
  try {
    return await post(`/requeue/${seg(i.id)}`);
  } catch (err) {
    if (!(err instanceof ApiError && err.missing)) throw err;
    if (session.isAdmin && i.status === "dead") return post(`/admin/dead/${seg(i.id)}/requeue`);
    throw new Error("This server cannot requeue this intent with your key yet (POST /requeue).");
  }
}

function resultBlock(i, full, result) {
  if (!TERMINAL.has(i.status)) return el("p", { class: "muted" }, "No result yet: the intent is still ", i.status, ".");
  const source = full.data && "result" in full.data ? full.data : result.data;
  if (!source) return result.error ? notice("error", errorText(result.error)) : el("p", { class: "muted" }, "—");
  if (source.result === null || source.result === undefined) return el("p", { class: "muted" }, "No result recorded.");
  return [source.result_type ? el("p", { class: "fine" }, `type: ${source.result_type}`) : null, jsonBlock(source.result)];
}

/** The server's reasons in words; before GET /explain exists, the console
 * works out the plain cases from the status view and says so. */
function explanation(i, explain) {
  if (explain.data) {
    const reasons = explain.data.reasons || [];
    return section(
      explain.data.claimable_now ? "Why: claimable now" : "Why it is where it is",
      reasons.length ? el("ul", { class: "reasons" }, reasons.map((r) => el("li", { class: `reason reason-${r.code}` }, r.message))) : el("p", { class: "muted" }, "Nothing holds it back: the next worker that asks for this goal gets it."),
    );
  }
  const now = Date.now() / 1000;
  let text;
  if (i.status === "open" && i.run_at > now) text = `Waiting: due in ${duration(i.run_at - now)}${i.claim_attempts ? ` (backoff after attempt ${i.claim_attempts})` : ""}.`;
  else if (i.status === "open") text = `Waiting for a worker to claim goal “${i.goal}” in namespace “${i.namespace}”${i.required_capability ? ` with capability “${i.required_capability}”` : ""}${i.target_worker ? ` (only worker “${i.target_worker}”)` : ""}.`;
  else if (i.status === "claimed") text = `Being worked on (attempt ${i.claim_attempts} of ${i.max_attempts}); the lease ends ${i.lease_expires_at ? `in ${duration(i.lease_expires_at - now)}` : "soon"}.`;
  else if (i.status === "dead") text = `Dead after ${plural(i.claim_attempts, "attempt")}: ${i.error ?? "no error message"}.`;
  else if (i.status === "fulfilled") text = "Fulfilled: a worker completed it.";
  else text = `Status: ${i.status}.`;
  return section("Why it is where it is", el("p", {}, text), explain.missing ? el("p", { class: "fine" }, "Worked out by the console: this server has no GET /explain yet.") : null);
}

const EVENT_WORDS = {
  published: "Published",
  claimed: "Claimed",
  failed: "Failed",
  lease_expired: "Lease expired",
  requeued: "Requeued",
  cancel_requested: "Cancel requested",
  cancelled: "Cancelled",
  fulfilled: "Fulfilled",
  dead: "Dead",
};

function timeline(i, events) {
  let items;
  let note = null;
  if (events.data) {
    items = events.data.events || [];
  } else {
    items = [{ type: "published", at: i.created_at }];
    if (i.completed_at) items.push({ type: i.status, at: i.completed_at, error: i.status === "dead" ? i.error : undefined });
    note = el("p", { class: "fine" }, events.missing ? "Only publish and completion times: this server has no GET /intents/<id>/events yet." : errorText(events.error));
  }
  return section(
    "Timeline",
    el(
      "ol",
      { class: "timeline" },
      items.map((e) =>
        el(
          "li",
          { class: `event event-${e.type}` },
          el("span", { class: "event-type" }, EVENT_WORDS[e.type] || e.type),
          " ",
          when(e.at),
          e.worker ? el("span", { class: "event-detail" }, " by ", el("span", { class: "mono" }, e.worker)) : null,
          e.attempt ? el("span", { class: "event-detail" }, ` · attempt ${e.attempt}`) : null,
          e.error ? el("div", { class: "error-text" }, e.error) : null,
          e.detail ? el("div", { class: "muted" }, typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail)) : null,
        ),
      ),
    ),
    note,
  );
}
