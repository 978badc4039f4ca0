// Schedules: cron publishers with their next and last tick; create, edit,
// pause or resume, publish one tick now, delete.
// Requests: GET /schedules (again every 5 s); PUT /schedules/<name>,
// POST /schedules/<name>/trigger, DELETE /schedules/<name>. An admin's
// requests about one schedule name its owner (?owner=), as the API wants.

import { del, get, post, put, query, seg, session } from "./api.js";
import { absolute, confirmButton, el, empty, notice, table, when } from "./dom.js";
import { scheduleBody, scheduleForm } from "./schedule_form.js";
import { asking, errorText } from "./shared.js";

/** The path of one schedule, with its owner for an admin. */
function path(name, owner, suffix = "") {
  return `/schedules/${seg(name)}${suffix}${query({ owner: session.isAdmin ? owner : null })}`;
}

export async function render(ctx) {
  const flash = el("div", { class: "flash" });
  const body = el("div", { class: "flow" });
  const say = (kind, ...words) => flash.replaceChildren(notice(kind, ...words));
  const failed = (err) => say("error", errorText(err));

  const editor = scheduleForm(
    async (name, owner, schedule) => {
      if (!name) {
        say("error", "name: give the schedule a name (letters, digits, . _ -)");
        return;
      }
      try {
        const { status, data } = await put(path(name, owner || null), schedule);
        const next = data.paused ? "it is paused and will not fire until resumed" : ["its next tick is ", when(data.next_fire_at)];
        await draw();
        editor.reset();
        say("ok", `${status === 201 ? "Created" : "Saved"} schedule ${data.name}: `, next, ".");
      } catch (err) {
        failed(err);
      }
    },
    (message) => say("error", message),
  );
  ctx.view.append(
    el("div", { class: "page-head" }, el("h1", {}, "Schedules")),
    el(
      "p",
      { class: "muted" },
      "A schedule publishes an intent at every tick of its cron, read in its time zone, once per tick across all replicas.",
    ),
    editor.form,
    flash,
    body,
  );

  const act = (work, done) => async () => {
    try {
      await work();
      await draw();
      say("ok", ...[done()].flat());
    } catch (err) {
      failed(err);
    }
  };
  const actions = (s) => {
    let tick = null;
    return el(
      "td",
      { class: "row-actions" },
      el("button", { type: "button", class: "btn", onclick: () => editor.edit(s) }, "Edit"),
      confirmButton(
        "Run now",
        "Publish one intent now?",
        act(
          async () => (tick = await post(path(s.name, s.owner, "/trigger"))),
          () => ["Published ", el("a", { href: `#/intent/${seg(tick.intent_id)}` }, "an intent"), ` for ${s.name} now.`],
        ),
        "primary",
      ),
      el(
        "button",
        {
          type: "button",
          class: "btn",
          onclick: act(
            () => put(path(s.name, s.owner), scheduleBody(s, !s.paused)),
            () => (s.paused ? `Resumed ${s.name}: it fires from its next tick.` : `Paused ${s.name}.`),
          ),
        },
        s.paused ? "Resume" : "Pause",
      ),
      confirmButton(
        "Delete",
        "Delete this schedule? Intents it published stay.",
        act(
          () => del(path(s.name, s.owner)),
          () => `Deleted schedule ${s.name}.`,
        ),
      ),
    );
  };
  const row = (s) => {
    const intent = s.intent || {};
    return el(
      "tr",
      { class: s.paused ? "paused" : "" },
      el("td", { "data-label": "name", class: "mono" }, s.name),
      session.isAdmin ? el("td", { "data-label": "owner" }, s.owner) : null,
      el(
        "td",
        { "data-label": "cron" },
        el("code", {}, s.cron),
        s.timezone === "UTC" ? null : el("span", { class: "fine" }, ` ${s.timezone}`),
      ),
      el(
        "td",
        { "data-label": "publishes" },
        intent.goal,
        intent.namespace && intent.namespace !== "default" ? el("span", { class: "fine" }, ` in ${intent.namespace}`) : null,
      ),
      el(
        "td",
        { "data-label": "next tick", class: "next-tick", title: upcoming(s) },
        s.paused ? el("span", { class: "badge badge-paused" }, "paused") : when(s.next_fire_at),
      ),
      el(
        "td",
        { "data-label": "last tick" },
        s.last_scheduled_for == null
          ? el("span", { class: "muted" }, "never")
          : [when(s.last_scheduled_for), " ", el("a", { href: `#/intent/${seg(s.last_intent_id)}`, class: "fine" }, "intent")],
      ),
      actions(s),
    );
  };
  // A live redraw gives way to a "sure?" being answered, even one asked
  // while its request was under way.
  const draw = async (live = false) => {
    const schedules = (await get("/schedules")).schedules || [];
    if (live && asking(body)) return;
    if (!schedules.length) {
      body.replaceChildren(empty("No schedules yet: create one above, or from a shell:", "intent-bus schedule set nightly-report '30 2 * * *' report"));
      return;
    }
    const headers = ["Name", ...(session.isAdmin ? ["Owner"] : []), "Cron", "Publishes", "Next tick", "Last tick", ""];
    body.replaceChildren(table(headers, schedules.map(row), { class: "stack" }));
  };
  await draw();
  // Ticks fire while the page is open.
  ctx.live(() => draw(true));
}

/** The next ticks, absolute, for the hover of the next-tick cell. */
function upcoming(s) {
  const times = s.next_fire_times || [];
  return times.length ? `Next ticks: ${times.map(absolute).join(", ")}` : null;
}
