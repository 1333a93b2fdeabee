// Tiny DOM helpers: build elements, announce to screen readers.

const PROPS = new Set(["value", "checked", "disabled", "hidden", "htmlFor", "multiple", "textContent"]);

/** h("button", {class: "x", onClick: fn}, "text", child) -> element */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (PROPS.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let counter = 0;
/** A unique id for label/input pairs. */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Says `text` through the page's polite live region. */
export function announce(text) {
  const live = document.getElementById("announcer");
  if (!live) return;
  live.textContent = "";
  setTimeout(() => { live.textContent = text; }, 30);
}

export function formatBytes(size) {
  if (!Number.isFinite(size)) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

export function formatSeconds(seconds) {
  if (!Number.isFinite(seconds)) return "";
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}
