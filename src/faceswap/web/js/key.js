// The API key this browser uses: kept in localStorage, sent as `Authorization: Bearer` on the page's own
// calls and mirrored into a SameSite=Strict cookie for what the browser fetches by itself (result images,
// downloads, the events stream), which the server accepts on GET and HEAD only.
import { h, uid } from "./dom.js";

const STORAGE = "faceswap.apiKey";
const COOKIE = "faceswap_key";
const YEAR_S = 365 * 24 * 3600;
export const KEY_NEEDED = "faceswap:key-needed";

export function storedKey() {
  try {
    return localStorage.getItem(STORAGE) ?? "";
  } catch {
    return "";
  }
}

function setCookie(value, maxAge) {
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${COOKIE}=${encodeURIComponent(value)}; Path=/api; Max-Age=${maxAge}; SameSite=Strict${secure}`;
}

export function saveKey(key) {
  localStorage.setItem(STORAGE, key);
  setCookie(key, YEAR_S);
}

export function forgetKey() {
  localStorage.removeItem(STORAGE);
  setCookie("", 0);
}

/** Headers for the page's own API calls. */
export function authHeaders() {
  const key = storedKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** Tells the key form that the server refused the key (or wants one). */
export function keyNeeded(message) {
  window.dispatchEvent(new CustomEvent(KEY_NEEDED, { detail: { message } }));
}

/** The "API key" control of the page's header: a field, Save and Forget, and what the server said. */
export function keyForm({ required }) {
  const id = uid("api-key");
  const input = h("input", { id, type: "password", autocomplete: "off", spellcheck: "false", placeholder: "fsk_\u2026", value: storedKey() });
  const status = h("p", { class: "key-status", role: "status" });
  const panel = h("details", { class: "key" });
  const show = (text, problem = false) => {
    status.textContent = text;
    status.classList.toggle("problem", problem);
  };
  const describe = () => show(storedKey() ? "A key is saved in this browser." : required ? "This server needs an API key." : "This server does not need a key.", required && !storedKey());
  const save = (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return show("Paste the key you were given first.", true);
    saveKey(key);
    show("Saved in this browser. Start your swap again.");
    panel.open = false;
  };
  const forget = () => {
    forgetKey();
    input.value = "";
    describe();
  };
  panel.append(
    h("summary", {}, "API key"),
    h(
      "form",
      { class: "key-form", onSubmit: save },
      h("label", { htmlFor: id }, "API key"),
      input,
      h("button", { type: "submit", class: "primary" }, "Save"),
      h("button", { type: "button", onClick: forget }, "Forget"),
      status,
    ),
  );
  window.addEventListener(KEY_NEEDED, (event) => {
    show(event.detail?.message || "This server needs an API key: paste yours here.", true);
    panel.open = true;
    input.focus();
  });
  describe();
  if (required && !storedKey()) panel.open = true;
  return panel;
}
