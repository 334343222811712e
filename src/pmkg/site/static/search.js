/* Typo-tolerant search over window.PMKG_INDEX ([path, label, zh, aliases, description, kind] per page).
   Each query word is matched to the closest word of an entry (exact > prefix > within a small edit
   distance, Damerau-Levenshtein); label and alias matches weigh more than description matches. */
(function () {
  "use strict";
  var index = window.PMKG_INDEX || [];
  function norm(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function words(text) {
    return norm(text).split(/[^a-z0-9\u3400-\u9fff]+/).filter(function (w) { return w.length > 0; });
  }
  function distance(a, b, max) {
    if (Math.abs(a.length - b.length) > max) { return max + 1; }
    var prev2 = null, prev = [], i, j;
    for (j = 0; j <= b.length; j++) { prev.push(j); }
    for (i = 1; i <= a.length; i++) {
      var cur = [i], best = i;
      for (j = 1; j <= b.length; j++) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
        if (prev2 && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) { v = Math.min(v, prev2[j - 2] + 1); }
        cur.push(v);
        if (v < best) { best = v; }
      }
      if (best > max) { return max + 1; }
      prev2 = prev; prev = cur;
    }
    return prev[b.length];
  }
  function allowed(word) { return word.length < 4 ? 0 : (word.length < 8 ? 1 : 2); }
  function wordScore(q, target) {
    if (q === target) { return 1; }
    if (q.length >= 2 && target.indexOf(q) === 0) { return 0.85; }
    var max = allowed(q);
    if (max === 0) { return 0; }
    var d = distance(q, target, max);
    if (d <= max) { return 0.75 - 0.15 * d; }
    if (target.length > q.length + max) {
      d = distance(q, target.slice(0, q.length), max);
      if (d <= max) { return 0.55 - 0.15 * d; }
    }
    return 0;
  }
  var prepared = index.map(function (e) {
    var zh = norm(e[2]);
    return {entry: e, fields: [[words(e[1]), 3], [words(e[3]), 2.5], [words(e[2]), 2.5], [words(e[4]), 1]], zh: zh,
            label: norm(e[1])};
  });
  function score(item, qwords, raw) {
    var total = 0;
    for (var k = 0; k < qwords.length; k++) {
      var best = 0;
      for (var f = 0; f < item.fields.length; f++) {
        var list = item.fields[f][0], weight = item.fields[f][1];
        for (var w = 0; w < list.length; w++) {
          var s = wordScore(qwords[k], list[w]) * weight;
          if (s > best) { best = s; }
        }
      }
      if (best === 0) { return 0; }
      total += best;
    }
    if (item.label === raw) { total += 3; }
    if (raw && item.zh && item.zh.indexOf(raw) >= 0) { total += 3; }
    return total / qwords.length;
  }
  function search(text) {
    var raw = norm(text.trim());
    var qwords = words(text);
    if (!qwords.length) { return []; }
    var found = [];
    prepared.forEach(function (item) {
      var s = score(item, qwords, raw);
      if (s > 0) { found.push([s, item.entry]); }
    });
    found.sort(function (a, b) { return b[0] - a[0] || a[1][1].localeCompare(b[1][1]); });
    return found.slice(0, 50);
  }
  function show(text) {
    var list = document.getElementById("results"), status = document.getElementById("search-status");
    list.textContent = "";
    var hits = search(text);
    status.textContent = text.trim() ? hits.length + (hits.length === 50 ? "+" : "") + " result(s) for \u201c" + text.trim() + "\u201d" : "Type a name, alias or word.";
    hits.forEach(function (hit) {
      var e = hit[1], li = document.createElement("li"), a = document.createElement("a");
      a.href = e[0];
      a.textContent = e[1];
      li.appendChild(a);
      if (e[2]) { var zh = document.createElement("span"); zh.lang = "zh"; zh.textContent = " " + e[2]; li.appendChild(zh); }
      var meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = e[5] + (e[3] ? " \u00b7 also: " + e[3] : "") + (e[4] ? " \u00b7 " + e[4] : "");
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
  window.pmkgSearch = search;
})();
