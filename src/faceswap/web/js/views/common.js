// Pieces every swap view shares: the page head, the start button, busy state, inline errors, face finding.
import { api } from "../api.js";
import { h } from "../dom.js";
import { errorBox, pageError } from "../errors.js";
import { facesFound, pickGrid } from "../faces.js";

export function pageHead(title, intro) {
  return [h("h1", { tabindex: "-1" }, title), h("p", { class: "intro" }, intro)];
}

/** The form's message area and start button; `run()` wraps the submit handler with busy state and errors. */
export function submitArea(label) {
  const messages = h("div", { class: "messages", "aria-live": "polite" });
  const button = h("button", { type: "submit", class: "primary start" }, label);
  const element = h("div", { class: "submit-area" }, messages, button);
  async function run(work) {
    messages.replaceChildren();
    button.disabled = true;
    button.textContent = "Uploading\u2026";
    try {
      await work();
    } catch (error) {
      messages.replaceChildren(errorBox(error));
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }
  return { element, run, show: (node) => messages.replaceChildren(node) };
}

/** A problem the user can fix before anything is sent (shown like a server error). */
export function needs(message, hint) {
  return pageError("form", message, hint);
}

/** Finds the faces of `file` (uploaded once) and shows them in `where`; returns the faces. `selection`
 * (face_order and the face filters) numbers and filters them as the swap will. */
export async function findFaces(ctx, uploads, file, where, model, selection = {}) {
  return (await detectFaces(ctx, uploads, file, where, model, selection))?.faces ?? null;
}

/** `findFaces`, answering the whole detection (`faces`, `width`, `height` ...) or null; `selection` may
 * also hold `extra_faces`, boxes drawn around faces the detector missed. */
export async function detectFaces(ctx, uploads, file, where, model, selection = {}) {
  where.replaceChildren(h("p", { class: "busy" }, "Looking for faces\u2026"));
  try {
    const data = await api.detectFaces(await uploads.fileId(file), model, selection);
    const added = data.faces.filter((face) => face.added).length;
    where.replaceChildren(h("p", { class: "faces-found" }, facesFound(data.faces.length, selection.face_order, added)));
    return data;
  } catch (error) {
    where.replaceChildren(errorBox(error));
    return null;
  }
}

/** "Who to replace": the target's faces as a radio group (face mode "reference"). */
export function referencePicker(ctx, uploads) {
  const status = h("div", { class: "face-status" });
  const holder = h("div");
  const element = h("section", { class: "reference", hidden: true, "aria-label": "Person to replace" }, h("h2", {}, "Who should be replaced?"), status, holder);
  let grid = null;
  let seen = null;
  async function refresh(file, model) {
    if (!file || element.hidden || file === seen) return;
    seen = file;
    grid = null;
    holder.replaceChildren();
    const faces = await findFaces(ctx, uploads, file, status, model);
    if (faces?.length) {
      grid = pickGrid(faces, "Pick the person whose face is replaced (everywhere they appear)");
      holder.replaceChildren(grid.element);
    }
  }
  return {
    element,
    refresh,
    show(visible) { element.hidden = !visible; },
    picked: () => grid?.picked() ?? null,
  };
}
