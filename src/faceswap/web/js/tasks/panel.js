// The task panel (bottom-right on every page): live progress, stop, try again, results; updated in place.
import { fileUrl } from "../api.js";
import { copyLinkButton } from "../copy.js";
import { downloadName, namedUrl } from "../result.js";
import { announce, h } from "../dom.js";
import { errorBox, explain } from "../errors.js";
import { retryTask, stopTask } from "./actions.js";
import { detailText } from "./describe.js";
import { isActive } from "./store.js";

const RETRYABLE = new Set(["FAILED", "CANCELLED"]);
/** Widths where the page keeps a column free for the open panel (the same width as in app.css). */
const ROOMY = "(min-width: 1100px)";

export const STATUS_WORDS = { PENDING: "Waiting", PROCESSING: "Working", COMPLETED: "Done", FAILED: "Failed", CANCELLED: "Stopped" };
export const STOPPING = "Stopping\u2026";

export function statusText(entry) {
  if (entry.stopping && isActive(entry)) return `${STOPPING} \u00b7 ${Math.round((entry.progress ?? 0) * 100)} %`;
  const word = STATUS_WORDS[entry.status] ?? entry.status;
  return isActive(entry) ? `${word} \u00b7 ${Math.round((entry.progress ?? 0) * 100)} %` : word;
}

function thumbnail(entry) {
  const result = entry.result;
  if (entry.status !== "COMPLETED" || !result?.output_url) return null;
  if (!String(result.content_type ?? "").startsWith("image/")) return null;
  return h("img", { class: "task-thumb", src: fileUrl(result.output_url), alt: "", loading: "lazy" });
}

export class TaskPanel {
  #rows = new Map();
  #said = new Map();

  constructor(root, store, follower) {
    this.store = store;
    this.follower = follower;
    this.list = h("ul", { class: "task-list", id: "task-list" });
    this.empty = h("p", { class: "task-empty" }, "No tasks yet. Swaps you start appear here.");
    this.count = h("span", { class: "badge" });
    this.toggle = h("button", { type: "button", class: "panel-toggle", "aria-expanded": "true", "aria-controls": "task-body", onClick: () => this.#setOpen(this.toggle.getAttribute("aria-expanded") !== "true") }, "Tasks ", this.count);
    this.clear = h("button", { type: "button", class: "link", onClick: () => store.clearFinished() }, "Clear finished");
    this.body = h("div", { id: "task-body", class: "panel-body" }, this.empty, this.list, this.clear);
    root.replaceChildren(this.toggle, this.body);
    // open where the page keeps room for it beside the form (app.css, --panel-room); elsewhere it would
    // cover form controls, so it starts as its title bar unless a task is running
    this.#setOpen(window.matchMedia(ROOMY).matches || store.list().some(isActive));
    store.addEventListener("change", () => this.render());
    this.render();
  }

  #setOpen(open) {
    this.toggle.setAttribute("aria-expanded", String(open));
    this.body.hidden = !open;
  }

  render() {
    const entries = this.store.list();
    const active = entries.filter(isActive).length;
    this.count.textContent = active ? `${active} running` : String(entries.length || "");
    this.empty.hidden = entries.length > 0;
    this.clear.hidden = entries.every(isActive);
    const ids = new Set(entries.map((e) => e.id));
    for (const [id, row] of this.#rows) if (!ids.has(id)) { row.root.remove(); this.#rows.delete(id); }
    entries.forEach((entry, index) => {
      const row = this.#rows.get(entry.id) ?? this.#row(entry);
      this.#update(row, entry);
      if (this.list.children[index] !== row.root) this.list.insertBefore(row.root, this.list.children[index] ?? null);
      this.#announce(entry);
    });
  }

  #announce(entry) {
    const before = this.#said.get(entry.id);
    this.#said.set(entry.id, entry.status);
    if (before && before !== entry.status) announce(`${entry.title}: ${STATUS_WORDS[entry.status] ?? entry.status}`);
  }

  #row(entry) {
    const row = {
      title: h("a", { class: "task-title", href: `#/task/${entry.id}` }, entry.title ?? "Task"),
      status: h("span", { class: "task-status" }),
      progress: h("progress", { max: "100", value: "0", "aria-label": `Progress of ${entry.title ?? "task"}` }),
      detail: h("p", { class: "task-detail" }),
      actions: h("div", { class: "task-actions" }),
      thumb: h("div", { class: "task-thumb-wrap" }),
      error: h("p", { class: "task-error" }),
    };
    row.root = h("li", { class: "task", dataset: { taskId: entry.id } }, row.thumb, h("div", { class: "task-main" }, h("div", { class: "task-head" }, row.title, row.status), row.progress, row.detail, row.error, row.actions));
    this.#rows.set(entry.id, row);
    return row;
  }

  #update(row, entry) {
    row.root.dataset.status = entry.status;
    row.status.textContent = statusText(entry);
    const percent = String(Math.round((entry.progress ?? 0) * 100));
    row.progress.hidden = !isActive(entry);
    if (row.progress.getAttribute("value") !== percent) row.progress.setAttribute("value", percent);
    row.detail.textContent = detailText(entry);
    row.detail.hidden = !row.detail.textContent;
    row.error.hidden = !entry.error || entry.status === "CANCELLED";
    row.error.textContent = entry.error ? explain(entry.error.code, entry.error.message).title : "";
    const key = `${entry.status}|${entry.result?.output_url ?? ""}|${entry.stopping ? "stopping" : ""}`;
    if (row.key === key) return;
    row.key = key;
    row.thumb.replaceChildren(thumbnail(entry) ?? "");
    row.actions.replaceChildren(...this.#actions(entry));
  }

  #actions(entry) {
    const title = entry.title ?? "task";
    if (isActive(entry)) {
      const stopping = Boolean(entry.stopping);
      const stop = h("button", { type: "button", class: "stop", "aria-label": `Stop ${title}`, disabled: stopping, onClick: () => stopTask(this.store, this.follower, entry.id) }, stopping ? STOPPING : "Stop");
      return [stop, copyLinkButton(entry.id, title)];
    }
    const out = [];
    if (RETRYABLE.has(entry.status)) {
      out.push(h("button", { type: "button", class: "retry", "aria-label": `Try ${title} again`, onClick: (event) => this.#retry(entry, event.currentTarget) }, "Try again"));
    }
    out.push(h("a", { href: `#/task/${entry.id}`, class: "view" }, entry.status === "COMPLETED" ? "View result" : "Details"));
    if (entry.status === "COMPLETED" && entry.result?.output_url) {
      out.push(h("a", { href: namedUrl(fileUrl(entry.result.output_url), entry), download: downloadName(entry), class: "download" }, "Download"));
    }
    out.push(copyLinkButton(entry.id, title));
    out.push(h("button", { type: "button", class: "link remove", "aria-label": `Remove ${title} from the list`, onClick: () => this.store.remove(entry.id) }, "Remove"));
    return out;
  }

  /** Runs a failed or stopped task again under the same id and follows it; a refusal (its files expired,
   * it changed meanwhile, the server is away) is shown in the row in plain words and announced. */
  async #retry(entry, button) {
    const title = entry.title ?? "Task";
    const row = this.#rows.get(entry.id);
    row?.actions.querySelector(".error")?.remove();
    button.disabled = true;
    button.textContent = "Starting again\u2026";
    try {
      await retryTask(this.store, this.follower, entry.id);
      announce(`${title}: started again`);
    } catch (error) {
      button.disabled = false;
      button.textContent = "Try again";
      row?.actions.append(errorBox(error));
      announce(`${title}: ${explain(error.code, error.message).title}`);
    }
  }
}
