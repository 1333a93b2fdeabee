// Error codes in plain words, with what to do next: the server's error table (GET /api/options `errors`,
// built from faceswap.errors), plus the page's own "network" for a server it cannot reach.
import { h } from "./dom.js";

const RETRY = "Wait a minute and start it again. If it keeps happening, tell whoever runs this server.";
const UNKNOWN = { title: "Something went wrong.", hint: RETRY, show_message: false };

/** What the page knows before (or without) the server's table. */
const PAGE_ERRORS = {
  network: { title: "The server could not be reached.", hint: "Check your connection; the page keeps following your tasks when it is back.", show_message: false },
};

let table = { ...PAGE_ERRORS };

/** Uses the server's error table (`{code: {title, hint, http_status, transient, show_message}}`) from now on. */
export function useErrorTable(errors) {
  table = { ...(errors ?? {}), ...PAGE_ERRORS };
}

/** {title, hint, detail, shown} for an error code and the server's own message. */
export function explain(code, message = "") {
  const { title, hint, show_message: shown } = table[code] ?? UNKNOWN;
  const detail = message && message !== title ? message : "";
  return { title, hint, detail, code, shown: Boolean(shown) };
}

/** A problem the page finds before sending anything, in its own words: "form" (something to fill in or
 * fix) or the stable code the server would answer for it (a file the page cannot use: "unsupported_format"). */
export function pageError(code, title, hint) {
  const error = new Error(title);
  error.code = code;
  error.hint = hint;
  error.local = true;
  return error;
}

/** An alert box for an ApiError, a task's {code, message} or a pageError. */
export function errorBox(error) {
  const { title, hint, detail, code, shown } = error?.local
    ? { title: error.message, hint: error.hint ?? "", detail: "", code: error.code }
    : explain(error?.code ?? "internal_error", error?.message ?? "");
  return h(
    "div",
    { class: "error", role: "alert", dataset: { code } },
    h("p", { class: "error-title" }, title),
    detail && shown ? h("p", { class: "error-detail" }, detail) : null,
    h("p", { class: "error-hint" }, hint),
    detail && !shown ? h("details", {}, h("summary", {}, "Details"), h("p", {}, detail, " ", h("code", {}, `(${code})`))) : null,
  );
}
