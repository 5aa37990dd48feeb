// The search page: Pagefind's UI over /pagefind/, searching at once for ?q= (a search can be
// linked to). Pagefind keeps one index per language and searches only the page's own; a site in
// English with posts in Japanese has both, so the other languages' indexes are merged in.
window.addEventListener("DOMContentLoaded", function () {
  if (typeof PagefindUI === "undefined") {
    return; // no index yet: the search job has not run
  }
  var page = (document.documentElement.lang || "en").split("-")[0].toLowerCase();
  fetch("/pagefind/pagefind-entry.json")
    .then(function (response) { return response.json(); })
    .catch(function () { return { languages: {} }; })
    .then(function (entry) {
      var counts = entry.languages || {};
      var languages = Object.keys(counts);
      // The index Pagefind picks for this page: its language, else the largest (as pagefind.js).
      var own = counts[page] ? page : languages.sort(function (a, b) {
        return counts[b].page_count - counts[a].page_count;
      })[0];
      var ui = new PagefindUI({
        element: "#search",
        showSubResults: false,
        showImages: false,
        // On the page's thread: no worker (its script would need a CSP of its own).
        noWorker: true,
        mergeIndex: languages.filter(function (l) { return l !== own; }).map(function (l) {
          // The same bundle, named by its full URL: Pagefind skips a merge whose path is the
          // primary index's own ("/pagefind/"), whatever language it asks for.
          return { bundlePath: window.location.origin + "/pagefind/", language: l, noWorker: true };
        }),
      });
      var query = new URLSearchParams(window.location.search).get("q");
      if (query) {
        ui.triggerSearch(query);
      }
    });
});
