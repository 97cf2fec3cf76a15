// A browser app as users write it: @sentry/browser, bundled and minified by esbuild.
import * as Sentry from "@sentry/browser";

Sentry.init({
  dsn: window.BUGTRACK_DSN,
  release: window.BUGTRACK_RELEASE,
  defaultIntegrations: false,
  integrations: [Sentry.dedupeIntegration()],
});

function computeTotal(basket) {
  return basket.items.reduce((sum, item) => sum + item.price, 0);
}

// EXTRA: a rebuild adds a function here; the issue must stay the same.

export function checkout() {
  const basket = { items: undefined };
  return computeTotal(basket);
}

document.getElementById("buy").addEventListener("click", () => {
  try {
    checkout();
  } catch (error) {
    Sentry.captureException(error);
    Sentry.flush(5000).then(() => {
      window.SENT = true;
    });
  }
});
