/**
 * The Ferry web console (docs/console.md): the shell (sign-in, navigation by role, the server-gone banner) and the
 * pages. Everything shown comes from the REST API with the user's token.
 */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, handleUnauthorized, may, onConnection, ServerGone, token, type Connection, type Role } from './api.ts';
import { href, useRoute } from './hooks.ts';
import { Login } from './pages/login.tsx';
import { TasksPage } from './pages/tasks.tsx';
import { TaskPage } from './pages/task-detail.tsx';
import { EditorPage } from './pages/task-editor.tsx';
import { AuditPage } from './pages/audit.tsx';
import { AssessmentPage } from './pages/assessment.tsx';
import { SchemaConversionPage } from './pages/schema-conversion.tsx';
import { ValidationFailuresPage } from './pages/validation-failures.tsx';
import './styles.css';

export interface Me { name: string; role: Role }

function Banner() {
  const [c, setC] = useState<Connection>({ up: true, since: Date.now() });
  const [restored, setRestored] = useState(false);
  useEffect(() => onConnection((n) => {
    setC(n);
    if (n.up) { setRestored(true); setTimeout(() => setRestored(false), 4000); }
  }), []);
  if (!c.up) {
    return (
      <div class="banner down" role="alert" data-testid="server-gone">
        The Ferry server at {location.host} is not answering (since {new Date(c.since).toLocaleTimeString('en-GB', { hour12: false })}).
        The console retries every 2 seconds; the figures below are the last ones received. Check that <code>ferry serve</code> is running.
      </div>
    );
  }
  return <div class="banner-slot" role="status" aria-live="polite">{restored ? <div class="banner up" data-testid="server-back">Connection to the server restored.</div> : null}</div>;
}

function App() {
  const route = useRoute();
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(token.get() !== null);
  const [signedOut, setSignedOut] = useState<string | null>(null);

  useEffect(() => {
    handleUnauthorized((message) => { token.clear(); setMe(null); setSignedOut(message); });
    if (token.get() === null) return;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const check = () => api<Me>('GET', '/whoami').then((m) => { setMe(m); setChecking(false); }, (e: unknown) => {
      if (e instanceof ServerGone && token.get() !== null) retry = setTimeout(check, 2000); // server gone: keep trying
      else setChecking(false);
    });
    check();
    return () => clearTimeout(retry);
  }, []);

  // A new page moves the keyboard focus to its content (as a page load would), past the header.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) { first.current = false; return; }
    document.getElementById('main')?.focus();
  }, [route]);

  useEffect(() => {
    const titles: Record<string, string> = { tasks: 'Tasks', task: 'Task', new: 'New task', edit: 'Edit task', copy: 'Copy task', audit: 'Audit log', assessment: 'Assessment', schema: 'Schema conversion', failures: 'Validation failures', login: 'Sign in', missing: 'Not found' };
    document.title = `${titles[route.page] ?? 'Ferry'}${'name' in route ? ` ${route.name}` : ''} · Ferry console`;
  }, [route]);

  const signOut = () => { token.clear(); setMe(null); setSignedOut(null); location.hash = href.tasks; };

  let main;
  if (me === null) {
    main = checking ? <p class="muted" role="status">Connecting to the server…</p> : <Login message={signedOut} onSignedIn={(m) => { setMe(m); setSignedOut(null); }} />;
  } else {
    switch (route.page) {
      case 'tasks': main = <TasksPage me={me} />; break;
      case 'task': main = <TaskPage me={me} name={route.name} />; break;
      case 'new': main = <EditorPage me={me} />; break;
      case 'edit': main = <EditorPage me={me} edit={route.name} />; break;
      case 'copy': main = <EditorPage me={me} from={route.name} />; break;
      case 'audit': main = <AuditPage me={me} />; break;
      case 'assessment': main = <AssessmentPage me={me} name={route.name} />; break;
      case 'schema': main = <SchemaConversionPage name={route.name} />; break;
      case 'failures': main = <ValidationFailuresPage name={route.name} />; break;
      case 'login': main = <TasksPage me={me} />; break;
      default: main = <section><h1>Not found</h1><p>No console page is at <code>#{route.hash}</code>. <a href={href.tasks}>Go to the tasks</a>.</p></section>;
    }
  }
  const current = (page: string) => (route.page === page || (page === 'tasks' && ['task', 'assessment', 'schema', 'failures'].includes(route.page)) ? 'page' : undefined);
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href={href.tasks}>Ferry</a>
        {me && (
          <nav aria-label="Main">
            <a href={href.tasks} aria-current={current('tasks')}>Tasks</a>
            {may(me.role, 'admin') && <a href={href.new} aria-current={current('new')}>New task</a>}
            {may(me.role, 'admin') && <a href={href.audit} aria-current={current('audit')}>Audit log</a>}
          </nav>
        )}
        {me && (
          <div class="who">
            <span data-testid="who">{me.name} <span class="role">{me.role}</span></span>
            <button type="button" class="link" onClick={signOut}>Sign out</button>
          </div>
        )}
      </header>
      <Banner />
      <main id="main" tabIndex={-1}>{main}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
