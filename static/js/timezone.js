// Time-zone pickers (select[data-guess-zone], see macros/forms.html): when one is blank, propose
// the zone this device's clock uses, and say so. Without scripts the person chooses.
document.addEventListener("DOMContentLoaded", function () {
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) return;
  document.querySelectorAll("select[data-guess-zone]").forEach(function (select) {
    if (select.value) return;
    var option = Array.prototype.find.call(select.options, function (o) { return o.value === zone; });
    if (!option) return;
    option.selected = true;
    var hint = document.getElementById(select.id + "-guessed");
    if (hint) hint.hidden = false;
  });
});
