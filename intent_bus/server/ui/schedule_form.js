// The schedule form: a new schedule, or an existing one loaded for editing,
// turned into the body of PUT /schedules/<name>. Publish settings the form
// does not show (priority, max_attempts, ...) are kept from the schedule being
// edited, so editing its cron never resets them.

import { session } from "./api.js";
import { el } from "./dom.js";

const OVERLAP = [
  ["allow", "publish every tick"],
  ["skip", "skip a tick while the last intent still runs"],
];
const CATCH_UP = [
  ["latest", "the latest missed tick"],
  ["none", "no missed tick"],
  ["all", "every missed tick (at most 100)"],
];

/** Zone names for the time zone field's suggestions (the server decides). */
function zones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC"];
  }
}

function choice(id, options) {
  return el("select", { id }, options.map(([value, words]) => el("option", { value }, `${value}: ${words}`)));
}

/** Builds the form; `save(name, owner, body)` is called on submit (and
 * calls reset() once saved). Returns {form, edit(schedule), reset()}. A payload
 * that is not JSON is refused here (`invalid(message)`): it cannot be sent. */
export function scheduleForm(save, invalid) {
  const text = (id, attrs = {}) => el("input", { id, autocomplete: "off", spellcheck: "false", ...attrs });
  const name = text("s-name", { placeholder: "nightly-report" });
  const cron = text("s-cron", { placeholder: "30 2 * * *", class: "mono", title: "minute hour day-of-month month day-of-week, or a leading seconds field first" });
  const timezone = text("s-timezone", { value: "UTC", list: "s-zones" });
  const goal = text("s-goal", { placeholder: "report" });
  const namespace = text("s-namespace", { value: "default" });
  const payload = el("textarea", { id: "s-payload", rows: 3, spellcheck: "false", class: "mono", placeholder: '{"full": true}' });
  const overlap = choice("s-overlap", OVERLAP);
  const catchUp = choice("s-catch-up", CATCH_UP);
  const paused = el("input", { type: "checkbox", id: "s-paused" });
  const owner = session.isAdmin ? text("s-owner", { placeholder: "your own" }) : null;
  const heading = el("h2", {}, "New schedule");
  const cancel = el("button", { type: "button", class: "btn btn-quiet", hidden: true }, "Cancel edit");
  const field = (input, label, extra = "") => el("div", { class: `field ${extra}` }, el("label", { for: input.id }, label), input);
  const form = el(
    "form",
    // The server checks every field and says what is wrong in its own words.
    { class: "card schedule-form", novalidate: true },
    heading,
    el(
      "div",
      { class: "fields" },
      field(name, "Name"),
      field(cron, "Cron"),
      field(timezone, "Time zone"),
      field(goal, "Goal"),
      field(namespace, "Namespace"),
      owner ? field(owner, "Owner") : null,
    ),
    el("datalist", { id: "s-zones" }, zones().map((zone) => el("option", { value: zone }))),
    field(payload, "Payload (JSON, empty for none)"),
    el("div", { class: "fields fields-wide" }, field(overlap, "Overlap"), field(catchUp, "After downtime, publish")),
    el(
      "div",
      { class: "actions" },
      el("label", { class: "live-toggle", for: "s-paused" }, paused, " Paused (keep it without firing)"),
      el("span", { class: "spacer" }),
      cancel,
      el("button", { type: "submit", class: "btn btn-primary" }, "Save schedule"),
    ),
  );
  let kept = {}; // the edited schedule's publish settings

  function reset() {
    form.reset();
    kept = {};
    heading.textContent = "New schedule";
    cancel.hidden = true;
  }

  function edit(s) {
    const intent = s.intent || {};
    kept = intent;
    name.value = s.name;
    cron.value = s.cron;
    timezone.value = s.timezone;
    goal.value = intent.goal ?? "";
    namespace.value = intent.namespace ?? "default";
    payload.value = intent.payload == null ? "" : JSON.stringify(intent.payload, null, 2);
    overlap.value = s.overlap;
    catchUp.value = s.catch_up;
    paused.checked = s.paused;
    if (owner) owner.value = s.owner;
    heading.textContent = `Edit schedule ${s.name}`;
    cancel.hidden = false;
    form.scrollIntoView({ block: "nearest" });
    cron.focus();
  }

  cancel.addEventListener("click", reset);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let data = null;
    if (payload.value.trim()) {
      try {
        data = JSON.parse(payload.value);
      } catch (err) {
        invalid(`payload: not valid JSON (${err.message})`);
        return;
      }
    }
    const body = {
      cron: cron.value.trim(),
      timezone: timezone.value.trim(),
      intent: { ...kept, goal: goal.value.trim(), namespace: namespace.value.trim(), payload: data },
      overlap: overlap.value,
      catch_up: catchUp.value,
      paused: paused.checked,
    };
    await save(name.value.trim(), owner ? owner.value.trim() : "", body);
  });
  return { form, edit, reset };
}

/** The PUT body that sets a stored schedule again, paused or not. */
export function scheduleBody(s, paused) {
  return { cron: s.cron, timezone: s.timezone, intent: s.intent, overlap: s.overlap, catch_up: s.catch_up, paused };
}
