// Dead letters, grouped by error message, with "requeue all N" after a count
// check: the server is asked how many intents the action would touch, and the
// user confirms that number (not the one on a possibly stale page).

import { get, post, seg, session } from "./api.js";
import { confirmButton, el, empty, notice, plural, when } from "./dom.js";
import { errorText } from "./shared.js";

const MAX_DEAD = 1000;
const NO_MESSAGE = "(no error message)";

/** Every dead intent visible to the key, up to MAX_DEAD. Admins use the
 * dead-letter endpoint; tenants page through the search. */
async function loadDead() {
  if (session.isAdmin) return (await get("/admin/dead", { limit: MAX_DEAD })).intents || [];
  const found = [];
  let cursor = null;
  do {
    const page = await get("/intents", { status: "dead", limit: 200, cursor });
    found.push(...(page.intents || []));
    cursor = page.next_cursor;
  } while (cursor && found.length < MAX_DEAD);
  return found;
}

export function groupByError(intents) {
  const groups = new Map();
  for (const intent of intents) {
    const key = intent.error ?? NO_MESSAGE;
    if (!groups.has(key)) groups.set(key, { error: key, hasMessage: intent.error != null, intents: [] });
    groups.get(key).intents.push(intent);
  }
  return [...groups.values()].sort((a, b) => b.intents.length - a.intents.length);
}

export async function render(ctx) {
  const flash = el("div", { class: "flash" });
  const body = el("div", { class: "flow" });
  ctx.view.append(el("div", { class: "page-head" }, el("h1", {}, "Dead letters")), flash, body);
  const draw = async () => {
    const intents = await loadDead();
    if (!intents.length) {
      body.replaceChildren(empty("No dead intents. Intents land here after their last attempt fails; inspect one with", "intent-bus dead list"));
      return;
    }
    const groups = groupByError(intents);
    body.replaceChildren(
      el("p", { class: "muted" }, `${plural(intents.length, "dead intent")} in ${plural(groups.length, "error group")}${intents.length >= MAX_DEAD ? ` (the newest ${MAX_DEAD} shown)` : ""}.`),
      ...groups.map((g) => groupCard(g, (text, kind = "ok") => {
        flash.replaceChildren(notice(kind, text));
        draw().catch((err) => flash.replaceChildren(notice("error", errorText(err))));
      })),
    );
  };
  await draw();
}

function groupCard(group, after) {
  const n = group.intents.length;
  const goals = [...new Set(group.intents.map((i) => i.goal))];
  const namespaces = [...new Set(group.intents.map((i) => i.namespace))];
  const newest = Math.max(...group.intents.map((i) => i.completed_at || i.created_at));
  const slot = el("div", { class: "actions" });
  const start = el("button", { type: "button", class: "btn btn-primary requeue-all" }, n === 1 ? "Requeue it" : `Requeue all ${n}`);
  start.addEventListener("click", () => countCheck(group, slot, start, after));
  slot.append(start);
  return el(
    "section",
    { class: "card dead-group" },
    el("pre", { class: group.hasMessage ? "error-text" : "muted" }, group.error),
    el(
      "p",
      { class: "group-facts" },
      el("strong", { class: "group-count" }, plural(n, "intent")),
      ` · ${goals.length === 1 ? "goal" : "goals"} `,
      goals.slice(0, 5).join(", "),
      goals.length > 5 ? "…" : "",
      ` · ${namespaces.length === 1 ? "namespace" : "namespaces"} `,
      namespaces.slice(0, 5).join(", "),
      " · last ",
      when(newest),
    ),
    el(
      "p",
      { class: "ids" },
      group.intents.slice(0, 6).map((i) => el("a", { class: "mono", href: `#/intent/${encodeURIComponent(i.id)}`, title: i.id }, i.id.slice(0, 12))),
      n > 6 ? el("span", { class: "muted" }, `and ${n - 6} more`) : null,
      group.hasMessage ? el("a", { href: `#/intents?${new URLSearchParams({ status: "dead", error: group.error })}` }, "list them") : null,
    ),
    slot,
  );
}

/** Asks the server how many intents the action matches now, then asks the
 * user to confirm that number. */
async function countCheck(group, slot, start, after) {
  start.disabled = true;
  let plan;
  try {
    plan = await bulkPlan(group);
  } catch (err) {
    start.disabled = false;
    after(errorText(err), "error");
    return;
  }
  const shown = group.intents.length;
  const question =
    plan.count === shown
      ? `Requeue ${plural(plan.count, "intent")} with this error?`
      : `The server now counts ${plural(plan.count, "dead intent")} whose error contains this text (the page showed ${shown}). Requeue ${plan.count}?`;
  if (plan.count === 0) {
    after("Nothing to requeue any more: these intents are no longer dead.", "info");
    return;
  }
  const ask = confirmButton(`Yes, requeue ${plan.count}`, question, async () => {
    try {
      const done = await plan.run();
      after(`Requeued ${plural(done, "intent")}.`);
    } catch (err) {
      after(errorText(err), "error");
    }
  }, "primary");
  const cancel = el("button", { type: "button", class: "btn" }, "Cancel");
  cancel.addEventListener("click", () => {
    start.disabled = false;
    slot.replaceChildren(start);
  });
  slot.replaceChildren(ask, cancel);
  ask.querySelector("button").click();
}

/** {count, run}: POST /intents/requeue by error text, counted by a dry run
 * first. Intents without a message cannot be matched by error text: those are
 * requeued one by one from a fresh listing. */
async function bulkPlan(group) {
  if (group.hasMessage) {
    const filter = { error_contains: group.error };
    const dry = await post("/intents/requeue", { ...filter, dry_run: true });
    return {
      count: dry.matched,
      run: async () => (await post("/intents/requeue", { ...filter, dry_run: false })).requeued,
    };
  }
  const fresh = groupByError(await loadDead()).find((g) => !g.hasMessage);
  const ids = fresh ? fresh.intents.map((i) => i.id) : [];
  return {
    count: ids.length,
    run: async () => {
      let done = 0;
      for (const id of ids) {
        await post(`/requeue/${seg(id)}`);
        done += 1;
      }
      return done;
    },
  };
}
