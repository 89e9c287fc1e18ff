/** Sign-in: the API token, checked with GET /whoami and kept in this tab's sessionStorage only. */
import { useState } from 'preact/hooks';
import { api, messageOf, token } from '../api.ts';
import { DocLink } from '../components/confirm.tsx';
import type { Me } from '../main.tsx';

export function Login({ message, onSignedIn }: { message: string | null; onSignedIn: (m: Me) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(message);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    token.set(value.trim());
    try {
      const me = await api<Me>('GET', '/whoami');
      onSignedIn(me);
    } catch (err: unknown) {
      token.clear();
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="login">
      <h1>Sign in to Ferry</h1>
      <p>Enter an API token of this server: the bootstrap token of <code>ferry serve</code>, or one issued with <code>ferry tokens create</code>.
        It is kept in this browser tab only, until you sign out or close it. <DocLink doc="api" anchor="roles-and-tokens">Roles and tokens</DocLink></p>
      <form onSubmit={submit}>
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" required value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} aria-describedby={error ? 'login-error' : undefined} />
        {error && <p id="login-error" class="error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy || value.trim() === ''}>Sign in</button>
      </form>
    </section>
  );
}
