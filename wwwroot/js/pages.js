// Two small browser calls the model and evaluation pages need and MudBlazor does not offer.

// Copies text to the clipboard; false when the browser refuses (insecure origin, no permission).
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

// Scrolls an element into view only when it is not already fully visible.
export function scrollIntoView(id) {
  const element = document.getElementById(id);
  if (!element) {
    return;
  }
  const box = element.getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) {
    element.scrollIntoView({ behavior: "smooth", block: "start" });
  }
}
