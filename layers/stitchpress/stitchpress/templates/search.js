// The search page: Pagefind's UI, searching at once for ?q= (a search can be linked to).
window.addEventListener("DOMContentLoaded", function () {
  if (typeof PagefindUI === "undefined") {
    return; // no index yet: the search job has not run
  }
  var ui = new PagefindUI({ element: "#search", showSubResults: false, showImages: false });
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) {
    ui.triggerSearch(query);
  }
});
