// What the page draws: its words, the filters' choices, the status line, chips, cards and rows.

// ---- language ----
function relabel() {
  document.documentElement.lang = page.lang === 'zh-CN' ? 'zh-CN' : 'en';
  $$('[data-l]').forEach((node) => { node.textContent = say(node.dataset.l); });
  $$('[data-placeholder]').forEach((node) => { node.setAttribute('placeholder', say(node.dataset.placeholder)); });
  $$('.find-choice').forEach((node) => node.setAttribute('aria-label', say('find_choice')));
  $$('#shop-language button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === page.lang)));
  picture('#photo-shown').alt = say('photo');
  picture('#crop-preview img').alt = say('crop');
  picture('#items-photo img').alt = say('items_photo');
  $$('.example').forEach((b, i) => b.setAttribute('aria-label', `${say('examples')} ${i + 1}`));
  filtersSummary();
  if (page.photo) hint(page.corner ? 'crop_second' : page.part ? 'crop_done' : 'crop_hint');
}

function drawFacets(facets) {
  $$('#filters fieldset').forEach((set) => {
    const chosen = new Set(checked(set));
    const choices = facets[set.dataset.facet] || [];
    set.querySelector('.choices').innerHTML = choices
      .map(([label, value]) => choiceHtml(label, value, chosen.has(value))).join('');
    show(set.querySelector('.find-choice'), choices.length > SHOP.long_list);
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

function filtersSummary() {
  const on = filtersOn(chosenFilters());
  $('#filters-summary').textContent = on ? say('filters_active', {count: on}) : say('filters');
}

function hint(key) {
  $('#crop-hint').innerHTML = sayHtml(key);
  show($('#crop-hint'), true);
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
