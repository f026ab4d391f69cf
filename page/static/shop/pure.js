// The shoppers' page's pure parts: no page, no server, only values in and values out, so node's own test runner
// checks them (page/static/tests/, which run this file as the page does: as a script). The page's script is these
// files one after the other (page/shopper.py).

/** Text as HTML that shows it as it is. @param {unknown} text @returns {string} */
function escapeHtml(text) {
  /** @type {Record<string, string>} */
  const entities = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};
  return String(text).replace(/[&<>"']/g, (c) => entities[c]);
}

/**
 * Words with their values filled in: "{count} on" with {count: 2} is "2 on"; a value not given is left empty.
 * @param {string} words @param {Record<string, string | number>} values @returns {string}
 */
function fill(words, values = {}) {
  return words.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''));
}

/**
 * A result's card: its picture, title, facts (brand, price, stock) and why it matched; `rank` (1 first) where it
 * stands among a search's results, so opening it is counted at its rank.
 * @param {Card} card @param {number | null} rank
 */
function cardHtml(card, rank = null) {
  const ranked = rank ? ` data-rank="${rank}"` : '';
  return `<button type="button" class="card" data-id="${escapeHtml(card.id)}"${ranked}>`
    + `<img src="${escapeHtml(card.picture)}" `
    + `alt="" loading="lazy" decoding="async"><span class="caption"><strong>${escapeHtml(card.title)}</strong>`
    + [card.facts, card.why].filter(Boolean).map((line) => `<span>${escapeHtml(line)}</span>`).join('')
    + '</span></button>';
}

/**
 * A product's pictures with the one its card showed (the one that matched) first, the others in the product's order.
 * @param {string[]} pictures @param {string | null} shown @returns {string[]}
 */
function shownFirst(pictures, shown) {
  return shown && pictures.includes(shown) ? [shown, ...pictures.filter((src) => src !== shown)] : pictures;
}

/**
 * A product's pictures in its details, in the order given, each named for the screen reader (by its number, when
 * there are several): shown even when it is the card's one picture, which the details cover on a phone.
 * @param {string[]} pictures @param {string} title @returns {string}
 */
function picturesHtml(pictures, title) {
  const named = (/** @type {number} */ n) => (pictures.length > 1 ? `${title} ${n + 1}/${pictures.length}` : title);
  return pictures.map((src, n) => `<img src="${escapeHtml(src)}" alt="${escapeHtml(named(n))}" `
    + 'loading="lazy" decoding="async">').join('');
}

/**
 * The other variants of a product's group (its other colours or sizes), each a button with its picture, name and
 * price that opens its own details.
 * @param {Variant[]} variants @returns {string}
 */
function variantsHtml(variants) {
  return variants.map((variant) => `<button type="button" class="variant" data-id="${escapeHtml(variant.id)}">`
    + `<img src="${escapeHtml(variant.picture)}" alt="" loading="lazy" decoding="async">`
    + `<span>${escapeHtml(variant.name)}</span><span>${escapeHtml(variant.price)}</span></button>`).join('');
}

/** A filter's choice. @param {string} label @param {string} value @param {boolean} on @returns {string} */
function choiceHtml(label, value, on) {
  return `<label class="check"><input type="checkbox" value="${escapeHtml(value)}"${on ? ' checked' : ''}>`
    + `<span>${escapeHtml(label)}</span></label>`;
}

/** How many filters are on (a list with a choice, a price, in stock only). @param {FilterChoice} filters */
function filtersOn(filters) {
  return Object.values(filters).filter((value) => (Array.isArray(value) ? value.length > 0 : Boolean(value))).length;
}

/** A price box's value as a filter: none unless it is a number above 0. @param {string} typed */
function priceFilter(typed) {
  const value = parseFloat(typed);
  return value > 0 ? value : null;
}

/**
 * Where a tap fell on a picture, as fractions of its sides held to [0, 1].
 * @param {{clientX: number, clientY: number}} tap @param {{left: number, top: number, width: number,
 *   height: number}} box @returns {[number, number]}
 */
function tapFraction(tap, box) {
  const held = (/** @type {number} */ v) => Math.min(1, Math.max(0, v));
  return [held((tap.clientX - box.left) / box.width), held((tap.clientY - box.top) / box.height)];
}

/**
 * The part between two tapped corners (any two opposite ones): [left, top, right, bottom] as fractions.
 * @param {[number, number]} first @param {[number, number]} second @returns {[number, number, number, number]}
 */
function partBetween(first, second) {
  return [Math.min(first[0], second[0]), Math.min(first[1], second[1]), Math.max(first[0], second[0]),
    Math.max(first[1], second[1])];
}

/**
 * How a photo travels: as it is, or drawn again as JPEG at `scale` (a phone's photo is 4000 px and 4 MB).
 * @param {number} width @param {number} height @param {number} bytes
 * @param {{max_side: number, max_sent_bytes: number}} limits @returns {{redraw: boolean, scale: number}}
 */
function travel(width, height, bytes, limits) {
  const scale = Math.min(1, limits.max_side / Math.max(width, height));
  return {redraw: scale < 1 || bytes > limits.max_sent_bytes, scale};
}

/**
 * "Only the newest answer": each call takes a ticket; an answer is shown only if no call started after it.
 * @returns {{take: () => number, isNewest: (ticket: number) => boolean}}
 */
function newestGuard() {
  let latest = 0;
  return {take: () => ++latest, isNewest: (ticket) => ticket === latest};
}

/** A shopper's recent views with `id` first, once, at most `count`. @param {string[]} views */
function remembered(views, /** @type {string} */ id, /** @type {number} */ count) {
  return [id, ...views.filter((seen) => seen !== id)].slice(0, count);
}
