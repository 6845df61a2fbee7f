// The main menu folds behind a button on phones (the stylesheet hides it there once this runs;
// without scripts it stays open). Loaded in <head>, so the page never shows it unfolded first.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector(".menu-button");
  var menu = document.getElementById(button ? button.getAttribute("aria-controls") : "");
  if (!button || !menu) return;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  });
});
