/* Citizen form: fill the hidden lon/lat/accuracy from the phone's position when the citizen allows it.
 * The note's translated texts are its data-* attributes (no inline script: CSP). */
(function () {
  "use strict";
  var note = document.getElementById("geo-note");
  if (!note) return;
  if (!navigator.geolocation) { note.textContent = note.dataset.noGeo; return; }
  navigator.geolocation.getCurrentPosition(function (pos) {
    document.getElementById("lon").value = pos.coords.longitude;
    document.getElementById("lat").value = pos.coords.latitude;
    document.getElementById("accuracy").value = Math.round(pos.coords.accuracy);
    note.textContent = note.dataset.gotGeo;
  }, function () { note.textContent = note.dataset.failedGeo; },
  { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
})();
