// Entry point: options (and the error table) from the server, the task store and panel, and a hash router
// over the views.
import { api } from "./api.js";
import { h } from "./dom.js";
import { acceptPastes, refuseStrayDrops } from "./dropzone.js";
import { errorBox, useErrorTable } from "./errors.js";
import { keyForm } from "./key.js";
import { Follower } from "./tasks/follow.js";
import { TaskPanel } from "./tasks/panel.js";
import { TaskStore } from "./tasks/store.js";
import { groupView } from "./views/group.js";
import { singleView } from "./views/single.js";
import { taskView } from "./views/task.js";

const VIEWS = {
  photo: (ctx) => singleView(ctx, "photo"),
  video: (ctx) => singleView(ctx, "video"),
  group: (ctx) => groupView(ctx),
};

function route() {
  const [, name = "photo", id = ""] = location.hash.split("/");
  return { name: name || "photo", id: decodeURIComponent(id) };
}

function render(ctx, main) {
  const { name, id } = route();
  const view = name === "task" && id ? taskView(ctx, id) : (VIEWS[name] ?? VIEWS.photo)(ctx);
  main.replaceChildren(view);
  for (const link of document.querySelectorAll("nav a[data-view]")) {
    if (link.dataset.view === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${view.querySelector("h1")?.textContent ?? "faceswap"} \u00b7 faceswap`;
  if (ctx.rendered) view.querySelector("h1")?.focus();
  ctx.rendered = true;
}

async function main() {
  const root = document.getElementById("main");
  refuseStrayDrops();
  acceptPastes();
  let options = null;
  let failure = null;
  try {
    options = await api.options();
  } catch (error) {
    failure = error;
  }
  useErrorTable(options?.errors); // before anything shows an error: the server's words for its codes
  const store = new TaskStore();
  const follower = new Follower(store);
  new TaskPanel(document.getElementById("tasks"), store, follower);
  follower.refreshAll();
  if (failure) {
    root.replaceChildren(h("h1", {}, "The service is not answering"), errorBox(failure));
    return;
  }
  document.querySelector("header.top .docs")?.before(keyForm({ required: Boolean(options.auth?.required) }));
  const ctx = {
    store,
    follower,
    options,
    rendered: false,
    async start(wf, meta) {
      const task = await api.createSwap(wf);
      store.add(task, meta);
      follower.follow(task.taskId);
      location.hash = `#/task/${task.taskId}`;
    },
  };
  window.addEventListener("hashchange", () => render(ctx, root));
  render(ctx, root);
  document.body.dataset.ready = "true";
}

main();
