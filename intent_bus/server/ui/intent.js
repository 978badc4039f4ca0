// One intent: facts, the explanation in words, payload and result as readable
// JSON, the timeline, and the actions that apply (cancel, requeue).
// Requests: GET /intents/<id>, then GET /intents/<id>/events and
// GET /explain/<id>; all three again every 5 s until the intent is terminal.

import { ApiError, get, post, seg } from "./api.js";
import { badge, confirmButton, el, jsonBlock, notice, whenFull } from "./dom.js";
import { reasonItems } from "./reasons.js";
import { TERMINAL, errorText } from "./shared.js";

export async function render(ctx) {
  const id = ctx.rest[0] || "";
  const body = el("div", { class: "flow" });
  const flash = el("div", { class: "flash" });
  ctx.view.append(
    el("div", { class: "page-head" }, el("h1", {}, "Intent ", el("span", { class: "mono id" }, id))),
    flash,
    body,
  );
  let intent;
  const draw = async () => {
    intent = await get(`/intents/${seg(id)}`);
    const [events, explain] = await Promise.all([get(`/intents/${seg(id)}/events`), get(`/explain/${seg(id)}`)]);
    body.replaceChildren(
      facts(intent, explain.schedule),
      actions(intent, async (text) => {
        flash.replaceChildren(notice("ok", text));
        await draw();
      }, (err) => flash.replaceChildren(notice("error", errorText(err)))),
      explanation(intent, explain),
      el(
        "div",
        { class: "two" },
        section("Payload", jsonBlock(intent.payload ?? null)),
        section("Result", resultBlock(intent)),
      ),
      timeline(events.events || []),
    );
  };
  try {
    await draw();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && !intent) {
      body.append(notice("info", "No intent with this id is visible to your key. Tenant keys see only their own tenant's intents."));
      return;
    }
    throw err;
  }
  ctx.live(async () => {
    if (TERMINAL.has(intent.status)) return;
    await draw().catch((err) => flash.replaceChildren(notice("error", errorText(err))));
  });
}

function section(title, ...content) {
  return el("section", { class: "card" }, el("h2", {}, title), ...content);
}

function fact(label, value) {
  return el("div", { class: "fact" }, el("dt", {}, label), el("dd", {}, value ?? el("span", { class: "muted" }, "—")));
}

function facts(i, schedule) {
  return el(
    "dl",
    { class: "facts card" },
    fact("Status", [badge(i.status), i.cancel_requested && i.status === "claimed" ? el("span", { class: "badge badge-cancelled" }, "cancel requested") : null]),
    fact("Goal", i.goal),
    fact("Namespace", i.namespace),
    fact("Owner", i.owner),
    fact("Attempts", `${i.claim_attempts} of ${i.max_attempts}`),
    fact("Priority", String(i.priority)),
    fact("Visibility", i.visibility),
    fact("Target worker", i.target_worker),
    fact("Needs capability", i.required_capability),
    fact("Last worker", i.worker),
    fact("Published", whenFull(i.created_at)),
    schedule ? fact("By schedule", [el("a", { href: "#/schedules", class: "mono" }, schedule.name), " tick ", whenFull(schedule.scheduled_for)]) : null,
    fact("Due", whenFull(i.run_at)),
    i.lease_expires_at ? fact("Lease until", whenFull(i.lease_expires_at)) : null,
    fact("Completed", i.completed_at ? whenFull(i.completed_at) : null),
    i.error ? fact("Last error", el("span", { class: "error-text" }, i.error)) : null,
  );
}

function actions(i, done, failed) {
  const buttons = [];
  const id = seg(i.id);
  const act = (path, text) => async () => {
    try {
      await post(path);
      await done(text);
    } catch (err) {
      failed(err);
    }
  };
  if ((i.status === "open" || i.status === "claimed") && !i.cancel_requested) {
    const text = i.status === "open" ? "Cancelled." : "Cancel requested: the intent ends cancelled when its worker hears of it or its lease ends.";
    buttons.push(confirmButton("Cancel intent", "Cancel this intent?", act(`/cancel/${id}`, text)));
  }
  if (i.status === "dead" || i.status === "cancelled") {
    buttons.push(confirmButton("Requeue", "Run it again with fresh attempts?", act(`/requeue/${id}`, "Requeued: the intent is open again."), "primary"));
  }
  return buttons.length ? el("div", { class: "actions" }, buttons) : null;
}

function resultBlock(i) {
  if (!TERMINAL.has(i.status)) return el("p", { class: "muted" }, "No result yet: the intent is still ", i.status, ".");
  if (i.result === null || i.result === undefined) return el("p", { class: "muted" }, "No result recorded.");
  return [i.result_type ? el("p", { class: "fine" }, `type: ${i.result_type}`) : null, jsonBlock(i.result)];
}

function explanation(i, explain) {
  const reasons = explain.reasons || [];
  return section(
    "Why it is where it is",
    explain.claimable_now
      ? el("p", { class: "claimable" }, reasons.length ? "Ready to be claimed by a matching worker; what stands in the way:" : "Ready: the next claim of a matching worker gets it.")
      : null,
    reasons.length ? el("ul", { class: "reasons" }, reasonItems(reasons, i)) : null,
  );
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

function timeline(events) {
  return section(
    "Timeline",
    events.length
      ? el(
          "ol",
          { class: "timeline" },
          events.map((e) =>
            el(
              "li",
              { class: `event event-${e.type}` },
              el("span", { class: "event-type" }, EVENT_WORDS[e.type] || e.type),
              " ",
              whenFull(e.at),
              e.worker ? el("span", { class: "event-detail" }, " by ", el("span", { class: "mono" }, e.worker)) : null,
              e.attempt ? el("span", { class: "event-detail" }, ` · attempt ${e.attempt}`) : null,
              e.error ? el("div", { class: "error-text" }, e.error) : null,
              e.detail ? el("div", { class: "muted" }, typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail)) : null,
            ),
          ),
        )
      : el("p", { class: "muted" }, "No events recorded (intents published before this server version have none for their past)."),
  );
}
