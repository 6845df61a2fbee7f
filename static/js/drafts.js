// Drafts of long forms (form[data-draft]: the need, the outcome report) kept in this browser's
// storage as they are typed, so a dropped connection or a closed tab loses nothing. The draft
// fills the form again only where the page came blank; sending the form clears it. Tokens are
// never kept. Without scripts or storage the form works as before.
document.addEventListener("DOMContentLoaded", function () {
  var SKIP = ["csrf_token", "submission_token"];
  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var key = "draft:" + location.pathname + ":" + form.getAttribute("data-draft");
    var store;
    try { store = window.localStorage; store.getItem(key); } catch (error) { return; }
    function fields() {
      return Array.prototype.filter.call(form.elements, function (field) {
        return field.name && SKIP.indexOf(field.name) < 0 && field.type !== "submit"
          && field.type !== "hidden" && field.type !== "password";
      });
    }
    function save() {
      var values = {};
      fields().forEach(function (field) {
        if (field.type === "checkbox" || field.type === "radio") {
          values[field.id || field.name] = field.checked;
        } else if (field.multiple) {
          values[field.id || field.name] = Array.prototype.map.call(field.selectedOptions, function (o) { return o.value; });
        } else {
          values[field.id || field.name] = field.value;
        }
      });
      store.setItem(key, JSON.stringify(values));
    }
    var saved = store.getItem(key);
    if (saved && !form.querySelector(".has-error")) {
      var values = JSON.parse(saved);
      var restored = false;
      fields().forEach(function (field) {
        var value = values[field.id || field.name];
        if (value === undefined) return;
        if (field.type === "checkbox" || field.type === "radio") {
          if (!field.defaultChecked && value) { field.checked = true; restored = true; }
        } else if (field.multiple) {
          if (field.selectedOptions.length === 0) {
            Array.prototype.forEach.call(field.options, function (o) { o.selected = value.indexOf(o.value) >= 0; });
          }
        } else if (field.value === "" && value !== "") {
          field.value = value;
          restored = true;
        }
      });
      if (restored) {
        var note = document.createElement("p");
        note.className = "notice draft-note";
        note.textContent = form.getAttribute("data-draft-restored") || "";
        if (note.textContent) form.insertBefore(note, form.firstChild);
        form.querySelectorAll("select").forEach(function (s) { s.dispatchEvent(new Event("change")); });
      }
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function () { store.removeItem(key); });
  });
});
