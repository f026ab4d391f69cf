// The shoppers' page's script, run by Gradio's gr.HTML (`js_on_load`): `element` is the page, `props.labels` its
// words by language, `server` the calls of page/shopper_calls.py. The shopper's photo stays in this page (a data
// URL) and travels with each search; their recent views stay in this browser (localStorage).
const $ = (selector) => element.querySelector(selector);
const $$ = (selector) => [...element.querySelectorAll(selector)];
const HISTORY_KEY = 'visual-product-search-history';
const LANGUAGE_KEY = 'visual-product-search-language';
const RECENT_COUNT = 12;
const LONG_LIST = 12;  // choices a filter shows before it offers a box to find one
const MAX_SIDE = 1600;  // a bigger photo is shrunk here before it travels: a phone's photo is 4000 px and 4 MB
const MAX_SENT_BYTES = 1.5e6;
const PHONE = window.matchMedia('(max-width: 768px)');
const page = {
  lang: 'en', photo: null, name: 'photo', part: null, corner: null, seq: 0, selected: null, searched: false,
};

const escapeHtml = (text) => String(text).replace(/[&<>"']/g,
  (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
const say = (key, values = {}) => (props.labels[page.lang][key] ?? props.labels.en[key] ?? key)
  .replace(/\{(\w+)\}/g, (_, name) => values[name] ?? '');
// The few messages with Markdown in them (**Whole photo**) are shown bold, the rest as text
const sayHtml = (key, values) => escapeHtml(say(key, values)).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
const show = (node, shown) => { node.hidden = !shown; };

// ---- language ----
function relabel() {
  document.documentElement.lang = page.lang === 'zh-CN' ? 'zh-CN' : 'en';
  $$('[data-l]').forEach((node) => { node.textContent = say(node.dataset.l); });
  $$('[data-placeholder]').forEach((node) => { node.placeholder = say(node.dataset.placeholder); });
  $$('.find-choice').forEach((node) => node.setAttribute('aria-label', say('find_choice')));
  $$('#shop-language button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === page.lang)));
  $('#photo-shown').alt = say('photo');
  $('#crop-preview img').alt = say('crop');
  $('#items-photo img').alt = say('items_photo');
  $$('.example').forEach((b, i) => b.setAttribute('aria-label', `${say('examples')} ${i + 1}`));
  filtersSummary();
  if (page.photo) hint(page.corner ? 'crop_second' : page.part ? 'crop_done' : 'crop_hint');
}

function switchLanguage(lang) {
  page.lang = lang;
  localStorage.setItem(LANGUAGE_KEY, lang);
  relabel();
  refreshOpening();
  if (page.searched) search({scroll: false});  // the status line and captions in the new language
  if (!$('#details').hidden) openDetails(page.selected);
  else showHistory();
}

// ---- what the server shows as the page opens ----
async function refreshOpening() {
  const opening = await call('opening', {});
  if (opening.problem) { $('#status').innerHTML = opening.problem; return; }
  $('#banner').innerHTML = opening.banner;
  show($('#banner'), Boolean(opening.banner));
  $('#model-line').innerHTML = opening.model_line;
  drawFacets(opening.facets);
}

function drawFacets(facets) {
  $$('#filters fieldset').forEach((set) => {
    const chosen = new Set(checked(set));
    const choices = facets[set.dataset.facet] || [];
    set.querySelector('.choices').innerHTML = choices
      .map(([label, value]) => choiceHtml(label, value, chosen.has(value))).join('');
    show(set.querySelector('.find-choice'), choices.length > LONG_LIST);
    narrowChoices(set);
  });
}

// A long list (a catalog of many brands) narrowed to the choices holding what is typed; checked ones always stay
function narrowChoices(set) {
  const typed = set.querySelector('.find-choice').value.trim().toLowerCase();
  set.querySelectorAll('.choices label').forEach((label) => {
    show(label, !typed || label.querySelector('input').checked || label.textContent.toLowerCase().includes(typed));
  });
}

const choiceHtml = (label, value, on) => `<label class="check"><input type="checkbox" value="${escapeHtml(value)}"`
  + `${on ? ' checked' : ''}><span>${escapeHtml(label)}</span></label>`;

// ---- calls to the server ----
async function call(name, asked) {
  try {
    return await server[name]({...asked, lang: page.lang});
  } catch (error) {
    console.error(error);
    return {problem: `⚠️ ${escapeHtml(say('no_answer'))}`};
  }
}

// ---- the photo: chosen, snapped, pasted, dropped, an example or an address ----
async function takeFile(file) {
  if (!file) return;
  page.name = file.name || 'photo';
  setPhoto(await photoToSend(file));
}

// The photo as it travels: the file itself, unless it is big (then shrunk, on white, as JPEG); a file this browser
// cannot read goes as it is, so the server says what is wrong with it
async function photoToSend(file) {
  const asIs = await new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => resolve('data:application/octet-stream;base64,');
    reader.readAsDataURL(file);
  });
  let bitmap;
  try { bitmap = await createImageBitmap(file); } catch { return asIs; }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  if (scale === 1 && file.size <= MAX_SENT_BYTES) return asIs;
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const context = canvas.getContext('2d');
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL('image/jpeg', 0.9);
}

function setPhoto(dataUrl) {
  page.photo = dataUrl;
  page.part = null;
  page.corner = null;
  const shown = $('#photo-shown');
  shown.src = dataUrl || '';
  show(shown, Boolean(dataUrl));
  show($('#photo .photo-empty'), !dataUrl);
  show($('#remove-photo'), Boolean(dataUrl));
  show($('#find-items'), Boolean(dataUrl));
  show($('#crop-row'), false);
  show($('#items'), false);
  if (dataUrl) hint('crop_hint'); else show($('#crop-hint'), false);
  search({scroll: true});
}

function hint(key) {
  $('#crop-hint').innerHTML = sayHtml(key);
  show($('#crop-hint'), true);
}

async function openCamera() {
  if (window.matchMedia('(pointer: coarse)').matches || !navigator.mediaDevices?.getUserMedia) {
    $('#camera-file').click();  // a phone's own camera, the rear one where it has a choice (capture="environment")
    return;
  }
  try {  // a computer's camera, live in the page
    page.stream = await navigator.mediaDevices.getUserMedia({
      video: {facingMode: {ideal: 'environment'}, width: {ideal: 1920}, height: {ideal: 1440}}});
  } catch (error) {
    $('#status').textContent = say('no_camera', {reason: error.message || error.name});
    return;
  }
  $('#camera-box video').srcObject = page.stream;
  $('#camera-box video').play();
  show($('#camera-box'), true);
}

function closeCamera() {
  page.stream?.getTracks().forEach((track) => track.stop());
  page.stream = null;
  show($('#camera-box'), false);
}

function snap() {
  const video = $('#camera-box video');
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0);
  closeCamera();
  page.name = 'camera.jpg';
  setPhoto(canvas.toDataURL('image/jpeg', 0.9));
}

async function loadAddress() {
  const answer = await call('load_url', {url: $('#image-url').value});
  if (answer.problem) { $('#status').innerHTML = answer.problem; return; }
  page.name = $('#image-url').value;
  setPhoto(answer.photo);
}

async function takeExample(button) {
  const picture = await fetch(button.dataset.src).then((response) => response.blob());
  page.name = button.dataset.src.split('/').pop();
  setPhoto(await photoToSend(new File([picture], page.name, {type: picture.type})));
}

// ---- two taps on the photo crop the search to what is between them ----
function tapPhoto(event) {
  const shown = $('#photo-shown');
  if (!page.photo || event.target !== shown) return;
  const box = shown.getBoundingClientRect();
  const at = [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height]
    .map((v) => Math.min(1, Math.max(0, v)));
  if (!page.corner) { page.corner = at; hint('crop_second'); return; }
  const [first, second] = [page.corner, at];
  page.corner = null;
  cropTo([Math.min(first[0], second[0]), Math.min(first[1], second[1]), Math.max(first[0], second[0]),
    Math.max(first[1], second[1])]);
}

async function cropTo(part) {
  page.part = part;
  const answered = await search({scroll: true, keepOnProblem: true});
  if (!answered) return;
  if (answered.problem) {  // too small a part: the whole photo's results stay, and the hint says why
    page.part = null;
    $('#crop-hint').innerHTML = answered.problem;
    return;
  }
  const shown = $('#photo-shown');
  const canvas = document.createElement('canvas');
  const [left, top, right, bottom] = part.map((v, i) => v * (i % 2 ? shown.naturalHeight : shown.naturalWidth));
  canvas.width = Math.max(1, right - left);
  canvas.height = Math.max(1, bottom - top);
  canvas.getContext('2d').drawImage(shown, left, top, canvas.width, canvas.height, 0, 0, canvas.width, canvas.height);
  $('#crop-preview img').src = canvas.toDataURL('image/jpeg', 0.9);
  show($('#crop-row'), true);
  hint('crop_done');
}

function wholePhoto() {
  page.part = null;
  show($('#crop-row'), false);
  hint('crop_hint');
  search({scroll: true});
}

// ---- filters ----
const checked = (set) => [...set.querySelectorAll('input:checked')].map((input) => input.value);
const price = (selector) => { const v = parseFloat($(selector).value); return v > 0 ? v : null; };

function chosenFilters() {
  return {brands: checked($('#brand-filter')), categories: checked($('#category-filter')),
    colours: checked($('#colour-filter')), min_price: price('#min-price'), max_price: price('#max-price'),
    in_stock: $('#in-stock input').checked};
}

function filtersSummary() {
  const on = Object.values(chosenFilters()).filter((v) => (Array.isArray(v) ? v.length : v)).length;
  $('#filters-summary').textContent = on ? say('filters_active', {count: on}) : say('filters');
}

function filtersChanged() {
  filtersSummary();
  if (page.searched) search({scroll: false});
  showHistory();
}

function applyChip(chip) {
  const set = $(chip.kind === 'category' ? '#category-filter' : '#colour-filter');
  const box = [...set.querySelectorAll('input')].find((input) => input.value === chip.value);
  if (box) box.checked = true;
  else {  // not among the choices (yet): added, so it can be taken off again
    set.querySelector('.choices').insertAdjacentHTML('beforeend', choiceHtml(chip.value, chip.value, true));
  }
  filtersChanged();
}

// ---- searching and what it found ----
// A search the shopper asked for (`asked`) goes even with nothing to search: the server says what to give
async function search({scroll = false, moreLike = null, keepOnProblem = false, asked = false} = {}) {
  const text = $('#query-text').value.trim();
  if (!page.photo && !text && !moreLike && !asked) { return null; }
  page.searched = true;
  const answer = await newest('search', {photo: page.photo, name: page.name, part: page.part, text,
    ranking: {text_weight: parseFloat($('#blend').value)}, filters: chosenFilters(), more_like: moreLike});
  if (!answer) return null;
  if (answer.problem && keepOnProblem) { $('#status').innerHTML = page.status || ''; return answer; }
  if (answer.problem) { showProblem(answer.problem); return answer; }
  page.status = answer.status;
  $('#status').innerHTML = answer.status;
  $('#results').innerHTML = answer.cards.map(cardHtml).join('');
  show($('#results'), answer.cards.length > 0);
  show($('#items'), false);
  drawChips(answer.chips);
  if (scroll && PHONE.matches) bringIntoView($('#results-column'));
  return answer;
}

// A search's call, whose answer is null when a newer search started meanwhile: that one's is the one to show
async function newest(name, asked) {
  const seq = ++page.seq;
  busy(true);
  const answer = await call(name, asked);
  if (seq !== page.seq) return null;
  busy(false);
  return answer;
}

function busy(searching) {
  $('#results-column').setAttribute('aria-busy', String(searching));
  if (!searching) return;
  $('#status').removeAttribute('data-l');  // the line is a search's from now on, not a label to translate
  $('#status').textContent = say('searching');
}

function showProblem(html) {
  $('#status').innerHTML = html;
  $('#results').innerHTML = '';
  show($('#results'), false);
  show($('#items'), false);
  drawChips([]);
}

function cardHtml(card) {
  return `<button type="button" class="card" data-id="${escapeHtml(card.id)}"><img src="${escapeHtml(card.picture)}" `
    + `alt="" loading="lazy" decoding="async"><span class="caption"><strong>${escapeHtml(card.title)}</strong>`
    + [card.facts, card.why].filter(Boolean).map((line) => `<span>${escapeHtml(line)}</span>`).join('')
    + '</span></button>';
}

function drawChips(chips) {
  page.chips = chips;
  $('#chips .chip-list').innerHTML = chips.map((chip, i) =>
    `<button type="button" class="chip" data-chip="${i}">${escapeHtml(chip.label)}</button>`).join('');
  show($('#chips'), chips.length > 0);
}

// Scrolled to once the first picture has its size, so the page is long enough to get there
function bringIntoView(node) {
  const first = node.querySelector('img');
  const go = () => node.scrollIntoView({block: 'start'});
  if (!first || first.complete) { requestAnimationFrame(go); return; }
  first.addEventListener('load', go, {once: true});
  first.addEventListener('error', go, {once: true});
}

// ---- every product in the photo ----
async function findItems() {
  const answer = await newest('find_items', {photo: page.photo, name: page.name, filters: chosenFilters()});
  if (!answer) return;
  if (answer.problem) { showProblem(answer.problem); return; }
  page.items = answer.rows;
  $('#status').innerHTML = answer.status;
  $('#items-photo img').src = answer.marked;
  $('#item-rows').innerHTML = answer.rows.map((row, i) => `<div class="item-row" id="item-${i + 1}" data-item="${i}">`
    + `<h3>${escapeHtml(row.label)}</h3><div class="grid row">${row.cards.map(cardHtml).join('')}</div>`
    + `<button type="button" class="search-item" id="search-item-${i + 1}">`
    + `${escapeHtml(say('search_item'))}</button></div>`).join('');
  show($('#results'), false);
  drawChips([]);
  show($('#items'), true);
  if (PHONE.matches) bringIntoView($('#results-column'));
}

// ---- a product's details, over the results on a phone and beside them on a wide screen ----
async function openDetails(productId) {
  page.selected = productId;
  remember(productId);
  const answer = await call('details', {id: productId});
  $('#details-text').innerHTML = answer.problem || answer.html;
  $$('#details-text a').forEach((link) => { link.target = '_blank'; link.rel = 'noopener'; });  // the shop stays
  show($('#details'), true);
  $('#close-details').focus({preventScroll: true});
  showHistory();
}

function closeDetails() {
  show($('#details'), false);
}

// ---- recent views, kept in this browser only ----
const viewed = () => { try { return JSON.parse(localStorage.getItem(HISTORY_KEY)) || []; } catch { return []; } };

function remember(productId) {
  const views = [productId, ...viewed().filter((id) => id !== productId)].slice(0, RECENT_COUNT);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(views));
}

