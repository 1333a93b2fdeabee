// The HTTP API as the page uses it. Every failure becomes an ApiError with a stable code.
import { authHeaders, keyNeeded } from "./key.js";

export class ApiError extends Error {
  constructor(code, message, status = 0) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

async function call(path, init = {}) {
  let response;
  try {
    response = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers ?? {}) } });
  } catch {
    throw new ApiError("network", "The server could not be reached.");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok || body?.success === false) {
    const error = body?.error ?? {};
    if (response.status === 401) keyNeeded(keyMessage());
    throw new ApiError(error.code ?? `http_${response.status}`, error.message ?? response.statusText, response.status);
  }
  return body?.data ?? body;
}

function keyMessage() {
  return authHeaders().Authorization
    ? "The saved API key was refused: check it, or ask for a new one."
    : "This server needs an API key: paste yours here.";
}

function postJson(path, data) {
  return call(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(data),
  });
}

export const api = {
  options: () => call("/api/options"),
  upload(file) {
    const form = new FormData();
    form.append("file", file, file.name);
    return call("/api/upload", { method: "POST", body: form });
  },
  createSwap: (wf) => postJson("/api/tasks/create", { workflow: "face_swap", params: { input_data: { wf_json: wf } } }),
  task: (id) => call(`/api/tasks/${encodeURIComponent(id)}`),
  cancel: (id) => call(`/api/tasks/${encodeURIComponent(id)}/cancel`, { method: "POST" }),
  retry: (id) => call(`/api/tasks/${encodeURIComponent(id)}/retry`, { method: "POST" }),
  preview: (wf) => postJson("/api/preview", wf),
  detectFaces: (targetUrl, model, selection = {}) => postJson("/api/faces/detect", { target_url: targetUrl, model, ...selection }),
  eventsUrl: (id) => `/api/tasks/${encodeURIComponent(id)}/events`,
};

/** A URL the browser can load for an input reference (file id, stored key or URL). */
export function fileUrl(ref) {
  if (!ref) return null;
  return /^(https?:|data:|\/)/.test(ref) ? ref : `/api/download/${ref}`;
}

/** Uploads each File once (by identity), so picking a face and starting reuse the same upload. */
export class Uploads {
  #pending = new Map();

  fileId(file) {
    if (!this.#pending.has(file)) {
      const upload = api.upload(file).then((data) => data.file_id);
      upload.catch(() => this.#pending.delete(file));
      this.#pending.set(file, upload);
    }
    return this.#pending.get(file);
  }
}
