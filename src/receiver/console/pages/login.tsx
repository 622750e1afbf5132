/**
 * The login form: the admin token in a password field, nothing else.
 * @module
 */
import { Layout, Notice } from "../layout.tsx";

export function LoginPage(props: { error?: string }) {
  return (
    <Layout title="Sign in">
      <form class="login" method="post" action="/console/login">
        {props.error && <Notice error>{props.error}</Notice>}
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}
