// Signature pads of the inspection page: draw with a finger, pen or mouse on <canvas class="sigpad">;
// on submit the drawing goes into the hidden input named by data-input as a PNG data URL.
(function () {
  "use strict";
  function pad(canvas) {
    var ctx = canvas.getContext("2d");
    var input = document.getElementById(canvas.dataset.input);
    var drawing = false, inked = false, last = null;
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111";
    function at(e) {
      var r = canvas.getBoundingClientRect();
      return { x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height };
    }
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; last = at(e); canvas.setPointerCapture(e.pointerId); e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      var p = at(e);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
      last = p; inked = true; e.preventDefault();
    });
    function stop() { drawing = false; if (inked) input.value = canvas.toDataURL("image/png"); }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    var clear = document.querySelector('[data-clear="' + canvas.id + '"]');
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); inked = false; input.value = "";
    });
  }
  document.querySelectorAll("canvas.sigpad").forEach(pad);
})();
