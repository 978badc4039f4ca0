// Intents: the control API's search (status, goal, namespace, worker, error
// text, id), cursor paging, and a live refresh that keeps the user's place:
// filters and page live in the #fragment, and refreshing only swaps table rows.

import { get, session } from "./api.js";
import { badge, el, empty, notice, table, when } from "./dom.js";
import { STATUSES, errorText } from "./shared.js";

const FIELDS = [
  ["goal", "Goal"],
  ["namespace", "Namespace"],
  ["worker", "Worker"],
  ["error", "Error text"],
  ["id", "Id or prefix"],
];
const PAGE_SIZE = 50;

export async function render(ctx) {
  const params = ctx.params;
  const filters = {};
  for (const [name] of FIELDS) filters[name] = params.get(name) || "";
  if (session.isAdmin) filters.owner = params.get("owner") || "";
  const statuses = params.getAll("status");

  const form = searchForm(filters, statuses, (next) => ctx.navigate("intents", [], next));
  const results = el("div", { class: "results flow" });
  const live = el("input", { type: "checkbox", id: "live", checked: true });
  ctx.view.append(
    el(
      "div",
      { class: "page-head" },
      el("h1", {}, "Intents"),
      el("label", { class: "live-toggle", for: "live" }, live, " Live"),
    ),
    form,
    results,
  );

  const cursor = params.get("cursor");
  const load = async () => {
    const answer = await get("/intents", { ...filters, status: statuses, cursor, limit: PAGE_SIZE });
    results.replaceChildren(resultView(answer, ctx, params, Boolean(cursor || statuses.length || Object.values(filters).some(Boolean))));
  };
  try {
    await load();
  } catch (err) {
    results.replaceChildren(notice("error", errorText(err)));
    return;
  }
  ctx.live(async () => {
    if (!live.checked) return;
    await load().catch((err) => results.prepend(notice("error", errorText(err))));
  });
}

function searchForm(filters, statuses, submit) {
  const inputs = {};
  const fields = Object.keys(filters).map((name) => {
    const label = (FIELDS.find(([n]) => n === name) || [name, "Owner"])[1];
    inputs[name] = el("input", { id: `f-${name}`, name, value: filters[name], autocomplete: "off", spellcheck: "false" });
    return el("div", { class: "field" }, el("label", { for: `f-${name}` }, label), inputs[name]);
  });
  const boxes = STATUSES.map((status) => {
    const box = el("input", { type: "checkbox", name: "status", value: status, checked: statuses.includes(status) });
    return el("label", { class: `chip chip-${status}` }, box, status);
  });
  const form = el(
    "form",
    { class: "search card" },
    el("div", { class: "chips", role: "group", "aria-label": "Status" }, boxes),
    el("div", { class: "fields" }, fields),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "submit", class: "btn btn-primary" }, "Search"),
      el("a", { class: "btn", href: "#/intents" }, "Clear"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const box of form.querySelectorAll("input[name=status]:checked")) next.append("status", box.value);
    for (const [name, input] of Object.entries(inputs)) if (input.value.trim()) next.set(name, input.value.trim());
    submit(next);
  });
  return form;
}

function resultView(answer, ctx, params, filtered) {
  const intents = answer.intents || [];
  const older = answer.next_cursor
    ? el("button", { type: "button", class: "btn", onclick: () => ctx.navigate("intents", [], withCursor(params, answer.next_cursor)) }, intents.length ? "Older →" : "Look further back →")
    : null;
  const newest = params.get("cursor")
    ? el("button", { type: "button", class: "btn", onclick: () => ctx.navigate("intents", [], withCursor(params, null)) }, "← Newest")
    : null;
  if (!intents.length) {
    // A search the server cannot serve from one index examines a bounded
    // number of intents per request: an empty page may still continue.
    let message;
    if (answer.next_cursor) message = "None of the intents examined so far match; older ones remain to be searched.";
    else if (filtered) message = "No intents match these filters. Widen the search or clear it.";
    else return empty("No intents yet: publish one with", `intent-bus publish resize '{"width": 64}'`);
    return el("div", { class: "flow" }, empty(message), newest || older ? el("div", { class: "pager" }, newest, el("span"), older) : null);
  }
  const rows = intents.map((i) =>
    el(
      "tr",
      {},
      el("td", { "data-label": "id" }, el("a", { class: "mono", href: `#/intent/${encodeURIComponent(i.id)}`, title: i.id }, i.id.slice(0, 12))),
      el("td", { "data-label": "status" }, badge(i.status), i.cancel_requested ? el("span", { class: "badge badge-cancelled" }, "cancelling") : null),
      el("td", { "data-label": "goal" }, i.goal),
      el("td", { "data-label": "namespace" }, i.namespace),
      session.isAdmin ? el("td", { "data-label": "owner" }, i.owner) : null,
      el("td", { "data-label": "attempts", class: "num" }, `${i.claim_attempts}/${i.max_attempts}`),
      el("td", { "data-label": "worker", class: "mono" }, i.worker ?? "—"),
      el("td", { "data-label": "created" }, when(i.created_at)),
      el("td", { "data-label": "error", class: "error-cell", title: i.error ?? "" }, i.error ?? ""),
    ),
  );
  const shown = answer.next_cursor && intents.length < PAGE_SIZE ? `${intents.length} found in this stretch, newest first` : `${intents.length} shown, newest first`;
  return el(
    "div",
    {},
    table(
      ["Id", "Status", "Goal", "Namespace", ...(session.isAdmin ? ["Owner"] : []), { label: "Tries", class: "num" }, "Worker", "Created", "Error"],
      rows,
      { class: "stack" },
    ),
    el("div", { class: "pager" }, newest, el("span", { class: "muted" }, shown), older),
  );
}

function withCursor(params, cursor) {
  const next = new URLSearchParams(params);
  if (cursor) next.set("cursor", cursor);
  else next.delete("cursor");
  return next;
}
