// A Node service in TypeScript using @sentry/node, built by esbuild.
import * as Sentry from "@sentry/node";

interface Invoice {
  id: string;
  lines?: { amount: number }[];
}

Sentry.init({ dsn: process.env.BUGTRACK_DSN, release: process.env.BUGTRACK_RELEASE });

function invoiceTotal(invoice: Invoice): number {
  return invoice.lines!.reduce((sum, line) => sum + line.amount, 0);
}

async function main(): Promise<void> {
  try {
    invoiceTotal({ id: "inv-1" });
  } catch (error) {
    Sentry.captureException(error);
  }
  await Sentry.flush(5000);
}

main();
