// A tiny GraphQL client: POST /graphql with the bearer token, subscriptions over
// graphql-transport-ws, and a log of every document sent (the "Show query" panel).

const ENDPOINT = '/graphql';
const TOKEN_KEY = 'hz45.token';
const USER_KEY = 'hz45.user';

/** The signed-in user's token and profile, kept in localStorage. */
export const session = {
  get token() { return localStorage.getItem(TOKEN_KEY); },
  get user() { return JSON.parse(localStorage.getItem(USER_KEY) ?? 'null'); },
  signIn({ token, user }) {
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  signOut() {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
  },
};

/** The errors of a GraphQL response; `code` and `violations` come from their `extensions`. */
export class GraphQLError extends Error {
  constructor(errors) {
    super(errors.map((error) => error.message).join('; '));
    this.errors = errors;
  }

  get code() { return this.errors[0]?.extensions?.code; }

  get violations() { return this.errors.flatMap((error) => error.extensions?.violations ?? []); }
}

let sent = [];
const listeners = new Set();

function record(entry) {
  sent = [...sent, entry];
  listeners.forEach((listener) => listener(sent));
}

/** Start a new page: forget the documents the last one sent. */
export function newPage() {
  sent = [];
  listeners.forEach((listener) => listener(sent));
}

/** Call `listener(entries)` whenever a document is sent (or a new page starts). */
export function onSent(listener) { listeners.add(listener); }

/** Run a query or mutation; resolves to `data`, rejects with a GraphQLError. */
export async function gql(document, variables = {}) {
  const query = document.trim();
  record({ transport: `POST ${ENDPOINT}`, query, variables });
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  const response = await fetch(ENDPOINT, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await response.json();
  if (body.errors?.length) throw new GraphQLError(body.errors);
  return body.data;
}

/** Subscribe over WebSocket (graphql-transport-ws); returns a function that stops it. */
export function subscribe(document, variables, { next, error }) {
  const query = document.trim();
  record({ transport: `WebSocket ${ENDPOINT} (graphql-transport-ws)`, query, variables });
  const url = new URL(ENDPOINT, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(url, 'graphql-transport-ws');
  const send = (message) => socket.send(JSON.stringify(message));
  let stopped = false;

  socket.addEventListener('open', () => {
    // Closing a socket that is still connecting would log an error: wait for it to open.
    if (stopped) socket.close(1000);
    else send({ type: 'connection_init', payload: {} });
  });
  socket.addEventListener('message', ({ data }) => {
    const message = JSON.parse(data);
    if (message.type === 'connection_ack') send({ id: '1', type: 'subscribe', payload: { query, variables } });
    else if (message.type === 'ping') send({ type: 'pong' });
    else if (message.type === 'next' && message.payload.errors) error(new GraphQLError(message.payload.errors));
    else if (message.type === 'next') next(message.payload.data);
    else if (message.type === 'error') error(new GraphQLError(message.payload));
  });
  socket.addEventListener('close', (event) => {
    if (!stopped) error(new Error(`Live updates stopped (WebSocket closed with code ${event.code}); reload to resume.`));
  });

  return () => {
    stopped = true;
    if (socket.readyState === WebSocket.OPEN) {
      send({ id: '1', type: 'complete' });
      socket.close(1000);
    }
  };
}
