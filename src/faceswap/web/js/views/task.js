// One task: live progress with a stop button, then its result or what went wrong.
import { api } from "../api.js";
import { h } from "../dom.js";
import { errorBox } from "../errors.js";
import { resultView } from "../result.js";
import { isActive } from "../tasks/store.js";
import { statusText } from "../tasks/panel.js";
import { detailText } from "../tasks/describe.js";

const AGAIN = { photo: "#/photo", group: "#/group", video: "#/video" };

export function taskView(ctx, id) {
  const body = h("div", { class: "task-view" });
  const heading = h("h1", { tabindex: "-1" }, "Task");
  let shown = null;

  function render() {
    const entry = ctx.store.get(id);
    if (!entry) {
      body.replaceChildren(h("p", {}, "This task is not in this browser's list."), h("p", {}, h("a", { href: "#/photo" }, "Start a new swap")));
      return;
    }
    heading.textContent = entry.title ?? "Task";
    const key = `${entry.status}|${isActive(entry) ? "" : entry.updated}`;
    if (isActive(entry)) {
      if (shown !== "active") body.replaceChildren(progressBlock(ctx, entry));
      updateProgress(body, entry);
      shown = "active";
      return;
    }
    if (shown === key) return;
    shown = key;
    const again = h("p", {}, h("a", { href: AGAIN[entry.kind] ?? "#/photo" }, "Start another swap"));
    if (entry.status === "COMPLETED" && entry.result) body.replaceChildren(resultView(entry), again);
    else body.replaceChildren(h("p", { class: "task-state" }, statusText(entry)), errorBox(entry.error ?? { code: "cancelled" }), again);
  }

  const onChange = (event) => {
    if (!body.isConnected) { ctx.store.removeEventListener("change", onChange); return; }
    if (event.detail.id === id || event.detail.id === null) render();
  };
  ctx.store.addEventListener("change", onChange);
  render();
  if (!ctx.store.get(id)) api.task(id).then((task) => { ctx.store.add(task, { kind: "photo", title: "Task" }); ctx.follower.follow(id); }).catch(() => {});
  return h("div", { class: "view" }, heading, body);
}

function progressBlock(ctx, entry) {
  const stop = h("button", { type: "button", class: "secondary", onClick: async () => {
    stop.disabled = true;
    try { ctx.store.apply(await api.cancel(entry.id)); } catch { /* finished meanwhile */ }
  } }, "Stop");
  return h(
    "div",
    { class: "progress-block" },
    h("p", { class: "task-state", "aria-live": "polite" }),
    h("progress", { max: "100", value: "0", "aria-label": "Progress" }),
    h("p", { class: "task-detail" }),
    h("p", {}, "You can leave this page: the task list (bottom right) keeps following it."),
    stop,
  );
}

function updateProgress(body, entry) {
  body.querySelector(".task-state").textContent = statusText(entry);
  body.querySelector("progress").setAttribute("value", String(Math.round((entry.progress ?? 0) * 100)));
  const detail = body.querySelector(".task-detail");
  detail.textContent = detailText(entry);
  detail.hidden = !detail.textContent;
}
