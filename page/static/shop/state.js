// The page's state and its words. Gradio's gr.HTML runs the files as one function (`js_on_load`): `element` is the
// page, `props.labels` its words by language, `props.shop` the constants Python owns (page/shopper.py), `server`
// the calls of page/shopper_calls.py.

/** @param {string} selector @returns {HTMLElement} */
const $ = (selector) => /** @type {HTMLElement} */ (element.querySelector(selector));
/** @param {string} selector @returns {HTMLElement[]} */
const $$ = (selector) => [...element.querySelectorAll(selector)].map((node) => /** @type {HTMLElement} */ (node));
const SHOP = props.shop;
const PHONE = window.matchMedia('(max-width: 768px)');

/**
 * What the page holds: the shopper's photo (a data URL) and the part of it searched, the language, the product
 * whose details are open and the picture its card showed, the items found in the photo.
 * @type {{lang: string, photo: string | null, name: string, part: number[] | null, corner: [number, number] | null,
 *   selected: string | null, selectedPicture: string | null, searched: boolean, status: string, chips: Chip[],
 *   items: ItemRow[], stream: MediaStream | null}}
 */
const page = {
  lang: 'en', photo: null, name: 'photo', part: null, corner: null, selected: null, selectedPicture: null,
  searched: false, status: '', chips: [], items: [], stream: null,
};
const searches = newestGuard();
// Random for this tab, and nothing else: it ties a shopper's opens to their searches for the product team's figures
const TOKEN = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');

/** The page's words in the shopper's language. @param {string} key @param {Record<string, string | number>} values */
const say = (key, values = {}) => fill(props.labels[page.lang]?.[key] ?? props.labels.en[key] ?? key, values);
// The few messages with Markdown in them (**Whole photo**) are shown bold, the rest as text
const sayHtml = (/** @type {string} */ key) => escapeHtml(say(key)).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
const show = (/** @type {HTMLElement} */ node, /** @type {boolean} */ shown) => { node.hidden = !shown; };

/** @returns {string[]} the recent views this browser keeps */
function viewed() {
  try { return JSON.parse(localStorage.getItem(SHOP.history_key) || '[]'); } catch { return []; }
}
/** @param {string} selector @returns {HTMLInputElement} */
const input = (selector) => /** @type {HTMLInputElement} */ (element.querySelector(selector));
/** @param {string} selector @returns {HTMLImageElement} */
const picture = (selector) => /** @type {HTMLImageElement} */ (element.querySelector(selector));
/** @param {string} selector @returns {HTMLVideoElement} */
const video = (selector) => /** @type {HTMLVideoElement} */ (element.querySelector(selector));
/** What an event happened on, as an element. @param {Event} event @returns {HTMLElement} */
const targetOf = (event) => /** @type {HTMLElement} */ (event.target);
