// The script's pure parts, under node's own test runner.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

// shop/pure.js run as the page runs it, a script: its functions are the context's names
const shop = vm.createContext({});
vm.runInContext(fs.readFileSync(path.join(__dirname, '..', 'shop', 'pure.js'), 'utf8'), shop);
// a value made in that context as one of this one's (its arrays have the context's own prototype)
const plain = (value) => JSON.parse(JSON.stringify(value));

test('text is escaped wherever it goes into the page', () => {
  assert.equal(shop.escapeHtml('<img src=x onerror="alert(1)">&\''),
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;');
  assert.equal(shop.escapeHtml(42), '42');
});

test('words are filled with their values, a missing one left empty', () => {
  assert.equal(shop.fill('Filters ({count} on)', {count: 2}), 'Filters (2 on)');
  assert.equal(shop.fill('{a} and {b}', {a: 1}), '1 and ');
});

test('a card shows its title, facts and why it matched, and escapes the merchant\'s text', () => {
  const card = {id: 'p"1', picture: 'gradio_api/file=/a b.png', title: '<b>Mug</b>', facts: 'Sora · 9.00 USD',
    why: '87% match'};
  const html = shop.cardHtml(card);
  assert.match(html, /data-id="p&quot;1"/);
  assert.match(html, /<strong>&lt;b&gt;Mug&lt;\/b&gt;<\/strong><span>Sora · 9.00 USD<\/span><span>87% match<\/span>/);
  assert.doesNotMatch(shop.cardHtml({...card, facts: '', why: ''}), /<span><\/span>/);  // no empty lines
  assert.match(shop.cardHtml(card, 3), /data-rank="3"/);  // a search's result is opened at its rank
  assert.doesNotMatch(html, /data-rank/);  // a recent view has none
});

test('a product\'s details show every picture of it, one alone by its title', () => {
  const html = shop.picturesHtml(['gradio_api/file=/a.png', 'gradio_api/file=/b".png'], 'Mug <b>');
  assert.equal((html.match(/<img /g) || []).length, 2);
  assert.match(html, /src="gradio_api\/file=\/b&quot;.png" alt="Mug &lt;b&gt; 2\/2"/);
  assert.match(shop.picturesHtml(['gradio_api/file=/a.png'], 'Mug'), /^<img src="gradio_api\/file=\/a.png" alt="Mug" /);
  assert.equal(shop.picturesHtml([], 'Mug'), '');
});

test('the picture a card showed comes first in the details, the others in the product\'s order', () => {
  const pictures = ['/front.png', '/back.png', '/side.png'];
  assert.deepEqual(plain(shop.shownFirst(pictures, '/side.png')), ['/side.png', '/front.png', '/back.png']);
  assert.deepEqual(plain(shop.shownFirst(pictures, '/front.png')), pictures);
  assert.deepEqual(plain(shop.shownFirst(pictures, null)), pictures);  // opened from elsewhere: the product's order
  assert.deepEqual(plain(shop.shownFirst(pictures, '/gone.png')), pictures);  // a picture it no longer has
});

test('a product\'s other variants are each a button opening it, by name, picture and price, escaped', () => {
  const html = shop.variantsHtml([{id: 'tee-"b', name: 'Sky <Blue>', price: '59.95 USD', picture: '/tee-b.png'},
    {id: 'tee-n', name: 'Navy', price: '', picture: '/tee-n.png'}]);
  assert.equal((html.match(/<button type="button" class="variant"/g) || []).length, 2);
  assert.match(html,
    /data-id="tee-&quot;b"><img src="\/tee-b.png" alt=""[^>]*><span>Sky &lt;Blue&gt;<\/span><span>59.95 USD/);
  assert.equal(shop.variantsHtml([]), '');  // none: the details show no list
});

test('a checked choice is drawn checked', () => {
  assert.match(shop.choiceHtml('Mugs (3)', 'Mugs', true), /value="Mugs" checked><span>Mugs \(3\)<\/span>/);
  assert.doesNotMatch(shop.choiceHtml('Mugs (3)', 'Mugs', false), /checked/);
});

test('the filters\' count counts lists with a choice, a price and in stock only', () => {
  const none = {brands: [], categories: [], colours: [], min_price: null, max_price: null, in_stock: false};
  assert.equal(shop.filtersOn(none), 0);
  assert.equal(shop.filtersOn({...none, brands: ['Sora', 'Kestrel'], max_price: 20, in_stock: true}), 3);
  assert.equal(shop.priceFilter(''), null);
  assert.equal(shop.priceFilter('0'), null);
  assert.equal(shop.priceFilter('12.5'), 12.5);
});

test('two taps give the part between them as fractions, whichever corners they are', () => {
  const box = {left: 100, top: 50, width: 200, height: 100};
  assert.deepEqual(plain(shop.tapFraction({clientX: 150, clientY: 75}, box)), [0.25, 0.25]);
  assert.deepEqual(plain(shop.tapFraction({clientX: 0, clientY: 500}, box)), [0, 1]);  // held to the picture
  assert.deepEqual(plain(shop.partBetween([0.8, 0.1], [0.2, 0.9])), [0.2, 0.1, 0.8, 0.9]);
});

test('a big photo is drawn again smaller before it travels, a small one goes as it is', () => {
  const limits = {max_side: 1600, max_sent_bytes: 1.5e6};
  assert.deepEqual(plain(shop.travel(800, 600, 200e3, limits)), {redraw: false, scale: 1});
  assert.deepEqual(plain(shop.travel(4000, 3000, 4e6, limits)), {redraw: true, scale: 0.4});
  assert.deepEqual(plain(shop.travel(1000, 1000, 3e6, limits)), {redraw: true, scale: 1});  // heavy: JPEG again
});

test('only the newest answer is shown', () => {
  const guard = shop.newestGuard();
  const older = guard.take();
  const newer = guard.take();
  assert.equal(guard.isNewest(older), false);
  assert.equal(guard.isNewest(newer), true);
});

test('recent views keep the newest first, once each, at most the count', () => {
  assert.deepEqual(plain(shop.remembered(['b', 'a', 'c'], 'a', 3)), ['a', 'b', 'c']);
  assert.deepEqual(plain(shop.remembered(['a', 'b', 'c'], 'd', 3)), ['d', 'a', 'b']);
});