async function showHistory() {
  const views = viewed();
  if (!views.length) { show($('#history'), false); return; }
  const answer = await call('history', {viewed: views, filters: chosenFilters()});
  if (answer.problem || !answer.recent.length) { show($('#history'), false); return; }
  $('#recent').innerHTML = answer.recent.map(cardHtml).join('');
  $('#inspired').innerHTML = answer.inspired.map(cardHtml).join('');
  show($('#inspired-heading'), answer.inspired.length > 0);
  show($('#history'), true);
}

function forgetHistory() {
  localStorage.removeItem(HISTORY_KEY);
  show($('#history'), false);
}

// ---- wiring ----
function listen() {
  const photoFile = $('#photo-file');
  $('#choose-photo').addEventListener('click', () => photoFile.click());
  photoFile.addEventListener('change', () => { takeFile(photoFile.files[0]); photoFile.value = ''; });
  $('#camera-file').addEventListener('change', (e) => { takeFile(e.target.files[0]); e.target.value = ''; });
  $('#camera').addEventListener('click', openCamera);
  $('#snap').addEventListener('click', snap);
  $('#camera-cancel').addEventListener('click', closeCamera);
  $('#remove-photo').addEventListener('click', () => setPhoto(null));
  const box = $('#photo');
  box.addEventListener('click', (event) => (page.photo ? tapPhoto(event) : photoFile.click()));
  box.addEventListener('keydown', (event) => {
    if (!page.photo && (event.key === 'Enter' || event.key === ' ')) { event.preventDefault(); photoFile.click(); }
  });
  box.addEventListener('dragover', (event) => event.preventDefault());
  box.addEventListener('drop', (event) => { event.preventDefault(); takeFile(event.dataTransfer.files[0]); });
  document.addEventListener('paste', (event) => {
    const picture = [...(event.clipboardData?.files || [])].find((file) => file.type.startsWith('image/'));
    if (picture) takeFile(picture);
  });
  $('#whole-photo').addEventListener('click', wholePhoto);
  $('#search-button').addEventListener('click', () => search({scroll: true, asked: true}));
  $('#query-text').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') { event.preventDefault(); event.target.blur(); search({scroll: true, asked: true}); }
  });
  $('#blend').addEventListener('change', () => page.searched && search({scroll: false}));
  $('#find-items').addEventListener('click', findItems);
  $('#load-url').addEventListener('click', loadAddress);
  $('#image-url').addEventListener('keydown', (event) => { if (event.key === 'Enter') loadAddress(); });
  $$('.example').forEach((button) => button.addEventListener('click', () => takeExample(button)));
  $('#filters').addEventListener('change', (event) => {
    if (!event.target.matches('.find-choice')) filtersChanged();
  });
  $('#filters').addEventListener('input', (event) => {
    if (event.target.matches('.find-choice')) narrowChoices(event.target.closest('fieldset'));
  });
  $$('#shop-language button').forEach((b) => b.addEventListener('click', () => switchLanguage(b.dataset.lang)));
  $('#chips').addEventListener('click', (event) => {
    const chip = event.target.closest('.chip');
    if (chip) applyChip(page.chips[Number(chip.dataset.chip)]);
  });
  $('#results-column').addEventListener('click', (event) => {
    const card = event.target.closest('.card');
    const item = event.target.closest('.search-item, .item-row .card');
    if (item) {  // an item's row (its button or any of its cards) searches that item
      show($('#items'), false);
      cropTo(page.items[Number(item.closest('.item-row').dataset.item)].part);
    } else if (card) openDetails(card.dataset.id);
  });
  $('#close-details').addEventListener('click', closeDetails);
  $('#more-like-this').addEventListener('click', () => {
    closeDetails();
    search({scroll: true, moreLike: page.selected});
  });
  $('#forget-history').addEventListener('click', forgetHistory);
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape') closeDetails(); });
}

const stored = localStorage.getItem(LANGUAGE_KEY);
page.lang = stored || ((navigator.language || '').startsWith('zh') ? 'zh-CN' : 'en');
listen();
relabel();  // before the page is first painted
refreshOpening();
showHistory();
