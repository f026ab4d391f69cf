// The shoppers' page's script: the files of shop/ run in the browser as one function (page/shopper.py), so they
// share their top-level names; `element`, `props` and `server` are what Gradio's gr.HTML hands them.
const js = require('@eslint/js');
const globals = require('globals');

const shared = ['escapeHtml', 'fill', 'cardHtml', 'shownFirst', 'picturesHtml', 'variantsHtml', 'choiceHtml',
  'filtersOn', 'priceFilter', 'tapFraction', 'partBetween', 'travel', 'newestGuard', 'remembered', '$', '$$', 'input',
  'SHOP', 'PHONE', 'page', 'searches', 'TOKEN', 'say', 'sayHtml', 'show', 'viewed', 'call', 'newest',
  'picture', 'video', 'targetOf', 'relabel', 'drawFacets', 'narrowChoices', 'filtersSummary', 'hint', 'busy',
  'showProblem', 'drawChips', 'bringIntoView', 'switchLanguage', 'refreshOpening', 'takeFile', 'photoToSend',
  'setPhoto', 'openCamera', 'closeCamera', 'snap', 'loadAddress', 'takeExample', 'tapPhoto', 'cropTo', 'wholePhoto',
  'checked', 'chosenFilters', 'filtersChanged', 'applyChip', 'search', 'findItems', 'openDetails', 'closeDetails',
  'remember', 'showHistory', 'forgetHistory', 'listen', 'start'];

module.exports = [
  js.configs.recommended,
  {
    files: ['shop/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        ...globals.browser, element: 'readonly', props: 'readonly', server: 'readonly',
        ...Object.fromEntries(shared.map((name) => [name, 'readonly'])),
      },
    },
    rules: {
      // each name is declared once, in its own file; the list above makes it known to the others
      'no-redeclare': 'off',
      'no-unused-vars': ['error', {varsIgnorePattern: '.*', args: 'after-used'}],
    },
  },
  {files: ['tests/*.js', 'eslint.config.js'], languageOptions: {sourceType: 'commonjs', globals: globals.node}},
  {rules: {'max-len': ['error', {code: 120}]}},  // as ruff holds the Python
];
