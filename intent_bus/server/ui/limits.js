// Concurrency limits: at most N intents of a namespace and goal claimed at
// once (and at most M per concurrency_key), with what runs against each now.
// Requests: GET /limits (again every 5 s); PUT /limits, DELETE /limits.

import { del, get, put, session } from "./api.js";
import { confirmButton, el, empty, notice, table, when } from "./dom.js";
import { asking, errorText } from "./shared.js";

const MAX = 100000; // protocol.LIMIT_MAX_RUNNING; the server checks it again

/** A number field's value, or null when empty (the server says if it must not be). */
const number = (input) => (input.value.trim() === "" ? null : Number(input.value));

export async function render(ctx) {
  const flash = el("div", { class: "flash" });
  const body = el("div", { class: "flow" });
  const text = (id, attrs = {}) => el("input", { id, autocomplete: "off", spellcheck: "false", ...attrs });
  const namespace = text("l-namespace", { value: "default" });
  const goal = text("l-goal", { placeholder: "thumbnail" });
  const maxRunning = text("l-max-running", { type: "number", min: 1, max: MAX, inputmode: "numeric", placeholder: "4" });
  const maxPerKey = text("l-max-per-key", { type: "number", min: 1, max: MAX, inputmode: "numeric", placeholder: "no per-key limit" });
  const owner = session.isAdmin ? text("l-owner", { placeholder: "your own" }) : null;
  const field = (input, label) => el("div", { class: "field" }, el("label", { for: input.id }, label), input);
  const form = el(
    "form",
    // The server checks every field and says what is wrong in its own words.
    { class: "card inline-form", novalidate: true },
    field(namespace, "Namespace"),
    field(goal, "Goal"),
    field(maxRunning, "Max running"),
    field(maxPerKey, "Max per concurrency key"),
    owner ? field(owner, "Owner") : null,
    el("button", { type: "submit", class: "btn btn-primary" }, "Set limit"),
  );
  ctx.view.append(
    el("div", { class: "page-head" }, el("h1", {}, "Limits")),
    el(
      "p",
      { class: "muted" },
      "A limit lets at most that many intents of a goal run at once, on every replica; claims skip the rest until one ends. " +
        "Intents published with a concurrency_key also count against its per-key limit. Setting a goal's limit again replaces it.",
    ),
    form,
    flash,
    body,
  );

  const edit = (limit) => {
    namespace.value = limit.namespace;
    goal.value = limit.goal;
    maxRunning.value = String(limit.max_running);
    maxPerKey.value = limit.max_per_key == null ? "" : String(limit.max_per_key);
    if (owner) owner.value = limit.owner;
    maxRunning.focus();
  };
  const remove = async (limit) => {
    try {
      await del("/limits", { namespace: limit.namespace, goal: limit.goal, owner: session.isAdmin ? limit.owner : null });
      await draw();
      flash.replaceChildren(notice("ok", `Deleted the limit of ${limit.goal} in ${limit.namespace}: its intents run as workers take them.`));
    } catch (err) {
      flash.replaceChildren(notice("error", errorText(err)));
    }
  };
  // A live redraw gives way to a "sure?" being answered, even one asked
  // while its request was under way.
  const draw = async (live = false) => {
    const limits = (await get("/limits")).limits || [];
    if (live && asking(body)) return;
    if (!limits.length) {
      body.replaceChildren(empty("No concurrency limits: workers take as many intents at once as they ask for. Set one above, or from a shell:", "intent-bus limit set thumbnail 4"));
      return;
    }
    body.replaceChildren(
      table(
        [
          "Namespace",
          "Goal",
          ...(session.isAdmin ? ["Owner"] : []),
          { label: "Running", class: "num" },
          { label: "Per key", class: "num" },
          "Changed",
          "",
        ],
        limits.map((l) => {
          const full = l.running >= l.max_running;
          return el(
            "tr",
            { class: full ? "full" : "" },
            el("td", { "data-label": "namespace" }, l.namespace),
            el("td", { "data-label": "goal" }, l.goal),
            session.isAdmin ? el("td", { "data-label": "owner" }, l.owner) : null,
            el(
              "td",
              { "data-label": "running", class: "num running" },
              full ? el("span", { class: "badge badge-full" }, "full") : null,
              `${l.running} of ${l.max_running}`,
            ),
            el("td", { "data-label": "per key", class: "num" }, l.max_per_key ?? el("span", { class: "muted" }, "—")),
            el("td", { "data-label": "changed" }, when(l.updated_at)),
            el(
              "td",
              { class: "row-actions" },
              el("button", { type: "button", class: "btn", onclick: () => edit(l) }, "Edit"),
              confirmButton("Delete", "Delete this limit?", () => remove(l)),
            ),
          );
        }),
        { class: "stack" },
      ),
    );
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const limit = {
      namespace: namespace.value.trim(),
      goal: goal.value.trim(),
      max_running: number(maxRunning),
      max_per_key: number(maxPerKey),
    };
    if (owner && owner.value.trim()) limit.owner = owner.value.trim();
    try {
      const { data } = await put("/limits", limit);
      const perKey = data.max_per_key == null ? "" : `, at most ${data.max_per_key} per concurrency key`;
      await draw();
      flash.replaceChildren(
        notice("ok", `Limit set: at most ${data.max_running} of goal ${data.goal} in ${data.namespace} run at once${perKey}.`),
      );
    } catch (err) {
      flash.replaceChildren(notice("error", errorText(err)));
    }
  });
  await draw();
  // Running counts move as workers claim and finish.
  ctx.live(() => draw(true));
}
