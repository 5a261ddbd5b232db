/**
 * Calls through the host's own `ConnectClient` (configured with whatever temporary credentials the host has), using
 * only the four commands needed, so a bundler keeps the rest of the SDK out.
 */
import {
  CompleteAttachedFileUploadCommand,
  DeleteAttachedFileCommand,
  GetAttachedFileCommand,
  StartAttachedFileUploadCommand,
  type ConnectClient,
} from '@aws-sdk/client-connect';
import type { Clock } from '../core/time';
import { fromSdkError } from './errors';
import type { AttachedFileRequest, Transport } from './types';

function sendCommand(connect: ConnectClient, request: AttachedFileRequest, abortSignal: AbortSignal | undefined): Promise<object> {
  const options = abortSignal === undefined ? {} : { abortSignal };
  switch (request.operation) {
    case 'StartAttachedFileUpload':
      return connect.send(new StartAttachedFileUploadCommand(request.input), options);
    case 'CompleteAttachedFileUpload':
      return connect.send(new CompleteAttachedFileUploadCommand(request.input), options);
    case 'GetAttachedFile':
      return connect.send(new GetAttachedFileCommand(request.input), options);
    case 'DeleteAttachedFile':
      return connect.send(new DeleteAttachedFileCommand(request.input), options);
  }
}

export function sdkTransport(connect: ConnectClient, clock: Clock): Transport {
  return async (request, signal) => {
    try {
      return { ...(await sendCommand(connect, request, signal)) };
    } catch (error) {
      throw fromSdkError(request.operation, error, signal, clock.now());
    }
  };
}
