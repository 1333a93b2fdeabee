// One task: live progress with a stop button, then its result, a neutral "Stopped" or what went wrong; a
// stopped or failed task can be tried again here as in the panel, and its link copied.
import { api } from "../api.js";
import { copyLinkButton } from "../copy.js";
import { announce, h } from "../dom.js";
import { errorBox, explain } from "../errors.js";
import { resultView } from "../result.js";
import { retryTask, stopTask } from "../tasks/actions.js";
import { isActive } from "../tasks/store.js";
import { STOPPING, statusText } from "../tasks/panel.js";
import { detailText } from "../tasks/describe.js";

const AGAIN = { photo: "#/photo", group: "#/group", video: "#/video" };

export function taskView(ctx, id) {
  const body = h("div", { class: "task-view" });
  const heading = h("h1", { tabindex: "-1" }, "Task");
  const tools = h("p", { class: "task-tools" });
  let shown = null;

  function render() {
    const entry = ctx.store.get(id);
    if (!entry) {
      tools.replaceChildren();
      body.replaceChildren(h("p", {}, "This task is not in this browser's list."), h("p", {}, h("a", { href: "#/photo" }, "Start a new swap")));
      return;
    }
    heading.textContent = entry.title ?? "Task";
    if (!tools.firstChild) tools.append(copyLinkButton(id, entry.title ?? "this task"));
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
    else if (entry.status === "CANCELLED") body.replaceChildren(stoppedBlock(ctx, entry), again);
    else body.replaceChildren(h("p", { class: "task-state" }, statusText(entry)), errorBox(entry.error ?? { code: "internal_error" }), tryAgain(ctx, entry), again);
  }

  const onChange = (event) => {
    if (!body.isConnected) { ctx.store.removeEventListener("change", onChange); return; }
    if (event.detail.id === id || event.detail.id === null) render();
  };
  ctx.store.addEventListener("change", onChange);
  render();
  if (!ctx.store.get(id)) api.task(id).then((task) => { ctx.store.add(task, { kind: "photo", title: "Task" }); ctx.follower.follow(id); }).catch(() => {});
  return h("div", { class: "view" }, heading, tools, body);
}

/** A task stopped on purpose: not an error, so no alert; it can run again. */
function stoppedBlock(ctx, entry) {
  return h(
    "div",
    { class: "stopped", role: "status" },
    h("p", { class: "task-state" }, "Stopped"),
    h("p", {}, "This swap was stopped before it finished. Run it again with the same files and options, or start a new one."),
    tryAgain(ctx, entry),
  );
}

/** "Try again" for a failed or stopped task; a refusal shows below it in the page's usual words. */
function tryAgain(ctx, entry) {
  const title = entry.title ?? "Task";
  const problem = h("div", { class: "retry-problem" });
  const button = h("button", { type: "button", class: "primary retry" }, "Try again");
  button.addEventListener("click", async () => {
    problem.replaceChildren();
    button.disabled = true;
    button.textContent = "Starting again\u2026";
    try {
      await retryTask(ctx.store, ctx.follower, entry.id);
      announce(`${title}: started again`);
    } catch (error) {
      button.disabled = false;
      button.textContent = "Try again";
      problem.replaceChildren(errorBox(error));
      announce(`${title}: ${explain(error.code, error.message).title}`);
    }
  });
  return h("div", { class: "try-again" }, button, problem);
}

function progressBlock(ctx, entry) {
  const stop = h("button", { type: "button", class: "secondary stop", onClick: () => stopTask(ctx.store, ctx.follower, entry.id) }, "Stop");
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
  const stop = body.querySelector("button.stop");
  stop.disabled = Boolean(entry.stopping);
  stop.textContent = entry.stopping ? STOPPING : "Stop";
}
