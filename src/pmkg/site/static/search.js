/* Typo-tolerant search over window.PMKG_INDEX, scored as `pmkg search` scores (pmkg/search.py):
   each search word is matched to the closest word of a text (rapidfuzz's ratio, 200 * LCS / total
   length; at least 90 for a prefix of 3+ letters), averaged by word length; a name (label, alias)
   counts a little less when it has much more besides and when the search's words are scattered
   over it; descriptions (x0.7) and quotes (x0.65) count their coverage, for searches of 4+ letters.
   An entry: [path, label, zh, aliases, description, kind, IRI after /id/, [[field, text], ...]]. */
(function () {
  "use strict";
  var index = window.PMKG_INDEX || [];
  var WEIGHTS = {l: 1.0, a: 1.0, d: 0.7, q: 0.65}, FIELDS = {l: "label", a: "alias", d: "description", q: "quote"};
  var ORDER = {id: 0, label: 1, alias: 2, description: 3, quote: 4};
  var MIN_SCORE = 70, PREFIX_SCORE = 90, SHOWN = 50;
  function tokens(text) {
    return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim().split(" ").filter(function (w) { return w; });
  }
  function lcs(a, b) {
    var prev = new Array(b.length + 1).fill(0), i, j;
    for (i = 1; i <= a.length; i++) {
      var cur = [0];
      for (j = 1; j <= b.length; j++) {
        cur.push(a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]));
      }
      prev = cur;
    }
    return prev[b.length];
  }
  function wordScore(q, w) {
    if (q === w) { return 100; }
    var value = q.length + w.length ? 200 * lcs(q, w) / (q.length + w.length) : 0;
    return q.length >= 3 && w.indexOf(q) === 0 ? Math.max(value, PREFIX_SCORE) : value;
  }
  function bestWords(query, text) {
    return query.map(function (q) {
      var best = 0, where = 0;
      text.forEach(function (t, i) { var v = wordScore(q, t); if (v > best) { best = v; where = i; } });
      return [best, where];
    });
  }
  function coverage(query, text, best) {
    if (!query.length || !text.length) { return 0; }
    var total = 0, sum = 0;
    query.forEach(function (q, i) { total += q.length; sum += q.length * best[i][0]; });
    return sum / total;
  }
  function letters(words) { return words.reduce(function (n, w) { return n + w.length; }, 0); }
  function nameScore(query, text) {
    if (query.join(" ") === text.join(" ")) { return 100; }
    var best = bestWords(query, text);
    var share = Math.min(1, letters(query) / Math.max(1, letters(text)));
    var adjacent = 1;
    if (query.length > 1 && text.length) {
      var pairs = 0;
      for (var i = 1; i < best.length; i++) { if (best[i][1] === best[i - 1][1] + 1) { pairs += 1; } }
      adjacent = pairs / (best.length - 1);
    }
    return coverage(query, text, best) * (0.8 + 0.2 * share) * (0.9 + 0.1 * adjacent);
  }
  var prepared = index.map(function (e) {
    return {entry: e, id: e[6].split("/").pop(), texts: e[7].map(function (t) { return [t[0], tokens(t[1])]; })};
  });
  function score(item, query, raw) {
    var best = [0, ""];
    item.texts.forEach(function (t) {
      var field = t[0], value;
      if (field === "l" || field === "a") { value = nameScore(query, t[1]); }
      else { value = raw.length >= 4 ? coverage(query, t[1], bestWords(query, t[1])) : 0; }
      value *= WEIGHTS[field];
      if (value > best[0]) { best = [value, FIELDS[field]]; }
    });
    if (item.id === raw.toLowerCase()) { best = [100, "id"]; }
    return best;
  }
  function search(text) {
    var raw = text.replace(/\s+/g, " ").trim(), query = tokens(raw);
    if (!raw) { return []; }
    var found = [];
    prepared.forEach(function (item) {
      var got = score(item, query, raw);
      if (got[0] >= MIN_SCORE) { found.push([Math.round(got[0] * 10) / 10, item.entry, got[1]]); }
    });
    found.sort(function (a, b) {
      var x = a[1], y = b[1];
      return b[0] - a[0] || ORDER[a[2]] - ORDER[b[2]]
        || (x[6].indexOf("document/") === 0) - (y[6].indexOf("document/") === 0)
        || x[1].length - y[1].length || (x[6] < y[6] ? -1 : x[6] > y[6] ? 1 : 0);
    });
    return found;
  }
  window.pmkgSearch = search;
  function show(text) {
    var list = document.getElementById("results"), status = document.getElementById("search-status");
    list.textContent = "";
    var hits = search(text), shown = hits.slice(0, SHOWN);
    status.textContent = text.trim() ? hits.length + " result(s) for \u201c" + text.trim() + "\u201d"
      + (hits.length > SHOWN ? ", the best " + SHOWN + " shown" : "") : "Type a name, alias or word.";
    shown.forEach(function (hit) {
      var e = hit[1], li = document.createElement("li"), a = document.createElement("a");
      a.href = e[0];
      a.textContent = e[1];
      li.appendChild(a);
      if (e[2]) { var zh = document.createElement("span"); zh.lang = "zh"; zh.textContent = " " + e[2]; li.appendChild(zh); }
      var meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = e[5] + " \u00b7 matched its " + hit[2] + (e[3].length ? " \u00b7 also: " + e[3].join(" | ") : "")
        + (e[4] ? " \u00b7 " + e[4] : "");
      li.appendChild(meta);
      list.appendChild(li);
    });
  }
  var form = document.getElementById("search-form"), input = document.getElementById("q");
  if (!form || !input) { return; }
  var initial = new URLSearchParams(window.location.search).get("q") || "";
  input.value = initial;
  show(initial);
  input.addEventListener("input", function () { show(input.value); });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); show(input.value); });
})();
