/** What the demo server (the host's backend) and the page say to each other. No Node or DOM imports. */

/** `GET /demo-api/config`. */
export interface DemoConfig {
  /** `emulator`: the local Connect emulator; `aws`: a real Amazon Connect instance. */
  target: 'emulator' | 'aws';
  region: string;
  /** Where the page sends Participant Service calls (CreateParticipantConnection, attachments, messages). */
  participantEndpoint: string;
  /** Emulator only: its fault-injection control API (`/_emulator`, not part of AWS). */
  controlEndpoint?: string;
}

/** `POST /demo-api/start-chat` reply: what the host's backend hands the browser after StartChatContact. */
export interface StartChatReply {
  contactId: string;
  participantId: string;
  /** Opens the chat once, through CreateParticipantConnection; the page never stores it. */
  participantToken: string;
}

/** `POST /demo-api/start-chat` body. */
export interface StartChatRequest {
  displayName?: string;
}

export const DISPLAY_NAME_MAX_LENGTH = 256;

/** `POST /demo-api/cases` reply: a fresh case of the emulator for the agent view to attach files to. */
export interface NewCaseReply {
  instanceId: string;
  associatedResourceArn: string;
}
