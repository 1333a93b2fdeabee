// The target photo with the faces found drawn over it as numbered boxes, placed in percent of the photo so
// they scale with it. A box is a button (click, Enter or Space) that selects its face; dragging on the
// photo draws a box around a person the detector missed (the page then asks the server to find the face
// inside it). Boxes are in the target's pixels, as POST /api/faces/detect gives them and takes them back.
import { announce, h } from "./dom.js";

/** Smallest side of a drawn box, in the photo's pixels (the server refuses smaller ones). */
export const MIN_BOX_SIDE = 16;
/** A drag shorter than this many screen pixels is a click, not a box. */
const CLICK_SLOP = 4;

function percent(value, whole) {
  return `${(100 * value / whole).toFixed(3)}%`;
}

function place(element, [x1, y1, x2, y2], width, height) {
  Object.assign(element.style, {
    left: percent(x1, width),
    top: percent(y1, height),
    width: percent(x2 - x1, width),
    height: percent(y2 - y1, height),
  });
}

/** `facePhoto({file, width, height, onSelect, onDraw})`: `show(faces)` draws the boxes, `select(index)`
 * marks one pressed and calls `onSelect(index)`; a drag calls `onDraw([x1, y1, x2, y2])` (whole pixels,
 * inside the photo, at least MIN_BOX_SIDE a side) or says why the box is too small. */
export function facePhoto({ file, width, height, onSelect = () => {}, onDraw = () => {} }) {
  const url = URL.createObjectURL(file);
  const image = h("img", { src: url, alt: "The group photo, with the faces found outlined and numbered", class: "face-photo-image", draggable: "false" });
  const boxes = h("div", { class: "face-boxes" });
  const sketch = h("div", { class: "face-box sketch", hidden: true, "aria-hidden": "true" });
  const frame = h("div", { class: "face-photo-frame" }, image, boxes, sketch);
  const note = h("p", { class: "face-photo-note", "aria-live": "polite" });
  const element = h(
    "figure",
    { class: "face-photo" },
    frame,
    h("figcaption", {}, "Click a numbered box (or Tab to it and press Enter) to choose a new face for that person. Someone missing? Drag on the photo to draw a box around their face."),
    note,
  );

  function show(faces) {
    boxes.replaceChildren(
      ...faces.map((face) => {
        const name = `Face ${face.index + 1}${face.added ? " (drawn by hand)" : ""}`;
        const button = h(
          "button",
          { type: "button", class: face.added ? "face-box added" : "face-box", dataset: { face: face.index }, "aria-label": name, "aria-pressed": "false", title: name },
          h("span", { class: "face-number", "aria-hidden": "true" }, String(face.index + 1)),
        );
        place(button, face.box, width, height);
        button.addEventListener("click", () => select(face.index));
        button.addEventListener("pointerdown", (event) => event.stopPropagation());
        return button;
      }),
    );
  }

  function select(index) {
    for (const button of boxes.children) button.setAttribute("aria-pressed", String(Number(button.dataset.face) === index));
    onSelect(index);
  }

  /** The photo pixel under a pointer event, clamped to the photo. */
  function pixel(event) {
    const rect = image.getBoundingClientRect();
    const x = Math.min(Math.max(event.clientX - rect.left, 0), rect.width);
    const y = Math.min(Math.max(event.clientY - rect.top, 0), rect.height);
    return [x * width / rect.width, y * height / rect.height];
  }

  let start = null;
  let startScreen = null;
  frame.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    frame.setPointerCapture(event.pointerId);
    start = pixel(event);
    startScreen = [event.clientX, event.clientY];
    note.textContent = "";
  });
  frame.addEventListener("pointermove", (event) => {
    if (!start) return;
    const [x, y] = pixel(event);
    sketch.hidden = false;
    place(sketch, [Math.min(start[0], x), Math.min(start[1], y), Math.max(start[0], x), Math.max(start[1], y)], width, height);
  });
  const finish = (event) => {
    if (!start) return;
    const [x, y] = pixel(event);
    const moved = Math.max(Math.abs(event.clientX - startScreen[0]), Math.abs(event.clientY - startScreen[1]));
    const box = [Math.floor(Math.min(start[0], x)), Math.floor(Math.min(start[1], y)), Math.ceil(Math.max(start[0], x)), Math.ceil(Math.max(start[1], y))];
    start = null;
    sketch.hidden = true;
    if (event.type !== "pointerup" || moved < CLICK_SLOP) return;
    const clipped = [Math.max(0, box[0]), Math.max(0, box[1]), Math.min(width, box[2]), Math.min(height, box[3])];
    if (clipped[2] - clipped[0] < MIN_BOX_SIDE || clipped[3] - clipped[1] < MIN_BOX_SIDE) {
      note.textContent = `That box is too small: draw it around the whole face (at least ${MIN_BOX_SIDE} pixels of the photo each way).`;
      announce(note.textContent);
      return;
    }
    onDraw(clipped);
  };
  frame.addEventListener("pointerup", finish);
  frame.addEventListener("pointercancel", finish);

  return { element, show, select, say: (text) => { note.textContent = text; }, dispose: () => URL.revokeObjectURL(url) };
}
