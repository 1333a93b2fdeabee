// A file picker that also takes drag-and-drop, with a preview. Keyboard: the input itself is focusable.
// A zone takes one file of its kind (photo or video), picked or dropped; anything else is refused in plain
// words before it is sent, and the file chosen before is kept.
import { formatBytes, h, uid } from "./dom.js";
import { errorBox, pageError } from "./errors.js";

/** What a zone takes: `accept` is the file input's filter, also used to check picked and dropped files. */
export const IMAGES = {
  noun: "photo",
  formats: "a JPEG, PNG, WebP, GIF or BMP photo",
  accept: "image/jpeg,image/png,image/webp,image/gif,image/bmp,.jpg,.jpeg,.png,.webp,.gif,.bmp",
};
export const VIDEOS = {
  noun: "video",
  formats: "an MP4, MOV, WebM, MKV or AVI video",
  accept: "video/mp4,video/quicktime,video/webm,video/x-matroska,video/x-msvideo,.mp4,.mov,.webm,.mkv,.avi",
};

/** Whether `file` matches an `accept` list (MIME types, `type/*` or `.ext`), as the file input reads it. */
export function accepts(file, accept) {
  const name = file.name.toLowerCase();
  const type = (file.type || "").toLowerCase();
  return accept.split(",").some((entry) => {
    const want = entry.trim().toLowerCase();
    if (want.startsWith(".")) return name.endsWith(want);
    if (want.endsWith("/*")) return type.startsWith(want.slice(0, -1));
    return want !== "" && type === want;
  });
}

/** Whether a drag carries files (text or links dragged over the page keep the browser's behaviour). */
function carriesFiles(event) {
  return Array.from(event.dataTransfer?.types ?? []).includes("Files");
}

/** Files dropped beside every zone are refused, so a near miss does not replace the page with the file. */
export function refuseStrayDrops(target = window) {
  target.addEventListener("dragover", (event) => {
    if (event.defaultPrevented || !carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "none";
  });
  target.addEventListener("drop", (event) => {
    if (carriesFiles(event)) event.preventDefault();
  });
}

function preview(file, url) {
  if (file.type.startsWith("video/") || /\.(mkv|avi|mov|mp4|webm)$/i.test(file.name)) {
    return h("video", { src: url, muted: true, controls: true, preload: "metadata", class: "preview-media" });
  }
  return h("img", { src: url, alt: `Preview of ${file.name}`, class: "preview-media" });
}

/** The refusal of `files` (an array) for a zone labelled `label` taking `media` and holding `kept` (a File
 * or null), or null when the one file fits. */
function refusal(files, label, media, kept) {
  const still = kept ? ` \u201c${kept.name}\u201d is still chosen.` : "";
  if (files.length > 1) {
    return pageError("form", `\u201c${label}\u201d takes one ${media.noun}; you dropped ${files.length} files.`, `Drop them one at a time, each on its own box.${still}`);
  }
  const [file] = files;
  if (!accepts(file, media.accept)) {
    return pageError("unsupported_format", `\u201c${file.name}\u201d is not a ${media.noun} this page can use.`, `Use ${media.formats}.${still}`);
  }
  return null;
}

/** {element, file, clear()}; onChange(file | null) runs after every pick, drop or clear. */
export function dropzone({ name, label, hint, media, onChange = () => {} }) {
  const id = uid(name);
  const input = h("input", { type: "file", id, name, accept: media.accept, class: "visually-hidden", "aria-describedby": `${id}-hint ${id}-error` });
  const problem = h("div", { class: "drop-error", id: `${id}-error` });
  const shown = h("div", { class: "preview", hidden: true });
  const zone = h(
    "div",
    { class: "dropzone", dataset: { name } },
    input,
    h(
      "label",
      { htmlFor: id, class: "drop-label" },
      h("span", { class: "drop-title" }, label),
      h("span", { class: "drop-hint", id: `${id}-hint` }, hint),
      h("span", { class: "drop-action" }, "Drop a file here or choose one"),
    ),
    problem,
    shown,
  );
  const state = { file: null, url: null };

  function refuse(error) {
    problem.replaceChildren(errorBox(error));
    input.setAttribute("aria-invalid", "true");
  }

  function set(file) {
    problem.replaceChildren();
    input.removeAttribute("aria-invalid");
    if (state.url) URL.revokeObjectURL(state.url);
    state.file = file;
    state.url = file ? URL.createObjectURL(file) : null;
    zone.classList.toggle("has-file", Boolean(file));
    shown.hidden = !file;
    shown.replaceChildren();
    if (file) {
      const remove = h("button", { type: "button", class: "link", onClick: () => { input.value = ""; set(null); input.focus(); } }, "Remove");
      shown.append(preview(file, state.url), h("p", { class: "file-name" }, `${file.name} \u00b7 ${formatBytes(file.size)} `, remove));
    }
    onChange(file);
  }

  /** A pick or a drop of `files`: set the one file it holds, or say why not and keep the file before. */
  function take(files) {
    const error = refusal(files, label, media, state.file);
    if (error) {
      input.value = "";
      refuse(error);
      return;
    }
    set(files[0]);
  }

  input.addEventListener("change", () => {
    const files = Array.from(input.files ?? []);
    if (files.length) take(files);
    else set(null);
  });
  // Both dragenter and dragover are cancelled, so the zone is the drop target. Moving over the zone's own
  // text sends the zone a dragleave whose relatedTarget is inside it: the highlight stays.
  const over = (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    zone.classList.add("dragging");
  };
  zone.addEventListener("dragenter", over);
  zone.addEventListener("dragover", over);
  zone.addEventListener("dragleave", (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
  });
  zone.addEventListener("drop", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    zone.classList.remove("dragging");
    const files = Array.from(event.dataTransfer.files);
    if (!files.length) return;
    input.value = ""; // the input no longer holds the zone's file: choosing that file again is a change
    take(files);
  });
  return { element: zone, get file() { return state.file; }, clear: () => set(null) };
}
