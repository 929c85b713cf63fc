// Search all services as the user types: narrows the list already on the page (which holds only services
// the user may open), so nothing is fetched and nothing hidden can leak. Without JavaScript, the form submits.
(function () {
  "use strict";

  function filter(form) {
    var list = document.getElementById(form.getAttribute("data-service-search"));
    var input = form.querySelector("input[type=search]");
    if (!list || !input) { return; }
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    list.querySelectorAll("[data-menu-section]").forEach(function (section) {
      var inSection = 0;
      section.querySelectorAll("li[data-search-text]").forEach(function (item) {
        var text = item.getAttribute("data-search-text");
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        item.hidden = !match;
        if (match) { inSection += 1; }
      });
      section.querySelectorAll("li.service-heading").forEach(function (heading) {
        heading.hidden = words.length > 0;
      });
      section.hidden = inSection === 0;
      shown += inSection;
    });
    var empty = list.querySelector("[data-search-empty]");
    if (empty) { empty.hidden = shown > 0; }
  }

  document.querySelectorAll("form[data-service-search]").forEach(function (form) {
    var input = form.querySelector("input[type=search]");
    if (!input) { return; }
    input.addEventListener("input", function () { filter(form); });
    if (input.value) { filter(form); }
  });
}());
