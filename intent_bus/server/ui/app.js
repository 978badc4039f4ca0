// The shell: hash routing, the navigation bar, log in/out and live refresh.
// Routes live in the #fragment, which browsers never send to the server.

import { session, whoAmI } from "./api.js";
import { clear, el, notice } from "./dom.js";
import * as login from "./login.js";
import * as overview from "./overview.js";
import * as intents from "./intents.js";
import * as intent from "./intent.js";
import * as dead from "./dead.js";
import * as workers from "./workers.js";
import * as schedules from "./schedules.js";
import * as pauses from "./pauses.js";
import * as limits from "./limits.js";
import * as keys from "./keys.js";

const REFRESH_MS = 5000;

const PAGES = [
  { name: "overview", label: "Overview", page: overview },
  { name: "intents", label: "Intents", page: intents },
  { name: "dead", label: "Dead letters", page: dead },
  { name: "workers", label: "Workers", page: workers },
  { name: "schedules", label: "Schedules", page: schedules },
  { name: "pauses", label: "Pauses", page: pauses },
  { name: "limits", label: "Limits", page: limits },
  { name: "keys", label: "Keys", page: keys, admin: true },
];
const ROUTES = { login: { page: login }, intent: { page: intent } };
for (const entry of PAGES) ROUTES[entry.name] = entry;

let refresher = null;
let generation = 0;

/** "#/intents?status=dead" -> {name: "intents", rest: [], params: URLSearchParams}. */
export function parseHash(hash = location.hash) {
  const [path, search = ""] = hash.replace(/^#\/?/, "").split("?");
  const [name = "", ...rest] = path.split("/").map(decodeURIComponent);
  return { name, rest, params: new URLSearchParams(search) };
}

export function navigate(name, rest = [], params = null) {
  const path = [name, ...rest.map(encodeURIComponent)].join("/");
  const search = params && params.toString() ? `?${params}` : "";
  location.hash = `#/${path}${search}`;
}

function renderNav(current) {
  const nav = document.getElementById("nav");
  const who = document.getElementById("who");
  clear(nav);
  clear(who);
  if (!session.key || !session.role) return;
  for (const entry of PAGES) {
    if (entry.admin && !session.isAdmin) continue;
    const active = entry.name === current || (current === "intent" && entry.name === "intents");
    nav.append(
      el("a", { href: `#/${entry.name}`, class: active ? "active" : "", "aria-current": active ? "page" : null }, entry.label),
    );
  }
  who.append(
    el("span", { class: `role role-${session.role}`, title: "the kind of key you logged in with" }, session.role),
    el("button", { type: "button", class: "btn btn-quiet", id: "logout", onclick: logout }, "Log out"),
  );
}

export function logout() {
  session.forget();
  navigate("login");
}

async function route() {
  const mine = ++generation;
  if (refresher) clearTimeout(refresher);
  refresher = null;
  const main = document.getElementById("main");
  let { name, rest, params } = parseHash();
  if (session.key && !session.role) {
    try {
      session.role = await whoAmI(session.key);
    } catch (err) {
      if (mine !== generation) return;
      // A refused key is forgotten; a server that is down is not a log-out.
      if (err.status !== 401) {
        main.replaceChildren(notice("error", `Cannot reach the server: ${err.message}. Reload to retry.`));
        return;
      }
      session.forget();
    }
    if (mine !== generation) return;
  }
  if (!session.key) name = "login";
  else if (name === "login" || !ROUTES[name]) name = "overview";
  const entry = ROUTES[name];
  if (entry.admin && !session.isAdmin) {
    renderNav(name);
    main.replaceChildren(notice("error", "This page needs an admin key."));
    return;
  }
  renderNav(name);
  document.title = `${entry.label || (name === "intent" ? "Intent" : "Log in")} · Intent Bus`;
  const view = el("div", { class: `page page-${name}`, "aria-busy": "true" });
  main.replaceChildren(view);
  const ctx = {
    view,
    rest,
    params,
    navigate,
    isCurrent: () => mine === generation,
    live(refresh) {
      // One refresh at a time, the next one REFRESH_MS after the last ended
      // (or ten times as long as it took, if the server is slow to answer):
      // a busy server is never asked faster than it answers.
      if (refresher) clearTimeout(refresher);
      const tick = async () => {
        if (mine !== generation) return;
        const started = performance.now();
        if (document.visibilityState === "visible") {
          try {
            await refresh();
          } catch {
            // each page shows its own errors; keep refreshing
          }
        }
        if (mine !== generation) return;
        refresher = setTimeout(tick, Math.max(REFRESH_MS, 10 * (performance.now() - started)));
      };
      refresher = setTimeout(tick, REFRESH_MS);
    },
    loggedIn(role) {
      session.role = role;
      navigate("overview");
    },
  };
  try {
    await entry.page.render(ctx);
  } catch (err) {
    if (mine !== generation) return;
    view.append(notice("error", `Something went wrong: ${err.message}`));
    if (err.status === 401) logout();
  }
  // First drawing done: lets tests (and screen readers' users) know.
  view.setAttribute("aria-busy", "false");
}

window.addEventListener("hashchange", route);
route();
