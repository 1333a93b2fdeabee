// The "Advanced" options of a swap (pixel boost, identity strength, mask, landmarks, rotated faces, kept
// mouth, enhancer blend and CodeFormer's fidelity, upscale and its blend, which faces: order and filters),
// built from GET /api/options; only values that differ from the defaults are sent.
import { h, uid } from "./dom.js";
import { markInstalled, notInstalled } from "./installed.js";
import { availability, select } from "./options.js";
import { selectionFields } from "./selection.js";

const MASK_LABELS = { box: "Box", occlusion: "Keep what covers the face (hands, hair, glasses)", region: "Only skin and features", area: "Face areas (landmarks)" };
const UPSCALE_LABELS = {
  none: "Off (original size)",
  real_esrgan_x2: "Real-ESRGAN x2",
  real_esrgan_x2_fp16: "Real-ESRGAN x2 (half precision)",
  real_esrgan_x4: "Real-ESRGAN x4",
  real_esrgan_x4_fp16: "Real-ESRGAN x4 (half precision)",
  span_kendata_x4: "SPAN x4 (fast)",
};
const OCCLUDER_LABELS = { xseg_1: "XSeg 1", xseg_2: "XSeg 2", xseg_3: "XSeg 3" };
const PARSER_LABELS = { bisenet_resnet_18: "BiSeNet ResNet-18 (faster)", bisenet_resnet_34: "BiSeNet ResNet-34" };
const LANDMARKER_LABELS = { none: "From the detector (5 points)", "2dfan4": "2DFAN4 (68 points, better alignment)" };
/** The mask types that need a model, and the choice field naming it. */
const MASK_MODELS = { occlusion: "occluder", region: "face_parser" };
const BOOST_LABELS = { native: "Off (model size)", 128: "128 px", 256: "256 px", 512: "512 px", 768: "768 px", 1024: "1024 px" };

function slider({ name, label, min, max, step, value, hint }) {
  const id = uid(name);
  const output = h("output", { htmlFor: id }, String(value));
  const field = h("input", { id, name, type: "range", min, max, step, value: String(value), "aria-describedby": `${id}-hint` });
  field.addEventListener("input", () => { output.textContent = field.value; });
  const element = h("div", { class: "field" }, h("label", { htmlFor: id }, label, " ", output), field, h("small", { id: `${id}-hint` }, hint));
  return { element, field, initial: String(value) };
}

function checkbox({ name, label, checked = false }) {
  const id = uid(name);
  const field = h("input", { id, name, type: "checkbox", value: name, checked });
  return { element: h("div", { class: "check" }, field, h("label", { htmlFor: id }, label)), field };
}

/** A model mask none of whose models is installed (every option of `models`, its model's select, greyed
 * out): its checkbox off, disabled, "not installed", described by that select's note. */
function markMask(mask, models, options) {
  const states = Object.values(availability(options, MASK_MODELS[mask.type]));
  if (!states.length || !states.every(notInstalled)) return;
  mask.field.checked = false;
  mask.field.disabled = true;
  mask.field.setAttribute("aria-describedby", models.field.getAttribute("aria-describedby"));
  mask.element.classList.add("not-installed");
  mask.element.querySelector("label").append(" \u2014 not installed");
}

