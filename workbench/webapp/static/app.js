// Copy buttons. navigator.clipboard needs a secure context (127.0.0.1 is one); the textarea
// fallback covers a plain-HTTP deployment behind another name.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const source = document.getElementById(button.dataset.target);
  if (!source) return;
  const text = source.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch (err) {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  const label = button.textContent;
  button.textContent = "Copied ✓";
  button.dataset.copied = "1";
  setTimeout(() => { button.textContent = label; }, 1500);
});

// Generation takes a few seconds: say so, and stop double submits.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.id !== "brief-form" && form.id !== "regenerate-form") return;
  const button = form.querySelector("button[type=submit]");
  if (button) { button.disabled = true; button.textContent = "Generating…"; }
});
