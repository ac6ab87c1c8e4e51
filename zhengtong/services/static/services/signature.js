// The counter's signature pad: strokes on a canvas, sent as a PNG data URL with the form.
(function () {
  var pad = document.getElementById("signature-pad");
  if (!pad) return;
  var ctx = pad.getContext("2d"), field = document.getElementById("id_signature"), drawing = false, drawn = false;
  ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
  function at(e) { var r = pad.getBoundingClientRect(); return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height]; }
  pad.addEventListener("pointerdown", function (e) { drawing = true; var p = at(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); try { pad.setPointerCapture(e.pointerId); } catch (err) { /* synthetic pointers have no capture */ } });
  pad.addEventListener("pointermove", function (e) { if (!drawing) return; var p = at(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true; });
  pad.addEventListener("pointerup", function () { drawing = false; if (drawn) field.value = pad.toDataURL("image/png"); });
  document.getElementById("signature-clear").addEventListener("click", function () { ctx.clearRect(0, 0, pad.width, pad.height); drawn = false; field.value = ""; });
})();
