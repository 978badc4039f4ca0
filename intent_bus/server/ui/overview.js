// Overview: counts by status per namespace and goal, the oldest waiting age,
// completions per minute over the last hour, paused goals marked.

import { ApiError, get, session } from "./api.js";
import { duration, el, empty, notice, table, when } from "./dom.js";
import { minuteBars, sumSeries } from "./chart.js";
import { STATUSES, unsupported } from "./shared.js";

export async function render(ctx) {
  const body = el("div", { class: "flow" });
  ctx.view.append(el("div", { class: "page-head" }, el("h1", {}, "Overview")), body);
  let served = true; // GET /stats exists; after one 404, ask no more
  const draw = async () => {
    if (served) {
      try {
        body.replaceChildren(statsView(await get("/stats")));
        return;
      } catch (err) {
        if (!(err instanceof ApiError && err.missing)) throw err;
        served = false;
      }
    }
    body.replaceChildren(await fallback());
  };
  await draw();
  ctx.live(() => draw().catch((err) => body.replaceChildren(notice("error", err.message))));
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
        el("a", { href: `#/intents?goal=${encodeURIComponent(g.goal)}&namespace=${encodeURIComponent(g.namespace)}` }, g.goal),
        g.paused ? el("span", { class: "badge badge-paused", title: "claims are paused" }, "paused") : null,
      ),
      STATUSES.map((s) => el("td", { class: "num", "data-label": s }, String((g.counts || {})[s] || 0))),
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

/** Before GET /stats exists, an admin still gets /admin/stats's totals. */
async function fallback() {
  if (!session.isAdmin) return unsupported("statistics", "GET /stats");
  const stats = await get("/admin/stats");
  const namespaces = Object.entries(stats.by_namespace || {});
  const parts = [
    tiles(stats.by_status || {}),
    notice("info", "This server has no per-goal statistics yet (GET /stats): showing totals by namespace; the completions chart needs a newer server."),
  ];
  if (!namespaces.length) {
    parts.push(empty("No intents yet: publish one, then watch it here.", `intent-bus publish resize '{"width": 64}'`));
  } else {
    parts.push(
      table(
        ["Namespace", ...STATUSES.map((s) => ({ label: s, class: "num" }))],
        namespaces.map(([ns, counts]) =>
          el("tr", {}, el("td", {}, ns), STATUSES.map((s) => el("td", { class: "num", "data-label": s }, String(counts[s] || 0)))),
        ),
        { class: "stack" },
      ),
    );
  }
  if (stats.oldest_open_created_at) {
    parts.push(el("p", {}, "Oldest waiting intent published ", when(stats.oldest_open_created_at), "."));
  }
  return el("div", { class: "flow" }, parts);
}
