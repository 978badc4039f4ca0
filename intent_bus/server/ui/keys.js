// Keys (admin): create a tenant key (its secret is shown once), list, revoke.

import { del, get, post, seg } from "./api.js";
import { confirmButton, el, empty, notice, table, when } from "./dom.js";
import { errorText } from "./shared.js";

export async function render(ctx) {
  const flash = el("div", { class: "flash" });
  const created = el("div", { class: "flow" });
  const list = el("div", { class: "flow" });
  const owner = el("input", { id: "k-owner", required: true, autocomplete: "off", spellcheck: "false", placeholder: "acme" });
  const form = el(
    "form",
    { class: "card inline-form" },
    el("div", { class: "field" }, el("label", { for: "k-owner" }, "Owner (tenant name)"), owner),
    el("button", { type: "submit", class: "btn btn-primary" }, "Create key"),
  );
  ctx.view.append(el("div", { class: "page-head" }, el("h1", {}, "Keys")), form, created, flash, list);

  const draw = async () => {
    const keys = (await get("/admin/keys")).keys || [];
    if (!keys.length) {
      list.replaceChildren(empty("No keys yet: create one for a tenant above."));
      return;
    }
    list.replaceChildren(
      table(
        ["Owner", "Role", "Id", "Created", "State", ""],
        keys.map((k) =>
          el(
            "tr",
            { class: k.revoked_at ? "revoked" : "" },
            el("td", { "data-label": "owner" }, k.owner),
            el("td", { "data-label": "role" }, el("span", { class: `role role-${k.role}` }, k.role)),
            el("td", { "data-label": "id", class: "mono" }, k.id),
            el("td", { "data-label": "created" }, when(k.created_at)),
            el("td", { "data-label": "state" }, k.revoked_at ? ["revoked ", when(k.revoked_at)] : "active"),
            el(
              "td",
              {},
              k.revoked_at || k.role === "admin"
                ? null
                : confirmButton("Revoke", `Revoke ${k.owner}'s key? It stops working at once.`, async () => {
                    try {
                      await del(`/admin/keys/${seg(k.id)}`);
                      flash.replaceChildren(notice("ok", `Revoked ${k.id}.`));
                      await draw();
                    } catch (err) {
                      flash.replaceChildren(notice("error", errorText(err)));
                    }
                  }),
            ),
          ),
        ),
        { class: "stack" },
      ),
    );
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = owner.value.trim();
    if (!name) return;
    try {
      const key = await post("/admin/keys", { owner: name });
      owner.value = "";
      created.replaceChildren(secretBox(key, () => created.replaceChildren()));
      await draw();
    } catch (err) {
      flash.replaceChildren(notice("error", errorText(err)));
    }
  });
  await draw();
}

/** The new secret, once: it is not kept anywhere and cannot be shown again. */
function secretBox(key, dismiss) {
  const value = el("code", { class: "secret", id: "new-key" }, key.api_key);
  const copy = el("button", { type: "button", class: "btn" }, "Copy");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(key.api_key);
      copy.textContent = "Copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents(value);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      copy.textContent = "Selected: press Ctrl+C";
    }
  });
  return el(
    "section",
    { class: "card secret-box", role: "status" },
    el("h2", {}, `New key for ${key.owner}`),
    el("p", {}, "Copy it now: this is the only time it is shown."),
    el("div", { class: "secret-row" }, value, copy),
    el("button", { type: "button", class: "btn btn-quiet", onclick: dismiss }, "I have saved it"),
  );
}
