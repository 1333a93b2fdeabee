// The faces found in a target (POST /api/faces/detect), as crops: assign a source face to each, or pick one.
import { fileUrl } from "./api.js";
import { dropzone, IMAGES } from "./dropzone.js";
import { h, uid } from "./dom.js";

function crop(face) {
  return h("img", { src: fileUrl(face.crop_url), alt: `Face ${face.index + 1} in the target`, class: "face-crop", width: 96, height: 96 });
}

/** One drop slot per face; `assignments()` -> Map(faceIndex -> File). `limits`: the zones' (uploadLimits). */
export function assignGrid(faces, { limits = {}, onChange = () => {} } = {}) {
  const slots = faces.map((face) => {
    const zone = dropzone({
      name: `face-${face.index}`,
      label: `New face for face ${face.index + 1}`,
      hint: "Leave empty to keep this face",
      media: IMAGES,
      limits,
      onChange,
    });
    const card = h("li", { class: "face-card", dataset: { face: face.index } }, h("figure", {}, crop(face), h("figcaption", {}, `Face ${face.index + 1}`)), zone.element);
    return { face, zone, card };
  });
  const element = h("ul", { class: "face-grid", "aria-label": "Faces found in the target" }, slots.map((s) => s.card));
  function assignments() {
    const out = new Map();
    for (const { face, zone } of slots) if (zone.file) out.set(face.index, zone.file);
    return out;
  }
  return { element, assignments };
}

/** A radio group of the faces; `picked()` -> the chosen face or null. */
export function pickGrid(faces, legend, onChange = () => {}) {
  const name = uid("pick");
  const inputs = faces.map((face) => {
    const input = h("input", { type: "radio", name, value: String(face.index), class: "face-radio", onChange });
    const card = h("li", { class: "face-card pickable" }, h("label", {}, input, crop(face), h("span", {}, `Face ${face.index + 1}`)));
    return { face, input, card };
  });
  const element = h("fieldset", { class: "face-pick" }, h("legend", {}, legend), h("ul", { class: "face-grid" }, inputs.map((i) => i.card)));
  return { element, picked: () => inputs.find((i) => i.input.checked)?.face ?? null };
}

/** "N faces found" text; `order` is the face order they are numbered in (default left to right). */
export function facesFound(count, order = "left-right") {
  if (count === 0) return "No faces were found in this picture.";
  return count === 1 ? "1 face found." : `${count} faces found, numbered ${(order || "left-right").replace("-", " to ")}.`;
}
