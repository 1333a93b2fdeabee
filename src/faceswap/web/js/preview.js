// "Preview": one frame swapped with the form's options before the whole swap starts (POST /api/preview).
// For a video, a slider picks the moment (the page reads the video's length from a <video> element); the
// server swaps the frame shown then, scaled to at most 1280 px, and answers it inline as a JPEG.
import { api } from "./api.js";
import { announce, formatSeconds, h, uid } from "./dom.js";
import { errorBox } from "./errors.js";

const STEP_S = 0.1;

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** What the preview shows in words ("1 of 1 face changed · classic · 1.2 s"). */
export function previewSummary(data) {
  const parts = [`${data.faces_swapped} of ${plural(data.faces_found, "face")} changed`, data.engine];
  if (data.enhancer) parts.push(`enhanced with ${data.enhancer}`);
  if (data.downscaled) parts.push(`shown at ${data.width}\u00d7${data.height}`);
  parts.push(formatSeconds(data.processing_time));
  return parts.join(" \u00b7 ");
}

/**
 * The preview block of a swap form. `collect()` checks the form and resolves to its wf_json (inputs
 * uploaded), as a start would; `kind` is "photo" or "video". `target(file)` tells it the target changed.
 */
export function previewArea({ kind, collect }) {
  const isVideo = kind === "video";
  const sliderId = uid("preview-time");
  const slider = h("input", {
    type: "range",
    id: sliderId,
    name: "preview_time",
    min: "0",
    max: "0",
    step: String(STEP_S),
    value: "0",
    disabled: true,
    class: "preview-slider",
  });
  const at = h("output", { htmlFor: sliderId, class: "preview-at" }, "");
  const button = h("button", { type: "button", class: "preview-button" }, "Preview");
  const status = h("div", { class: "preview-status", "aria-live": "polite" });
  const shown = h("div", { class: "preview-shown" });
  let duration = 0;
  let probe = null;
  let asked = 0;

  function describeTime() {
    const seconds = Number(slider.value);
    const text = duration ? `${formatSeconds(seconds)} of ${formatSeconds(duration)}` : "";
    at.textContent = text;
    slider.setAttribute("aria-valuetext", text || "no video yet");
  }

  function clear() {
    asked += 1; // an answer still on its way is for the old target: dropped
    shown.replaceChildren();
    status.replaceChildren();
  }

  function target(file) {
    clear();
    if (!isVideo) return;
    if (probe) URL.revokeObjectURL(probe.src);
    probe = null;
    duration = 0;
    slider.disabled = true;
    slider.max = "0";
    slider.value = "0";
    describeTime();
    if (!file) return;
    probe = h("video", { preload: "metadata", muted: true });
    probe.addEventListener("loadedmetadata", () => {
      duration = Number.isFinite(probe.duration) ? probe.duration : 0;
      // the last moment that still shows a frame
      slider.max = String(Math.max(0, Math.floor((duration - STEP_S / 2) / STEP_S) * STEP_S).toFixed(1));
      slider.disabled = duration <= 0;
      describeTime();
    });
    probe.src = URL.createObjectURL(file);
  }

  async function run() {
    const ticket = ++asked;
    shown.replaceChildren();
    status.replaceChildren(h("p", { class: "busy" }, "Making a preview\u2026"));
    button.disabled = true;
    try {
      const wf = await collect();
      if (isVideo) wf.time_s = Number(slider.value);
      const data = await api.preview(wf);
      if (ticket !== asked) return;
      const where = isVideo ? ` at ${formatSeconds(data.time_s ?? 0)}` : "";
      const summary = previewSummary(data);
      status.replaceChildren(h("p", { class: "preview-facts", dataset: { frame: data.frame ?? "" } }, `Preview${where}: ${summary}`));
      shown.replaceChildren(
        h(
          "figure",
          { class: "preview-figure" },
          h("img", { src: data.image, alt: `Preview of the swap${where}`, class: "preview-image", width: data.width, height: data.height }),
          h("figcaption", {}, data.downscaled ? "Shown scaled down; the swap itself works at full size." : "Only a preview: the swap itself starts with the button below."),
        ),
      );
      announce(`Preview ready${where}: ${summary}.`);
    } catch (error) {
      if (ticket !== asked) return;
      status.replaceChildren(errorBox(error));
    } finally {
      if (ticket === asked) button.disabled = false;
    }
  }

  slider.addEventListener("input", describeTime);
  button.addEventListener("click", run);
  describeTime();
  const chooser = isVideo
    ? h("div", { class: "field preview-time" }, h("label", { htmlFor: sliderId }, "Frame to preview"), slider, at)
    : null;
  const element = h(
    "section",
    { class: "preview-area", "aria-label": "Preview" },
    h("h2", {}, "Preview"),
    h("p", { class: "intro" }, isVideo ? "See one frame swapped before you start: pick the moment, then Preview." : "See the swap before you start."),
    h("div", { class: "preview-controls" }, chooser, button),
    status,
    shown,
  );
  return { element, target, clear, run };
}
