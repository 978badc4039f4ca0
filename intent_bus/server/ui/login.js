// Log in by pasting an API key. The key is checked, then kept in this tab's
// sessionStorage only (closing the tab or "Log out" forgets it).

import { ApiError, session, whoAmI } from "./api.js";
import { el, notice } from "./dom.js";

export async function render(ctx) {
  const input = el("input", {
    id: "api-key",
    type: "password",
    name: "api-key",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "tk_… or ak_…",
    required: true,
  });
  const message = el("div", { class: "login-message" });
  const button = el("button", { type: "submit", class: "btn btn-primary" }, "Log in");
  const form = el(
    "form",
    { class: "login card", autocomplete: "off" },
    el("h1", {}, "Intent Bus console"),
    el("p", { class: "muted" }, "Paste an API key. A tenant key shows that tenant's intents; an admin key shows everything and manages keys."),
    el("label", { for: "api-key" }, "API key"),
    input,
    button,
    message,
    el("p", { class: "fine" }, "The key stays in this browser tab (session storage) and is sent only in the X-API-KEY header."),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    button.disabled = true;
    message.replaceChildren();
    try {
      const role = await whoAmI(key);
      session.key = key;
      input.value = "";
      ctx.loggedIn(role);
    } catch (err) {
      const text =
        err instanceof ApiError && err.status === 401
          ? "This key was not accepted: check it was copied whole and is not revoked."
          : `Could not log in: ${err.message}`;
      message.replaceChildren(notice("error", text));
    } finally {
      button.disabled = false;
    }
  });
  ctx.view.append(form);
  input.focus();
}
