// Pauses: stop claims for a namespace or one goal in it, and resume them.

import { get, post, session } from "./api.js";
import { confirmButton, el, empty, notice, table, when } from "./dom.js";
import { errorText } from "./shared.js";

export async function render(ctx) {
  const flash = el("div", { class: "flash" });
  const body = el("div", { class: "flow" });
  const namespace = el("input", { id: "p-namespace", required: true, autocomplete: "off", spellcheck: "false", value: "default" });
  const goal = el("input", { id: "p-goal", autocomplete: "off", spellcheck: "false", placeholder: "all goals" });
  const owner = session.isAdmin ? el("input", { id: "p-owner", autocomplete: "off", spellcheck: "false", placeholder: "your own" }) : null;
  const form = el(
    "form",
    { class: "card inline-form" },
    el("div", { class: "field" }, el("label", { for: "p-namespace" }, "Namespace"), namespace),
    el("div", { class: "field" }, el("label", { for: "p-goal" }, "Goal (empty: whole namespace)"), goal),
    owner ? el("div", { class: "field" }, el("label", { for: "p-owner" }, "Owner"), owner) : null,
    el("button", { type: "submit", class: "btn btn-primary" }, "Pause"),
  );
  ctx.view.append(
    el("div", { class: "page-head" }, el("h1", {}, "Pauses")),
    el("p", { class: "muted" }, "A paused namespace or goal keeps its intents but hands none to workers until resumed."),
    form,
    flash,
    body,
  );
  const draw = async () => {
    const answer = await get("/pauses");
    const pauses = answer.pauses || [];
    if (!pauses.length) {
      body.replaceChildren(empty("Nothing is paused: every open intent can be claimed."));
      return;
    }
    body.replaceChildren(
      table(
        ["Namespace", "Goal", ...(session.isAdmin ? ["Owner"] : []), "Paused", ""],
        pauses.map((p) =>
          el(
            "tr",
            {},
            el("td", { "data-label": "namespace" }, p.namespace),
            el("td", { "data-label": "goal" }, p.goal ?? el("span", { class: "muted" }, "all goals")),
            session.isAdmin ? el("td", { "data-label": "owner" }, p.owner) : null,
            el("td", { "data-label": "paused" }, when(p.paused_at)),
            el(
              "td",
              {},
              confirmButton("Resume", "Resume claims?", async () => {
                try {
                  await post("/resume", { namespace: p.namespace, goal: p.goal, ...(session.isAdmin ? { owner: p.owner } : {}) });
                  await draw();
                  flash.replaceChildren(notice("ok", "Resumed."));
                } catch (err) {
                  flash.replaceChildren(notice("error", errorText(err)));
                }
              }, "primary"),
            ),
          ),
        ),
        { class: "stack" },
      ),
    );
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { namespace: namespace.value.trim(), goal: goal.value.trim() || null };
    if (owner && owner.value.trim()) body.owner = owner.value.trim();
    try {
      await post("/pause", body);
      // The list first, then the word: what the notice says is on the page.
      await draw();
      flash.replaceChildren(notice("ok", body.goal ? `Paused goal ${body.goal} in ${body.namespace}.` : `Paused namespace ${body.namespace}.`));
    } catch (err) {
      flash.replaceChildren(notice("error", errorText(err)));
    }
  });
  await draw();
}
