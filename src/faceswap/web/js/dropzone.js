// A file picker that also takes drag-and-drop and pasting, with a preview. Keyboard: the input itself is
// focusable. A zone takes one file of its kind (photo or video), picked, dropped or pasted; anything else is
// refused in plain words before it is sent (its name, its content, its size, a photo's pixels), and the
// file chosen before is kept.
import { formatBytes, h, uid } from "./dom.js";
import { errorBox, pageError } from "./errors.js";
import { sniff } from "./sniff.js";

/** What a zone takes: `accept` is the file input's filter, also used to check picked and dropped files. */
export const IMAGES = {
  kind: "image",
  noun: "photo",
  formats: "a JPEG, PNG, WebP, GIF or BMP photo",
  accept: "image/jpeg,image/png,image/webp,image/gif,image/bmp,.jpg,.jpeg,.png,.webp,.gif,.bmp",
};
export const VIDEOS = {
  kind: "video",
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

/** Files pasted on the page (a screenshot, a copied file) go to the zone with focus, else the first empty
 * zone shown; text pasted in a text field stays there. */
export function acceptPastes(target = document) {
  target.addEventListener("paste", (event) => {
    const files = Array.from(event.clipboardData?.files ?? []);
    if (!files.length) return;
    const focused = document.activeElement;
    const zone = focused?.closest?.(".dropzone") ?? Array.from(document.querySelectorAll("main .dropzone:not(.has-file)")).find((z) => z.offsetParent !== null);
    if (!zone) return;
    event.preventDefault();
    zone.dispatchEvent(new CustomEvent("take-files", { detail: files }));
  });
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

const stillChosen = (kept) => (kept ? ` \u201c${kept.name}\u201d is still chosen.` : "");

function megapixels(pixels) {
  return `${(pixels / 1e6).toFixed(1).replace(/\.0$/, "")} megapixels`;
}

/** The refusal of `files` (an array) for a zone labelled `label` taking `media` and holding `kept` (a File
 * or null) by their number, names and byte size, or null when the one file may fit. `limits`:
 * {maxBytes, maxPixels} from the server's options. */
function refusal(files, label, media, kept, limits) {
  const still = stillChosen(kept);
  if (files.length > 1) {
    return pageError("form", `\u201c${label}\u201d takes one ${media.noun}; you dropped ${files.length} files.`, `Drop them one at a time, each on its own box.${still}`);
  }
  const [file] = files;
  if (!accepts(file, media.accept)) {
    return pageError("unsupported_format", `\u201c${file.name}\u201d is not a ${media.noun} this page can use.`, `Use ${media.formats}.${still}`);
  }
  if (limits.maxBytes && file.size > limits.maxBytes) {
    return pageError("input_too_large", `\u201c${file.name}\u201d is ${formatBytes(file.size)}; this server takes files up to ${formatBytes(limits.maxBytes)}.`, `Use a smaller file.${still}`);
  }
  return null;
}

/** The refusal of `file` by its content (read from its first bytes), or null when it is of the zone's
 * kind and, for a photo, within the server's pixel limit. */
async function contentRefusal(file, media, kept, limits) {
  const still = stillChosen(kept);
  let found;
  try {
    found = await sniff(file);
  } catch {
    return null; // unreadable here: the server tells
  }
  if (found.kind !== media.kind) {
    return pageError("unsupported_format", `\u201c${file.name}\u201d is not a ${media.noun} this page can use.`, `Its content is not ${media.formats}, whatever its name says.${still}`);
  }
  const pixels = (found.width ?? 0) * (found.height ?? 0);
  if (limits.maxPixels && pixels > limits.maxPixels) {
    return pageError(
      "input_too_large",
      `\u201c${file.name}\u201d is ${found.width} \u00d7 ${found.height} pixels (${megapixels(pixels)}); this server takes photos up to ${megapixels(limits.maxPixels)}.`,
      `The picture is too large, however small the file (${formatBytes(file.size)}): scale it down and pick it again.${still}`,
    );
  }
  return null;
}

/** {maxBytes, maxPixels} of the server's options (GET /api/options), for the zones' checks. */
export function uploadLimits(options) {
  return { maxBytes: options?.max_upload_bytes ?? null, maxPixels: options?.max_image_pixels ?? null };
}

/** {element, file, clear()}; onChange(file | null) runs after every pick, drop, paste or clear. `limits`:
 * {maxBytes, maxPixels} (see uploadLimits), checked before a file is taken. */
export function dropzone({ name, label, hint, media, limits = {}, onChange = () => {} }) {
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
  const state = { file: null, url: null, asked: 0 };

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
      const remove = h("button", { type: "button", class: "link", onClick: () => { input.value = ""; clear(); input.focus(); } }, "Remove");
      shown.append(preview(file, state.url), h("p", { class: "file-name" }, `${file.name} \u00b7 ${formatBytes(file.size)} `, remove));
    }
    onChange(file);
  }

  /** No file (a check still running is dropped). */
  function clear() {
    state.asked += 1;
    set(null);
  }

  /** A pick, drop or paste of `files`: set the one file it holds once its content is checked, or say why
   * not and keep the file before. A later pick wins over a check still running. */
  async function take(files) {
    const ticket = ++state.asked;
    const error = refusal(files, label, media, state.file, limits) ?? (await busy(contentRefusal(files[0], media, state.file, limits)));
    if (ticket !== state.asked) return;
    if (error) {
      input.value = "";
      refuse(error);
      return;
    }
    set(files[0]);
  }

  async function busy(work) {
    zone.setAttribute("aria-busy", "true");
    try {
      return await work;
    } finally {
      zone.removeAttribute("aria-busy");
    }
  }

  input.addEventListener("change", () => {
    const files = Array.from(input.files ?? []);
    if (files.length) take(files);
    else clear();
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
  zone.addEventListener("take-files", (event) => {
    input.value = "";
    take(event.detail);
  });
  return { element: zone, get file() { return state.file; }, clear };
}
