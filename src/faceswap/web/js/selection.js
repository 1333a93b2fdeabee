// Which faces a swap chooses from (part of the Advanced section): the order of the target's faces and
// the face filters (gender, age, race; they need the fairface model), built from GET /api/options.
import { h, uid } from "./dom.js";
import { installNote, notInstalled } from "./installed.js";
import { select } from "./options.js";

const ORDER_LABELS = {
  "": "Default (largest face; numbered left to right)",
  "left-right": "Left to right",
  "right-left": "Right to left",
  "top-bottom": "Top to bottom",
  "bottom-top": "Bottom to top",
  "small-large": "Smallest first",
  "large-small": "Largest first",
  "best-worst": "Clearest first",
  "worst-best": "Least clear first",
};
const GENDER_LABELS = { "": "Anyone", female: "Women", male: "Men" };
const RACE_LABELS = { "": "Anyone", white: "White", black: "Black", latino: "Latino", asian: "Asian", indian: "Indian", arabic: "Middle Eastern" };

/** The names of the fields whose change renumbers the faces found. */
export const SELECTION_FIELDS = ["face_order", "face_gender", "face_age_from", "face_age_to", "face_race"];

function ageInput(name, label, placeholder, max) {
  const id = uid(name);
  const field = h("input", { id, name, type: "number", min: 0, max, step: 1, placeholder, inputmode: "numeric" });
  return { element: h("div", { class: "age-bound" }, h("label", { htmlFor: id }, label), field), field };
}

/** The order and filter fields; `values()` gives face_order, face_gender, face_age, face_race when set. */
export function selectionFields(options) {
  const max = options.face_age?.max ?? 100;
  const order = select({ name: "face_order", label: "Order of the faces", values: ["", ...(options.face_order ?? [])], selected: "", labels: ORDER_LABELS });
  const gender = select({ name: "face_gender", label: "Only change", values: ["", ...(options.face_gender ?? [])], selected: "", labels: GENDER_LABELS });
  const race = select({ name: "face_race", label: "Only change (origin)", values: ["", ...(options.face_race ?? [])], selected: "", labels: RACE_LABELS });
  const from = ageInput("face_age_from", "Age from", "0", max - 1);
  const to = ageInput("face_age_to", "to (not included)", String(max), max);
  const classifier = Object.entries(options.models?.face_filters ?? {}).find(([, state]) => notInstalled(state));
  let note = h("small", {}, "Gender, age and origin are estimated by the fairface model, which must be installed.");
  if (classifier) {
    // the filters cannot work here: greyed out, with the command that installs the classifier
    note = installNote([[classifier[0], classifier[1].download]], "The face filters need the fairface model, which is not installed on this server");
    note.open = true;
    for (const field of [gender.field, race.field, from.field, to.field]) {
      field.disabled = true;
      field.setAttribute("aria-describedby", note.id);
    }
  }
  const element = h(
    "fieldset",
    { class: "face-selection" },
    h("legend", {}, "Which faces"),
    order.element,
    gender.element,
    h("div", { class: "age-range" }, from.element, to.element),
    race.element,
    note,
  );
  function values() {
    const out = {};
    if (order.field.value) out.face_order = order.field.value;
    if (gender.field.value) out.face_gender = gender.field.value;
    if (race.field.value) out.face_race = race.field.value;
    if (from.field.value !== "" || to.field.value !== "") {
      out.face_age = [from.field.value === "" ? 0 : Number(from.field.value), to.field.value === "" ? max : Number(to.field.value)];
    }
    return out;
  }
  return { element, values };
}
