// What the panel and the task page both do to a task: stop it, run it again.
import { api } from "../api.js";

/** Asks the server to stop task `id`; the entry says "stopping" until the task ends (every view disables its
 * stop button meanwhile), or until the request is refused (409: it finished meanwhile; the refresh shows how). */
export async function stopTask(store, follower, id) {
  store.setStopping(id, true);
  try {
    store.apply(await api.cancel(id));
  } catch {
    store.setStopping(id, false);
  }
  await follower.refresh(id);
}

/** Runs a failed or stopped task again under the same id and follows it; throws the ApiError of a refusal
 * (its files expired, it changed meanwhile, the server is away) after refreshing the entry where that
 * tells more. */
export async function retryTask(store, follower, id) {
  try {
    store.apply(await api.retry(id));
  } catch (error) {
    if (error.code === "task_not_retryable" || error.status === 404) await follower.refresh(id);
    throw error;
  }
  follower.follow(id);
}
