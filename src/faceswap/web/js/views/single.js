// The photo and video views: one face onto a target photo or video, with options and a reference person.
import { dropzone, IMAGES, uploadLimits, VIDEOS } from "../dropzone.js";
import { Uploads } from "../api.js";
import { h } from "../dom.js";
import { optionFields } from "../options.js";
import { previewArea } from "../preview.js";
import { needs, pageHead, referencePicker, submitArea } from "./common.js";

const KINDS = {
  photo: {
    title: "Swap a face in a photo",
    intro: "Pick a photo of the face to use and the photo to change. The largest face is replaced unless you choose otherwise.",
    target: ["Photo to change", "JPEG, PNG, WebP, GIF or BMP", IMAGES],
    start: "Swap the face",
    task: "Photo swap",
  },
  video: {
    title: "Swap a face in a video",
    intro: "Pick a photo of the face to use and the video to change. Long videos take a while: follow them in the task list and keep using the page.",
    target: ["Video to change", "MP4, MOV, WebM, MKV or AVI", VIDEOS],
    start: "Swap the face in the video",
    task: "Video swap",
  },
};

export function singleView(ctx, kind) {
  const text = KINDS[kind];
  const uploads = new Uploads();
  const reference = referencePicker(ctx, uploads);
  const limits = uploadLimits(ctx.options);
  const source = dropzone({ name: "source", label: "Face to use", hint: "A clear photo of one face", media: IMAGES, limits });
  const target = dropzone({
    name: "target",
    limits,
    label: text.target[0],
    hint: text.target[1],
    media: text.target[2],
    onChange: (file) => {
      reference.refresh(file, options.values().model);
      preview.target(file);
    },
  });
  const options = optionFields(ctx.options, {
    media: kind === "video" ? "video" : "image",
    onFaceMode: (mode) => { reference.show(mode === "reference"); reference.refresh(target.file, options.values().model); },
  });
  const submit = submitArea(text.start);

  /** The form's wf_json, checked and with its files uploaded (once each): for a start or a preview. */
  async function collect() {
    if (!source.file) throw needs("Pick a photo of the face to use.", "Drop it on \u201cFace to use\u201d or choose a file.");
    if (!target.file) throw needs(`Pick the ${kind} to change.`, `Drop it on \u201c${text.target[0]}\u201d or choose a file.`);
    const wf = options.values();
    if (wf.face_mode === "reference") {
      const face = reference.picked();
      if (!face) throw needs("Pick the person to replace.", "Choose one of the faces found in the target.");
      wf.reference_url = face.file_id;
    }
    wf.source_url = await uploads.fileId(source.file);
    wf.target_url = await uploads.fileId(target.file);
    return wf;
  }

  const preview = previewArea({ kind, collect });
  const form = h("form", { class: "swap-form", novalidate: true }, h("div", { class: "inputs" }, source.element, target.element), options.element, reference.element, preview.element, submit.element);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.run(async () => {
      const wf = await collect();
      await ctx.start(wf, { kind, title: `${text.task} \u00b7 ${target.file.name}`, targetName: target.file.name });
    });
  });
  return h("div", { class: "view" }, pageHead(text.title, text.intro), form);
}
