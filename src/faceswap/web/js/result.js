// The result of a finished swap: before/after comparison, download, engine, models and time.
import { fileUrl } from "./api.js";
import { formatBytes, formatSeconds, h, uid } from "./dom.js";

/** Before/after comparison: the result underneath, the original clipped to the divider. The slider's track
 * spans exactly the image (its thumb sits on the divider); dragging on the picture moves the divider too;
 * "Show the original" / "Show the result" shows either one whole. `start`: the divider's first position in
 * percent (0: the whole result). */
export function compareImages(beforeUrl, afterUrl, { start = 50 } = {}) {
  const id = uid("compare");
  const before = h("img", { src: beforeUrl, alt: "Original", class: "compare-before", draggable: "false" });
  const after = h("img", { src: afterUrl, alt: "Result", class: "compare-after", draggable: "false" });
  const stage = h("div", { class: "compare-stage" }, after, h("div", { class: "compare-clip" }, before), h("span", { class: "tag tag-left", "aria-hidden": "true" }, "Before"), h("span", { class: "tag tag-right", "aria-hidden": "true" }, "After"));
  const slider = h("input", { type: "range", id, min: "0", max: "100", value: String(start), class: "compare-slider" });
  const whole = h("button", { type: "button", class: "secondary compare-whole", "aria-pressed": "false" }, "Show the original");
  const move = () => {
    stage.style.setProperty("--pos", `${slider.value}%`);
    const original = slider.value === slider.max;
    whole.setAttribute("aria-pressed", String(original));
    whole.textContent = original ? "Show the result" : "Show the original";
  };
  const seek = (event) => {
    const box = stage.getBoundingClientRect();
    const share = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    slider.value = String(Math.round(share * 100));
    move();
  };
  stage.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    stage.setPointerCapture(event.pointerId);
    seek(event);
  });
  stage.addEventListener("pointermove", (event) => { if (stage.hasPointerCapture(event.pointerId)) seek(event); });
  slider.addEventListener("input", move);
  whole.addEventListener("click", () => {
    slider.value = whole.getAttribute("aria-pressed") === "true" ? slider.min : slider.max;
    move();
  });
  move();
  return h(
    "div",
    { class: "compare" },
    h("div", { class: "compare-tools" }, whole),
    h("div", { class: "compare-frame" }, stage, slider),
    h("label", { htmlFor: id, class: "compare-label" }, "Slide to compare the original (left) with the result (right), or drag on the picture"),
  );
}

/** Keeps two videos together: playing, pausing, seeking or changing the speed of one does the same to the
 * other (the echo of each change finds the other already there and stops). */
export function syncVideos(first, second) {
  const mirror = (from, to) => {
    from.addEventListener("play", () => { if (to.paused) to.play().catch(() => {}); });
    from.addEventListener("pause", () => { if (!to.paused) to.pause(); });
    from.addEventListener("seeking", () => { if (Math.abs(to.currentTime - from.currentTime) > 0.05) to.currentTime = from.currentTime; });
    from.addEventListener("ratechange", () => { if (to.playbackRate !== from.playbackRate) to.playbackRate = from.playbackRate; });
  };
  mirror(first, second);
  mirror(second, first);
}

