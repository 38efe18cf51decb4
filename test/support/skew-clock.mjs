// Preloaded with `node --import` into one test process to skew its wall clock: Date.now() returns
// the real time plus DATAHUB_TEST_CLOCK_SKEW_MS. Test support only (never read by the product).
const skew = Number(process.env.DATAHUB_TEST_CLOCK_SKEW_MS ?? 0);
if (skew !== 0) {
  const realNow = Date.now;
  Date.now = () => realNow() + skew;
  process.stdout.write(`test clock: Date.now skewed by ${skew} ms\n`);
}
