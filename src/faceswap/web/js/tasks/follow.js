// Live task updates: server-sent events (/api/tasks/{id}/events), falling back to polling.
import { api } from "../api.js";
import { isActive } from "./store.js";

const POLL_MS = 1000;
const STATUSES = ["pending", "processing", "completed", "failed", "cancelled"];

export class Follower {
  #watching = new Map();

  constructor(store, { useEvents = "EventSource" in window } = {}) {
    this.store = store;
    this.useEvents = useEvents;
  }

  /** Follows `id` until it finishes (no-op if already followed). */
  follow(id) {
    if (this.#watching.has(id)) return;
    if (this.useEvents) this.#listen(id);
    else this.#poll(id);
  }

  /** Refreshes every stored task from the server and follows the active ones. */
  async refreshAll() {
    await Promise.all(this.store.list().map((entry) => this.refresh(entry.id)));
  }

  async refresh(id) {
    try {
      const entry = this.store.apply(await api.task(id));
      if (entry && isActive(entry)) this.follow(id);
    } catch (error) {
      if (error.status === 404) this.store.gone(id);
      else if (isActive(this.store.get(id) ?? {})) this.#poll(id); // server unreachable: keep trying
    }
  }

  #update(task) {
    const entry = this.store.apply(task);
    if (!entry || !isActive(entry)) this.#stop(task.taskId);
  }

  #listen(id) {
    const source = new EventSource(api.eventsUrl(id));
    this.#watching.set(id, { close: () => source.close() });
    const onEvent = (event) => this.#update(JSON.parse(event.data));
    for (const name of STATUSES) source.addEventListener(name, onEvent);
    source.addEventListener("error", () => {
      // the stream ends when the task finishes; if it broke early, poll instead
      this.#stop(id);
      if (isActive(this.store.get(id) ?? {})) this.#poll(id);
    });
  }

  #poll(id) {
    this.#stop(id);
    const handle = { timer: 0, stopped: false, close() { this.stopped = true; clearTimeout(this.timer); } };
    const tick = async () => {
      await this.refreshOnce(id);
      if (handle.stopped) return;
      if (isActive(this.store.get(id) ?? {})) handle.timer = setTimeout(tick, POLL_MS);
      else this.#watching.delete(id);
    };
    this.#watching.set(id, handle);
    handle.timer = setTimeout(tick, POLL_MS);
  }

  async refreshOnce(id) {
    try {
      this.store.apply(await api.task(id));
    } catch (error) {
      if (error.status === 404) this.store.gone(id);
    }
  }

  #stop(id) {
    this.#watching.get(id)?.close();
    this.#watching.delete(id);
  }
}
