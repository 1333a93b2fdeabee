// A running task's progress in words: its place in line, its stage, its frames, rate and time left.

export const STAGE_WORDS = {
  reading: "Reading the files",
  loading_engine: "Loading the engine",
  detecting: "Finding faces",
  swapping: "Swapping faces",
  enhancing: "Enhancing faces",
  upscaling: "Upscaling",
  encoding: "Encoding",
  saving: "Saving the result",
};

/** 1st, 2nd, 3rd, 4th ... 11th, 12th, 13th ... 21st. */
export function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th");
  return `${n}${suffix}`;
}

/** "about 20 s left", "about 3 min left", "about 1 h 5 min left". */
export function timeLeft(seconds) {
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s left`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min left`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.round((seconds - hours * 3600) / 60);
  return `about ${hours} h${minutes ? ` ${minutes} min` : ""} left`;
}

function rate(fps) {
  return `${fps >= 10 ? Math.round(fps) : fps.toFixed(1)} fps`;
}

/** The line under a task's progress bar: "Queued: 3rd in line", "Swapping frame 120 of 600 · 24 fps ·
 * about 20 s left", "Finding faces"; "" when the task is not waiting or running, or says nothing more. */
export function detailText(entry) {
  if (entry.status === "PENDING") return entry.queuePosition ? `Queued: ${ordinal(entry.queuePosition)} in line` : "";
  if (entry.status !== "PROCESSING") return "";
  if (entry.framesDone != null && entry.framesTotal) {
    const parts = [`Swapping frame ${entry.framesDone} of ${entry.framesTotal}`];
    if (entry.fps) parts.push(rate(entry.fps));
    if (entry.etaS != null) parts.push(timeLeft(entry.etaS));
    return parts.join(" \u00b7 ");
  }
  return STAGE_WORDS[entry.stage] ?? "";
}
