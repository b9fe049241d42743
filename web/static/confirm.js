// A form with data-confirm asks before it is sent: the CSP forbids inline handlers, so this is the one place.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
