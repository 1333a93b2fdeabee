// Option fields built from GET /api/options (the server's Literal choices), with readable labels.
import { advancedFields } from "./advanced.js";
import { h, uid } from "./dom.js";
import { markInstalled } from "./installed.js";

const LABELS = {
  engine: {
    auto: "Best installed",
    classic: "Classic (offline)",
    inswapper_128: "InSwapper 128",
    inswapper_128_fp16: "InSwapper 128 (half precision)",
    hyperswap_1a_256: "HyperSwap 1a 256",
    hyperswap_1b_256: "HyperSwap 1b 256",
    hyperswap_1c_256: "HyperSwap 1c 256",
    simswap_256: "SimSwap 256",
    simswap_unofficial_512: "SimSwap 512 (unofficial)",
    ghost_1_256: "GHOST 1 256",
    ghost_2_256: "GHOST 2 256",
    ghost_3_256: "GHOST 3 256",
    hififace_unofficial_256: "HifiFace 256 (unofficial)",
    blendswap_256: "BlendSwap 256",
    uniface_256: "UniFace 256",
  },
  enhancer: {
    none: "None",
    "gfpgan_1.4": "GFPGAN 1.4",
    codeformer: "CodeFormer",
    restoreformer_plus_plus: "RestoreFormer++",
    "gfpgan_1.2": "GFPGAN 1.2",
    "gfpgan_1.3": "GFPGAN 1.3",
    gpen_bfr_256: "GPEN 256",
    gpen_bfr_512: "GPEN 512",
    gpen_bfr_1024: "GPEN 1024",
    gpen_bfr_2048: "GPEN 2048",
  },
  face_mode: { one: "The largest face", many: "Every face", reference: "One chosen person" },
  format: { "": "Same as the original", jpeg: "JPEG", png: "PNG", webp: "WebP", bmp: "BMP", gif: "GIF", mp4: "MP4", mov: "MOV", mkv: "MKV", webm: "WebM" },
};

/** A labelled <select> of `values`; `labels` maps values to words (unknown values show as they are). */
export function select({ name, label, values, selected, labels = {} }) {
  const id = uid(name);
  const field = h(
    "select",
    { id, name },
    values.map((value) => h("option", { value, selected: value === selected ? true : null }, labels[value] ?? value)),
  );
  return { element: h("div", { class: "field" }, h("label", { htmlFor: id }, label), field), field };
}

/** Engine labels: each swapper's name with its licence (licences per model file: every neural engine also
 * runs the non-commercial ArcFace, see the README); markInstalled adds "not installed". */
export function engineLabels(options) {
  const labels = { ...LABELS.engine };
  for (const swapper of options.swappers ?? []) {
    const name = LABELS.engine[swapper.name] ?? swapper.name;
    const licence = swapper.licence.split(" (")[0];
    labels[swapper.name] = `${name} (${licence})`;
  }
  return labels;
}

/** Whether the models of each value of choice `field` are installed (GET /api/options `models`). */
export const availability = (options, field) => options.models?.[field] ?? {};

/** The options of a swap: engine, enhancer, face mode (unless `faceMode` is false), output format. */
export function optionFields(options, { media, faceMode = true, onFaceMode = () => {} }) {
  const defaults = options.defaults ?? {};
  const fields = {
    model: markInstalled(select({ name: "model", label: "Engine", values: options.engine, selected: defaults.engine, labels: engineLabels(options) }), availability(options, "engine"), LABELS.engine),
    enhancer: markInstalled(select({ name: "enhancer", label: "Enhance faces", values: options.enhancer, selected: defaults.enhancer, labels: LABELS.enhancer }), availability(options, "enhancer"), LABELS.enhancer),
    output_format: select({
      name: "output_format",
      label: "Output format",
      values: ["", ...(media === "video" ? options.video_format : options.image_format)],
      selected: "",
      labels: LABELS.format,
    }),
  };
  if (faceMode) {
    fields.face_mode = select({ name: "face_mode", label: "Faces to change", values: options.face_mode, selected: defaults.face_mode ?? "one", labels: LABELS.face_mode });
    fields.face_mode.field.addEventListener("change", () => onFaceMode(fields.face_mode.field.value));
  }
  const advanced = advancedFields(options);
  const element = h("fieldset", { class: "options" }, h("legend", {}, "Options"), Object.values(fields).map((f) => f.element), advanced.element);
  function values() {
    const out = { ...advanced.values() };
    for (const [key, { field }] of Object.entries(fields)) if (field.value) out[key] = field.value;
    return out;
  }
  return { element, values, fields };
}
