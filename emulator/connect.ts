import { ApiError } from './http';
import type { EmulatorContext } from './context';
import type { Contact } from './state';
import { RequestValidator } from './validation';

/** Connect (agent/admin side) errors carry the message in `Message` and use their own error names. */
const invalidParameter = (message: string) => new ApiError(400, 'InvalidParameterException', message);
const notFound = (message: string) => new ApiError(404, 'ResourceNotFoundException', message);

export interface ChatSession {
  contactId: string;
  participantId: string;
  participantToken: string;
  connectionToken: string;
}

export interface OpenChatOptions {
  displayName?: string;
  initialMessage?: { contentType: string; content: string };
}

/** Creates a contact with its customer participant, as StartChatContact does. */
export function openContact(ctx: EmulatorContext, options: OpenChatOptions = {}): { contact: Contact; participantToken: string } {
  const opened = ctx.state.createContact(options.displayName ?? 'Customer');
  if (options.initialMessage !== undefined) {
    opened.contact.addTranscriptEntry({
      type: 'MESSAGE',
      contentType: options.initialMessage.contentType,
      content: options.initialMessage.content,
    });
  }
  return opened;
}

/** StartChatContact + CreateParticipantConnection in one step, for tests, the demo and the CLI. */
export function openChat(ctx: EmulatorContext, options: OpenChatOptions = {}): ChatSession {
  const { contact, participantToken } = openContact(ctx, options);
  const { connectionToken } = ctx.state.issueConnectionToken(contact, ctx.config.connectionTokenTtlSeconds);
  return { contactId: contact.contactId, participantId: contact.participantId, participantToken, connectionToken };
}

/** `PUT /contact/chat`, after its SigV4 signature was verified. */
export function startChatContact(ctx: EmulatorContext, body: Record<string, unknown>): unknown {
  const replies = ctx.state.startChatReplies;
  const v = new RequestValidator('InvalidParameterException');
  const instanceId = v.string('InstanceId', body['InstanceId'], { required: true, min: 1, max: 100 });
  const contactFlowId = v.string('ContactFlowId', body['ContactFlowId'], { required: true, max: 500 });
  const details = v.object('ParticipantDetails', body['ParticipantDetails'], true);
  const displayName = v.string('ParticipantDetails.DisplayName', details['DisplayName'], { required: true, min: 1, max: 256 });
  v.stringMap('Attributes', body['Attributes'], { min: 1, max: 32767 }, { min: 0, max: 32767 });
  const initial = v.object('InitialMessage', body['InitialMessage']);
  const initialContentType = initial && v.string('InitialMessage.ContentType', initial['ContentType'], { required: true, min: 1, max: 100 });
  const initialContent = initial && v.string('InitialMessage.Content', initial['Content'], { required: true, min: 1, max: 1024 });
  const clientToken = v.string('ClientToken', body['ClientToken'], { max: 500 });
  v.integer('ChatDurationInMinutes', body['ChatDurationInMinutes'], { min: 60, max: 10080 });
  v.stringList('SupportedMessagingContentTypes', body['SupportedMessagingContentTypes'], { min: 1, max: 100 });
  v.string('RelatedContactId', body['RelatedContactId'], { min: 1, max: 256 });
  v.done();
  if (instanceId !== ctx.config.instanceId) throw notFound(`Instance ${instanceId} was not found.`);
  if (contactFlowId !== ctx.config.contactFlowId) throw notFound(`Contact flow ${contactFlowId} was not found in this instance.`);
  if (initialContentType !== undefined && !['text/plain', 'text/markdown'].includes(initialContentType)) {
    throw invalidParameter('InitialMessage.ContentType must be text/plain or text/markdown.');
  }

  const fingerprint = JSON.stringify(body);
  const stored = clientToken === undefined ? undefined : replies.get(clientToken);
  if (stored !== undefined) {
    if (stored.fingerprint !== fingerprint) throw invalidParameter('This ClientToken was already used for a request with other parameters.');
    return stored.reply;
  }
  const { contact, participantToken } = openContact(ctx, {
    displayName,
    ...(initialContentType !== undefined && initialContent !== undefined
      ? { initialMessage: { contentType: initialContentType, content: initialContent } }
      : {}),
  });
  const reply = { ContactId: contact.contactId, ParticipantId: contact.participantId, ParticipantToken: participantToken };
  if (clientToken !== undefined) replies.set(clientToken, { fingerprint, reply });
  return reply;
}
