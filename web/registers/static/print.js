// The print button of the paper views; a file of its own because the pages allow no inline script.
document.getElementById("print-now")?.addEventListener("click", () => window.print());
