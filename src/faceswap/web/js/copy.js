// "Copy link": the address of a task's page (#/task/ID) to the clipboard, with "Copied" on the button.
import { announce, h } from "./dom.js";

const SHOWN_MS = 2000;

/** The address of task `id`'s page on this server. */
export function taskUrl(id) {
  return new URL(`#/task/${encodeURIComponent(id)}`, location.href).href;
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // no clipboard API (plain http on another host) or no permission: the old way
    const field = h("textarea", { class: "visually-hidden", readonly: true }, text);
    document.body.append(field);
    field.select();
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    } finally {
      field.remove();
    }
  }
}

/** A "Copy link" button for task `id` (`title` names it to screen readers); says "Copied" for a moment, or
 * shows the address to copy by hand when the browser refuses. */
export function copyLinkButton(id, title = "this task") {
  const label = "Copy link";
  const button = h("button", { type: "button", class: "copy-link", "aria-label": `${label} to ${title}` }, label);
  let timer = 0;
  button.addEventListener("click", async () => {
    const url = taskUrl(id);
    const copied = await copyText(url);
    button.textContent = copied ? "Copied" : "Copy failed";
    button.title = copied ? "" : url;
    announce(copied ? `Link to ${title} copied` : `The link could not be copied: ${url}`);
    clearTimeout(timer);
    timer = setTimeout(() => { button.textContent = label; }, SHOWN_MS);
  });
  return button;
}