/** The Advanced section; `values()` gives the task parameters that differ from the defaults. */
export function advancedFields(options) {
  const boost = select({ name: "pixel_boost", label: "Pixel boost (sharper large faces, slower)", values: options.pixel_boost ?? ["native"], selected: "native", labels: BOOST_LABELS });
  const weight = slider({ name: "swapper_weight", label: "Identity strength", min: 0, max: 1, step: 0.05, value: 1, hint: "1: the source's face; lower keeps more of the original person." });
  const blur = slider({ name: "mask_blur", label: "Edge softness", min: 0, max: 1, step: 0.05, value: 0.3, hint: "How soft the edge of the pasted face is." });
  const blend = slider({ name: "enhancer_blend", label: "Enhancer blend", min: 0, max: 1, step: 0.05, value: 0.8, hint: "How much of the enhanced face is kept (with an enhancer)." });
  const defaults = options.defaults ?? {};
  const fidelity = slider({ name: "enhancer_weight", label: "CodeFormer fidelity", min: 0, max: 1, step: 0.05, value: defaults.enhancer_weight ?? 1, hint: "With CodeFormer: 0 favours quality, 1 the original face." });
  const upscale = markInstalled(select({ name: "upscale", label: "Upscale the whole result", values: options.upscale ?? ["none"], selected: defaults.upscale ?? "none", labels: UPSCALE_LABELS }), availability(options, "upscale"), UPSCALE_LABELS);
  const upscaleBlend = slider({ name: "upscale_blend", label: "Upscale blend", min: 0, max: 1, step: 0.05, value: defaults.upscale_blend ?? 1, hint: "How much of the upscaler's picture is kept (the rest a plain resize)." });
  const masks = (options.mask_types ?? ["box"]).map((type) => ({ type, ...checkbox({ name: `mask-${type}`, label: MASK_LABELS[type] ?? type, checked: type === "box" }) }));
  const occluder = markInstalled(select({ name: "occluder", label: "Occlusion model", values: options.occluder ?? [], selected: defaults.occluder, labels: OCCLUDER_LABELS }), availability(options, "occluder"), OCCLUDER_LABELS);
  const parser = markInstalled(select({ name: "face_parser", label: "Face parser (skin and features)", values: options.face_parser ?? [], selected: defaults.face_parser, labels: PARSER_LABELS }), availability(options, "face_parser"), PARSER_LABELS);
  const maskModels = { occlusion: occluder, region: parser };
  for (const mask of masks) if (maskModels[mask.type]) markMask(mask, maskModels[mask.type], options);
  const mouth = checkbox({ name: "keep_mouth", label: "Keep the original mouth (needs face landmarks)" });
  const landmarker = markInstalled(select({ name: "landmarker", label: "Face landmarks", values: options.landmarker ?? ["none"], selected: options.defaults?.landmarker ?? "none", labels: LANDMARKER_LABELS }), availability(options, "landmarker"), LANDMARKER_LABELS);
  const rotated = checkbox({ name: "detector_angles", label: "Also find faces turned sideways or upside down" });
  const maskGroup = h("fieldset", { class: "masks" }, h("legend", {}, "Mask"), masks.map((m) => m.element), occluder.element, parser.element);
  const faces = selectionFields(options);
  const element = h(
    "details",
    { class: "advanced" },
    h("summary", {}, "Advanced"),
    h("div", { class: "advanced-fields" }, boost.element, weight.element, blur.element, blend.element, fidelity.element, upscale.element, upscaleBlend.element, landmarker.element, maskGroup, mouth.element, rotated.element, faces.element),
  );
  function values() {
    const out = { ...faces.values() };
    if (boost.field.value && boost.field.value !== "native") out.pixel_boost = boost.field.value;
    if (weight.field.value !== weight.initial) out.swapper_weight = Number(weight.field.value);
    if (blur.field.value !== blur.initial) out.mask_blur = Number(blur.field.value);
    if (blend.field.value !== blend.initial) out.enhancer_blend = Number(blend.field.value);
    if (fidelity.field.value !== fidelity.initial) out.enhancer_weight = Number(fidelity.field.value);
    if (upscale.field.value && upscale.field.value !== (defaults.upscale ?? "none")) out.upscale = upscale.field.value;
    if (upscaleBlend.field.value !== upscaleBlend.initial) out.upscale_blend = Number(upscaleBlend.field.value);
    const chosen = masks.filter((m) => m.field.checked).map((m) => m.type);
    if (chosen.length && (chosen.length !== 1 || chosen[0] !== "box")) out.mask_types = chosen;
    if (mouth.field.checked) out.keep_mouth = true;
    if (landmarker.field.value && landmarker.field.value !== (options.defaults?.landmarker ?? "none")) out.landmarker = landmarker.field.value;
    if (occluder.field.value && occluder.field.value !== defaults.occluder) out.occluder = occluder.field.value;
    if (parser.field.value && parser.field.value !== defaults.face_parser) out.face_parser = parser.field.value;
    if (rotated.field.checked) out.detector_angles = [0, 90, 180, 270];
    return out;
  }
  return { element, values };
}
