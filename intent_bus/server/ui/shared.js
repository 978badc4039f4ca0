// Facts and pieces several pages share: the statuses and error wording.

export const STATUSES = ["open", "claimed", "fulfilled", "dead", "cancelled"];
export const TERMINAL = new Set(["fulfilled", "dead", "cancelled"]);

export function errorText(err) {
  return err.code && err.code !== "network" ? `${err.message} (${err.code})` : err.message;
}

/** True while the user answers a "sure?" inside `node`: a live refresh that
 * redrew it now would take the question away mid-click. */
export function asking(node) {
  return node.querySelector(".confirm-q") !== null;
}
