// A file picker that also takes drag-and-drop, with a preview. Keyboard: the input itself is focusable.
import { formatBytes, h, uid } from "./dom.js";

export const IMAGE_TYPES = "image/jpeg,image/png,image/webp,image/gif,image/bmp";
export const VIDEO_TYPES = "video/mp4,video/quicktime,video/webm,video/x-matroska,video/x-msvideo,.mkv,.avi,.mov";

function preview(file) {
  const url = URL.createObjectURL(file);
  if (file.type.startsWith("video/") || /\.(mkv|avi|mov|mp4|webm)$/i.test(file.name)) {
    return h("video", { src: url, muted: true, controls: true, preload: "metadata", class: "preview-media" });
  }
  return h("img", { src: url, alt: `Preview of ${file.name}`, class: "preview-media" });
}

/** {element, file, clear()}; onChange(file | null) runs after every pick, drop or clear. */
export function dropzone({ name, label, hint, accept, onChange = () => {} }) {
  const id = uid(name);
  const input = h("input", { type: "file", id, name, accept, class: "visually-hidden", "aria-describedby": `${id}-hint` });
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
    shown,
  );
  const state = { file: null };

  function set(file) {
    state.file = file;
    zone.classList.toggle("has-file", Boolean(file));
    shown.hidden = !file;
    shown.replaceChildren();
    if (file) {
      const remove = h("button", { type: "button", class: "link", onClick: () => { input.value = ""; set(null); input.focus(); } }, "Remove");
      shown.append(preview(file), h("p", { class: "file-name" }, `${file.name} \u00b7 ${formatBytes(file.size)} `, remove));
    }
    onChange(file);
  }

  input.addEventListener("change", () => set(input.files?.[0] ?? null));
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("dragging"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    const file = event.dataTransfer?.files?.[0];
    if (file) set(file);
  });
  return { element: zone, get file() { return state.file; }, clear: () => set(null) };
}
