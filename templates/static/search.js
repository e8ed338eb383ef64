// Site search: queries the Pagefind index built with the site, in the
// reader's browser. No outside service; without JavaScript the page says so.
//
// The index is in shards (pagefind/shards.json names them; write/search.py
// says why): the first is loaded, every other is merged into it
// (Pagefind's mergeIndex), and one search ranks the pages of all as one list.
// Pages edited since their year shard was made are in the small edits
// shard; its drop.json names the ids of their stale copies, which are left
// out of the results before any fragment is fetched.
(function () {
  "use strict";
  var form = document.querySelector(".search-form");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var root = form.getAttribute("data-index");
  var base = form.getAttribute("data-base");
  var engine = null;
  var dropped = {};
  var latest = 0;

  function load() {
    if (!engine) {
      engine = fetch(root + "shards.json")
        .then(function (response) {
          if (!response.ok) throw new Error("no search index");
          return response.json();
        })
        .then(function (index) {
          var shards = index.shards;
          if (!shards.length) return null; // a site with no items: nothing to find
          var edits = !index.edits ? Promise.resolve(null) : fetch(root + index.edits + "/drop.json")
            .then(function (response) { return response.ok ? response.json() : null; })
            .then(function (drop) {
              if (!drop || !drop.pages) return null;
              drop.drop.forEach(function (id) { dropped[id] = true; });
              return index.edits;
            });
          return Promise.all([import(root + shards[0] + "/pagefind.js"), edits]).then(function (loaded) {
            var pagefind = loaded[0];
            if (loaded[1]) shards = shards.concat([loaded[1]]);
            return pagefind.options({ baseUrl: base })
              .then(function () {
                return Promise.all(shards.slice(1).map(function (name) {
                  return pagefind.mergeIndex(root + name + "/", { baseUrl: base });
                }));
              })
              .then(function () { return pagefind; });
          });
        });
    }
    return engine;
  }

  function result(data) {
    var li = document.createElement("li");
    li.className = "search-result";
    var heading = document.createElement("h2");
    heading.className = "search-result__title";
    var link = document.createElement("a");
    link.href = data.url;
    link.textContent = (data.meta && data.meta.title) || data.url;
    heading.appendChild(link);
    li.appendChild(heading);
    var meta = data.meta || {};
    if (meta.type || meta.date) {
      var line = document.createElement("p");
      line.className = "card__meta search-result__meta"; // the cards' small muted line
      if (meta.type) {
        var kind = document.createElement("span");
        kind.className = "search-result__type";
        kind.textContent = meta.type;
        line.appendChild(kind);
      }
      if (meta.date) {
        if (meta.type) line.appendChild(document.createTextNode(" · "));
        var when = document.createElement("time");
        if (meta.datetime) when.setAttribute("datetime", meta.datetime);
        when.textContent = meta.date;
        line.appendChild(when);
      }
      li.appendChild(line);
    }
    var excerpt = document.createElement("p");
    excerpt.className = "search-result__excerpt";
    excerpt.innerHTML = data.excerpt; // Pagefind escapes the page text and adds <mark> around matches
    li.appendChild(excerpt);
    return li;
  }

  function run(query) {
    var ticket = ++latest;
    query = query.trim();
    if (!query) {
      list.replaceChildren();
      status.textContent = "";
      return;
    }
    load()
      .then(function (pagefind) { return pagefind ? pagefind.search(query) : { results: [] }; })
      .then(function (found) {
        if (ticket !== latest) return null;
        found = { results: found.results.filter(function (r) { return !dropped[r.id]; }) };
        return Promise.all(found.results.slice(0, 20).map(function (r) { return r.data(); })).then(function (pages) {
          if (ticket !== latest) return;
          list.replaceChildren.apply(list, pages.map(result));
          var n = found.results.length;
          status.textContent = n === 0 ? "Nothing found for “" + query + "”." : n + (n === 1 ? " result" : " results") + " for “" + query + "”.";
        });
      })
      .catch(function () {
        // `newpower serve` makes no search index (it would cost every edit seconds): say where search works.
        var preview = document.querySelector('script[src$="/__newpower/livereload.js"]');
        status.textContent = preview
          ? "This preview has no search index: search works on the site that newpower build makes."
          : "Search is not available just now. Browse by topic instead.";
      });
  }

  var timer = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(input.value); }, 200);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    history.replaceState(null, "", "?q=" + encodeURIComponent(input.value.trim()));
    run(input.value);
  });
  var initial = new URLSearchParams(location.search).get("q");
  if (initial) {
    input.value = initial;
    run(initial);
  }
})();
