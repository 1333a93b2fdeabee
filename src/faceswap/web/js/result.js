// The result of a finished swap: before/after comparison, download, engine, models and time.
import { fileUrl } from "./api.js";
import { formatBytes, formatSeconds, h, uid } from "./dom.js";

/** Before/after slider: the result underneath, the original clipped to the slider's position. */
export function compareImages(beforeUrl, afterUrl) {
  const id = uid("compare");
  const before = h("img", { src: beforeUrl, alt: "Original", class: "compare-before" });
  const after = h("img", { src: afterUrl, alt: "Result", class: "compare-after" });
  const stage = h("div", { class: "compare-stage" }, after, h("div", { class: "compare-clip" }, before), h("span", { class: "tag tag-left", "aria-hidden": "true" }, "Before"), h("span", { class: "tag tag-right", "aria-hidden": "true" }, "After"));
  const slider = h("input", { type: "range", id, min: "0", max: "100", value: "50", class: "compare-slider" });
  const move = () => stage.style.setProperty("--pos", `${slider.value}%`);
  slider.addEventListener("input", move);
  move();
  return h("div", { class: "compare" }, stage, h("label", { htmlFor: id, class: "compare-label" }, "Slide to compare the original (left) with the result (right)"), slider);
}

/** Videos side by side, or one at a time with a toggle. */
export function compareVideos(beforeUrl, afterUrl) {
  const before = h("figure", {}, h("video", { src: beforeUrl, controls: true, muted: true, preload: "metadata" }), h("figcaption", {}, "Original"));
  const after = h("figure", {}, h("video", { src: afterUrl, controls: true, preload: "metadata" }), h("figcaption", {}, "Result"));
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
  const comparison = beforeUrl ? (video ? compareVideos(beforeUrl, afterUrl) : compareImages(beforeUrl, afterUrl)) : h("img", { src: afterUrl, alt: "Result" });
  return h(
    "section",
    { class: "result", "aria-labelledby": "result-title" },
    h("h2", { id: "result-title" }, "Result"),
    comparison,
    h("p", { class: "actions" }, h("a", { class: "button primary", href: namedUrl(afterUrl, entry), download: downloadName(entry) }, "Download the result")),
    facts(result),
  );
}
