// The multi-person view: pick a group photo, see its faces, drop a new face on each one to change.
import { Uploads } from "../api.js";
import { h } from "../dom.js";
import { dropzone, IMAGES, uploadLimits } from "../dropzone.js";
import { assignGrid } from "../faces.js";
import { optionFields } from "../options.js";
import { SELECTION_FIELDS } from "../selection.js";
import { findFaces, needs, pageHead, submitArea } from "./common.js";

export function groupView(ctx) {
  const uploads = new Uploads();
  const status = h("div", { class: "face-status" });
  const holder = h("div");
  const mapping = h("section", { class: "mapping", hidden: true, "aria-label": "Faces to change" }, h("h2", {}, "Who becomes whom?"), h("p", { class: "intro" }, "Drop a face photo on each person to change (or choose a file). People left empty keep their face."), status, holder);
  let grid = null;
  let asked = null;

  async function showFaces(file) {
    asked = file;
    grid = null;
    holder.replaceChildren();
    mapping.hidden = !file;
    if (!file) return;
    const { model, face_order, face_gender, face_age, face_race } = options.values();
    const faces = await findFaces(ctx, uploads, file, status, model, { face_order, face_gender, face_age, face_race });
    if (asked !== file || !faces?.length) return;
    grid = assignGrid(faces, { limits });
    holder.replaceChildren(grid.element);
  }

  const limits = uploadLimits(ctx.options);
  const target = dropzone({ name: "target", label: "Group photo", hint: "A photo with several people", media: IMAGES, limits, onChange: showFaces });
  const options = optionFields(ctx.options, { media: "image", faceMode: false });
  // the order and the filters renumber the faces: find them again as the swap will number them
  options.element.addEventListener("change", (event) => {
    if (SELECTION_FIELDS.includes(event.target.name) && target.file) showFaces(target.file);
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
      const people = chosen.length === 1 ? "1 person" : `${chosen.length} people`;
      await ctx.start(wf, { kind: "group", title: `Group swap (${people}) \u00b7 ${target.file.name}`, targetName: target.file.name });
    });
  });
  return h("div", { class: "view" }, pageHead("Swap faces in a group photo", "Pick a photo with several people; the faces found appear below, numbered left to right (or in the order chosen under Advanced)."), form);
}
