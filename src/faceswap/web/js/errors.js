// Stable error codes (faceswap.errors, plus "network") in plain words, with what to do next.
import { h } from "./dom.js";

const FORMATS = "JPEG, PNG, WebP, GIF or BMP photos and MP4, MOV, WebM, MKV or AVI videos";
const RETRY = "Wait a minute and start it again. If it keeps happening, tell whoever runs this server.";

const MESSAGES = {
  no_face_in_source: ["No face was found in the face photo.", "Use a clear, well-lit photo where the face looks at the camera and fills a good part of the picture."],
  no_face_in_target: ["No face was found in the picture to change.", "Pick a picture where the faces are visible, not too small and not turned away."],
  no_matching_face: ["The chosen person was not found.", "Pick the person again, loosen \u201cWhich faces\u201d under Advanced, or set \u201cFaces to change\u201d to every face."],
  no_face: ["No face was found.", "Use pictures where faces are clearly visible."],
  unsupported_format: ["This kind of file is not supported.", `Use ${FORMATS}.`],
  input_too_large: ["The file is over this server's limits.", "Use a smaller file, a picture with fewer pixels or a shorter video."],
  unreadable_input: ["The file could not be read.", "It may be damaged or incomplete: export or download it again."],
  bad_input: ["One of the files cannot be used.", `Check that you picked the right files (${FORMATS}).`],
  bad_option: ["One of the settings cannot be used.", "Go back to the defaults and try again."],
  bad_request: ["The request was not understood.", "Reload the page and try again."],
  model_missing: ["A model this needs is not installed on this server.", "Choose another engine or option (the lists grey out what is not installed), or ask the server's owner to run the command below."],
  model_error: ["The chosen engine's model files are damaged.", "Choose another engine, or ask the server's owner to download the models again."],
  model_hash_mismatch: ["The chosen engine's model files are damaged.", "Choose another engine, or ask the server's owner to download the models again."],
  model_signature: ["The chosen engine's model files are not the expected ones.", "Choose another engine, or ask the server's owner to check the models."],
  engine_unavailable: ["The engine is busy or unavailable right now.", RETRY],
  queue_unavailable: ["The service cannot take work right now.", RETRY],
  storage_unavailable: ["The service cannot store files right now.", RETRY],
  download_failed: ["An input could not be downloaded.", "Check the link, or download the file and upload it here."],
  url_forbidden: ["That link cannot be used.", "Download the file and upload it here instead."],
  url_fetch_failed: ["An input could not be downloaded.", "Check the link, or download the file and upload it here."],
  url_fetch_timeout: ["Downloading an input took too long.", "Download the file and upload it here instead."],
  url_unusable: ["The link did not lead to a file.", "Check the link, or download the file and upload it here."],
  timeout: ["It took too long.", "Try a shorter or smaller video, or a lower output resolution."],
  worker_lost: ["The machine working on this stopped.", "Start it again."],
  output_failed: ["The result could not be saved.", RETRY],
  cancelled: ["Stopped.", "Start it again whenever you like."],
  not_found: ["This is no longer on the server.", "Results are kept for a limited time: start it again."],
  conflict: ["This was already done or is already running.", "Look for it in the task list."],
  task_not_retryable: ["This is already running or done.", "The task list shows how it is going."],
  input_expired: ["A file this used is no longer on the server.", "Files are kept for a limited time: pick them again and start a new swap."],
  network: ["The server could not be reached.", "Check your connection; the page keeps following your tasks when it is back."],
  internal_error: ["Something went wrong on the server.", RETRY],
  unauthorized: ["This server needs an API key.", "Paste the key you were given under \u201cAPI key\u201d at the top of the page, then start again."],
  invalid_key: ["That API key is not valid.", "Check the key under \u201cAPI key\u201d at the top of the page, or ask for a new one."],
  rate_limited: ["Too many requests with this key right now.", "Wait a minute and start again: the key has a limit of requests per minute."],
  comfyui_unavailable: ["The workflow server is not answering.", RETRY],
  comfyui_execution_error: ["The workflow failed on the workflow server.", "Check the workflow's nodes and inputs; the details say which node failed."],
  remote_engine_unavailable: ["The swap service behind this server is not answering.", RETRY],
  lease_lost: ["The machine working on this lost it to another.", "It is being run again; wait for it."],
  attempt_superseded: ["The machine working on this lost it to another.", "It is being run again; wait for it."],
};

/** Codes whose server message is the useful part (which file, which limit, which models and the command
 * that installs them): it is shown in the box, not folded under "Details". */
const SHOWN_DETAIL = new Set(["input_too_large", "unsupported_format", "unreadable_input", "model_missing"]);

/** {title, hint, detail, shown} for an error code and the server's own message. */
export function explain(code, message = "") {
  const [title, hint] = MESSAGES[code] ?? ["Something went wrong.", RETRY];
  const detail = message && message !== title ? message : "";
  return { title, hint, detail, code, shown: SHOWN_DETAIL.has(code) };
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
