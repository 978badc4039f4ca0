// Building DOM from data. Everything a user or the server supplied goes in as
// text nodes and attribute values, never parsed as markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function fill(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.setAttribute("class", value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** el("td", {class: "num"}, "3") -> <td class="num">3</td>. */
export function el(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** The same for SVG elements (the charts). */
export function svg(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

const UNITS = [
  ["d", 86400],
  ["h", 3600],
  ["min", 60],
  ["s", 1],
];

/** 3725 -> "1 h 2 min": the two largest units, enough to read at a glance. */
export function duration(seconds) {
  let rest = Math.max(0, Math.round(seconds));
  if (rest === 0) return "0 s";
  const parts = [];
  for (const [unit, size] of UNITS) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    } else if (parts.length) break;
  }
  return parts.join(" ");
}

export function relative(unix, now = Date.now() / 1000) {
  const delta = now - unix;
  if (Math.abs(delta) < 2) return "just now";
  return delta > 0 ? `${duration(delta)} ago` : `in ${duration(-delta)}`;
}

export function absolute(unix) {
  const d = new Date(unix * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** A time shown relative, with the absolute local time on hover. */
export function when(unix) {
  if (unix === null || unix === undefined) return el("span", { class: "muted" }, "—");
  return el(
    "time",
    { datetime: new Date(unix * 1000).toISOString(), title: absolute(unix) },
    relative(unix),
  );
}

/** Both at once, for pages about one thing (no hover on a phone). */
export function whenFull(unix) {
  if (unix === null || unix === undefined) return when(unix);
  return el("span", { class: "when-full" }, when(unix), el("span", { class: "abs" }, absolute(unix)));
}

export function badge(status) {
  return el("span", { class: `badge badge-${status}` }, status);
}

/** Pretty JSON, as text in a <pre>. */
export function jsonBlock(value) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return el("pre", { class: "json" }, text);
}

/** "what to do next" for an empty page: a sentence and an optional command. */
export function empty(message, command) {
  return el(
    "div",
    { class: "empty" },
    el("p", {}, message),
    command ? el("code", { class: "command" }, command) : null,
  );
}

export function notice(kind, ...children) {
  return el("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, ...children);
}

export function table(headers, rows, options = {}) {
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { class: options.class || "" },
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { class: h.class || "" }, h.label ?? h)))),
      el("tbody", {}, rows),
    ),
  );
}

/** A button that asks "sure?" in place before acting; no window.confirm(). */
export function confirmButton(label, question, action, kind = "danger") {
  const box = el("span", { class: "confirm" });
  const start = el("button", { type: "button", class: `btn btn-${kind}`, onclick: ask }, label);
  function reset() {
    box.replaceChildren(start);
  }
  function ask() {
    const yes = el("button", { type: "button", class: `btn btn-${kind}` }, "Yes");
    const no = el("button", { type: "button", class: "btn" }, "No");
    yes.addEventListener("click", async () => {
      yes.disabled = no.disabled = true;
      try {
        await action();
      } finally {
        if (box.isConnected) reset();
      }
    });
    no.addEventListener("click", reset);
    box.replaceChildren(el("span", { class: "confirm-q" }, question), yes, no);
    yes.focus();
  }
  reset();
  return box;
}

export function plural(n, word, many = `${word}s`) {
  return `${n} ${n === 1 ? word : many}`;
}
