// The faces found in a target (POST /api/faces/detect), as crops: assign a source face to each, or pick one.
import { fileUrl } from "./api.js";
import { dropzone, IMAGES } from "./dropzone.js";
import { h, uid } from "./dom.js";

function crop(face) {
  return h("img", { src: fileUrl(face.crop_url), alt: `Face ${face.index + 1} in the target`, class: "face-crop", width: 96, height: 96 });
}

function slot(face, onChange, limits) {
  const zone = dropzone({
    name: `face-${face.index}`,
    label: `New face for face ${face.index + 1}`,
    hint: "Leave empty to keep this face",
    media: IMAGES,
    limits,
    onChange,
  });
  const caption = face.added ? `Face ${face.index + 1} (drawn)` : `Face ${face.index + 1}`;
  const card = h("li", { class: face.added ? "face-card added" : "face-card", dataset: { face: face.index } }, h("figure", {}, crop(face), h("figcaption", {}, caption)), zone.element);
  return { face, zone, card };
}

/** One drop slot per face; `assignments()` -> Map(faceIndex -> File); `add(faces)` appends slots for faces
 * added later (drawn by hand: numbered after the others); `choose(index)` highlights a face's slot and
 * moves the focus to its file picker. `limits`: the zones' (uploadLimits). */
export function assignGrid(faces, { limits = {}, onChange = () => {} } = {}) {
  const slots = faces.map((face) => slot(face, onChange, limits));
  const element = h("ul", { class: "face-grid", "aria-label": "Faces found in the target" }, slots.map((s) => s.card));
  function assignments() {
    const out = new Map();
    for (const { face, zone } of slots) if (zone.file) out.set(face.index, zone.file);
    return out;
  }
  function add(more) {
    for (const face of more) {
      const made = slot(face, onChange, limits);
      slots.push(made);
      element.append(made.card);
    }
  }
  function choose(index) {
    for (const { face, card } of slots) card.classList.toggle("chosen", face.index === index);
    const chosen = slots.find((s) => s.face.index === index);
    if (!chosen) return;
    chosen.card.scrollIntoView({ block: "nearest" });
    chosen.card.querySelector("input[type=file]")?.focus({ preventScroll: true });
  }
  return { element, assignments, add, choose, get count() { return slots.length; } };
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

/** "N faces found" text; `order` is the face order they are numbered in (default left to right); `added`
 * faces drawn by hand are numbered after them. */
export function facesFound(count, order = "left-right", added = 0) {
  const found = count - added;
  const drawn = added === 0 ? "" : ` ${added === 1 ? "1 face" : `${added} faces`} drawn by hand: ${found === count - 1 ? `face ${count}` : `faces ${found + 1} to ${count}`}.`;
  if (found === 0) return `No faces were found in this picture.${drawn}`;
  return (found === 1 ? "1 face found." : `${found} faces found, numbered ${(order || "left-right").replace("-", " to ")}.`) + drawn;
}
