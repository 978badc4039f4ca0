// Completions per minute as inline SVG bars, built with DOM calls only.

import { el, plural, svg } from "./dom.js";

/** A bar chart of `values` (oldest first, one per minute, last = this minute). */
export function minuteBars(values, { height = 120, compact = false } = {}) {
  const width = values.length * 10;
  const top = Math.max(1, ...values);
  const total = values.reduce((a, b) => a + b, 0);
  const bars = values.map((value, i) => {
    const h = value === 0 ? 0 : Math.max(2, (value / top) * (height - 4));
    const ago = values.length - 1 - i;
    const label = `${value} completed ${ago === 0 ? "this minute" : `${ago} min ago`}`;
    return svg(
      "rect",
      { x: i * 10 + 1, y: height - h, width: 8, height: h, rx: 1.5, class: ago === 0 ? "bar bar-now" : "bar" },
      svg("title", {}, label),
    );
  });
  const chart = svg(
    "svg",
    {
      class: compact ? "spark" : "chart",
      viewBox: `0 0 ${width} ${height}`,
      preserveAspectRatio: "none",
      role: "img",
      "aria-label": `${plural(total, "completion")} in the last ${values.length} minutes, at most ${top} in one minute`,
    },
    svg("line", { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: "axis" }),
    bars,
  );
  if (compact) return chart;
  return el(
    "figure",
    { class: "chart-box" },
    el("div", { class: "chart-scale" }, el("span", {}, `${top}/min`), el("span", {}, "0")),
    chart,
    el("figcaption", { class: "chart-axis" }, el("span", {}, `${values.length} min ago`), el("span", {}, "now")),
  );
}

/** Sums equal-length series element by element. */
export function sumSeries(series, length = 60) {
  const total = new Array(length).fill(0);
  for (const values of series) values.forEach((v, i) => (total[i] += v));
  return total;
}
