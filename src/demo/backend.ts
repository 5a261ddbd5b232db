/**
 * The page's view of its host backend: where to send Participant calls, and where a ParticipantToken comes from.
 */
import { DISPLAY_NAME_MAX_LENGTH, type DemoConfig, type NewCaseReply, type StartChatReply, type StartChatRequest } from './config';

/**
 * `GET /demo-api/config`, then `?region=` or `?endpoint=` from the page URL, for the built page hosted behind
 * another backend. The ConnectionToken goes wherever this points, so an endpoint from the URL must be AWS's own
 * (https, `*.amazonaws.com`) or loopback: a crafted link cannot send it to someone else's server.
 */
export async function loadConfig(location: Location): Promise<DemoConfig> {
  const response = await fetch('/demo-api/config', { cache: 'no-store' });
  if (!response.ok) throw new Error(`The demo backend answered ${response.status} to /demo-api/config.`);
  const config = (await response.json()) as DemoConfig;
  const query = new URLSearchParams(location.search);
  const region = query.get('region');
  const endpoint = query.get('endpoint');
  if (endpoint !== null) {
    if (!trustedEndpoint(endpoint)) throw new Error('?endpoint= must be an https://….amazonaws.com URL or a loopback http URL.');
    // Emulator faults only make sense on a local endpoint.
    if (isLoopbackHost(new URL(endpoint).hostname)) return { ...config, participantEndpoint: endpoint };
    return { target: 'aws', region: config.region, participantEndpoint: endpoint };
  }
  if (region !== null) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new Error('?region= must be an AWS region such as us-east-1.');
    return { target: 'aws', region, participantEndpoint: `https://participant.connect.${region}.amazonaws.com` };
  }
  return config;
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function trustedEndpoint(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'http:') return isLoopbackHost(url.hostname);
  return url.protocol === 'https:' && url.hostname.endsWith('.amazonaws.com');
}

/** The host backend calls StartChatContact (SigV4, server-side) and hands back the ParticipantToken. */
export async function requestChat(displayName: string, signal?: AbortSignal): Promise<StartChatReply> {
  const response = await fetch('/demo-api/start-chat', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ displayName: displayName.slice(0, DISPLAY_NAME_MAX_LENGTH) } satisfies StartChatRequest),
    cache: 'no-store',
    ...(signal ? { signal } : {}),
  });
  const body = (await response.json().catch(() => ({}))) as Partial<StartChatReply> & { message?: string };
  if (!response.ok || !body.participantToken || !body.contactId || !body.participantId) {
    throw new Error(body.message ?? `The demo backend answered ${response.status} to start-chat.`);
  }
  return { contactId: body.contactId, participantId: body.participantId, participantToken: body.participantToken };
}

/** The host backend creates a case for the agent view (the emulator's; real cases come from Amazon Connect Cases). */
export async function requestCase(signal?: AbortSignal): Promise<NewCaseReply> {
  const response = await fetch('/demo-api/cases', { method: 'POST', cache: 'no-store', ...(signal ? { signal } : {}) });
  const body = (await response.json().catch(() => ({}))) as Partial<NewCaseReply> & { message?: string };
  if (!response.ok || !body.instanceId || !body.associatedResourceArn) {
    throw new Error(body.message ?? `The demo backend answered ${response.status} to cases.`);
  }
  return { instanceId: body.instanceId, associatedResourceArn: body.associatedResourceArn };
}
