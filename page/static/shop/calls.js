// The calls to the server: each sends one object and answers one (a problem too is an answer, never thrown).

/** @param {string} name @param {object} asked @returns {Promise<Answer>} */
async function call(name, asked) {
  try {
    return await server[name]({...asked, lang: page.lang, token: TOKEN});
  } catch (error) {
    console.error(error);
    return {problem: `${SHOP.warning} ${escapeHtml(say('no_answer'))}`};
  }
}

// A search's call, whose answer is null when a newer search started meanwhile: that one's is the one to show
/** @param {string} name @param {object} asked @returns {Promise<Answer | null>} */
async function newest(name, asked) {
  const ticket = searches.take();
  busy(true);
  const answer = await call(name, asked);
  if (!searches.isNewest(ticket)) return null;
  busy(false);
  return answer;
}
