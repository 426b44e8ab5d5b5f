// The HTML preview's page. The IDE loads it in an iframe sandboxed without allow-same-origin (and
// the server's Content-Security-Policy for this page sandboxes it too), so it runs with an opaque
// origin and cannot reach the IDE's storage. It has its own, loose policy, which the IDE's strict
// one does not allow (a srcdoc frame would inherit the IDE's). It tells the IDE it is ready, shows
// the one document the IDE answers with, and ignores anything after it; the IDE reloads it for the
// next document.
let shown = false;
window.addEventListener('message', (event) => {
  if (shown || event.source !== window.parent || !event.data || typeof event.data.cloudrunPreview !== 'string') return;
  shown = true;
  document.open();
  document.write(event.data.cloudrunPreview);
  document.close();
});
window.parent.postMessage({ cloudrunPreviewReady: true }, '*');
