// Workers: live, idle or gone, with capabilities, in-flight leases, last seen.

import { get, session } from "./api.js";
import { el, empty, notice, plural, table, when } from "./dom.js";
import { errorText } from "./shared.js";

const ORDER = { live: 0, idle: 1, gone: 2 };

export async function render(ctx) {
  const body = el("div", { class: "flow" });
  ctx.view.append(el("div", { class: "page-head" }, el("h1", {}, "Workers")), body);
  const flash = el("div", { class: "flash" });
  body.before(flash);
  const draw = async () => {
    const answer = await get("/workers");
    flash.replaceChildren();
    const workers = (answer.workers || []).slice().sort((a, b) => ORDER[a.state] - ORDER[b.state] || b.last_seen - a.last_seen);
    if (!workers.length) {
      body.replaceChildren(empty("No worker has polled in the last 24 h. Start one with", "intent-bus listen resize --worker-id node-01"));
      return;
    }
    const counts = Object.fromEntries(["live", "idle", "gone"].map((s) => [s, workers.filter((w) => w.state === s).length]));
    body.replaceChildren(
      el("p", { class: "muted" }, `${counts.live} live · ${counts.idle} idle · ${counts.gone} gone`),
      table(
        ["Worker", "State", ...(session.isAdmin ? ["Owner"] : []), "Capabilities", "Goals", "Namespaces", { label: "In flight", class: "num" }, "Last seen", "Client"],
        workers.map((w) =>
          el(
            "tr",
            { class: `worker-${w.state}` },
            el("td", { class: "mono", "data-label": "worker" }, w.worker_id),
            el("td", { "data-label": "state" }, el("span", { class: `badge badge-${w.state}` }, w.state)),
            session.isAdmin ? el("td", { "data-label": "owner" }, w.owner) : null,
            el("td", { "data-label": "capabilities" }, tags(w.capabilities)),
            el("td", { "data-label": "goals" }, tags(w.goals)),
            el("td", { "data-label": "namespaces" }, tags(w.namespaces)),
            el("td", { class: "num", "data-label": "in flight", title: plural(w.in_flight, "lease") }, String(w.in_flight)),
            el("td", { "data-label": "last seen" }, when(w.last_seen)),
            el("td", { "data-label": "client", class: "muted" }, w.client_version ?? "—"),
          ),
        ),
        { class: "stack" },
      ),
    );
  };
  await draw();
  ctx.live(() => draw().catch((err) => flash.replaceChildren(notice("error", errorText(err)))));
}

const TAGS_SHOWN = 6;

/** The first few values as tags ("*" is a claim that named no goal); the
 * rest counted, all of them on hover. */
function tags(values) {
  if (!values || !values.length) return el("span", { class: "muted" }, "none");
  const shown = values.slice(-TAGS_SHOWN).reverse(); // most recent first
  return el(
    "span",
    { title: values.join(", ") },
    shown.map((v) => (v === "*" ? el("span", { class: "tag tag-any" }, "any goal") : el("span", { class: "tag" }, v))),
    values.length > TAGS_SHOWN ? el("span", { class: "muted" }, `+${values.length - TAGS_SHOWN}`) : null,
  );
}
