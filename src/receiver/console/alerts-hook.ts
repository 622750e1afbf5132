/**
 * Where the console meets the alerts work (issue 13). Until its `alerts` table is merged there
 * is nothing to count, and the Overview shows "n/a". At merge: count open alerts here (one
 * indexed query) and render them in pages/alerts.tsx, with acknowledge as a CSRF-checked POST.
 * @module
 */

/** Open alerts, or null while the alerts feature is not part of this build. */
export async function openAlertCount(_db: D1Database): Promise<number | null> {
  return null;
}
