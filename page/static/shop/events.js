// What the shopper does, and what follows: a photo taken, a part tapped, a filter, a search, details.

function switchLanguage(lang) {
  page.lang = lang;
  localStorage.setItem(SHOP.language_key, lang);
  relabel();
  refreshOpening();
  if (page.searched) search({scroll: false});  // the status line and captions in the new language
  if (!$('#details').hidden) openDetails(page.selected, null, page.selectedPicture);
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
  const {redraw, scale} = travel(bitmap.width, bitmap.height, file.size, SHOP);
  if (!redraw) return asIs;
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
  const shown = picture('#photo-shown');
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
  video('#camera-box video').srcObject = page.stream;
  video('#camera-box video').play();
  show($('#camera-box'), true);
}

function closeCamera() {
  page.stream?.getTracks().forEach((track) => track.stop());
  page.stream = null;
  show($('#camera-box'), false);
}

function snap() {
  const camera = video('#camera-box video');
  const canvas = document.createElement('canvas');
  canvas.width = camera.videoWidth;
  canvas.height = camera.videoHeight;
  canvas.getContext('2d').drawImage(camera, 0, 0);
  closeCamera();
  page.name = 'camera.jpg';
  setPhoto(canvas.toDataURL('image/jpeg', 0.9));
}

async function loadAddress() {
  const answer = await call('load_url', {url: input('#image-url').value});
  if (answer.problem) { $('#status').innerHTML = answer.problem; return; }
  page.name = input('#image-url').value;
  setPhoto(answer.photo);
}

async function takeExample(button) {
  const picture = await fetch(button.dataset.src).then((response) => response.blob());
  page.name = button.dataset.src.split('/').pop();
  setPhoto(await photoToSend(new File([picture], page.name, {type: picture.type})));
}

