// The print button of the slip and notice pages (an external file: the CSP refuses inline scripts).
document.getElementById("print-button").addEventListener("click", function () { window.print(); });
