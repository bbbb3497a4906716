(function () {
  "use strict";
  // Draw every chart from its JSON block. `ast` makes Vega interpret expressions instead of compiling them
  // with new Function(), so the page's Content-Security-Policy needs no 'unsafe-eval'; the default styles
  // vega-embed and its tooltip would inject as <style> elements live in the page's own stylesheet instead.
  var options = {
    renderer: "svg",
    actions: false,
    ast: true,
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true }
  };
  // A printed report shows what is folded away on screen.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });
  var charts = document.querySelectorAll("[data-spec]");
  Array.prototype.forEach.call(charts, function (el) {
    var block = document.getElementById(el.getAttribute("data-spec"));
    var spec = JSON.parse(block.textContent);
    window.vegaEmbed(el, spec, options).then(function () {
      el.setAttribute("data-drawn", "yes");
    }).catch(function (error) {
      el.setAttribute("data-drawn", "error");
      el.textContent = String(error);
      console.error(error);
    });
  });
})();