// ---- two taps on the photo crop the search to what is between them ----
function tapPhoto(event) {
  const shown = picture('#photo-shown');
  if (!page.photo || event.target !== shown) return;
  const box = shown.getBoundingClientRect();
  const at = tapFraction(event, box);
  if (!page.corner) { page.corner = at; hint('crop_second'); return; }
  const first = page.corner;
  page.corner = null;
  cropTo(partBetween(first, at));
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
  const shown = picture('#photo-shown');
  const canvas = document.createElement('canvas');
  const [left, top, right, bottom] = part.map((v, i) => v * (i % 2 ? shown.naturalHeight : shown.naturalWidth));
  canvas.width = Math.max(1, right - left);
  canvas.height = Math.max(1, bottom - top);
  canvas.getContext('2d').drawImage(shown, left, top, canvas.width, canvas.height, 0, 0, canvas.width, canvas.height);
  picture('#crop-preview img').src = canvas.toDataURL('image/jpeg', 0.9);
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

function chosenFilters() {
  return {brands: checked($('#brand-filter')), categories: checked($('#category-filter')),
    colours: checked($('#colour-filter')), min_price: priceFilter(input('#min-price').value),
    max_price: priceFilter(input('#max-price').value),
    in_stock: input('#in-stock input').checked};
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
  const text = input('#query-text').value.trim();
  if (!page.photo && !text && !moreLike && !asked) { return null; }
  page.searched = true;
  const answer = await newest('search', {photo: page.photo, name: page.name, part: page.part, text,
    ranking: {text_weight: parseFloat(input('#blend').value)}, filters: chosenFilters(), more_like: moreLike});
  if (!answer) return null;
  if (answer.problem && keepOnProblem) { $('#status').innerHTML = page.status || ''; return answer; }
  if (answer.problem) { showProblem(answer.problem); return answer; }
  page.status = answer.status;
  $('#status').innerHTML = answer.status;
  $('#results').innerHTML = answer.cards.map((card, index) => cardHtml(card, index + 1)).join('');
  show($('#results'), answer.cards.length > 0);
  show($('#items'), false);
  drawChips(answer.chips);
  if (scroll && PHONE.matches) bringIntoView($('#results-column'));
  return answer;
}

// ---- every product in the photo ----
async function findItems() {
  const answer = await newest('find_items', {photo: page.photo, name: page.name, filters: chosenFilters()});
  if (!answer) return;
  if (answer.problem) { showProblem(answer.problem); return; }
  page.items = answer.rows;
  $('#status').innerHTML = answer.status;
  picture('#items-photo img').src = answer.marked;
  $('#item-rows').innerHTML = answer.rows.map((row, i) => `<div class="item-row" id="item-${i + 1}" data-item="${i}">`
    + `<h3>${escapeHtml(row.label)}</h3><div class="grid row">${row.cards.map((card) => cardHtml(card)).join('')}</div>`
    + `<button type="button" class="search-item" id="search-item-${i + 1}">`
    + `${escapeHtml(say('search_item'))}</button></div>`).join('');
  show($('#results'), false);
  drawChips([]);
  show($('#items'), true);
  if (PHONE.matches) bringIntoView($('#results-column'));
}

// ---- a product's details, over the results on a phone and beside them on a wide screen ----
/**
 * @param {string} productId @param {number | null} rank where it stood in the results it was opened from
 * @param {string | null} shownPicture the picture its card showed (the one that matched), shown first
 */
async function openDetails(productId, rank = null, shownPicture = null) {
  page.selected = productId;
  page.selectedPicture = shownPicture;
  remember(productId);
  const answer = await call('details', {id: productId, rank});
  $('#details-text').innerHTML = answer.problem || answer.html;
  const pictures = shownFirst(answer.pictures || [], shownPicture);
  $('#details-pictures').innerHTML = picturesHtml(pictures, answer.title || '');
  const variants = answer.variants || [];
  $('#details-variants .variant-list').innerHTML = variantsHtml(variants);
  show($('#details-variants'), variants.length > 0);
  $$('#details-text a').forEach((link) => {  // the merchant's page opens in a tab of its own: the shop stays
    link.setAttribute('target', '_blank');
    link.setAttribute('rel', 'noopener');
  });
  show($('#details'), true);
  $('#close-details').focus({preventScroll: true});
  showHistory();
}

function closeDetails() {
  show($('#details'), false);
}

function remember(productId) {
  localStorage.setItem(SHOP.history_key, JSON.stringify(remembered(viewed(), productId, SHOP.recent_count)));
}

async function showHistory() {
  const views = viewed();
  if (!views.length) { show($('#history'), false); return; }
  const answer = await call('history', {viewed: views, filters: chosenFilters()});
  if (answer.problem || !answer.recent.length) { show($('#history'), false); return; }
  $('#recent').innerHTML = answer.recent.map((card) => cardHtml(card)).join('');
  $('#inspired').innerHTML = answer.inspired.map((card) => cardHtml(card)).join('');
  show($('#inspired-heading'), answer.inspired.length > 0);
  show($('#history'), true);
}

function forgetHistory() {
  localStorage.removeItem(SHOP.history_key);
  show($('#history'), false);
}

// ---- wiring ----
function listen() {
  const photoFile = input('#photo-file');
  $('#choose-photo').addEventListener('click', () => photoFile.click());
  photoFile.addEventListener('change', () => { takeFile(photoFile.files[0]); photoFile.value = ''; });
  $('#camera-file').addEventListener('change', (event) => {
    const chosen = /** @type {HTMLInputElement} */ (event.target);
    takeFile(chosen.files[0]);
    chosen.value = '';
  });
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
    if (event.key === 'Enter') { event.preventDefault(); targetOf(event).blur(); search({scroll: true, asked: true}); }
  });
  $('#blend').addEventListener('change', () => page.searched && search({scroll: false}));
  $('#find-items').addEventListener('click', findItems);
  $('#load-url').addEventListener('click', loadAddress);
  $('#image-url').addEventListener('keydown', (event) => { if (event.key === 'Enter') loadAddress(); });
  $$('.example').forEach((button) => button.addEventListener('click', () => takeExample(button)));
  $('#filters').addEventListener('change', (event) => {
    if (!targetOf(event).matches('.find-choice')) filtersChanged();
  });
  $('#filters').addEventListener('input', (event) => {
    if (targetOf(event).matches('.find-choice')) narrowChoices(targetOf(event).closest('fieldset'));
  });
  $$('#shop-language button').forEach((b) => b.addEventListener('click', () => switchLanguage(b.dataset.lang)));
  $('#chips').addEventListener('click', (event) => {
    const chip = targetOf(event).closest('.chip');
    if (chip) applyChip(page.chips[Number(chip.getAttribute('data-chip'))]);
  });
  $('#results-column').addEventListener('click', (event) => {
    const card = targetOf(event).closest('.card');
    const item = targetOf(event).closest('.search-item, .item-row .card');
    if (item) {  // an item's row (its button or any of its cards) searches that item
      show($('#items'), false);
      cropTo(page.items[Number(item.closest('.item-row').getAttribute('data-item'))].part);
    } else if (card) {
      openDetails(card.getAttribute('data-id'), Number(card.getAttribute('data-rank')) || null,
        card.querySelector('img')?.getAttribute('src') ?? null);
    }
  });
  $('#close-details').addEventListener('click', closeDetails);
  $('#details-variants').addEventListener('click', (event) => {  // another colour or size of the product: its details
    const variant = targetOf(event).closest('.variant');
    const shown = variant?.querySelector('img')?.getAttribute('src') ?? null;
    if (variant) openDetails(variant.getAttribute('data-id'), null, shown);
  });
  $('#more-like-this').addEventListener('click', () => {
    closeDetails();
    search({scroll: true, moreLike: page.selected});
  });
  $('#forget-history').addEventListener('click', forgetHistory);
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape') closeDetails(); });
}

function start() {
  const chosen = localStorage.getItem(SHOP.language_key);
  page.lang = chosen || ((navigator.language || '').startsWith('zh') ? 'zh-CN' : 'en');
  listen();
  relabel();  // before the page is first painted
  refreshOpening();
  showHistory();
}

start();
