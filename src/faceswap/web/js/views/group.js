// The multi-person view: pick a group photo, see its faces as numbered boxes on the photo and as crops,
// drop a new face on each one to change; a box drawn on the photo adds a person the detector missed.
import { Uploads } from "../api.js";
import { announce, h } from "../dom.js";
import { dropzone, IMAGES, uploadLimits } from "../dropzone.js";
import { facePhoto } from "../facephoto.js";
import { assignGrid } from "../faces.js";
import { optionFields } from "../options.js";
import { SELECTION_FIELDS } from "../selection.js";
import { detectFaces, needs, pageHead, submitArea } from "./common.js";

export function groupView(ctx) {
  const uploads = new Uploads();
  const status = h("div", { class: "face-status" });
  const photoHolder = h("div");
  const holder = h("div");
  const mapping = h("section", { class: "mapping", hidden: true, "aria-label": "Faces to change" }, h("h2", {}, "Who becomes whom?"), h("p", { class: "intro" }, "Drop a face photo on each person to change (or choose a file). People left empty keep their face."), status, photoHolder, holder);
  let grid = null;
  let photo = null;
  let asked = null;
  let drawn = []; // boxes drawn around faces the detector missed, in the photo's pixels, in order

  function selection() {
    const { model, face_order, face_gender, face_age, face_race } = options.values();
    const chosen = { face_order, face_gender, face_age, face_race };
    if (drawn.length) chosen.extra_faces = drawn;
    return { model, chosen };
  }

  /** Finds the faces of `file` (its drawn boxes kept when `keepDrawn`) and shows them afresh. */
  async function showFaces(file, keepDrawn = false) {
    asked = file;
    if (!keepDrawn) drawn = [];
    grid = null;
    photo?.dispose();
    photo = null;
    holder.replaceChildren();
    photoHolder.replaceChildren();
    mapping.hidden = !file;
    if (!file) return;
    const { model, chosen } = selection();
    const data = await detectFaces(ctx, uploads, file, status, model, chosen);
    if (asked !== file || !data) return;
    photo = facePhoto({ file, width: data.width, height: data.height, onSelect: (index) => grid?.choose(index), onDraw: addFace });
    photo.show(data.faces);
    photoHolder.replaceChildren(photo.element);
    grid = assignGrid(data.faces, { limits });
    holder.replaceChildren(grid.element);
  }

  /** A box drawn on the photo: the server finds the face inside it, numbered after the others; the faces
   * already shown keep their numbers and the photos dropped on them. */
  async function addFace(box) {
    const file = asked;
    drawn = [...drawn, box];
    const { model, chosen } = selection();
    const data = await detectFaces(ctx, uploads, file, status, model, chosen);
    if (asked !== file) return;
    if (!data) {
      drawn = drawn.slice(0, -1);
      return;
    }
    const added = data.faces.filter((face) => face.index >= (grid?.count ?? 0));
    photo.show(data.faces);
    grid.add(added);
    const number = data.faces.length;
    announce(`Face ${number} added.`);
    photo.select(number - 1);
  }

  const limits = uploadLimits(ctx.options);
  const target = dropzone({ name: "target", label: "Group photo", hint: "A photo with several people", media: IMAGES, limits, onChange: showFaces });
  const options = optionFields(ctx.options, { media: "image", faceMode: false });
  // the order and the filters renumber the faces: find them again as the swap will number them
  options.element.addEventListener("change", (event) => {
    if (SELECTION_FIELDS.includes(event.target.name) && target.file) showFaces(target.file, true);
  });
  const submit = submitArea("Swap the faces");
  const form = h("form", { class: "swap-form", novalidate: true }, h("div", { class: "inputs single" }, target.element), mapping, options.element, submit.element);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.run(async () => {
      if (!target.file) throw needs("Pick the group photo first.", "Drop it on \u201cGroup photo\u201d or choose a file.");
      const chosen = [...(grid?.assignments() ?? new Map())];
      if (!chosen.length) throw needs("Give at least one person a new face.", "Drop a face photo on one of the faces found.");
      const wf = options.values();
      wf.target_url = await uploads.fileId(target.file);
      wf.source_urls = await Promise.all(chosen.map(([, file]) => uploads.fileId(file)));
      wf.mapping = Object.fromEntries(chosen.map(([face], index) => [String(index), face]));
      if (drawn.length) wf.extra_faces = drawn;
      const people = chosen.length === 1 ? "1 person" : `${chosen.length} people`;
      await ctx.start(wf, { kind: "group", title: `Group swap (${people}) \u00b7 ${target.file.name}`, targetName: target.file.name });
    });
  });
  return h("div", { class: "view" }, pageHead("Swap faces in a group photo", "Pick a photo with several people; the faces found appear on it and below, numbered left to right (or in the order chosen under Advanced). Draw a box around anyone who was missed."), form);
}
