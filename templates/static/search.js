// Site search: queries the Pagefind index built with the site, in the
// reader's browser. No outside service; without JavaScript the page says so.
(function () {
  "use strict";
  var form = document.querySelector(".search-form");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var engine = null;
  var latest = 0;

  function load() {
    if (!engine) {
      engine = import(form.getAttribute("data-pagefind")).then(function (pagefind) {
        return pagefind.options({ baseUrl: form.getAttribute("data-base") }).then(function () { return pagefind; });
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
    var excerpt = document.createElement("p");
    excerpt.className = "search-result__excerpt";
    excerpt.innerHTML = data.excerpt; // Pagefind escapes the page text and adds <mark> around matches
    li.append(heading, excerpt);
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
      .then(function (pagefind) { return pagefind.search(query); })
      .then(function (found) {
        if (ticket !== latest) return null;
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
