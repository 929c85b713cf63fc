// Keyboard niceties for mark sheets; every page works without this file.
// Enter in a mark field moves to the next field instead of submitting the form.
document.addEventListener("keydown", function (event) {
  var field = event.target;
  if (event.key !== "Enter" || !field.classList || !field.classList.contains("mark")) { return; }
  var fields = Array.prototype.slice.call(document.querySelectorAll("input.mark"));
  var next = fields[fields.indexOf(field) + 1];
  if (next) { event.preventDefault(); next.focus(); next.select(); }
});
