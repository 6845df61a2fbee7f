// The need form shows the fields of the mode chosen (in person, online, or both for "either");
// without scripts every field shows. Fields hidden keep their values and are still sent.
document.addEventListener("DOMContentLoaded", function () {
  var mode = document.getElementById("mode");
  if (!mode) return;
  var groups = document.querySelectorAll("[data-for-mode]");
  function show() {
    groups.forEach(function (group) {
      var wanted = group.getAttribute("data-for-mode");
      group.hidden = !(mode.value === "" || mode.value === "either" || mode.value === wanted);
    });
  }
  mode.addEventListener("change", show);
  show();
});
