// Facts and pieces several pages share: the statuses and the "not supported
// by this server yet" state.

import { el, notice } from "./dom.js";

export const STATUSES = ["open", "claimed", "fulfilled", "dead", "cancelled"];
export const TERMINAL = new Set(["fulfilled", "dead", "cancelled"]);

/** What a page shows when the server answers 404 for its endpoint. */
export function unsupported(feature, endpoint) {
  return notice(
    "info",
    el("strong", {}, `This server does not support ${feature} yet. `),
    `It answered 404 to ${endpoint}; upgrade the server to use this page.`,
  );
}

export function errorText(err) {
  return err.code && err.code !== "network" ? `${err.message} (${err.code})` : err.message;
}
