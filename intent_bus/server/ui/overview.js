// Overview: counts by status per namespace and goal, the oldest waiting age,
// completions per minute over the last hour, paused goals marked.

import { get, session } from "./api.js";
import { duration, el, empty, notice, table, when } from "./dom.js";
import { minuteBars, sumSeries } from "./chart.js";
import { STATUSES, errorText } from "./shared.js";

export async function render(ctx) {
  const flash = el("div", { class: "flash" });
  const body = el("div", { class: "flow" });
  ctx.view.append(el("div", { class: "page-head" }, el("h1", {}, "Overview")), flash, body);
  const draw = async () => {
    body.replaceChildren(statsView(await get("/stats")));
    flash.replaceChildren();
  };
  await draw();
  ctx.live(() => draw().catch((err) => flash.replaceChildren(notice("error", errorText(err)))));
}

function tiles(counts) {
  return el(
    "div",
    { class: "tiles" },
    STATUSES.map((status) =>
      el(
        "a",
        { class: `tile tile-${status}`, href: `#/intents?status=${status}` },
        el("span", { class: "tile-n" }, String(counts[status] || 0)),
        el("span", { class: "tile-label" }, status),
      ),
    ),
  );
}

function statsView(stats) {
  const groups = stats.groups || [];
  if (!groups.length) {
    return empty("No intents yet: publish one, then watch it here.", `intent-bus publish resize '{"width": 64}'`);
  }
  const totals = {};
  for (const g of groups) for (const [s, n] of Object.entries(g.counts || {})) totals[s] = (totals[s] || 0) + n;
  const series = sumSeries(groups.map((g) => g.completions_per_minute || []));
  const rows = groups.map((g) =>
    el(
      "tr",
      { class: g.paused ? "paused" : "" },
      session.isAdmin ? el("td", { "data-label": "owner" }, g.owner) : null,
      el("td", { "data-label": "namespace" }, g.namespace),
      el(
        "td",
        { "data-label": "goal" },
        el("a", { href: groupSearch(g) }, g.goal),
        g.paused ? el("span", { class: "badge badge-paused", title: "claims are paused" }, "paused") : null,
      ),
      STATUSES.map((s) => {
        const n = (g.counts || {})[s] || 0;
        return el("td", { class: n ? "num" : "num zero", "data-label": s }, String(n));
      }),
      el("td", { "data-label": "oldest waiting" }, g.oldest_open_age == null ? "—" : duration(g.oldest_open_age)),
      el("td", { class: "spark-cell" }, minuteBars(g.completions_per_minute || [], { height: 24, compact: true })),
    ),
  );
  return el(
    "div",
    { class: "flow" },
    tiles(totals),
    el("section", { class: "card" }, el("h2", {}, "Completions per minute, last hour"), minuteBars(series)),
    el(
      "section",
      {},
      el("h2", {}, "By namespace and goal"),
      table(
        [
          ...(session.isAdmin ? ["Owner"] : []),
          "Namespace",
          "Goal",
          ...STATUSES.map((s) => ({ label: s, class: "num" })),
          "Oldest waiting",
          "Last hour",
        ],
        rows,
        { class: "stack" },
      ),
    ),
    el("p", { class: "fine" }, "Generated ", when(stats.generated_at), "; refreshes every 5 s."),
  );
}

/** The Intents page for one group (with its owner for an admin, which keeps
 * the search on one tenant's index). */
function groupSearch(g) {
  const params = new URLSearchParams({ goal: g.goal, namespace: g.namespace });
  if (session.isAdmin) params.set("owner", g.owner);
  return `#/intents?${params}`;
}
