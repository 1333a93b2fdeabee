// Choices whose models are not installed on this server (GET /api/options `models`): greyed out where they
// are offered, with the one command that installs each (every missing model named at once). A server that
// cannot tell (no models folder of its own: `installed` null) greys out nothing.
import { h, uid } from "./dom.js";

/** Whether `state` (one entry of `options.models[field]`) is known to be missing. */
export const notInstalled = (state) => state?.installed === false;

/** A note listing `missing` ([label, command] pairs): the summary (by default "N choices are not installed
 * on this server") stays visible, the commands one click away. */
export function installNote(missing, summary = null) {
  const count = missing.length === 1 ? "1 choice is" : `${missing.length} choices are`;
  return h(
    "details",
    { class: "install-note", id: uid("install") },
    h("summary", {}, summary ?? `${count} not installed on this server (greyed out)`),
    h("p", {}, "Whoever runs the server installs it with:"),
    h("ul", {}, missing.map(([label, command]) => h("li", {}, `${label}: `, h("code", {}, command)))),
  );
}

/** Greys out the options of `select` ({element, field}, see options.js) whose models are not installed:
 * disabled (the one selected stays selectable, so the form keeps its value), "not installed" in the text,
 * the command as their title, and a note under the select. `labels` name the values in the note. */
export function markInstalled(select, availability = {}, labels = {}) {
  const missing = [];
  for (const option of select.field.options) {
    const state = availability[option.value];
    if (!notInstalled(state)) continue;
    option.textContent = `${option.textContent} \u2014 not installed`;
    option.title = state.download;
    option.dataset.installed = "false";
    if (!option.selected) option.disabled = true;
    missing.push([labels[option.value] ?? option.value, state.download]);
  }
  if (!missing.length) return select;
  const note = installNote(missing);
  select.field.setAttribute("aria-describedby", note.id);
  select.element.append(note);
  return select;
}