/** Videos side by side (or one at a time with a toggle), played, paused and seeked together. */
export function compareVideos(beforeUrl, afterUrl) {
  const beforeVideo = h("video", { src: beforeUrl, controls: true, muted: true, preload: "metadata" });
  const afterVideo = h("video", { src: afterUrl, controls: true, preload: "metadata" });
  syncVideos(beforeVideo, afterVideo);
  const before = h("figure", {}, beforeVideo, h("figcaption", {}, "Original"));
  const after = h("figure", {}, afterVideo, h("figcaption", {}, "Result"));
  const stage = h("div", { class: "video-compare side-by-side" }, before, after);
  const toggle = h("button", { type: "button", class: "secondary", hidden: true }, "Show the original");
  const mode = h("button", { type: "button", class: "secondary", "aria-pressed": "false" }, "One at a time");
  let showingOriginal = false;
  const refresh = () => {
    const single = mode.getAttribute("aria-pressed") === "true";
    stage.classList.toggle("side-by-side", !single);
    toggle.hidden = !single;
    before.hidden = single && !showingOriginal;
    after.hidden = single && showingOriginal;
    toggle.textContent = showingOriginal ? "Show the result" : "Show the original";
  };
  mode.addEventListener("click", () => { mode.setAttribute("aria-pressed", String(mode.getAttribute("aria-pressed") !== "true")); refresh(); });
  toggle.addEventListener("click", () => { showingOriginal = !showingOriginal; refresh(); });
  refresh();
  return h("div", { class: "compare" }, h("div", { class: "compare-tools" }, mode, toggle), stage);
}

function facts(result) {
  const rows = [
    ["Engine", result.engine],
    ["Models", (result.models ?? []).join(", ") || "none (classic)"],
    ["Enhancer", result.enhancer ?? "none"],
    ["Upscaled with", result.upscale ?? null],
    ["Faces changed", result.faces_swapped != null ? `${result.faces_swapped}${result.faces_found != null ? ` of ${result.faces_found}` : ""}` : null],
    ["Size", result.width ? `${result.width} \u00d7 ${result.height}` : null],
    ["Frames", result.frames],
    ["Processing time", formatSeconds(result.processing_time)],
    ["File", `${result.content_type ?? ""} \u00b7 ${formatBytes(result.size)}`],
  ].filter(([, value]) => value != null && value !== "");
  return h("dl", { class: "facts" }, rows.map(([term, value]) => [h("dt", {}, term), h("dd", { dataset: { fact: term.toLowerCase() } }, String(value))]));
}

/** The result's file name: the target's own name with "-swapped" and the result's extension
 * (astronaut.png -> astronaut-swapped.png); the task id's start when the target's name is not known. */
export function downloadName(entry) {
  const extension = String(entry.result?.file_id ?? entry.result?.output_url ?? "").split("?")[0].split(".").pop();
  const stem = String(entry.targetName ?? "").replace(/\.[^.]*$/, "").replace(/[^\w.-]+/g, "-").replace(/^[-.]+|-+$/g, "");
  return `${stem || `faceswap-${entry.id.slice(0, 8)}`}-swapped.${extension}`;
}

/** ``url`` asking the API to name the saved file (its Content-Disposition wins over `download`); a
 * storage's own URL (presigned, public) is left as it is. */
export function namedUrl(url, entry) {
  const parsed = new URL(url, location.href);
  if (parsed.origin !== location.origin || !parsed.pathname.startsWith("/api/download/")) return url;
  parsed.searchParams.set("name", downloadName(entry));
  return parsed.href;
}

/** The whole result section of a COMPLETED entry. */
export function resultView(entry) {
  const result = entry.result;
  const afterUrl = fileUrl(result.output_url);
  const beforeUrl = fileUrl(entry.targetUrl);
  const video = result.kind === "video" || String(result.content_type).startsWith("video/");
  // a group photo's changed faces may all sit on one side of a 50 % split: it starts on the whole result
  const start = entry.kind === "group" ? 0 : 50;
  const comparison = beforeUrl ? (video ? compareVideos(beforeUrl, afterUrl) : compareImages(beforeUrl, afterUrl, { start })) : h("img", { src: afterUrl, alt: "Result" });
  return h(
    "section",
    { class: "result", "aria-labelledby": "result-title" },
    h("h2", { id: "result-title" }, "Result"),
    comparison,
    h("p", { class: "actions" }, h("a", { class: "button primary", href: namedUrl(afterUrl, entry), download: downloadName(entry) }, "Download the result")),
    facts(result),
  );
}
