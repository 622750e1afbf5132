/**
 * Alerts: a placeholder until the alerts work (issue 13, its `alerts` table and /api/alerts)
 * is merged. The hook the lead wires is `openAlertCount` in ../alerts-hook.ts.
 * @module
 */
import { Layout } from "../layout.tsx";

export function AlertsPage(props: { csrf: string; who?: string }) {
  return (
    <Layout title="Alerts" screen="alerts" csrf={props.csrf} who={props.who}>
      <p>
        Alerts are not available in this build yet: the watchdog that raises them lands separately. Until then, the
        Overview shows what needs attention, and open failures are listed under{" "}
        <a href="/console/failures?status=open">Failures</a>.
      </p>
    </Layout>
  );
}
