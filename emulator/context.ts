import type { LocalS3 } from './s3';
import type { DevCredentials } from './sigv4';
import type { ChatAttachmentStatus, EmulatorState } from './state';

export interface EmulatorConfig {
  readonly region: string;
  readonly instanceId: string;
  readonly contactFlowId: string;
  /** Account id placed in `x-amz-meta-account_id`, as on real uploads. */
  readonly accountId: string;
  readonly credentials: DevCredentials;
  readonly maxAttachmentSizeBytes: number;
  readonly attachmentQuota: number;
  readonly urlExpirySeconds: number;
  readonly connectionTokenTtlSeconds: number;
}

export interface ScannedAttachment {
  contactId: string;
  attachmentId: string;
  name: string;
  contentType: string;
  sizeInBytes: number;
}

/** Decides the transcript status of an attachment once its upload completed (a malware scan, in real Connect). */
export type AttachmentScanner = (attachment: ScannedAttachment) => ChatAttachmentStatus | Promise<ChatAttachmentStatus>;

export interface EmulatorContext {
  readonly config: EmulatorConfig;
  readonly state: EmulatorState;
  readonly s3: LocalS3;
  readonly scanAttachment: AttachmentScanner;
}

/** A reply sent verbatim, not as JSON: how the malformed-reply fault answers. */
export class RawReply {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}
