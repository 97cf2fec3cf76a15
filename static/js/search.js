// The issue search box's completions (htmx fetches them into #search-suggestions): picking one
// puts it into the box; Escape closes them. Searching works without this.
document.addEventListener("click", function (event) {
  var pick = event.target.closest(".js-suggestion");
  if (!pick) return;
  var box = pick.closest("form").querySelector(".js-search");
  box.value = pick.dataset.query;
  box.focus();
  box.dispatchEvent(new Event("input", { bubbles: true })); // offers the next completions
});

document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape" || !event.target.matches(".js-search")) return;
  var list = document.getElementById("search-suggestions");
  if (list) list.replaceChildren();
});
