// The tasks this browser started, kept in localStorage so a reload keeps following them.

const KEY = "faceswap.tasks.v1";
const KEEP = 30;
export const ACTIVE = new Set(["PENDING", "PROCESSING"]);
export const isActive = (entry) => ACTIVE.has(entry.status);

function load(storage) {
  try {
    const items = JSON.parse(storage.getItem(KEY) ?? "[]");
    return Array.isArray(items) ? items.filter((item) => item && typeof item.id === "string") : [];
  } catch {
    return [];
  }
}

/** Entries: {id, kind, title, status, progress, result, error, targetUrl, created, updated, stopping?, and
 * the progress detail: stage, framesDone, framesTotal, fps, etaS, queuePosition}; "change" events. */
export class TaskStore extends EventTarget {
  constructor(storage = window.localStorage) {
    super();
    this.storage = storage;
    this.items = load(storage);
    window.addEventListener("storage", (event) => {
      if (event.key === KEY) { this.items = load(storage); this.#changed(null); }
    });
  }

  list() { return [...this.items]; }

  get(id) { return this.items.find((item) => item.id === id) ?? null; }

  /** Adds a task the page just created; `meta` = {kind, title}. */
  add(task, meta) {
    this.items = [{ ...meta, ...fromTask(task) }, ...this.items.filter((item) => item.id !== task.taskId)];
    this.#save();
    this.#changed(task.taskId);
  }

  /** Updates an entry from the server's task JSON; returns the entry, or null if it is not kept. */
  apply(task) {
    const entry = this.get(task.taskId);
    if (!entry) return null;
    Object.assign(entry, fromTask(task));
    if (!isActive(entry)) delete entry.stopping;
    this.#save();
    this.#changed(entry.id);
    return entry;
  }

  /** Marks an entry as being stopped (`on`: its stop was asked and not yet refused) or not; the mark goes
   * once the task is no longer active. Every view of the task shows it ("Stopping…", no second stop). */
  setStopping(id, on) {
    const entry = this.get(id);
    if (!entry || Boolean(entry.stopping) === on) return;
    if (on) entry.stopping = true;
    else delete entry.stopping;
    this.#save();
    this.#changed(id);
  }

  /** Marks an entry as gone from the server (expired or the queue was reset). */
  gone(id) {
    const entry = this.get(id);
    if (!entry) return;
    Object.assign(entry, { status: "FAILED", error: { code: "not_found", message: "the server no longer has this task" } });
    this.#save();
    this.#changed(id);
  }

  remove(id) {
    this.items = this.items.filter((item) => item.id !== id);
    this.#save();
    this.#changed(id);
  }

  clearFinished() {
    this.items = this.items.filter(isActive);
    this.#save();
    this.#changed(null);
  }

  #save() {
    const active = this.items.filter(isActive);
    const done = this.items.filter((item) => !isActive(item)).slice(0, Math.max(0, KEEP - active.length));
    this.items = this.items.filter((item) => active.includes(item) || done.includes(item));
    try {
      this.storage.setItem(KEY, JSON.stringify(this.items));
    } catch {
      // storage full or disabled: the page still works, it just forgets on reload
    }
  }

  #changed(id) { this.dispatchEvent(new CustomEvent("change", { detail: { id } })); }
}

function fromTask(task) {
  const wf = task.params?.input_data?.wf_json ?? {};
  return {
    id: task.taskId,
    status: task.status,
    progress: task.progress ?? 0,
    result: task.result ?? null,
    error: task.error ?? null,
    targetUrl: wf.target_url ?? null,
    created: task.created_at,
    updated: task.updated_at,
    stage: task.stage ?? null,
    framesDone: task.frames_done ?? null,
    framesTotal: task.frames_total ?? null,
    fps: task.fps ?? null,
    etaS: task.eta_s ?? null,
    queuePosition: task.queue_position ?? null,
  };
}
